import { randomBytes } from 'node:crypto';

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
    for (const [token, expiresAt] of this.#issued) if (expiresAt <= now) this.#issued.delete(token);
    const token = `sim-iam-${randomBytes(24).toString('hex')}`;
    const expiresAt = now + this.#ttlMs;
    this.#issued.set(token, expiresAt);
    return { token, expiresAt };
  }

  isValid(token: string | undefined, now: number): boolean {
    if (token === undefined || token.length === 0) return false;
    if (token === this.#staticToken) return true;
    const expiresAt = this.#issued.get(token);
    return expiresAt !== undefined && expiresAt > now;
  }

  /** Every IAM-issued token stops working, as when a tenant rotates credentials. */
  revokeIssued(): void {
    this.#issued.clear();
  }
}
