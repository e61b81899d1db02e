import { z } from 'zod';
import { MAX_BATCH_RESET_IDS, MAX_INSTANCE_ID_LENGTH, MAX_PAGE_SIZE, MAX_STATUS_QUERY_IDS } from './limits';

// Wire shapes of the four KooPhone endpoints and the IAM token call, exactly as documented
// (snake_case). The client maps them to camelCase at its edge; the simulator serves them.

export { MAX_BATCH_RESET_IDS, MAX_INSTANCE_ID_LENGTH, MAX_PAGE_SIZE, MAX_STATUS_QUERY_IDS } from './limits';

/** Fields the service may omit or send as null; an absent text is the empty string, never undefined. */
const text = z
  .string()
  .nullish()
  .transform((value) => value ?? '');

const instanceIdSchema = z.string().min(1).max(MAX_INSTANCE_ID_LENGTH);

/** The envelope every KooPhone (and API gateway) body carries. */
export const errorEnvelopeSchema = z.looseObject({
  error_code: z.string(),
  error_msg: text,
  request_id: z.string().optional(),
});
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

const successEnvelope = {
  error_code: z.literal('0'),
  error_msg: text,
};

// --- 1. Batch reset: POST /v1/instances/batch-reset

export const batchResetRequestSchema = z.object({
  instance_ids: z.array(instanceIdSchema).min(1).max(MAX_BATCH_RESET_IDS),
});
export type BatchResetRequest = z.infer<typeof batchResetRequestSchema>;

export const cmdJobSchema = z.looseObject({
  instance_id: z.string(),
  job_id: z.string().min(1),
});
export type CmdJob = z.infer<typeof cmdJobSchema>;

export const batchResetResponseSchema = z.looseObject({
  ...successEnvelope,
  data: z.looseObject({
    task_id: z.string().min(1),
    cmd_jobs: z.array(cmdJobSchema),
  }),
});
export type BatchResetResponse = z.infer<typeof batchResetResponseSchema>;

// --- 2. Task query: GET /v1/instances/tasks/{task_id}

export const JOB_STATUS = { running: 1, succeeded: 2, failed: -1 } as const;
export const jobStatusSchema = z.literal([JOB_STATUS.running, JOB_STATUS.succeeded, JOB_STATUS.failed]);
export type JobStatus = z.infer<typeof jobStatusSchema>;

export const taskIdSchema = z.string().min(1).max(128);

export const taskJobSchema = z.looseObject({
  job_id: z.string().min(1),
  status: jobStatusSchema,
  error_code: text,
  error_msg: text,
  execute_msg: text,
});
export type TaskJob = z.infer<typeof taskJobSchema>;

export const taskQueryResponseSchema = z.looseObject({
  ...successEnvelope,
  data: z.looseObject({ jobs: z.array(taskJobSchema) }),
});
export type TaskQueryResponse = z.infer<typeof taskQueryResponseSchema>;

// --- 3. Instance list: GET /v1/instances/batch-query

/** `2023-08-15 14:30:45`, UTC. */
export const queryTimeSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'expected UTC time as "YYYY-MM-DD HH:mm:ss"');

export const POOL_SCENE_TAGS = ['CLOUD_APP', 'CLOUD_PHONE'] as const;
export const poolSceneTagSchema = z.enum(POOL_SCENE_TAGS);
export type PoolSceneTag = z.infer<typeof poolSceneTagSchema>;

/** Query string of the list call; numbers arrive as text on the wire, hence the coercion. */
export const instanceListQuerySchema = z.object({
  page_no: z.coerce.number().int().min(1),
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE),
  instance_id: z.string().min(1).max(MAX_INSTANCE_ID_LENGTH).optional(),
  instance_name: z.string().min(1).optional(),
  query_start_time: queryTimeSchema.optional(),
  query_end_time: queryTimeSchema.optional(),
  pool_scene_tag: poolSceneTagSchema.optional(),
  pool_name: z.string().min(1).optional(),
});
export type InstanceListQueryParams = z.infer<typeof instanceListQuerySchema>;

