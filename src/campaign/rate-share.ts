/**
 * How the account's limits are divided among its running campaigns. KooPhone's rate limit is per
 * account (tenant), so every campaign of the namespace shares one budget of batch-reset calls per
 * second (and one of the other calls): each gets a fair share, never more than its own `--rate`,
 * and what a slower campaign leaves is divided among the others (water-filling).
 */
export interface AccountLimits {
  /** batch-reset calls per second, all campaigns together. */
  rate?: number;
  /** Task queries and other calls per second, all campaigns together. */
  queryRate?: number;
}

/** A limit given replaces the old one, `null` removes it, an absent one stays as it was. */
export interface AccountLimitsChange {
  rate?: number | null;
  queryRate?: number | null;
}

export function applyChange(limits: AccountLimits, change: AccountLimitsChange): AccountLimits {
  const rate = change.rate === undefined ? limits.rate : (change.rate ?? undefined);
  const queryRate = change.queryRate === undefined ? limits.queryRate : (change.queryRate ?? undefined);
  return { ...(rate !== undefined ? { rate } : {}), ...(queryRate !== undefined ? { queryRate } : {}) };
}

/** Whether any account limit is set: with none, campaigns keep their own rate. */
export function hasLimits(limits: AccountLimits): boolean {
  return limits.rate !== undefined || limits.queryRate !== undefined;
}

export interface AccountMember {
  campaignId: string;
  /** The campaign's own `--rate` (its ceiling for `--rate auto`). */
  rate: number;
  joinedAt: number;
}

/** A campaign's part of the limits; an absent field means no account limit on it. */
export interface RateShare {
  rate?: number;
  queryRate?: number;
}

/** Shares of `limit` for campaigns with these caps, in the order given. */
export function fairShares(limit: number, caps: readonly number[]): number[] {
  const order = caps.map((cap, i) => ({ cap, i })).sort((a, b) => a.cap - b.cap);
  const shares = new Array<number>(caps.length).fill(0);
  let left = limit;
  order.forEach(({ cap, i }, k) => {
    const equal = left / (order.length - k);
    shares[i] = Math.min(cap, equal);
    left -= shares[i]!;
  });
  return shares;
}

/**
 * The part of the batch-reset limit that is handed out. A campaign's slots hold its share in any
 * one second to within one call (a call may go a little after its slot), so n campaigns together
 * may add up to n − 1 calls over the sum of their shares: that much stays unallocated, keeping
 * the account within limit + max(1, limit/10) — never less than half the limit, though.
 */
export function allocatable(limit: number, campaigns: number): number {
  const headroom = Math.max(0, campaigns - 1) - Math.max(0, Math.max(1, limit / 10) - 1);
  return Math.max(limit / 2, limit - Math.max(0, headroom));
}

export function divideLimits(
  limits: AccountLimits,
  members: readonly AccountMember[],
): Map<string, RateShare> {
  const rates =
    limits.rate === undefined
      ? undefined
      : fairShares(
          allocatable(limits.rate, members.length),
          members.map((m) => m.rate),
        );
  const queries = limits.queryRate === undefined ? undefined : limits.queryRate / Math.max(1, members.length);
  return new Map(
    members.map((m, i) => [
      m.campaignId,
      {
        ...(rates ? { rate: round(rates[i]!) } : {}),
        ...(queries === undefined ? {} : { queryRate: round(queries) }),
      },
    ]),
  );
}

const round = (n: number) => Math.floor(n * 1000) / 1000;

export function sameShare(a: RateShare | undefined, b: RateShare | undefined): boolean {
  return a?.rate === b?.rate && a?.queryRate === b?.queryRate;
}

/** The rate a campaign may use: its own, capped by its share of the account's limit. */
export function shareCeiling(own: number, share: RateShare | undefined): number {
  return share?.rate === undefined ? own : Math.min(own, share.rate);
}
