import type { TemporalSession } from './temporal';

/**
 * How many workers poll `taskQueue` for workflow tasks, as the server saw them lately, or
 * undefined when the server did not say in time. The server keeps a poller listed for a few
 * minutes after its last poll: none listed means no worker for certain, some listed does not
 * prove one is alive.
 */
export async function workflowPollers(
  session: Pick<TemporalSession, 'client' | 'connection' | 'settings'>,
  taskQueue: string,
  timeoutMs = 3000,
): Promise<number | undefined> {
  try {
    const res = await session.client.withDeadline(Date.now() + timeoutMs, () =>
      session.connection.workflowService.describeTaskQueue({
        namespace: session.settings.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
      }),
    );
    return (res.pollers ?? []).length;
  } catch {
    return undefined;
  }
}
