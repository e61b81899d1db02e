import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { projectRoot } from '../../src/project-root';
import { requireTemporalCli } from '../../src/temporal/locate-cli';

export const HISTORY_DIR = join(projectRoot, 'test', 'histories');

/**
 * With RECORD_HISTORIES=1, saves every run of a finished workflow under test/histories (in the
 * JSON form `temporal workflow show --output json` writes) so the replay test checks every later
 * change of workflow code against them.
 */
export async function saveHistory(
  client: Client,
  address: string,
  workflowId: string,
  name: string,
): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  mkdirSync(HISTORY_DIR, { recursive: true });
  const runs: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(wf.runId);
  runs.reverse();
  runs.forEach((runId, i) => {
    const json = execFileSync(
      requireTemporalCli().path,
      [
        'workflow',
        'show',
        '--workflow-id',
        workflowId,
        '--run-id',
        runId,
        '--address',
        address,
        '--namespace',
        client.options.namespace,
        '--output',
        'json',
      ],
      { encoding: 'utf8', maxBuffer: 256 << 20 },
    );
    writeFileSync(join(HISTORY_DIR, `${name}${runs.length > 1 ? `-run${i + 1}` : ''}.json`), json);
  });
}
