import { z } from 'zod';
import { ANOMALY_KINDS } from '../campaign/anomalies';
import type { JobJournal, WorkItem } from '../campaign/work-item';

// What a journal this code writes looks like; bounds well above anything real, so a forged or
// garbled one cannot make its item count a billion possible resets or track ten thousand jobs.
const MAX_UNCERTAIN = 1000;
const range = z.object({ start: z.number().int().min(0), end: z.number().int().min(0) });
const journalSchema = z.object({
  taskId: z.string().max(256),
  jobs: z.array(z.object({ instanceId: z.string().max(64), jobId: z.string().max(256) })).max(1000),
  submittedAt: z.number().finite(),
  uncertain: z.number().int().min(0).max(MAX_UNCERTAIN).optional(),
  why: z.string().max(2000).optional(),
  by: z.string().max(1000).optional(),
  answered: z.literal(true).optional(),
  refused: z.literal(true).optional(),
  possiblyApplied: z.literal(true).optional(),
  anomalies: z
    .array(z.object({ kind: z.enum(ANOMALY_KINDS), count: z.number().int().min(0), example: z.string() }))
    .optional(),
  item: z
    .object({
      range: range.optional(),
      ids: z.array(z.string().max(64)).max(1000).optional(),
      resets: z.number().int().min(0).max(MAX_UNCERTAIN),
    })
    .optional(),
  campaign: z.string().optional(),
  key: z.string().optional(),
});

/** What a journal must belong to: its campaign and item key, and, when known, the item itself. */
export interface JournalOwner {
  campaignId: string;
  key: string;
  item?: Pick<WorkItem, 'range' | 'ids' | 'resets'>;
  /**
   * The campaign was prepared by a version that writes its campaign and item into every journal
   * (it has a seal): a journal without them is not one of its own.
   */
  strict: boolean;
}

/**
 * Why `journal` (as stored: any JSON) is not a journal of this campaign's item, or undefined when
 * it is. A journal that is not — `{}`, a mark whose fields are not a mark's, one copied from
 * another campaign or item, one naming other phones — is never acted on: its item is written with
 * what can be proven instead (src/activities/item-journal.ts).
 */
export function journalProblem(journal: unknown, owner: JournalOwner): string | undefined {
  const parsed = journalSchema.safeParse(journal);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return `not a journal (${at}${issue.message})`;
  }
  const j = parsed.data;
  if (j.campaign !== undefined && j.campaign !== owner.campaignId) return `written for campaign ${j.campaign}`;
  if (j.key !== undefined && j.key !== owner.key) return `written for item ${j.key}`;
  if (owner.strict && (j.campaign === undefined || j.key === undefined || j.item === undefined)) {
    return 'names no campaign, item or phones, as every journal of this campaign does';
  }
  const item = owner.item;
  if (item && j.item) {
    const same =
      item.range && j.item.range
        ? item.range.start === j.item.range.start && item.range.end === j.item.range.end
        : item.ids && j.item.ids
          ? item.ids.length === j.item.ids.length && item.ids.every((id, i) => id === j.item!.ids![i])
          : false;
    if (!same) return 'names other phones than its item';
    if (j.item.resets > item.resets) return `counts ${j.item.resets} resets before its call, its item only ${item.resets}`;
  }
  if (j.taskId === '' && j.jobs.length > 0) return 'a mark (no task) with jobs';
  return undefined;
}

/** Why an accepted call's jobs are not all for its item's phones, or undefined. */
export function jobsProblem(journal: JobJournal, ids: readonly string[]): string | undefined {
  const asked = new Set(ids);
  const stray = journal.jobs.find((j) => !asked.has(j.instanceId));
  return stray ? `holds a job for ${JSON.stringify(stray.instanceId.slice(0, 40))}, not one of its item's phones` : undefined;
}
