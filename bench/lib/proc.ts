// Process figures from /proc (Linux): resident memory and CPU seconds of one pid, so each process
// (worker, baseline, Temporal dev server) is measured on its own and not as part of the harness.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MB = 1024 * 1024;

let ticks: number | undefined;
/** Clock ticks per second for the utime/stime fields of /proc/<pid>/stat (almost always 100). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
    return match ? (Number(match[1]) * 1024) / MB : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size in MB (VmRSS), or undefined once the process is gone. */
export function rssMb(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** The kernel's peak resident set size of the process over its life (VmHWM), in MB. */
export function peakRssMb(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

/** User + system CPU seconds the process has used so far (threads included). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after it start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}

/** Samples a process's RSS every `everyMs` until stopped; keeps the peak. */
export class RssSampler {
  private peak = 0;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 500,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    const rss = rssMb(this.pid);
    if (rss === undefined) return;
    this.samples += 1;
    if (rss > this.peak) this.peak = rss;
  }

  /** Takes a last sample and stops; returns the peak in MB. */
  stop(): { peakMb: number; samples: number } {
    this.sample();
    clearInterval(this.timer);
    return { peakMb: this.peak, samples: this.samples };
  }
}
