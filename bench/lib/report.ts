// results.md: the figures table, the settings, the machine and versions, and the goals check.
import type { BenchRun } from './types';
import { IDLE_SECONDS } from './worker-start';
import { failoverSafe } from './failover';

// Issue 15's "done when" (and issue 26's for ids in several regions), checked on this run's figures.
const GOALS = {
  shuffledCalls: 1.1,
  shuffledWall: 1.2,
  ratioAtRate100: 1.15,
  ratioAtRate20: 1.05,
  actionsPer1000: 5,
  historyAtMillion: 10_000,
  payloadAtMillion: 256 * 1024,
  rssAtRate100Large: 400,
  failoverSeconds: 15,
  // Issue 29: a worker on the prebuilt bundle, started with no node options.
  firstPollSeconds: 1,
  idleRssMb: 200,
};

/** Runs of the worker-start row: a worker started and left idle, no campaign. */
const isStartRun = (r: BenchRun): boolean => r.instances === 0;

const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Median first poll and idle RSS of the worker-start runs of one kind of bundle. */
function startMedians(runs: BenchRun[], bundle: NonNullable<BenchRun['workerStart']>['bundle']) {
  const starts = runs
    .filter((r) => isStartRun(r) && r.ok && r.workerStart?.bundle === bundle)
    .map((r) => r.workerStart!);
  return {
    runs: starts.length,
    firstPollSeconds: median(starts.map((s) => s.firstPollSeconds)),
    idleRssMb: median(starts.map((s) => s.idleRssMb)),
    vmHwmMb: median(starts.map((s) => s.vmHwmMb)),
    cpuSeconds: median(starts.map((s) => s.cpuSeconds)),
  };
}

const fmt = (value: number | null | undefined, digits = 2): string =>
  value === null || value === undefined
    ? '–'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const count = (n: number): string => n.toLocaleString('en-US');

/** A Markdown table (columns aligned left or right) followed by a blank line. */
function table(columns: [string, 'l' | 'r'][], rows: string[][]): string[] {
  return [
    `| ${columns.map(([name]) => name).join(' | ')} |`,
    `|${columns.map(([, align]) => (align === 'r' ? '--:' : '---')).join('|')}|`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
  ];
}

interface GoalLine {
  goal: string;
  met: boolean | null;
  detail: string;
}

