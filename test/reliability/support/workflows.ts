import type { Client } from '@temporalio/client';

/** Visibility queries quote their values; task queues and ids from the tests have no quotes. */
export const onQueue = (taskQueue: string): string => `TaskQueue = "${taskQueue}"`;

/** Every execution (every run, open or closed) that matches `query`. */
export async function listExecutions(
  client: Client,
  query: string,
): Promise<{ workflowId: string; runId: string; status: string; type: string }[]> {
  const rows = [];
  for await (const w of client.workflow.list({ query })) {
    rows.push({ workflowId: w.workflowId, runId: w.runId, status: w.status.name, type: w.type });
  }
  return rows;
}

/** Ends whatever a test left running on its queue (a start that should have been refused). */
export async function terminateAll(client: Client, query: string, reason: string): Promise<number> {
  let n = 0;
  for (const w of await listExecutions(client, `${query} AND ExecutionStatus = "Running"`)) {
    await client.workflow
      .getHandle(w.workflowId, w.runId)
      .terminate(reason)
      .catch(() => undefined);
    n += 1;
  }
  return n;
}
