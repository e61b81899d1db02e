import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { OwnPartError, WRONG_ACCOUNT, WRONG_KOOPHONE_ACCOUNT, type OwnPartFault } from '../campaign/blocking';
import { isCredentialsRefusal, sameAccount, type KoophoneAccount, type KoophoneClient } from '../koophone';
import type { CampaignStore } from '../report/campaign-store';

/** How a worker's identity names its KooPhone account: a short hash of the account (no secret in it). */
const ACCOUNT_TAG = ' koophone-account:';

/**
 * A worker's identity (as Temporal shows it, e.g. in the task queue's pollers): the SDK's default
 * (`pid@host`) and its account's fingerprint, by which a worker of another account can tell whether
 * one of the campaign's account polls the task queue (see Credentials.accountPolls).
 */
export function workerIdentity(account: KoophoneAccount): string {
  return `${process.pid}@${hostname()}${accountTag(account)}`;
}

function accountTag(account: KoophoneAccount): string {
  return `${ACCOUNT_TAG}${createHash('sha256').update(account.id).digest('hex').slice(0, 16)}`;
}

/**
 * A poller seen this recently still polls: an idle worker's long polls last up to a minute, and the
 * server lists a poller for minutes after its last one (a killed worker's too).
 */
const POLLER_SEEN_MS = 70_000;
/**
 * A lane refused while a worker of the campaign's account polls is tried again after this, not
 * after Temporal's growing backoff: the next attempt may well reach that worker, and each one the
 * wrong worker takes again would otherwise wait twice as long (lanes sat out minutes).
 */
const REFUSED_RETRY_DELAY = '1 second';
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/** The fault IAM refusing the worker's credentials is (blocking part `credentials`); undefined for any other error. */
export function credentialsFault(err: unknown): OwnPartFault | undefined {
  if (!isCredentialsRefusal(err)) return undefined;
  return { part: 'credentials', code: `IAM_${err.httpStatus ?? 'REFUSED'}`, message: `credentials: ${err.detail}` };
}

/** An IAM refusal comes out as the own-part fault it is (OwnPartError); any other error as it came. */
export function asOwnPart(err: unknown): unknown {
  const fault = credentialsFault(err);
  return fault ? new OwnPartError(fault, { cause: err }) : err;
}

/**
 * The worker's KooPhone credentials as one of our own parts (docs/design.md, "Blocked by our own
 * parts"): IAM takes them, and they are for the campaign's account.
 *
 * One campaign, one account: prepare records the account of its worker in the campaign's prepared
 * record (its store), and a worker whose account (endpoint, tenant, project: never a secret) is
 * another refuses the campaign's KooPhone work. Its answers would be another account's: a task it
 * does not know ends as `failed`, a batch goes to another tenant's phones. Campaigns prepared before
 * the account was recorded have none, and any worker runs them, as before.
 *
 * Where a worker of the campaign's account polls the task queue (its identity says so), a worker of
 * another refuses the work with a retryable failure, tried again after a second: Temporal gives it
 * to another worker. Where none does, it answers blocked (WRONG_ACCOUNT) at once: the campaign
 * waits, naming both accounts, and its probe passes once such a worker polls. So a right worker
 * beside wrong ones keeps the campaign running.
 *
 * One verdict per campaign run and process: a read of the prepared record the first time, none after.
 */
export class Credentials {
  private readonly verdicts = new Map<string, Promise<string | undefined>>();
  /** The account of each campaign this worker is not of. */
  private readonly recorded = new Map<string, KoophoneAccount>();

  constructor(
    private readonly client: KoophoneClient,
    /** The store as the activities read it (its faults named). */
    private readonly store: CampaignStore,
  ) {}

  /** This worker's account. */
  get account(): KoophoneAccount {
    return this.client.account;
  }

  /**
   * When the campaign talks to another account: a retryable WrongKoophoneAccount failure when a
   * worker of the campaign's account polls the task queue (or none can be told: Temporal's retries
   * decide), an OwnPartError (WRONG_ACCOUNT) when none does.
   */
  async refuse(campaignId: string): Promise<void> {
    const problem = await this.mismatch(campaignId);
    if (problem === undefined) return;
    const polls = await this.accountPolls(campaignId);
    Context.current().log.error(problem, { campaignId, campaignAccountPolls: polls ?? 'unknown' });
    if (polls === false) throw wrongAccount(problem);
    throw ApplicationFailure.create({
      message: problem,
      type: WRONG_KOOPHONE_ACCOUNT,
      ...(polls ? { nextRetryDelay: REFUSED_RETRY_DELAY } : {}),
    });
  }