export function goals(runs: BenchRun[]): GoalLine[] {
  const koophone = runs.filter((r) => r.system === 'koophone-reset' && r.ok && !isStartRun(r));
  const byRow = (id: string) => koophone.find((r) => r.row === id);
  const lines: GoalLine[] = [];
  const notRun = (goal: string, detail = 'row not run (or not ok)') =>
    lines.push({ goal, met: null, detail });

  for (const [id, limit] of [
    ['rate100-100k', GOALS.ratioAtRate100],
    ['rate100-200k', GOALS.ratioAtRate100],
    ['rate20-100k', GOALS.ratioAtRate20],
  ] as const) {
    const goal = `wall ≤ ${limit} × plain script (${id})`;
    const r = byRow(id);
    if (!r || r.ratioToBaseline === null) notRun(goal);
    else
      lines.push({
        goal,
        met: r.ratioToBaseline <= limit,
        detail: `${fmt(r.ratioToBaseline, 3)} × (${fmt(r.wallSeconds, 1)} s vs ${fmt(r.wallSeconds / r.ratioToBaseline, 1)} s)`,
      });
  }
  for (const r of runs.filter((r) => r.system === 'koophone-reset' && r.rateCheck)) {
    const c = r.rateCheck!;
    lines.push({
      goal: `batch-reset calls in any second ≤ rate + max(1, rate/10) = ${fmt(c.limit, 0)} (${r.row})`,
      met: c.met,
      detail: `most in a calendar second ${c.peakPerSecond.batchReset}, in a sliding second ${c.peakSlidingWindow.batchReset}`,
    });
  }
  for (const r of koophone.filter((r) => r.row !== 'failover')) {
    lines.push({
      goal: `≤ ${GOALS.actionsPer1000} Temporal actions / 1 000 phones (${r.row})`,
      met: r.costActionsPer1000 !== null && r.costActionsPer1000 <= GOALS.actionsPer1000,
      detail: `${fmt(r.costActionsPer1000)} by the result's cost; ${fmt(r.actionsPer1000)} from the histories`,
    });
  }
  const big = koophone.find((r) => r.instances === 1_000_000);
  if (big) {
    lines.push({
      goal: `longest run history ≤ ${count(GOALS.historyAtMillion)} events at 1 000 000`,
      met: (big.maxHistoryEvents ?? Infinity) <= GOALS.historyAtMillion,
      detail: `${fmt(big.maxHistoryEvents, 0)} events over ${fmt(big.historyRuns, 0)} runs`,
    });
    lines.push({
      goal: `largest payload ≤ 256 KB at 1 000 000`,
      met: (big.maxPayloadBytes ?? Infinity) <= GOALS.payloadAtMillion,
      detail: `${fmt(big.maxPayloadBytes, 0)} B`,
    });
  } else notRun('history ≤ 10 000 events and payload ≤ 256 KB at 1 000 000', 'not run (add --big)');
  const large = byRow('rate100-200k');
  if (large)
    lines.push({
      goal: `worker peak RSS ≤ ${GOALS.rssAtRate100Large} MB (rate100-200k, heap capped as the image)`,
      met: (large.vmHwmMb ?? Infinity) <= GOALS.rssAtRate100Large,
      detail: `VmHWM ${fmt(large.vmHwmMb, 1)} MB (${large.settings.workerNodeOptions.join(' ') || 'no cap'})`,
    });
  else notRun(`worker peak RSS ≤ ${GOALS.rssAtRate100Large} MB (rate100-200k)`);
  for (const r of runs.filter((r) => r.order === 'shuffled')) {
    const v = r.vsSorted;
    lines.push({
      goal: `shuffled ids ≤ ${GOALS.shuffledCalls} × the batch-reset calls and ≤ ${GOALS.shuffledWall} × the wall time of the same ids sorted by region (${r.row})`,
      met: v ? v.calls <= GOALS.shuffledCalls && v.wall <= GOALS.shuffledWall : false,
      detail: v
        ? `calls × ${fmt(v.calls, 3)}, wall × ${fmt(v.wall, 3)} (listing calls ${r.listingCalls ?? '?'})`
        : 'a run failed',
    });
  }
  const fo = runs.find((r) => r.failover)?.failover;
  if (fo)
    lines.push({
      goal: `failover ≤ ${GOALS.failoverSeconds} s, no accepted call resent`,
      met: fo.allResumedSeconds !== null && fo.allResumedSeconds <= GOALS.failoverSeconds && failoverSafe(fo),
      detail:
        `kill → all ${fo.orphanTasks} in-flight tasks touched again ${fmt(fo.allResumedSeconds)} s (first ${fmt(fo.firstResumeSeconds)} s); ` +
        `${fo.resentAcceptedCalls} accepted calls resent; ${fo.inDoubtTasks} calls in doubt at the kill (${fo.resentInDoubtCalls} sent again); ` +
        `${fo.phonesResetTwice} phones reset twice (${fo.phonesInDoubt} in doubt), ${fo.phonesUnderReported} reset more than reported`,
    });
  else notRun(`failover ≤ ${GOALS.failoverSeconds} s`);
  const prebuilt = startMedians(runs, 'prebuilt');
  const startGoal = `worker start to first poll ≤ ${GOALS.firstPollSeconds} s and idle RSS ≤ ${GOALS.idleRssMb} MB (worker-start, prebuilt bundle, no node options)`;
  if (prebuilt.firstPollSeconds === null || prebuilt.idleRssMb === null) notRun(startGoal);
  else
    lines.push({
      goal: startGoal,
      met: prebuilt.firstPollSeconds <= GOALS.firstPollSeconds && prebuilt.idleRssMb <= GOALS.idleRssMb,
      detail: `median of ${prebuilt.runs}: ${fmt(prebuilt.firstPollSeconds)} s, ${fmt(prebuilt.idleRssMb, 1)} MB`,
    });
  return lines;
}

const ENDPOINT_COLUMNS = [
  ['batchReset', 'batch-reset'],
  ['getTask', 'task query'],
  ['listInstances', 'list'],
  ['queryStatus', 'status query'],
] as const;

