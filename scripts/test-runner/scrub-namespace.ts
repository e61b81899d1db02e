import { Client, Connection } from '@temporalio/client';
import { ACCOUNT_WORKFLOW_ID } from '../../src/campaign/account-names';

const RUNNING = "ExecutionStatus = 'Running'";

/**
 * Leaves a namespace as a fresh one for the next test file: its schedules deleted, its running
 * workflows terminated, and the account coordinator's execution deleted (its record is its
 * history: a terminated one would be re-created with the limits a previous file set). Files run one
 * after another on a namespace; a campaign one left running (a held one, one whose worker was
 * killed on purpose) was counted by the next file's `list`, and a limit it set paced the next one.
 */
export async function scrubNamespace(address: string, namespace: string, timeoutMs = 20_000): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    for await (const s of client.schedule.list()) await client.schedule.getHandle(s.scheduleId).delete();
    for await (const w of client.workflow.list({ query: RUNNING })) {
      await client.workflow
        .getHandle(w.workflowId, w.runId)
        .terminate('the test file that started it ended')
        .catch(() => undefined); // ended meanwhile
    }
    await connection.workflowService
      .deleteWorkflowExecution({ namespace, workflowExecution: { workflowId: ACCOUNT_WORKFLOW_ID } })
      .catch(() => undefined); // none
    // Visibility follows the terminations a moment later: the next file lists what it starts only.
    const deadline = Date.now() + timeoutMs;
    while ((await client.workflow.count(RUNNING)).count > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await connection.close();
  }
}
