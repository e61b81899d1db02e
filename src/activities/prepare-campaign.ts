import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { IdSource } from '../campaign/options';
import type { ReportLine } from '../campaign/outcome';
import type { KoophoneClient } from '../koophone';
import type { CampaignStore, PreparedSource } from '../report/campaign-store';
import { readIdFile, readInlineIds, SourceError, type ReadIds } from '../sources';
import { reportLine } from './reset-batch';
import { sha256File } from './source-check';

export interface PrepareDeps {
  client: KoophoneClient;
  store: CampaignStore;
}

export interface PrepareInput {
  campaignId: string;
  source: IdSource;
}

/** Failure type strings are stable names the workflow and the CLI match on. */
export const INVALID_SOURCE = 'InvalidSource';

async function* iterate(ids: string[]): AsyncGenerator<string> {
  yield* ids;
}

/**
 * Reads the whole id source once, before any reset is sent: validates every id (a bad file fails
 * the campaign with line numbers and nothing started), drops duplicates, and writes the
 * deduplicated ids to the campaign's spool, from which every batch reads its slice. A retried
 * prepare returns the first one's record, so the spool never changes under running batches.
 */
export async function prepareCampaign(deps: PrepareDeps, input: PrepareInput): Promise<PreparedSource> {
  const { store, client } = deps;
  const existing = await store.readPrepared(input.campaignId);
  if (existing) return existing;
  const ctx = Context.current();
  const { source } = input;

  let read: ReadIds;
  const skippedLines: ReportLine[] = [];
  let file: PreparedSource['file'];
  try {
    if (source.kind === 'inline') {
      read = readInlineIds(source.ids);
    } else if (source.kind === 'file') {
      const before = await stat(source.path).catch(() => undefined);
      const sha = before ? await sha256File(source.path) : '';
      read = await readIdFile(source.path, source.format);
      if (before) file = { path: source.path, size: before.size, mtimeMs: before.mtimeMs, sha256: sha };
    } else {
      // A fleet campaign is pinned to the fleet as listed now; frozen phones would only make the
      // API refuse whole batches, so they are reported as skipped instead of sent.
      const byRegion = new Map<string, string[]>();
      let entries = 0;
      for await (const inst of client.iterateInstances(
        { instanceName: source.namePrefix, poolSceneTag: source.poolTag, poolName: source.poolName },
        1000,
      )) {
        entries += 1;
        if (entries % 10_000 === 0) ctx.heartbeat({ entries });
        if (inst.frozenStatus === 1) {
          skippedLines.push(
            reportLine(inst.instanceId, 'skipped', 0, '', 'FROZEN', 'instance is frozen (frozen_status 1)'),
          );
          continue;
        }
        const list = byRegion.get(inst.region) ?? [];
        list.push(inst.instanceId);
        byRegion.set(inst.region, list);
      }
      // Batches never mix regions: the API refuses such calls (KOOPHONE.API.1002).
      const ids = [...byRegion.keys()].sort().flatMap((r) => byRegion.get(r)!);
      if (ids.length === 0 && skippedLines.length === 0) {
        throw new SourceError(['the fleet selector matched no instances']);
      }
      read = { ids: [...new Set(ids)], duplicates: ids.length - new Set(ids).size, entries };
    }
  } catch (err) {
    if (err instanceof SourceError) {
      throw ApplicationFailure.nonRetryable(err.message, INVALID_SOURCE, { problems: err.problems });
    }
    throw err;
  }

  const hash = createHash('sha256');
  for (const id of read.ids) hash.update(id + '\n');
  if (skippedLines.length > 0) await store.writePart(input.campaignId, 'p-skipped', skippedLines);
  const skipped = skippedLines.length;
  return store.writeSpool(input.campaignId, iterate(read.ids), (total) => ({
    total,
    duplicates: read.duplicates,
    skipped,
    sha256: hash.digest('hex'),
    ...(file ? { file } : {}),
  }));
}
