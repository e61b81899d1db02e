// The example bodies of koophone-api.md, verbatim, must parse; near-misses must fail at the right field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  batchResetRequestSchema,
  batchResetResponseSchema,
  errorEnvelopeSchema,
  formatIssues,
  iamTokenResponseSchema,
  instanceListQuerySchema,
  instanceListResponseSchema,
  statusQueryRequestSchema,
  statusQueryResponseSchema,
  taskQueryResponseSchema,
} from '../../src/koophone';

const documented = {
  batchResetRequest: `{ "instance_ids": ["a44uhlf7", "efjy72gs"] }`,
  batchResetResponse: `{
  "data": {
    "task_id": "RM_6837531fd3f54550927b930180a706bf",
    "cmd_jobs": [
      { "instance_id": "a44uhlf7", "job_id": "1564567b8bab40f34711234cb80d0123" },
      { "instance_id": "efjy72gs", "job_id": "1564567b8bab40f34711234cb80d0456" }
    ]
  },
  "error_code": "0",
  "error_msg": "ok"
}`,
  taskResponse: `{
  "data": {
    "jobs": [
      { "job_id": "1564567b8bab40f34711234cb80d0123", "status": 2,
        "error_code": "", "error_msg": "", "execute_msg": "" }
    ]
  },
  "error_code": "0",
  "error_msg": "ok"
}`,
  // The reference describes these two in prose only; these bodies follow its field list.
  listResponse: `{
  "data": {
    "result": [
      { "instance_id": "a44uhlf7", "instance_name": "phone-001", "region": "cn-north-4",
        "instance_sku": "kp.phone.std.2c4g", "frozen_status": 0 }
    ],
    "page_no": 1, "page_size": 100, "total_count": 1
  },
  "error_code": "0", "error_msg": "ok"
}`,
  statusResponse: `{ "data": { "status_results": [ { "instance_id": "a44uhlf7", "status": 2 } ] },
  "error_code": "0", "error_msg": "ok" }`,
  throttled: `{ "error_code": "APIGW.0308",
  "error_msg": "The throttling threshold has been reached: policy user over ratelimit,limit:XX,time:1 second" }`,
};

void describe('documented bodies parse', () => {
  void it('batch reset request and response', () => {
    assert.deepEqual(batchResetRequestSchema.parse(JSON.parse(documented.batchResetRequest)).instance_ids, [
      'a44uhlf7',
      'efjy72gs',
    ]);
    const response = batchResetResponseSchema.parse(JSON.parse(documented.batchResetResponse));
    assert.equal(response.data.task_id, 'RM_6837531fd3f54550927b930180a706bf');
    assert.equal(response.data.cmd_jobs[1]?.job_id, '1564567b8bab40f34711234cb80d0456');
  });

  void it('task query response', () => {
    const response = taskQueryResponseSchema.parse(JSON.parse(documented.taskResponse));
    assert.equal(response.data.jobs[0]?.status, 2);
    assert.equal(response.data.jobs[0]?.execute_msg, '');
  });

  void it('instance list query and response', () => {
    const query = instanceListQuerySchema.parse({
      page_no: '1',
      page_size: '100',
      query_start_time: '2023-08-15 14:30:45',
      pool_scene_tag: 'CLOUD_PHONE',
    });
    assert.equal(query.page_size, 100);
    assert.equal(instanceListResponseSchema.parse(JSON.parse(documented.listResponse)).data.total_count, 1);
  });

  void it('status query request and response', () => {
    statusQueryRequestSchema.parse({ instance_ids: ['a44uhlf7'] });
    assert.equal(
      statusQueryResponseSchema.parse(JSON.parse(documented.statusResponse)).data.status_results[0]?.status,
      2,
    );
  });

  void it('the error envelope, including a gateway error', () => {
    const envelope = errorEnvelopeSchema.parse(JSON.parse(documented.throttled));
    assert.equal(envelope.error_code, 'APIGW.0308');
  });

  void it('IAM token body with microsecond expires_at', () => {
    const body = iamTokenResponseSchema.parse({
      token: { expires_at: '2020-01-04T09:05:22.701000Z', methods: ['password'] },
    });
    assert.equal(body.token.expires_at, '2020-01-04T09:05:22.701000Z');
  });

  void it('failed jobs keep their own error code and message; null texts become empty strings', () => {
    const response = taskQueryResponseSchema.parse({
      error_code: '0',
      error_msg: 'ok',
      data: {
        jobs: [
          {
            job_id: 'j1',
            status: -1,
            error_code: 'CPS0005',
            error_msg: 'Phone not found.',
            execute_msg: null,
          },
        ],
      },
    });
    assert.deepEqual(response.data.jobs[0], {
      job_id: 'j1',
      status: -1,
      error_code: 'CPS0005',
      error_msg: 'Phone not found.',
      execute_msg: '',
    });
  });
});

void describe('bodies that break the contract fail at the named field', () => {
  const cases: [string, () => unknown, string][] = [
    [
      'an undocumented job status',
      () =>
        taskQueryResponseSchema.safeParse({
          error_code: '0',
          error_msg: 'ok',
          data: { jobs: [{ job_id: 'j', status: 3 }] },
        }),
      'data.jobs[0].status',
    ],
    [
      'a missing task_id',
      () => batchResetResponseSchema.safeParse({ error_code: '0', error_msg: 'ok', data: { cmd_jobs: [] } }),
      'data.task_id',
    ],
    [
      'a string total_count',
      () =>
        instanceListResponseSchema.safeParse({
          error_code: '0',
          error_msg: 'ok',
          data: { result: [], page_no: 1, page_size: 1, total_count: '9' },
        }),
      'data.total_count',
    ],
    [
      '101 ids',
      () =>
        batchResetRequestSchema.safeParse({ instance_ids: Array.from({ length: 101 }, (_, i) => `id${i}`) }),
      'instance_ids',
    ],
    [
      '33 ids for status',
      () =>
        statusQueryRequestSchema.safeParse({ instance_ids: Array.from({ length: 33 }, (_, i) => `id${i}`) }),
      'instance_ids',
    ],
    ['page_size 1001', () => instanceListQuerySchema.safeParse({ page_no: 1, page_size: 1001 }), 'page_size'],
  ];
  for (const [name, run, path] of cases) {
    void it(name, () => {
      const result = run() as { success: boolean; error?: { issues: Parameters<typeof formatIssues>[0] } };
      assert.equal(result.success, false);
      assert.ok(
        formatIssues(result.error?.issues ?? []).startsWith(`${path}:`),
        formatIssues(result.error?.issues ?? []),
      );
    });
  }
});
