import type { SpoolSeal } from '../campaign/spool-seal';
import type { CampaignStore } from '../report/campaign-store';
import { VerifiedSpool } from '../report/verified-spool';

export interface ProbeSpoolInput {
  campaignId: string;
  seal?: SpoolSeal;
  /** The held slices of the spool (records [start, end)), in the hold's order. */
  ranges: { start: number; end: number }[];
}

export interface ProbeSpoolAnswer {
  /** Indices of the ranges whose every record reads as prepare wrote it again. */
  released: number[];
  /** Of the others: the first few records that still do not, how many, and why. */
  records: number[];
  count: number;
  why: string;
}

// Records read at a time: a held range may be the whole spool.
const SLICE = 1024;

/**
 * A campaign's held slices of the spool, proved again (src/campaign/spool-hold.ts): those whose
 * records all read true once more go back to the campaign.
 */
export async function probeSpool(store: CampaignStore, input: ProbeSpoolInput): Promise<ProbeSpoolAnswer> {
  const spool = new VerifiedSpool(store, input.campaignId, input.seal);
  const answer: ProbeSpoolAnswer = { released: [], records: [], count: 0, why: '' };
  try {
    for (const [i, range] of input.ranges.entries()) {
      let bad = 0;
      for (let start = range.start; start < range.end; start += SLICE) {
        const slice = await spool.readProved(start, Math.min(range.end, start + SLICE));
        bad += slice.bad.length;
        for (const p of slice.bad) if (answer.records.length < 10) answer.records.push(p);
        if (slice.why) answer.why = slice.why;
      }
      if (bad === 0) answer.released.push(i);
      answer.count += bad;
    }
  } finally {
    await spool.close();
  }
  return answer;
}
