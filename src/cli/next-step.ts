import type { CampaignView } from '../campaign/status';

/**
 * What an operator does next with a campaign that ended without resetting every phone: the exact
 * command. An aborted campaign stopped on its error budget or an abort rule: rerun what was not
 * reset (after looking at why it failed), or — if those failures are expected — rerun with a
 * budget that lets them through. Pure; undefined when there is nothing to do.
 */
export function nextStep(s: CampaignView): string[] {
  const id = s.campaignId;
  const errors = s.failed + s.timedOut + s.rejected;
  const left = errors + s.missingJob + s.canceled;
  if (s.state === 'aborted') {
    const judged = s.succeeded + errors + s.missingJob;
    const share = judged > 0 ? Math.min(100, Math.ceil((errors / judged) * 100) + 1) : 100;
    return [
      `see why: koophone-reset report ${id} --format html --out ${id}.html`,
      `then reset what was not: koophone-reset rerun ${id}`,
      `or, if these failures are expected: koophone-reset rerun ${id} --max-errors ${share}%`,
    ];
  }
  if ((s.state === 'completed' || s.state === 'canceled' || s.state === 'terminated') && left > 0) {
    return [`reset the ${left} phone${left === 1 ? '' : 's'} not reset: koophone-reset rerun ${id}`];
  }
  return [];
}
