import { stat } from 'node:fs/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { planPreflight, type PreflightPlan } from '../campaign/fleet-facts';
import type { ErrorBudget, IdSource } from '../campaign/options';
import { WRONG_KOOPHONE_ACCOUNT } from '../campaign/blocking';
import {
  CAMPAIGN_ID_REUSED,
  PHONES_LEASED,
  SOURCE_CHANGED,
  type CampaignSafety,
  type TargetPin,
} from '../campaign/safety';
import { sameAccount, type KoophoneClient } from '../koophone';
import { describeOverlap, findOverlap, temporalLiveness, type HolderLiveness } from '../leases';
import type { CampaignStore, PreparedSource, StoredCampaign } from '../report/campaign-store';
import {
  describePin,
  listFleetFacts,
  pinOf,
  readIdFile,
  readInlineIds,
  samePin,
  listedFromSelection,
  selectFleet,
  SourceError,
  type ListedFacts,
  type ReadIds,
} from '../sources';
import { listingReporter } from './listing-report';
import { sealingStore } from './prepare-seal';
import { asOwnPart, wrongAccountMessage } from './credentials';
import { reportLine } from './reset-batch';
import { pinnedFileChange } from './source-check';

export interface PrepareDeps {
  client: KoophoneClient;
  store: CampaignStore;
  /** Whether a lease holder still runs; by default asked from Temporal with the worker's client. */
  liveness?: HolderLiveness;
}

export interface PrepareInput {
  campaignId: string;
  source: IdSource;
  /** The workflow's first run id: the store belongs to this execution. Absent from older workflows. */
  owner?: string;
  safety?: CampaignSafety;
  /**
   * The pre-flight (absent from older workflows): list the fleet, answer without a call the ids
   * not in it, frozen ones and (unless `includeInUse`) busy ones, and cut the spool into batches
   * of one region (and pool, with `maxPerPool`). See src/campaign/fleet-facts.ts.
   */
  fleet?: FleetOptions;
}

export interface FleetOptions {
  includeInUse: boolean;
  maxPerPool?: ErrorBudget;
  batchSize: number;
}

/** Failure type strings are stable names the workflow and the CLI match on. */
export const INVALID_SOURCE = 'InvalidSource';

interface ReadSource {
  read: ReadIds;
  frozen: string[];
  file?: PreparedSource['file'];
  /** What the fleet listing says of the ids: from the `--all` listing itself, or listed for them. */
  listed?: ListedFacts;
}

async function readSource(
  client: KoophoneClient,
  source: IdSource,
  pin: TargetPin | undefined,
  fleet: FleetOptions | undefined,
): Promise<ReadSource> {
  const read = await readIds(client, source, pin, fleet !== undefined);
  if (!fleet || read.listed) return read;
  // A refused token or an outage shows in the campaign's status (and turns it blocked) while the
  // listing waits for KooPhone, as the lanes' calls do: it never fails the campaign for that.
  const report = listingReporter();
  try {
    const listed = await listFleetFacts(client, read.read.ids, {
      poolSizes: fleet.maxPerPool !== undefined,
      signal: Context.current().cancellationSignal,
      retryForMs: Infinity,
      answered: report.answered,
    });
    return { ...read, listed };
  } finally {
    report.stop();
  }
}

