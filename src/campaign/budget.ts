import type { ErrorBudget } from './options';

/** Below this many finished instances a percentage budget is not judged (one early failure is not 100%). */
export const MIN_SAMPLE = 100;

/** Returns why the budget is exhausted, or undefined. `finished` counts instances with a verdict. */
export function budgetExceeded(
  budget: ErrorBudget,
  errors: number,
  finished: number,
  total: number,
): string | undefined {
  if (budget.kind === 'count') {
    return errors > budget.value
      ? `error budget exceeded: ${errors} errors > --max-errors ${budget.value}`
      : undefined;
  }
  if (finished < Math.min(MIN_SAMPLE, total)) return undefined;
  const share = (errors / Math.max(finished, 1)) * 100;
  return share > budget.value
    ? `error budget exceeded: ${errors} of ${finished} finished instances failed (${share.toFixed(1)}% > ${budget.value}%)`
    : undefined;
}

/** The canary is judged on its own sample, however small. */
export function canaryFailed(budget: ErrorBudget, errors: number, instances: number): string | undefined {
  if (budget.kind === 'count') {
    return errors > budget.value
      ? `canary failed: ${errors} errors > --max-errors ${budget.value}`
      : undefined;
  }
  const share = (errors / Math.max(instances, 1)) * 100;
  return share > budget.value
    ? `canary failed: ${errors} of ${instances} instances failed (${share.toFixed(1)}% > ${budget.value}%)`
    : undefined;
}

export function describeBudget(budget: ErrorBudget): string {
  return budget.kind === 'count' ? String(budget.value) : `${budget.value}%`;
}

/** Abort rules per failure kind; each applies once `minFinished` instances have a verdict. */
export function abortRuleFired(
  rules: { failed?: ErrorBudget; timed_out?: ErrorBudget; rejected?: ErrorBudget },
  counts: Record<'failed' | 'timed_out' | 'rejected', number>,
  finished: number,
  minFinished: number,
): string | undefined {
  if (finished < minFinished) return undefined;
  for (const kind of ['failed', 'timed_out', 'rejected'] as const) {
    const rule = rules[kind];
    if (!rule) continue;
    const n = counts[kind];
    if (rule.kind === 'count' ? n > rule.value : (n / Math.max(finished, 1)) * 100 > rule.value) {
      const share = ((n / Math.max(finished, 1)) * 100).toFixed(1);
      return `abort rule ${kind} > ${describeBudget(rule)} fired: ${n} of ${finished} finished instances (${share}%)`;
    }
  }
  return undefined;
}
