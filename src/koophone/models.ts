import type { JobStatus, PoolSceneTag } from './schemas';

// What the client returns: camelCase, with the request id of the call that produced it.

export interface BatchResetResult {
  taskId: string;
  /** One per instance the service accepted; an id missing here was not reset and must be reported. */
  jobs: { instanceId: string; jobId: string }[];
  requestId: string;
}

export interface TaskJobResult {
  jobId: string;
  /** 1 running, 2 succeeded, -1 failed. */
  status: JobStatus;
  errorCode: string;
  errorMsg: string;
  executeMsg: string;
}

export interface TaskResult {
  jobs: TaskJobResult[];
  requestId: string;
}

export interface InstanceFilter {
  instanceId?: string;
  /** Prefix match. */
  instanceName?: string;
  /** UTC; a Date or `YYYY-MM-DD HH:mm:ss`. */
  queryStartTime?: string | Date;
  queryEndTime?: string | Date;
  poolSceneTag?: PoolSceneTag;
  poolName?: string;
}

export interface InstanceListQuery extends InstanceFilter {
  /** From 1. */
  pageNo: number;
  /** 1..1000. */
  pageSize: number;
}

export interface Instance {
  instanceId: string;
  instanceName: string;
  region: string;
  instanceSku: string;
  /** 0 normal, 1 frozen. */
  frozenStatus: 0 | 1;
  // Fields of Huawei's SDK model, absent when the listing omits them. The values of the first
  // three are undocumented: see src/campaign/fleet-facts.ts for what the campaign assumes.
  runningStatus?: number;
  loginStatus?: number;
  assignStatus?: number;
  assignUser?: string;
  /** 0 preparing, 1 running, 2 succeeded, 3 failed, 4 other; absent: no backup known. */
  backupStatus?: number;
  /** As backupStatus, for a restore. */
  restoreStatus?: number;
  /** Not in any documented model (the simulator sends it); absent: the pool is unknown. */
  poolName?: string;
}

export interface InstancePage {
  instances: Instance[];
  pageNo: number;
  pageSize: number;
  totalCount: number;
  requestId: string;
}

export interface InstanceStatus {
  instanceId: string;
  /** 0 unknown, 1 stopped, 2 running, 3 offline, 4 starting, 5 shut down. */
  status: number;
}

export interface StatusQueryResult {
  statuses: InstanceStatus[];
  requestId: string;
}

export interface CallOptions {
  /** Cancels the call; surfaces as the signal's reason (an AbortError), not as a KooPhone error. */
  signal?: AbortSignal;
}
