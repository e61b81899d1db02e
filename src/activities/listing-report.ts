import { Context } from '@temporalio/activity';
import { noteTrouble, troubleKindOf, troublesSeen, type Trouble } from '../campaign/troubles';
import { listingProgressSignal, type ListingProgress } from '../workflows/definitions';

/** How often a listing heartbeats, and tells its workflow what it met (a billed signal each). */
const BEAT_MS = 1000;
const REPORT_MS = 2000;

/**
 * The pulse of an activity that lists the fleet (prepare's pre-flight, a refresh): heartbeats,
 * and the errors its listing calls met, signalled to the workflow as a lane signals its troubles,
 * so a refused token or an outage shows in `status` (and turns the campaign `blocked`) while the
 * listing waits for KooPhone instead of failing. Returns what the listing reports its calls to.
 */
export function listingReporter(): {
  answered: (error?: { code: string; message: string }) => void;
  stop: () => void;
} {
  const ctx = Context.current();
  const run = ctx.info.workflowExecution;
  const troubles: Trouble[] = [];
  let answeredAt: number | undefined;
  let calls = 0;
  let sent = '';
  let sentAt = Date.now();
  const beat = setInterval(() => {
    ctx.heartbeat({ listingCalls: calls });
    const now = Date.now();
    const key = JSON.stringify([troubles.map((t) => t.calls), answeredAt]);
    if (now - sentAt < REPORT_MS || key === sent || !run || troubles.length === 0) return;
    sent = key;
    sentAt = now;
    const report: ListingProgress = {
      calls,
      troubles: troublesSeen(troubles, now),
      ...(answeredAt !== undefined ? { answeredAgoMs: now - answeredAt } : {}),
    };
    ctx.client.workflow
      .getHandle(run.workflowId, run.runId)
      .signal(listingProgressSignal, report)
      .catch((err: unknown) => ctx.log.debug('listing progress not delivered', { error: String(err) }));
  }, BEAT_MS);
  return {
    answered: (error) => {
      calls += 1;
      if (!error) {
        answeredAt = Date.now();
        return;
      }
      const kind = troubleKindOf(error.code);
      if (kind) noteTrouble(troubles, kind, error.code, error.message, Date.now());
    },
    stop: () => clearInterval(beat),
  };
}
