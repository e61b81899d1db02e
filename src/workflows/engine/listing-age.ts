/**
 * How old the fleet listing a campaign's calls are screened against may grow (its bound,
 * `listingMaxAgeMs`): pure, so the engine's choices about it are unit-tested. Times are workflow
 * time; `factsAt` is when the latest listing began (a listing is as old as its first call).
 */

/** Until when calls may be screened against the listing; undefined without a pre-flight. */
export function listingUntil(factsAt: number | undefined, maxAgeMs: number): number | undefined {
  return factsAt === undefined ? undefined : factsAt + maxAgeMs;
}

/** The listing has (all but) reached its bound: nothing may be sent on it. */
export function listingStale(until: number | undefined, now: number): boolean {
  return until !== undefined && until - now < 1000;
}

/**
 * Less than a term (or half the bound, for terms as long as it) is left of the listing: list the
 * fleet again before the next term. Sending terms end at `until` meanwhile (lane-plan's sendUntil).
 */
export function listingDue(until: number | undefined, now: number, termMs: number, maxAgeMs: number): boolean {
  return until !== undefined && until - now < Math.min(termMs, maxAgeMs / 2);
}
