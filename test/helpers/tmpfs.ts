import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A report store whose disk can be filled: REPORT_DIR on a small tmpfs of its own (mounting one
// needs root; CI runs as root). Shared by the store-outage tests and the chaos test.

export const canMount = process.getuid?.() === 0;

/** Mounts a tmpfs of `size` (e.g. "8m") on a new temporary folder; returns the mount point. */
export function mountTmpfs(size: string): string {
  const mount = mkdtempSync(join(tmpdir(), 'koophone-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mount]);
  return mount;
}

/** Unmounts it (lazily: a worker may still hold a file open) and removes the folder. */
export function unmountTmpfs(mount: string): void {
  execFileSync('umount', ['-l', mount]);
  rmSync(mount, { recursive: true, force: true });
}

/**
 * Fills the file system of `dir` with a ballast file beside it until it is full; returns the file
 * (delete it to free the disk).
 */
export function fillDisk(dir: string): string {
  const ballast = join(dir, '..', 'ballast');
  const fd = openSync(ballast, 'w');
  const chunk = Buffer.alloc(64 * 1024, 7);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return ballast;
}

/** Every file under `dir` whose name ends in .tmp (a write that failed and left its temp file). */
export function tmpFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));
}