  /**
   * The probe of the `credentials` part: the campaign's account is this worker's (or a worker of it
   * polls the task queue now, which will take the campaign's work), and IAM takes this worker's
   * credentials (a cached token costs nothing; after a refusal IAM is asked at most once a minute).
   * Throws an OwnPartError naming the fault. A sign-in that fails otherwise (IAM unreachable) is no
   * verdict on the credentials: the calls meet it and show it among the campaign's troubles.
   *
   * It passes on a worker of another account while one of the campaign's seems to poll: a probe
   * cannot be sent to a chosen worker, and the one that runs the workflow gets it first (eager
   * dispatch), so a strict probe never let a campaign heal while a wrong worker ran its workflow.
   * The cost: a killed worker stays listed among the pollers for about a minute, during which the
   * campaign may turn `running` again, its lanes refused (nothing sent), before it settles `blocked`.
   */
  async probe(campaignId: string): Promise<void> {
    const problem = await this.mismatch(campaignId);
    if (problem !== undefined) {
      if ((await this.accountPolls(campaignId)) === true) return;
      throw wrongAccount(problem);
    }
    const signedIn = await this.client.signIn().then(
      () => undefined,
      (err: unknown) => err,
    );
    const fault = credentialsFault(signedIn);
    if (fault) throw new OwnPartError(fault, { cause: signedIn });
  }

  /** Why this worker must not do the campaign's KooPhone work, or undefined when it may. */
  private mismatch(campaignId: string): Promise<string | undefined> {
    const key = `${campaignId}/${Context.current().info.workflowExecution?.runId ?? ''}`;
    let verdict = this.verdicts.get(key);
    if (!verdict) {
      verdict = this.judge(campaignId);
      this.verdicts.set(key, verdict);
      // A verdict that could not be reached (the store failing) is sought again next time.
      verdict.catch(() => this.verdicts.delete(key));
    }
    return verdict;
  }

  private async judge(campaignId: string): Promise<string | undefined> {
    const recorded = (await this.store.readPrepared(campaignId))?.account;
    if (!recorded || sameAccount(recorded, this.account)) return undefined;
    this.recorded.set(campaignId, recorded);
    return wrongAccountMessage(campaignId, this.account, recorded);
  }

  /**
   * Whether a worker of the campaign's account polls this activity's task queue now (its identity
   * carries the account's fingerprint: workerIdentity); undefined when Temporal cannot be asked.
   */
  private async accountPolls(campaignId: string): Promise<boolean | undefined> {
    const account = this.recorded.get(campaignId);
    if (!account) return undefined;
    const ctx = Context.current();
    try {
      const res = await ctx.client.workflowService.describeTaskQueue({
        namespace: ctx.info.workflowNamespace,
        taskQueue: { name: ctx.info.taskQueue },
        taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
      });
      const tag = accountTag(account);
      const since = Date.now() - POLLER_SEEN_MS;
      return (res.pollers ?? []).some((p) => p.identity?.endsWith(tag) && msOf(p.lastAccessTime) >= since);
    } catch (err) {
      ctx.log.warn("could not list the task queue's pollers", { campaignId, error: (err as Error).message });
      return undefined;
    }
  }
}

function wrongAccount(problem: string): OwnPartError {
  return new OwnPartError({ part: 'credentials', code: WRONG_ACCOUNT, message: `credentials: ${problem}` });
}

function msOf(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return ts ? Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : 0;
}

/** "this worker talks to KooPhone account A, campaign c-1 to B: …" — never a secret: accounts hold none. */
export function wrongAccountMessage(campaignId: string, own: KoophoneAccount, campaign: KoophoneAccount): string {
  return (
    `this worker talks to the KooPhone account ${own.id}; campaign ${campaignId} was prepared for ${campaign.id}, ` +
    "and another account's answers must never reach its phones"
  );
}
