// Live heap from V8's own GC trace. Peak RSS says how far V8 let the heap grow before a full
// collection, which with gigabytes free is mostly garbage; what a full collection leaves is what
// the worker actually holds. The worker runs with `--trace-gc --trace-gc-ignore-scavenger`, which
// prints a line per full collection, per isolate (the main thread and the workflow thread):
//   [2888:0x33092e20]    45447 ms: Mark-Compact 200.9 (234.1) -> 52.3 (233.9) MB, …
const FULL_GC = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(/;

export class LiveHeapTracker {
  private readonly maxByIsolate = new Map<string, number>();
  private partial = '';
  /** Full-GC lines seen; they are not log lines of the worker. */
  gcLines = 0;

  /** Feeds worker output; returns the output without the GC trace lines. */
  feed(text: string): string {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    const kept: string[] = [];
    for (const line of lines) {
      const m = FULL_GC.exec(line);
      if (m) {
        this.gcLines += 1;
        const mb = Number(m[2]);
        this.maxByIsolate.set(m[1]!, Math.max(this.maxByIsolate.get(m[1]!) ?? 0, mb));
      } else if (!/^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: /.test(line)) kept.push(line);
    }
    return kept.length > 0 ? `${kept.join('\n')}\n` : '';
  }

  /** Sum over isolates of the largest heap a full collection left; null before any. */
  liveHeapMb(): number | null {
    if (this.maxByIsolate.size === 0) return null;
    return [...this.maxByIsolate.values()].reduce((a, b) => a + b, 0);
  }
}