function sourceChanged(why: string, pin: TargetPin): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${SOURCE_CHANGED}: ${why}, but the plan approved ${describePin(pin)}; nothing was reset. ` +
      'Check the source and start again',
    SOURCE_CHANGED,
  );
}

async function readIds(
  client: KoophoneClient,
  source: IdSource,
  pin: TargetPin | undefined,
  keepFacts: boolean,
): Promise<ReadSource> {
  if (source.kind === 'inline') return { read: readInlineIds(source.ids), frozen: [] };
  if (source.kind === 'file') {
    // The file's bytes are checked against the plan's before they are parsed: a file replaced
    // by something else (a 300 MB JSON array) is refused without being read as ids.
    if (pin?.file) {
      const changed = await pinnedFileChange(source.path, pin.file);
      if (changed) throw sourceChanged(changed, pin);
    }
    const before = await stat(source.path).catch(() => undefined);
    const read = await readIdFile(source.path, source.format, source.idColumn);
    if (pin?.file && read.raw.sha256 !== pin.file.sha256)
      throw sourceChanged(`the id file ${source.path} changed while it was read`, pin);
    return {
      read,
      frozen: [],
      ...(before
        ? {
            file: {
              path: source.path,
              size: read.raw.size,
              mtimeMs: before.mtimeMs,
              sha256: read.raw.sha256,
            },
          }
        : {}),
    };
  }
  // Frozen phones would only make the API refuse whole batches: they are reported skipped.
  const ctx = Context.current();
  const fleet = await selectFleet(
    client.iterateInstances(
      { instanceName: source.namePrefix, poolSceneTag: source.poolTag, poolName: source.poolName },
      1000,
    ),
    (n) => n % 10_000 === 0 && ctx.heartbeat({ entries: n }),
  );
  if (fleet.ids.length === 0 && fleet.frozen.length === 0) {
    throw new SourceError(['the fleet selector matched no instances']);
  }
  return {
    read: { ids: fleet.ids, duplicates: fleet.duplicates, entries: fleet.entries },
    frozen: fleet.frozen,
    // The selection's own listing: its pool sizes are those of the selection (a pool filter
    // lists one pool whole; a name prefix may list part of one, a budget over it is then stricter).
    ...(keepFacts ? { listed: listedFromSelection(fleet) } : {}),
  };
}

function reusedMessage(campaignId: string, old: StoredCampaign): string {
  const when = old.finishedAt ?? old.preparedAt;
  const state = old.finalState ?? 'unfinished';
  return (
    `campaign id ${campaignId} already has stored data from an earlier campaign ` +
    `(${state}${when ? ` ${when}` : ''}, ${old.total} phones); its report would be taken for this ` +
    `one's. Start with another campaign id, or archive the old data (start --archive-old)`
  );
}

/**
 * Reads the whole id source once, before any reset is sent, and makes the campaign's store:
 * - the store belongs to one workflow execution: data left by an earlier campaign with the same
 *   id is refused (CAMPAIGN_ID_REUSED) or archived when the operator asked;
 * - the ids must be the set the operator approved (SOURCE_CHANGED otherwise);
 * - phones another running campaign holds are refused (PHONES_LEASED) or skipped, and the
 *   campaign takes the lease on the rest, all under the store's lease lock;
 * - the deduplicated ids go to the spool, from which every batch reads its slice, sealed: the
 *   seal it returns to the workflow lets every later read of the spool be checked;
 * - the KooPhone account of this worker is the campaign's, recorded with it (credentials.ts).
 * A retried prepare of the same execution returns the first one's record; on a worker of another
 * account it is refused (retryable: Temporal tries another worker).
 */
