import type { ErrorBudget } from '../campaign/options';

/** Below this many finished instances a percentage budget is not judged (one early failure is not 100%). */
export const MIN_SAMPLE = 100;

/** Returns why the budget is exhausted, or undefined. `finished` counts instances with a verdict. */
export function budgetExceeded(budget: ErrorBudget, errors: number, finished: number, total: number): string | undefined {
  if (budget.kind === 'count') {
    return errors > budget.value ? `error budget exceeded: ${errors} errors > --max-errors ${budget.value}` : undefined;
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
    return errors > budget.value ? `canary failed: ${errors} errors > --max-errors ${budget.value}` : undefined;
  }
  const share = (errors / Math.max(instances, 1)) * 100;
  return share > budget.value
    ? `canary failed: ${errors} of ${instances} instances failed (${share.toFixed(1)}% > ${budget.value}%)`
    : undefined;
}

export function describeBudget(budget: ErrorBudget): string {
  return budget.kind === 'count' ? String(budget.value) : `${budget.value}%`;
}
