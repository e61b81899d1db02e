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
    // The listener goes once the wait ends: a term's signal would otherwise collect one per
    // item that ever waited, and each later listener added or removed scans them all.
    await new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiting.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
    this.free -= 1;
  }

  give(): void {
    this.free += 1;
    this.waiting.shift()?.();
  }
}
