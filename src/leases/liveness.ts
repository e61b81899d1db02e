import type { Client } from '@temporalio/client';
import type { HolderLiveness } from './overlap';

/**
 * A holder is live while the newest run of its workflow id runs and belongs to the same
 * execution chain (continue-as-new keeps the first run id; a reused id after deletion does not).
 */
export function temporalLiveness(client: Client): HolderLiveness {
  return async (holder) => {
    try {
      const d = await client.workflow.getHandle(holder.campaignId).describe();
      const firstRunId = d.raw.workflowExecutionInfo?.firstRunId;
      return d.status.name === 'RUNNING' && (!firstRunId || firstRunId === holder.owner);
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return false;
      throw err;
    }
  };
}
