import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CampaignActivities } from '../activities';
import { ACCOUNT_TASK_QUEUE } from '../campaign/account-names';
import {
  accountQuery,
  accountShareSignal,
  joinAccountUpdate,
  leaveAccountSignal,
  setAccountLimitsUpdate,
  type AccountCoordinatorInput,
  type AccountView,
} from './account-definitions';
import {
  applyChange,
  divideLimits,
  sameShare,
  type RateShare,
} from '../campaign/rate-share';

// While campaigns are registered, the coordinator checks this often that they still run: a
// terminated campaign cannot say goodbye, and its share must go back to the others.
const SWEEP_MS = 30_000;
// Visibility lags a little behind a start: a campaign that just joined is not dropped for it.
const VISIBILITY_GRACE_MS = 60_000;
const MAX_HISTORY_EVENTS = 2_000;
// A run on another task queue (created by an earlier version, on the queue of the shell that set the
// limit) moves to the account's, which every worker polls: its workers may go away.
const ACCOUNT_QUEUE_PATCH = 'account-task-queue';
// A member visibility does not list as running is dropped only once a signal to it fails:
// visibility lags the server (a campaign that just continued as new is missing from it for a
// moment; Elasticsearch shows changes about a second late), and a campaign dropped while it runs
// keeps its share, uncounted, while the others are given more: the account goes over its limit.
const CONFIRM_DROP_PATCH = 'account-confirm-drop';
// How far ahead of its slot a campaign hands a call to a worker, at most (reset-campaign's
// SLOT_LEAD_MS): calls the others handed out before their share shrank go within this.
const SETTLE_MS = 5_000;

const { runningCampaigns } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '30 seconds' },
});

function validateLimit(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0 && v <= 10_000)) {
    throw new Error(`${name} must be a number of calls per second above 0 and at most 10000, got ${v}`);
  }
}

/**
 * The account's rate coordinator: holds the limits (`koophone-reset account --rate N`), the
 * running campaigns that joined, and each one's share; tells a campaign whenever its share
 * changes. Long-running, idle (no timers) while no campaign is registered.
 */
export async function accountCoordinator(input: AccountCoordinatorInput): Promise<void> {
  let limits = input.limits;
  const members = new Map((input.members ?? []).map((m) => [m.campaignId, m]));
  // What each campaign was last told; a new coordinator run tells everyone again.
  const told = new Map<string, RateShare>();
  let dirty = members.size > 0;

  const shares = () => divideLimits(limits, [...members.values()]);
  const view = (): AccountView => {
    const s = shares();
    return {
      limits,
      campaigns: [...members.values()].map((m) => ({
        campaignId: m.campaignId,
        rate: m.rate,
        share: s.get(m.campaignId) ?? {},
        joinedAt: new Date(m.joinedAt).toISOString(),
      })),
      updatedAt: new Date().toISOString(),
    };
  };
  const showDetails = () => {
    const v = view();
    const limit = (n: number | undefined) => (n === undefined ? 'none' : `${n}/s`);
    setCurrentDetails(
      [
        `### KooPhone account limits: batch-reset ${limit(v.limits.rate)}, other calls ${limit(v.limits.queryRate)}`,
        '',
        '| campaign | own rate | batch-reset share | query share |',
        '|---|--:|--:|--:|',
        ...v.campaigns.map(
          (c) => `| ${c.campaignId} | ${c.rate} | ${c.share.rate ?? '–'} | ${c.share.queryRate ?? '–'} |`,
        ),
      ].join('\n'),
    );
  };

  setHandler(accountQuery, view);
  setHandler(
    setAccountLimitsUpdate,
    (change) => {
      limits = applyChange(limits, change);
      dirty = true;
      showDetails();
      return view();
    },
    {
      validator: (change) => {
        validateLimit('rate', change.rate ?? undefined);
        validateLimit('query rate', change.queryRate ?? undefined);
      },
    },
  );
  setHandler(
    joinAccountUpdate,
    ({ campaignId, rate }) => {
      members.set(campaignId, { campaignId, rate, joinedAt: Date.now() });
      const share = shares().get(campaignId) ?? {};
      told.set(campaignId, share);
      dirty = true; // the others' shares shrink
      showDetails();
      const others = members.size > 1 && limits.rate !== undefined;
      return others ? { ...share, settleMs: SETTLE_MS } : share;
    },
    {
      validator: ({ campaignId, rate }) => {
        if (typeof campaignId !== 'string' || campaignId === '') throw new Error('campaignId is required');
        validateLimit('rate', rate);
      },
    },
  );
  setHandler(leaveAccountSignal, (campaignId) => {
    if (!members.delete(campaignId)) return;
    told.delete(campaignId);
    dirty = true;
    showDetails();
  });

  const drop = (id: string) => {
    members.delete(id);
    told.delete(id);
    dirty = true;
  };
  // Tells a campaign its share; false when the signal fails: the campaign no longer runs.
  const tellShare = async (id: string, share: RateShare): Promise<boolean> => {
    told.set(id, share);
    try {
      await getExternalWorkflowHandle(id).signal(accountShareSignal, share);
      return true;
    } catch (err) {
      log.info('campaign no longer runs; its share goes to the others', {
        campaignId: id,
        error: String(err),
      });
      return false;
    }
  };
  // Tells every campaign whose share changed; one that no longer runs is dropped.
  const tell = async () => {
    const s = shares();
    for (const [id, share] of s) {
      if (sameShare(told.get(id), share)) continue;
      if (!(await tellShare(id, share))) drop(id);
    }
  };

  showDetails();
  if (patched(ACCOUNT_QUEUE_PATCH) && workflowInfo().taskQueue !== ACCOUNT_TASK_QUEUE) {
    await condition(allHandlersFinished);
    const moveOn = makeContinueAsNewFunc<typeof accountCoordinator>({ taskQueue: ACCOUNT_TASK_QUEUE });
    return await moveOn({ limits, members: [...members.values()] });
  }
  for (;;) {
    let changed = true;
    if (members.size > 0) changed = await condition(() => dirty, SWEEP_MS);
    else await condition(() => dirty || members.size > 0);
    if (!changed && members.size > 0) {
      const running = new Set(await runningCampaigns());
      for (const m of [...members.values()]) {
        if (running.has(m.campaignId) || Date.now() - m.joinedAt <= VISIBILITY_GRACE_MS) continue;
        // Told its share again: a campaign that runs is kept, whatever visibility said.
        const share = shares().get(m.campaignId);
        if (share && patched(CONFIRM_DROP_PATCH) && (await tellShare(m.campaignId, share))) continue;
        if (members.has(m.campaignId)) drop(m.campaignId);
      }
    }
    while (dirty) {
      dirty = false;
      await tell();
    }
    showDetails();
    if (workflowInfo().historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      return await continueAsNew<typeof accountCoordinator>({ limits, members: [...members.values()] });
    }
  }
}
