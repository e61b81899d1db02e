#!/usr/bin/env bash
# Static checks of the deployment files (no Docker engine here): docker-compose.yml validates
# with every profile, and every command the Dockerfile runs exists in package.json / src.
set -euo pipefail
cd "$(dirname "$0")/.."

# The secrets have no defaults: dummy values make `config` render, and each one left unset must
# make it fail.
export COMPOSE_PROJECT_NAME=koophone-check
profiles=(--profile sim --profile cli --profile metrics)
secrets=(POSTGRES_PASSWORD=ci-dummy KOOPHONE_DB_PASSWORD=ci-dummy)
env "${secrets[@]}" docker-compose "${profiles[@]}" config -q
echo "docker-compose.yml: valid (profiles sim, cli, metrics) with the required secrets set"
for secret in "${secrets[@]}"; do
  name="${secret%%=*}"
  others=()
  for other in "${secrets[@]}"; do [ "$other" = "$secret" ] || others+=("$other"); done
  if output="$(env -u "$name" "${others[@]}" docker-compose "${profiles[@]}" config -q 2>&1)"; then
    echo "docker-compose.yml: config passes with $name unset; it must fail" >&2
    exit 1
  fi
  grep -q "set $name" <<<"$output" || { echo "docker-compose.yml: unexpected failure without $name: $output" >&2; exit 1; }
done
echo "docker-compose.yml: config fails when a required secret is unset"

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
