import type { KoophoneAccount } from '../koophone/account';
import type { BatchSegment } from './batch-layout';
import type { PreflightSummary } from './fleet-facts';
import type { PoolLimit } from './pool-budget';
import type { SpoolSeal } from './spool-seal';
import type { StoreIdentity } from './store-memo';

/** What prepare learned about a campaign's id source; saved so a retried prepare is a no-op. */
export interface PreparedSource {
  total: number;
  duplicates: number;
  /** Instances listed but not reset, e.g. frozen phones in a fleet listing, phones in use. */
  skipped: number;
  /**
   * Instances refused for good before any call (not in the tenant's fleet, frozen): their lines
   * are written `rejected`. They spend no error budget (the campaign could not change them).
   */
  rejected?: number;
  /** How the spool is cut into batches (by region, and pool with a budget); absent: uniform. */
  layout?: BatchSegment[];
  /** With `--max-per-pool`: each pool of the campaign with its size and limit. */
  pools?: PoolLimit[];
  /** What the pre-flight listing found (absent for campaigns prepared without one). */
  preflight?: PreflightSummary;
  sha256: string;
  /** Set for file sources: compared on every batch to refuse a file that changed. */
  file?: { path: string; size: number; mtimeMs: number; sha256: string };
  /**
   * The workflow execution (first run id) that prepared this store. A campaign id names one
   * campaign only: a later workflow with the same id (history deleted, retention) must not read it.
   * Absent in stores prepared by earlier versions.
   */
  owner?: string;
  preparedAt?: string;
  /**
   * The store that holds the campaign: set on prepare's answer to the workflow (which records it
   * for the other workers), not in the stored record.
   */
  store?: StoreIdentity;
  /**
   * What prepare wrote into the spool: every later read is checked against the copy the workflow
   * carries (src/report/verified-spool.ts). Absent in stores prepared by earlier versions.
   */
  seal?: SpoolSeal;
  /**
   * The KooPhone account the campaign talks to (endpoint, tenant, project; never a secret): the one
   * of the worker that prepared it. A worker of another refuses the campaign's KooPhone work
   * (src/activities/credentials.ts). Absent in campaigns prepared by earlier versions.
   */
  account?: KoophoneAccount;
}
