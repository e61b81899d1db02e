import { randomBytes } from 'node:crypto';

/** What the gateway makes of a token: IAM's own tokens past their expiry get a different code. */
export type TokenCheck = 'valid' | 'expired' | 'invalid';

/** How long an expired token is still recognised as expired (rather than unknown). */
const EXPIRED_MEMORY_MS = 86_400_000;

/** Tokens the API accepts: the static one, and those the IAM endpoint issued and has not revoked. */
export class TokenRegistry {
  readonly #staticToken: string;
  readonly #ttlMs: number;
  readonly #issued = new Map<string, number>();

  constructor(staticToken: string, ttlMs: number) {
    this.#staticToken = staticToken;
    this.#ttlMs = ttlMs;
  }

  issue(now: number): { token: string; expiresAt: number } {
    for (const [token, expiresAt] of this.#issued) {
      if (expiresAt + EXPIRED_MEMORY_MS <= now) this.#issued.delete(token);
    }
    const token = `sim-iam-${randomBytes(24).toString('hex')}`;
    const expiresAt = now + this.#ttlMs;
    this.#issued.set(token, expiresAt);
    return { token, expiresAt };
  }

  check(token: string | undefined, now: number): TokenCheck {
    if (token === undefined || token.length === 0) return 'invalid';
    if (token === this.#staticToken) return 'valid';
    const expiresAt = this.#issued.get(token);
    if (expiresAt === undefined) return 'invalid';
    return expiresAt > now ? 'valid' : 'expired';
  }

  /** Every IAM-issued token stops working, as when a tenant rotates credentials. */
  revokeIssued(): void {
    this.#issued.clear();
  }

  /** Every IAM-issued token lapses now, as if its expires_at had passed. */
  expireIssued(now: number): void {
    for (const token of this.#issued.keys()) this.#issued.set(token, now);
  }
}
