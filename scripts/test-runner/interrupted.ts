/**
 * Aborted (with the signal's name as its reason) at the first SIGINT or SIGTERM: the runners stop
 * their test processes and servers instead of dying and leaving them behind. Install it first.
 */
export function interruptedBySignal(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => controller.abort(signal));
  }
  return controller.signal;
}
