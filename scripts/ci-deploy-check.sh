#!/usr/bin/env bash
# Static checks of the deployment files (no Docker engine here): docker-compose.yml validates
# with every profile, and every command the Dockerfile runs exists in package.json / src.
set -euo pipefail
cd "$(dirname "$0")/.."

COMPOSE_PROJECT_NAME=koophone-check docker-compose --profile sim --profile cli --profile metrics config -q
echo "docker-compose.yml: valid (profiles sim, cli, metrics)"

node - <<'JS'
const { readFileSync, existsSync } = require('node:fs');
const scripts = JSON.parse(readFileSync('package.json', 'utf8')).scripts;
const dockerfile = readFileSync('Dockerfile', 'utf8');
const problems = [];
for (const [, name] of dockerfile.matchAll(/npm run ([\w:-]+)/g)) {
  if (!scripts[name]) problems.push(`Dockerfile runs "npm run ${name}" but package.json has no such script`);
}
const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
if (!cmd) problems.push('Dockerfile has no exec-form CMD');
else {
  const [bin, entry] = JSON.parse(cmd[1]);
  const source = entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
  if (bin !== 'node' || !existsSync(source)) problems.push(`Dockerfile CMD runs ${entry}, but ${source} does not exist`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('Dockerfile: build and start commands exist');
JS
