// Prebuilds the workflow bundle from the compiled workflows (dist/workflows) into
// dist/workflow-bundle.js, so a worker started with WORKFLOW_BUNDLE=dist/workflow-bundle.js skips
// the webpack step on every start. Run after `npm run build` (the Dockerfile does).
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { bundleWorkflowCode } = require('@temporalio/worker');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(root, 'dist', 'workflow-bundle.js');
// The workflows and their interceptors, as every worker bundles them (src/worker.ts).
const { WORKFLOW_CODE } = require(join(root, 'dist', 'worker'));
const { code } = await bundleWorkflowCode(WORKFLOW_CODE);
await writeFile(out, code);
console.log(`workflow bundle written to ${out} (${(code.length / 1024 / 1024).toFixed(2)} MiB)`);
