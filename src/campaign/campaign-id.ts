/**
 * The campaign id is the workflow id, and names the campaign's folder in a folder store and its
 * spilled input: one pattern (no "/", no leading "."), checked by the CLI, at the top of the
 * workflow, and by every store that builds a path from it.
 */
export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const CAMPAIGN_ID_RULE =
  'campaign id must be 1-128 characters of letters, digits, ".", "_", ":" or "-"';

/** Why `id` is no campaign id, or undefined when it is one. */
export function campaignIdProblem(id: unknown): string | undefined {
  if (typeof id === 'string' && CAMPAIGN_ID_PATTERN.test(id)) return undefined;
  return `${CAMPAIGN_ID_RULE} (got ${JSON.stringify(id)})`;
}

/** For code that builds a path or a key from the id: refuses one that does not match. */
export function checkCampaignId(id: string): string {
  const problem = campaignIdProblem(id);
  if (problem) throw new Error(`refusing campaign id ${JSON.stringify(id)}: ${problem}`);
  return id;
}
