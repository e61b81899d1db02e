import { z } from 'zod';
import { campaignIdProblem } from './campaign-id';
import {
  campaignOptionDefaults,
  campaignOptionsSchema,
  idSourceSchema,
  withOptionDefaults,
  type CampaignOptions,
} from './options';
import { campaignSafetySchema } from './safety';

/** The failure type of a workflow started with an input it refuses: a stable name to match on. */
export const INVALID_CAMPAIGN_INPUT = 'InvalidCampaignInput';

// A first run reads its source; a run continued as new has it in its carried state (its inline
// ids are in the spool, so it carries `ids: []`), state the workflow wrote for itself. Options
// are checked on their own, below.
const options = z.unknown().optional();
const firstRunSchema = z
  .object({ options, source: idSourceSchema, safety: campaignSafetySchema.optional() })
  .strict();
const continuedRunSchema = z
  .object({
    options,
    source: z.unknown(),
    safety: campaignSafetySchema.optional(),
    carry: z.record(z.string(), z.unknown()),
  })
  .strict();

// Options without a default of their own may be left out; every other one must be stated (the
// CLI always does): a campaign that wipes phones never runs on settings nobody chose.
const REQUIRED_OPTIONS = Object.keys(campaignOptionDefaults());

/** One line per issue, naming where it is (`options.batchSize: …`). */
function issuesAt(prefix: string | undefined, error: z.ZodError): string[] {
  return error.issues.map(
    (i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || 'input'}: ${i.message}`,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Why a resetCampaign execution must not run: its workflow id is no campaign id (it names the
 * store's folder), or its input does not match the schemas — checked for inputs from any client
 * (`temporal workflow start`, the UI, a schedule), not only the CLI. Empty when it may run.
 * Options recorded by older versions get the defaults of their newer fields first, as the
 * engines do (withOptionDefaults).
 */
export function campaignInputProblems(workflowId: string, input: unknown): string[] {
  const problems: string[] = [];
  const idProblem = campaignIdProblem(workflowId);
  if (idProblem) problems.push(`workflow id: ${idProblem}`);
  if (!isObject(input)) return [...problems, 'input: expected an object { options, source, safety? }'];

  const shape = (input.carry === undefined ? firstRunSchema : continuedRunSchema).safeParse(input);
  if (!shape.success) problems.push(...issuesAt(undefined, shape.error));

  if (!isObject(input.options)) {
    problems.push('options: missing (every campaign option must be given)');
    return problems;
  }
  const options = withOptionDefaults(input.options as CampaignOptions) as Record<string, unknown>;
  const missing = REQUIRED_OPTIONS.filter((k) => options[k] === undefined);
  if (missing.length > 0) problems.push(`options: missing ${missing.join(', ')}`);
  const parsed = campaignOptionsSchema.safeParse(options);
  if (!parsed.success) problems.push(...issuesAt('options', parsed.error));
  return problems;
}
