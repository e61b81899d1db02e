import { readFileSync } from 'node:fs';
import { Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
async function main() {
  Runtime.install({ logger: new DefaultLogger('INFO', (e) => { if (e.meta?.sdkComponent === 'workflow' || /DBG/.test(e.message)) console.log('LOG', e.message, JSON.stringify(e.meta ?? {}).slice(0, 200)); }) });
  const h = historyFromJSON(JSON.parse(readFileSync(process.argv[2]!, 'utf8')));
  await Worker.runReplayHistory({ workflowsPath: require.resolve(process.argv[3]!) }, h, process.argv[4] ?? 'c-ee237ea1');
  console.log('replayed fine');
}
main().catch((e) => { console.error('REPLAY FAILED', String(e).slice(0, 500)); process.exit(1); });
