import { Context } from '@temporalio/activity';
import {
  BLOCKING_PARTS,
  OwnPartError,
  type BlockedAnswer,
  type BlockingPart,
  type OwnPartFault,
} from '../campaign/blocking';
import type { CampaignStore } from '../report/campaign-store';
import type { Credentials } from './credentials';

/** What probing a part needs from the worker. */
export interface ProbeDeps {
  store: CampaignStore;
  credentials: Pick<Credentials, 'probe'>;
}

/**
 * How each of our own parts is proved healthy for a campaign on this worker: resolves when it
 * works, rejects (an OwnPartError naming the fault) when not. A new blocking part adds its probe
 * here (docs/design.md, "Blocked by our own parts").
 */
const PROBES: Record<BlockingPart, (deps: ProbeDeps, campaignId: string) => Promise<void>> = {
  // It still holds the campaign and takes a write (CampaignStore.probe).
  store: (deps, campaignId) => deps.store.probe(campaignId),
  // IAM takes the worker's credentials, and they are for the campaign's KooPhone account.
  credentials: (deps, campaignId) => deps.credentials.probe(campaignId),
};

/** The first fault among `parts` (every part by default), or undefined when all of them work. */
export async function probeParts(
  deps: ProbeDeps,
  campaignId: string,
  parts: readonly BlockingPart[] = BLOCKING_PARTS,
): Promise<OwnPartFault | undefined> {
  for (const part of parts) {
    try {
      await PROBES[part](deps, campaignId);
    } catch (err) {
      if (err instanceof OwnPartError) return err.fault;
      throw err;
    }
  }
  return undefined;
}

/**
 * Runs an activity's work and answers an own part's failure as data: the workflow sees the cause at
 * once (it blocks the campaign and retries when a probe finds the part healed), and no attempt is
 * spent on a fault that retrying within the activity would not fix. Any other error fails the
 * activity as before.
 */
export async function answerBlocked<T>(
  campaignId: string,
  work: () => Promise<T>,
): Promise<T | BlockedAnswer> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof OwnPartError)) throw err;
    Context.current().log.warn('blocked by an own part', { campaignId, ...err.fault });
    return { blocked: err.fault };
  }
}
