import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/** A credential that prints as [REDACTED] everywhere (String, JSON, util.inspect); `reveal()` is the one way out. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
