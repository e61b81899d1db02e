/**
 * Runs `handler` on the first Ctrl-C/SIGTERM; a second one exits at once, so an operator is
 * never stuck behind a slow clean-up. Returns a function that removes the handlers.
 */
export function onInterrupt(handler: (signal: NodeJS.Signals) => void): () => void {
  let seen = false;
  const listener = (signal: NodeJS.Signals) => {
    if (seen) process.exit(130);
    seen = true;
    handler(signal);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

/** Resolves on the first Ctrl-C/SIGTERM: the long-running commands wait on it. */
export function untilInterrupted(): { promise: Promise<NodeJS.Signals>; release: () => void } {
  let release = () => undefined as void;
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    release = onInterrupt(resolve);
  });
  return { promise, release };
}
