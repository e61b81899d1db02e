import { Context } from '@temporalio/activity';
import { readCoordinator } from '../account/coordinator';
import {
  BLOCKING_PARTS,
  OwnPartError,
  type BlockedAnswer,
  type BlockingPart,
  type OwnPartFault,
} from '../campaign/blocking';
import type { CampaignStore } from '../report/campaign-store';
import type { Credentials } from './credentials';
import { checkSourceReadable, type PinnedFile } from './source-check';

/** What probing a part needs from the worker. */
export interface ProbeDeps {
  store: CampaignStore;
  credentials: Pick<Credentials, 'probe'>;
}

/** What the workflow knows of the campaign that a probe needs: its pinned id file. */
export interface ProbeContext {
  sourceFile?: PinnedFile;
}

type Probe = (deps: ProbeDeps, campaignId: string, ctx: ProbeContext) => Promise<void>;

/**
 * How each of our own parts is proved healthy for a campaign on this worker: resolves when it
 * works, rejects (an OwnPartError naming the fault) when not. A new blocking part adds its probe
 * here (docs/design.md, "Blocked by our own parts"). The spool has none: it never blocks a whole
 * campaign, its held slices are proved one by one (probeSpool, src/activities/spool-probe.ts).
 */
const PROBES: Partial<Record<BlockingPart, Probe>> = {
  // It still holds the campaign and takes a write (CampaignStore.probe).
  store: (deps, campaignId) => deps.store.probe(campaignId),
  // No account limit is recorded, or the coordinator answers (re-created first if it ended).
  coordinator: async () => {
    await readCoordinator(Context.current().client);
  },
  // The id file the campaign was started from can be read (whether it changed is the lanes' to say).
  source: async (_deps, _campaignId, ctx) => {
    if (ctx.sourceFile) await checkSourceReadable(ctx.sourceFile);
  },
  // IAM takes the worker's credentials, and they are for the campaign's KooPhone account.
  credentials: (deps, campaignId) => deps.credentials.probe(campaignId),
};

/**
 * The parts a lane needs before its term. The coordinator is not one: a campaign needs it to join
 * (before its first call), and one that holds a share keeps it while the coordinator is away.
 */
const LANE_PARTS = BLOCKING_PARTS.filter((p) => p !== 'coordinator');

/** The first fault among `parts` (a lane's by default), or undefined when all of them work. */
export async function probeParts(
  deps: ProbeDeps,
  campaignId: string,
  parts: readonly BlockingPart[] = LANE_PARTS,
  ctx: ProbeContext = {},
): Promise<OwnPartFault | undefined> {
  for (const part of parts) {
    try {
      await PROBES[part]?.(deps, campaignId, ctx);
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