export const FROZEN_STATUS = { normal: 0, frozen: 1 } as const;

/** A number the listing may omit or send as null; its values are kept verbatim (several are undocumented). */
const optionalInt = z.number().int().nullish();

/** 0 preparing, 1 running, 2 succeeded, 3 failed, 4 other (Huawei's SDK model). */
export const ACTIVITY_STATUS = { preparing: 0, running: 1, succeeded: 2, failed: 3, other: 4 } as const;

export const instanceSummarySchema = z.looseObject({
  instance_id: z.string().min(1),
  instance_name: text,
  region: text,
  instance_sku: text,
  frozen_status: z.literal([FROZEN_STATUS.normal, FROZEN_STATUS.frozen]),
  // In Huawei's SDK model (InstanceBatchQueryRspDataResult), not in the API reference: the values
  // of running_status, login_status and assign_status are not documented anywhere.
  running_status: optionalInt,
  login_status: optionalInt,
  assign_status: optionalInt,
  assign_user: z.string().nullish(),
  backup_status: optionalInt,
  restore_status: optionalInt,
  // In no documented model: the simulator sends it; where the listing has none, a phone's pool is
  // unknown (README, "Phones in use, regions and pools").
  pool_name: z.string().nullish(),
});
export type InstanceSummary = z.infer<typeof instanceSummarySchema>;

export const instanceListResponseSchema = z.looseObject({
  ...successEnvelope,
  data: z.looseObject({
    result: z.array(instanceSummarySchema),
    page_no: z.number().int(),
    page_size: z.number().int(),
    total_count: z.number().int().min(0),
  }),
});
export type InstanceListResponse = z.infer<typeof instanceListResponseSchema>;

// --- 4. Instance status: POST /v1/instances/batch-query-status

export const INSTANCE_STATUS = {
  unknown: 0,
  stopped: 1,
  running: 2,
  offline: 3,
  starting: 4,
  shutDown: 5,
} as const;

export const statusQueryRequestSchema = z.object({
  instance_ids: z.array(instanceIdSchema).min(1).max(MAX_STATUS_QUERY_IDS),
});
export type StatusQueryRequest = z.infer<typeof statusQueryRequestSchema>;

export const statusResultSchema = z.looseObject({
  instance_id: z.string().min(1),
  // Kept as a plain integer: a status code the reference does not list must not break a campaign.
  status: z.number().int(),
});
export type StatusResult = z.infer<typeof statusResultSchema>;

export const statusQueryResponseSchema = z.looseObject({
  ...successEnvelope,
  data: z.looseObject({ status_results: z.array(statusResultSchema) }),
});
export type StatusQueryResponse = z.infer<typeof statusQueryResponseSchema>;

// --- IAM: POST /v3/auth/tokens (password grant)

export const iamPasswordRequestSchema = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.string()).refine((m) => m.includes('password'), 'methods must include "password"'),
      password: z.object({
        user: z.object({
          name: z.string().min(1),
          password: z.string().min(1),
          domain: z.object({ name: z.string().min(1) }),
        }),
      }),
    }),
    scope: z
      .union([
        z.object({
          project: z.union([z.object({ name: z.string().min(1) }), z.object({ id: z.string().min(1) })]),
        }),
        z.object({ domain: z.object({ name: z.string().min(1) }) }),
      ])
      .optional(),
  }),
});
export type IamPasswordRequest = z.infer<typeof iamPasswordRequestSchema>;

export const iamTokenResponseSchema = z.looseObject({
  token: z.looseObject({
    expires_at: z.iso.datetime({ offset: true }),
  }),
});
export type IamTokenResponse = z.infer<typeof iamTokenResponseSchema>;

/** IAM answers errors either with the KooPhone-style envelope or with this older shape. */
export const iamErrorSchema = z.looseObject({
  error: z.looseObject({ code: z.union([z.string(), z.number()]), message: text }),
});
