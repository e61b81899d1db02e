/** A sleep that ends early, rejecting, when the lane's term does. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('lane term ended'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('lane term ended'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** In-flight items at most `size`; a wait ends early when the term does (the item then goes unsent). */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  async take(signal: AbortSignal): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.free -= 1;
  }

  give(): void {
    this.free += 1;
    this.waiting.shift()?.();
  }
}
