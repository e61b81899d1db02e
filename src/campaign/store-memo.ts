// Workflow-safe (no Node modules): the engine records the store prepare wrote the campaign into.

/**
 * The workflow memo key under which the engine records the report store that prepare wrote the
 * campaign into (a StoreIdentity). It is the campaign's store: every worker that touches the
 * campaign's data must use it, and its report is there.
 */
export const PREPARED_STORE_MEMO = 'preparedStore';

/** Which report store is which (src/report/store-identity.ts): what the memo records. */
export interface StoreIdentity {
  /** Stable across hosts and mount points: "folder:<uuid>" or the database URL. */
  id: string;
  /** Where this process reaches it, for people: a folder path or a database URL. */
  where: string;
}