export async function prepareCampaign(deps: PrepareDeps, input: PrepareInput): Promise<PreparedSource> {
  const { client } = deps;
  // What prepare writes is sealed: the lines it answers itself, and the spool (prepare-seal.ts).
  const store = sealingStore(deps.store);
  const { campaignId, owner, safety = {} } = input;
  const existing = await store.readPrepared(campaignId);
  if (existing && (owner === undefined || existing.owner === owner)) {
    if (existing.account && !sameAccount(existing.account, client.account))
      throw ApplicationFailure.retryable(
        wrongAccountMessage(campaignId, client.account, existing.account),
        WRONG_KOOPHONE_ACCOUNT,
      );
    return existing;
  }
  if (existing) {
    if (!safety.archivePrevious) {
      const old = (await store.describeStored(campaignId))!;
      throw ApplicationFailure.nonRetryable(reusedMessage(campaignId, old), CAMPAIGN_ID_REUSED);
    }
    const archived = await store.archive(campaignId);
    Context.current().log.warn('archived the stored data of an earlier campaign', { campaignId, archived });
  }

  let source: ReadSource;
  try {
    source = await readSource(client, input.source, safety.pin, input.fleet);
  } catch (err) {
    if (err instanceof SourceError) {
      throw ApplicationFailure.nonRetryable(err.message, INVALID_SOURCE, { problems: err.problems });
    }
    // IAM refused the credentials listing the fleet: blocked, not failed (credentials.ts).
    throw asOwnPart(err);
  }
  const { read } = source;
  // The pin is of what the operator approved: the ids as the source reads them, in its order. The
  // pre-flight then orders the spool by region; that order is the listing's, not approved.
  const pin = pinOf(read.ids);
  if (safety.pin && !samePin(pin, safety.pin))
    throw sourceChanged(`the instance source now reads ${describePin(pin)}`, safety.pin);

  // Its place in the store: made here only, never by a later write (see CampaignStore.createCampaign).
  await store.createCampaign(campaignId);
  const frozenLines = source.frozen.map((id) =>
    reportLine(id, 'skipped', 0, '', 'FROZEN', 'instance is frozen (frozen_status 1)'),
  );
  // The phones to reset, after the pre-flight: ordered by region (and pool), cut into batches.
  const preflight = async (ids: string[]): Promise<{ spool: string[]; record: Partial<PreparedSource> }> => {
    const { fleet } = input;
    if (!fleet || !source.listed) return { spool: ids, record: {} };
    const plan = planOrRefuse(ids, source.listed, fleet);
    await store.writePart(
      campaignId,
      'p-preflight',
      plan.answered.map(({ id, verdict }) => reportLine(id, verdict.outcome, 0, '', verdict.code, verdict.message)),
    );
    const { listed } = source;
    const rejected = plan.answered.filter((a) => a.verdict.outcome === 'rejected').length;
    return {
      spool: plan.order,
      record: {
        skipped: plan.answered.length - rejected,
        rejected,
        layout: plan.segments,
        ...(plan.pools ? { pools: plan.pools } : {}),
        preflight: {
          method: listed.method,
          calls: listed.calls,
          listedAt: listed.listedAt,
          fleetTotal: listed.fleetTotal,
          includeInUse: fleet.includeInUse,
          ...plan.counts,
        },
      },
    };
  };
  const spool = (order: string[], record: Partial<PreparedSource>, leased: number): Promise<PreparedSource> =>
    store.writeSpool(campaignId, order, (total) => ({
      total,
      duplicates: read.duplicates,
      sha256: pin.sha256,
      ...(source.file ? { file: source.file } : {}),
      ...(owner ? { owner, preparedAt: new Date().toISOString() } : {}),
      ...record,
      skipped: frozenLines.length + leased + (record.skipped ?? 0),
      account: client.account,
    }));
  // Written even when empty: a part left by an earlier attempt must not survive into the report.
  await store.writePart(campaignId, 'p-skipped', frozenLines);
  if (owner === undefined) {
    // An older workflow: no leases.
    const { spool: order, record } = await preflight(read.ids);
    return spool(order, record, 0);
  }

  const liveness = deps.liveness ?? temporalLiveness(Context.current().client);
  return store.withLeaseLock(async () => {
    const overlaps = await findOverlap(store, read.ids, campaignId, liveness);
    if (overlaps.length > 0 && !safety.skipOverlap) {
      throw ApplicationFailure.nonRetryable(
        `${PHONES_LEASED}: ${describeOverlap(overlaps, read.ids.length)}; nothing was reset. Wait for ` +
          'them to end, or start with --skip-overlap to skip those phones',
        PHONES_LEASED,
      );
    }
    const leasedBy = new Map<string, string>();
    for (const o of overlaps) for (const id of o.ids) leasedBy.set(id, o.holder.campaignId);
    const ids = leasedBy.size === 0 ? read.ids : read.ids.filter((id) => !leasedBy.has(id));
    await store.writePart(
      campaignId,
      'p-leased',
      [...leasedBy].map(([id, holder]) =>
        reportLine(id, 'skipped', 0, '', 'LEASED_BY', `LEASED_BY ${holder}: held by that running campaign`),
      ),
    );
    const { spool: order, record } = await preflight(ids);
    // The lease before the spool: a prepare that dies between them is done again whole.
    await store.registerLease({ campaignId, owner, since: new Date().toISOString(), total: order.length });
    return spool(order, record, leasedBy.size);
  });
}

/** The pre-flight's plan; a layout that cannot be carried fails the campaign before any call. */
function planOrRefuse(ids: string[], listed: ListedFacts, fleet: FleetOptions): PreflightPlan {
  try {
    return planPreflight({
      ids,
      facts: listed.facts,
      includeInUse: fleet.includeInUse,
      batchSize: fleet.batchSize,
      ...(fleet.maxPerPool ? { maxPerPool: fleet.maxPerPool } : {}),
      poolSizes: listed.poolSizes,
    });
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, INVALID_SOURCE);
  }
}
