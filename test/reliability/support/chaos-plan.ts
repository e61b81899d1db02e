import type { SimulatorFaultsInput } from '../../../src/simulator';

// What the chaos test does, drawn from one seed (CHAOS_SEED): which faults, when and for how long.
// Pure: the same seed gives the same plan, so a failing run is repeated with its seed. The
// timing of a run still varies with the machine (the episodes start at a share of the campaign's
// phones done, the kills and the weather on the clock), but every draw is the seed's.

/** A small seeded generator (xorshift32). */
export function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** murmur3's finalizer: nearby seeds give unrelated states (xorshift's first draws would not). */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * One generator per family, from the seed and the family's name: a family added later (or one
 * drawing more) leaves the others' draws for a seed as they were.
 */
export function stream(seed: number, family: string): () => number {
  let h = 2166136261;
  for (const c of family) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return seeded(mix((seed ^ h) >>> 0));
}

const between = (random: () => number, min: number, max: number) => min + (max - min) * random();
const int = (random: () => number, min: number, max: number) => Math.floor(between(random, min, max + 1));

/**
 * KooPhone's answers, each family with the highest rate it is drawn at. The first group is refused
 * or lost calls; the second, calls KooPhone applied whose answer does not prove it (issue 24 items
 * 1–2: each counts a possible reset); the third, odd answers (cmd_jobs for ids never asked,
 * duplicated ones: dropped, collapsed, shown as anomalies).
 */
export const ANSWER_FAULTS = {
  fault9999Rate: 0.08,
  fault5xxRate: 0.08,
  dropRate: 0.04,
  lostResponseRate: 0.04,
  http200ErrorRate: 0.04,
  malformedRate: 0.04,
  missingJobRate: 0.02,
  appliedBadGatewayRate: 0.06,
  applied9999Rate: 0.06,
  applied9999Http200Rate: 0.06,
  appliedTruncatedRate: 0.06,
  appliedMissingJobRate: 0.04,
  foreignJobRate: 0.06,
  duplicateJobRate: 0.06,
} as const satisfies SimulatorFaultsInput;
export type AnswerFault = keyof typeof ANSWER_FAULTS;

/** Always on: slow answers, failed jobs, and a few stuck ones (they time out at --job-timeout). */
export const STEADY_FAULTS = {
  latencyMs: '10..150',
  jobFailureRate: 0.05,
  stuckJobRate: 0.002,
} as const satisfies SimulatorFaultsInput;

/** A stretch of KooPhone's weather: these answer faults for this long, then the next. */
export interface Weather {
  seconds: number;
  faults: Record<AnswerFault, number>;
}

/** Each family is on with even odds, at up to its highest rate. */
export function weather(random: () => number): Weather {
  const faults = {} as Record<AnswerFault, number>;
  for (const [family, max] of Object.entries(ANSWER_FAULTS) as [AnswerFault, number][]) {
    faults[family] = random() < 0.5 ? Math.round(between(random, 0.3, 1) * max * 1000) / 1000 : 0;
  }
  return { seconds: int(random, 4, 12), faults };
}

/**
 * Faults that come once per run, while the first campaign is between `atDone` and the end (a
 * share of its phones finished): KooPhone unreachable, the report store's disk full, the
 * account coordinator terminated, a second campaign started under the same account limit, and
 * IAM refusing the workers' credentials (every worker restarted with a wrong
 * KOOPHONE_IAM_PASSWORD, then, once a campaign said so and `seconds` later, with the right one).
 */
export const EPISODES = ['koophone-outage', 'store-full', 'coordinator-loss', 'second-campaign', 'iam-refusal'] as const;
export type EpisodeKind = (typeof EPISODES)[number];

export interface Episode {
  kind: EpisodeKind;
  /** Starts once this share of the first campaign's phones is done. */
  atDone: number;
  /** How long the fault lasts (the disk, IAM: from a campaign seen blocked on it); 0 for a one-off. */
  seconds: number;
}

function episode(kind: EpisodeKind, random: () => number): Episode {
  switch (kind) {
    // Under the 25 s job timeout, as an outage the tracking waits out.
    case 'koophone-outage':
      return { kind, atDone: between(random, 0.1, 0.6), seconds: int(random, 8, 20) };
    case 'store-full':
      return { kind, atDone: between(random, 0.1, 0.7), seconds: int(random, 10, 35) };
    case 'coordinator-loss':
      return { kind, atDone: between(random, 0.05, 0.8), seconds: 0 };
    case 'second-campaign':
      return { kind, atDone: between(random, 0, 0.4), seconds: 0 };
    // Long enough for a worker to ask IAM again (once a minute each) while it is wrong.
    case 'iam-refusal':
      return { kind, atDone: between(random, 0.1, 0.7), seconds: int(random, 20, 70) };
  }
}

export interface ChaosPlan {
  seed: number;
  episodes: Episode[];
  /** The gap before each worker kill, ms (a killed worker is replaced at once). */
  killGapMs: () => number;
  /** KooPhone's weather, one stretch after the other. */
  nextWeather: () => Weather;
  /** `account --rate` is set from a shell on the workers' task queue, or on one no worker polls. */
  limitFromElsewhere: boolean;
}

export function chaosPlan(seed: number): ChaosPlan {
  const kills = stream(seed, 'kills');
  const sky = stream(seed, 'weather');
  return {
    seed,
    episodes: EPISODES.map((kind) => episode(kind, stream(seed, kind))),
    killGapMs: () => int(kills, 5000, 12_000),
    nextWeather: () => weather(sky),
    limitFromElsewhere: stream(seed, 'account')() < 0.5,
  };
}

export function describeEpisode(e: Episode): string {
  const at = `at ${Math.round(e.atDone * 100)} % done`;
  return e.seconds > 0 ? `${e.kind} ${at} for ${e.seconds} s` : `${e.kind} ${at}`;
}
