/**
 * Exits once stdout and stderr have handed everything to the OS. On POSIX a write to a pipe is
 * asynchronous, so exiting at once cut `koophone-reset report ID | gzip` short by whatever was
 * still queued when the reader was slower than the CLI.
 */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let open = 2;
  const flushed = () => {
    if (--open === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}