export function writeMarkdown(runs: BenchRun[]): string {
  const first = runs[0];
  const out: string[] = [];
  out.push('# koophone-reset benchmark results', '');
  out.push('Generated by `npm run bench`; see bench/README.md for how to read it.', '');
  out.push(
    ...table(
      [
        ['row', 'l'],
        ['system', 'l'],
        ['rate', 'r'],
        ['conc.', 'r'],
        ['instances', 'r'],
        ['wall s', 'r'],
        ['ideal s', 'r'],
        ['× plain script', 'r'],
        ['× ideal', 'r'],
        ['inst/s', 'r'],
        ['worker start→first poll s', 'r'],
        ['worker idle RSS MB', 'r'],
        ['worker VmHWM MB', 'r'],
        ['peak RSS MB (sampled)', 'r'],
        ['live heap MB', 'r'],
        ['CPU s (worker / script)', 'r'],
        ['server CPU s', 'r'],
        ['batch-reset calls', 'r'],
        ['task polls', 'r'],
        ['429s', 'r'],
        ['ok', 'l'],
      ],
      runs
        .filter((r) => !isStartRun(r))
        .map((r) => [
          r.row,
          r.system,
          String(r.settings.rate),
          String(r.settings.concurrency),
          count(r.instances),
          fmt(r.wallSeconds, 1),
          fmt(r.idealSeconds, 1),
          fmt(r.ratioToBaseline, 3),
          fmt(r.ratioToIdeal, 3),
          fmt(r.instancesPerSecond, 0),
          fmt(r.workerStart?.firstPollSeconds),
          fmt(r.workerStart?.idleRssMb, 1),
          fmt(r.vmHwmMb, 1),
          fmt(r.peakRssMb, 1),
          fmt(r.liveHeapMb, 1),
          fmt(r.workerCpuSeconds, 1),
          fmt(r.serverCpuSeconds, 1),
          fmt(r.batchResetCalls, 0),
          fmt(r.taskPolls, 0),
          fmt(r.throttled, 0),
          r.ok ? 'yes' : `no: ${r.error ?? ''}`,
        ]),
    ),
  );

  const starts = runs.filter(isStartRun);
  if (starts.length > 0) {
    out.push('## Worker start: bundling at start against the prebuilt bundle', '');
    out.push(
      '`node dist/cli/index.js worker` with no node options, started alternately: "bundled at start" is a copy of dist/ ' +
        'without dist/workflow-bundle.js (the worker bundles the workflows with webpack, as every worker did before issue 29), ' +
        '"prebuilt" loads the bundle `npm run build` made. First poll: from the spawn until the server lists the worker ' +
        `as a poller of its workflow task queue; idle RSS: VmRSS ${IDLE_SECONDS} s after it polls every queue.`,
      '',
    );
    out.push(
      ...table(
        [
          ['bundle', 'l'],
          ['runs', 'r'],
          ['start→first poll s (median)', 'r'],
          ['idle RSS MB (median)', 'r'],
          ['VmHWM MB (median)', 'r'],
          ['CPU s to idle (median)', 'r'],
          ['each run: first poll s / idle RSS MB', 'l'],
        ],
        (['bundled at start', 'prebuilt'] as const).map((bundle) => {
          const m = startMedians(runs, bundle);
          return [
            bundle,
            String(m.runs),
            fmt(m.firstPollSeconds),
            fmt(m.idleRssMb, 1),
            fmt(m.vmHwmMb, 1),
            fmt(m.cpuSeconds),
            starts
              .filter((r) => r.ok && r.workerStart?.bundle === bundle)
              .map((r) => `${fmt(r.workerStart!.firstPollSeconds)} / ${fmt(r.workerStart!.idleRssMb, 1)}`)
              .join(', '),
          ];
        }),
      ),
    );
    for (const r of starts.filter((r) => !r.ok)) out.push(`- a start failed: ${r.error ?? '?'}`, '');
  }

  const checked = runs.filter((r) => r.rateCheck);
  if (checked.length > 0) {
    out.push('## Calls per second as the simulator saw them', '');
    out.push(
      'Per endpoint: the most calls in one calendar second / in any sliding one-second window. ' +
        'The limit is rate + max(1, rate/10) batch-reset calls in any one second.',
      '',
    );
    out.push(
      ...table(
        [
          ['row', 'l'],
          ['system', 'l'],
          ['limit', 'r'],
          ...ENDPOINT_COLUMNS.map(([, name]): [string, 'r'] => [name, 'r']),
          ['within limit', 'l'],
        ],
        checked.map((r) => {
          const c = r.rateCheck!;
          return [
            r.row,
            r.system,
            fmt(c.limit, 0),
            ...ENDPOINT_COLUMNS.map(([e]) => `${c.peakPerSecond[e]} / ${c.peakSlidingWindow[e]}`),
            c.met ? 'yes' : '**no**',
          ];
        }),
      ),
    );
  }

  const ordered = runs.filter((r) => r.order);
  if (ordered.length > 0) {
    out.push('## Ids in several regions: sorted by region, then in export order (shuffled)', '');
    out.push(
      ...table(
        [
          ['row', 'l'],
          ['regions', 'r'],
          ['instances', 'r'],
          ['wall s', 'r'],
          ['batch-reset calls', 'r'],
          ['listing calls', 'r'],
          ['peak batch-reset in 1 s (calendar / sliding; limit)', 'r'],
          ['× sorted (calls)', 'r'],
          ['× sorted (wall)', 'r'],
          ['ok', 'l'],
        ],
        ordered.map((r) => [
          r.row,
          fmt(r.regions, 0),
          count(r.instances),
          fmt(r.wallSeconds, 1),
          fmt(r.batchResetCalls, 0),
          fmt(r.listingCalls, 0),
          r.rateCheck
            ? `${r.rateCheck.peakPerSecond.batchReset} / ${r.rateCheck.peakSlidingWindow.batchReset} (${fmt(r.rateCheck.limit, 0)})`
            : '–',
          fmt(r.vsSorted?.calls, 3),
          fmt(r.vsSorted?.wall, 3),
          r.ok ? 'yes' : `no: ${r.error ?? ''}`,
        ]),
      ),
    );
  }

  const costed = runs.filter((r) => r.system === 'koophone-reset' && (r.costActions !== null || r.actions));
  if (costed.length > 0) {
    out.push('## Temporal cost and history size', '');
    out.push(
      ...table(
        [
          ['row', 'l'],
          ['instances', 'r'],
          ['actions / 1000 (result cost)', 'r'],
          ['actions / 1000 (histories)', 'r'],
          ['history events (all runs)', 'r'],
          ['runs', 'r'],
          ['longest run events', 'r'],
          ['largest payload B', 'r'],
        ],
        costed.map((r) => [
          r.row,
          count(r.instances),
          fmt(r.costActionsPer1000),
          fmt(r.actionsPer1000),
          fmt(r.historyEvents, 0),
          fmt(r.historyRuns, 0),
          fmt(r.maxHistoryEvents, 0),
          fmt(r.maxPayloadBytes, 0),
        ]),
      ),
    );
  }

  const failovers = runs.filter((r) => r.failover);
  if (failovers.length > 0) {
    out.push('## Failover (two workers, the busier one SIGKILLed)', '');
    out.push(
      ...table(
        [
          ['row', 'l'],
          ['killed at s', 'r'],
          ['calls in the 3 s before (victim / survivor)', 'r'],
          ['in-flight tasks of the victim', 'r'],
          ['touched again', 'r'],
          ['kill → first touch s', 'r'],
          ['kill → all touched s', 'r'],
          ['longest batch-reset gap after the kill s', 'r'],
          ['accepted calls resent', 'r'],
          ['calls in doubt at the kill (sent again)', 'r'],
          ['phones reset twice (in doubt)', 'r'],
          ['phones reset more than reported', 'r'],
          ['report lines', 'r'],
        ],
        failovers.map((r) => {
          const f = r.failover!;
          return [
            r.row,
            fmt(f.killedAtSeconds),
            `${f.recentCallsVictim} / ${f.recentCallsSurvivor}`,
            count(f.orphanTasks),
            count(f.resumedTasks),
            fmt(f.firstResumeSeconds),
            fmt(f.allResumedSeconds),
            fmt(f.maxBatchResetGapSeconds),
            count(f.resentAcceptedCalls),
            `${count(f.inDoubtTasks)} (${count(f.resentInDoubtCalls)})`,
            `${count(f.phonesResetTwice)} (${count(f.phonesInDoubt)})`,
            count(f.phonesUnderReported),
            count(f.reportLines),
          ];
        }),
      ),
    );
  }

  const k = runs.filter((r) => r.system === 'koophone-reset' && r.actions);
  if (k.length > 0) {
    out.push('## Temporal actions by kind', '');
    const cols = [
      'row',
      'runs',
      'workflow starts',
      'activity attempts (retries)',
      'heartbeats (est.)',
      'timers',
      'signals',
      'updates',
      'child starts ×2',
      'search-attribute upserts',
      'total',
      'per 1000',
      'longest activity s',
    ];
    out.push(
      ...table(
        cols.map((c, i) => [c, i === 0 ? 'l' : 'r']),
        k.map((r) => {
          const a = r.actions!;
          return [
            r.row,
            fmt(r.historyRuns, 0),
            String(a.workflowStarts),
            `${a.activityAttempts} (${a.activityRetries})`,
            String(a.heartbeats),
            String(a.timers),
            String(a.signals),
            String(a.updates),
            String(a.childStarts),
            String(a.searchAttributeUpserts),
            fmt(r.totalActions, 0),
            fmt(r.actionsPer1000),
            fmt(r.maxActivitySeconds, 1),
          ];
        }),
      ),
    );
  }

  const timed = runs.filter((r) => r.callPhases || (r.system === 'koophone-reset' && r.timeline));
  if (timed.length > 0) {
    out.push("## Where the time went (seconds from the workflow's or the script's start)", '');
    const cols = [
      'row',
      'system',
      'spool prepared',
      'first work activity started',
      'first batch-reset',
      'last batch-reset',
      'last task seen ended',
      'last work activity closed',
      'finalize started',
      'end (wall)',
      'longest batch-reset gaps (s at s)',
      'continue-as-new gaps',
      'mean schedule→start',
      'mean work activity',
      'mean slot→close',
      'max slot→close',
    ];
    out.push(
      ...table(
        cols.map((c, i) => [c, i <= 1 ? 'l' : 'r']),
        timed.map((r) => {
          const t = r.timeline;
          const c = r.callPhases;
          return [
            r.row,
            r.system,
            fmt(t?.prepared),
            fmt(t?.firstBatchStarted),
            fmt(c?.firstBatchReset),
            fmt(c?.lastBatchReset),
            fmt(c?.lastTaskSeenEnded),
            fmt(t?.lastBatchClosed),
            fmt(t?.finalizeStarted),
            fmt(r.wallSeconds),
            c?.longestBatchResetGaps?.map((g) => `${fmt(g.seconds)} at ${fmt(g.at, 1)}`).join(', ') || '–',
            t ? t.continueAsNewGaps.map((g) => fmt(g)).join(', ') || '–' : '–',
            fmt(t?.meanScheduleToStart),
            fmt(t?.meanBatchSeconds),
            fmt(t?.meanSlotToCloseSeconds),
            fmt(t?.maxSlotToCloseSeconds),
          ];
        }),
      ),
    );
    out.push(
      "Work activities are lanes (`runLane`, one per lane and term) or the first engine's batches (`resetBatch`). " +
        'The batch-reset and task columns are the simulator\'s call log; "last task seen ended" is the last task query that found every job of its task ended. ' +
        "slot→close (first engine only) is a batch activity's close minus the rate slot the workflow gave it.",
      '',
    );
  }

  out.push('## Goals', '');
  out.push(
    ...table(
      [
        ['goal', 'l'],
        ['met', 'l'],
        ['figure', 'l'],
      ],
      goals(runs).map((g) => [g.goal, g.met === null ? 'n/a' : g.met ? 'yes' : '**no**', g.detail]),
    ),
  );

  if (first) {
    const s = first.settings;
    out.push('## Settings', '');
    out.push(
      `- per row: rate R batch-reset calls/s and concurrency C batches in flight (the table), ${s.batchSize} ids a call (both systems); the plain script polls each task every 2 s`,
    );
    out.push(
      `- simulator: job duration ${s.jobDurationMs.min}..${s.jobDurationMs.max} ms, API latency ${s.latencyMs.min}..${s.latencyMs.max} ms, batch-reset limit 2 × R/s, other calls 10 × R/s, no faults; one simulator, reset between runs`,
    );
    out.push(
      `- campaign: canary ${s.canary}, max errors ${s.maxErrors}, maxHistoryEvents ${s.maxHistoryEvents}, heartbeat timeout ${s.heartbeatTimeoutMs} ms; one worker per row with WORKER_MAX_ACTIVITIES=C (two in the failover row)`,
    );
    out.push(`- ideal = ${s.idealFormula}`);
    out.push(`- poll floor = ${s.pollFloorFormula}`);
    out.push(
      `- worker VmHWM from /proc/<pid>/status at the campaign's end (start-up included); RSS also sampled every ${s.rssSampleMs} ms during the campaign; live heap from the worker's --trace-gc (the most a full GC left, main + workflow thread); CPU from /proc/<pid>/stat (utime + stime) over the campaign`,
    );
    out.push(
      `- worker node options: ${s.workerNodeOptions.length > 0 ? s.workerNodeOptions.join(' ') : "none (V8's default heap sizing)"}`,
    );
    out.push('');
    const m = first.machine;
    const v = first.versions;
    out.push('## Machine and versions', '');
    out.push(`- ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}`);
    out.push(
      `- Node ${v.node}; ${v.temporalCli}; Temporal TypeScript SDK ${v.temporalSdk}; commit ${v.gitCommit}`,
    );
    out.push('- machine load (1-minute load average before → after each run; the 2 cores are shared):');
    for (const r of runs.filter((r) => r.load))
      out.push(`  - ${r.row} ${r.system}: ${r.load!.before[0]} → ${r.load!.after[0]}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
