import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseSimulatorFaults,
  parseSimulatorOptions,
  simulatorFlags,
  simulatorOptionsSchema,
} from '../../src/simulator';

/** What commander derives from a long flag name. */
const camel = (flag: string): string =>
  flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

void describe('simulator options', () => {
  void it('defaults match design.md', () => {
    const options = parseSimulatorOptions({});
    assert.equal(options.port, 8787);
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.instances, 10_000);
    assert.equal(options.seed, 1);
    assert.equal(options.token, 'sim-token');
    assert.equal(options.iamPassword, 'sim-password');
    assert.equal(options.iamUser, 'sim-user');
    assert.deepEqual(options.latencyMs, { min: 0, max: 0 });
    assert.deepEqual(options.jobDurationMs, { min: 1000, max: 5000 });
    assert.equal(options.recoveringDurationMs, 60_000);
    assert.equal(options.regions, 1);
    assert.equal(options.rateLimit, 0);
    assert.equal(options.dropRate, 0);
    // The real gateway sends no Retry-After and spells codes as it likes; both are opt-in here.
    assert.equal(options.retryAfter, false);
    assert.equal(options.mixedCaseCodes, false);
    assert.equal(options.bodyLimitBytes, 12 * 1024 * 1024);
  });

  void it('switches take a bare flag (true), on/off or true/false; other text is refused', () => {
    assert.equal(parseSimulatorOptions({ retryAfter: true }).retryAfter, true);
    assert.equal(parseSimulatorOptions({ retryAfter: 'on' }).retryAfter, true);
    assert.equal(parseSimulatorOptions({ mixedCaseCodes: 'off' }).mixedCaseCodes, false);
    assert.equal(parseSimulatorFaults({ mixedCaseCodes: 'true' }).mixedCaseCodes, true);
    assert.throws(() => parseSimulatorOptions({ retryAfter: 'sometimes' }), /--retry-after/);
  });

  void it('accepts CLI text: numbers, "MIN..MAX" and single-number ranges; ignores undefined', () => {
    const options = parseSimulatorOptions({
      port: '0',
      instances: '1000000',
      latencyMs: '5..20',
      jobDurationMs: '300',
      jobFailureRate: '0.25',
      rateLimit: '50',
      seed: undefined,
    });
    assert.equal(options.port, 0);
    assert.equal(options.instances, 1_000_000);
    assert.deepEqual(options.latencyMs, { min: 5, max: 20 });
    assert.deepEqual(options.jobDurationMs, { min: 300, max: 300 });
    assert.equal(options.jobFailureRate, 0.25);
    assert.equal(options.seed, 1);
  });

  const bad: [Record<string, unknown>, RegExp][] = [
    [{ jobFailureRate: '1.5' }, /--job-failure-rate: .*<=1 \(got "1.5"\)/],
    [{ dropRate: -0.1 }, /--drop-rate/],
    [{ latencyMs: '20..5' }, /--latency-ms: MIN must not exceed MAX/],
    [{ jobDurationMs: 'slow' }, /--job-duration-ms: expected "MIN..MAX" or a number/],
    [{ port: 'http' }, /--port/],
    [{ instances: 0 }, /--instances/],
    [{ regions: 9 }, /--regions/],
    [{ fault9999Rate: 'x' }, /--fault-9999-rate/],
    [{ http200ErrorRate: 2 }, /--http200-error-rate/],
    [{ bogus: 1 }, /unknown simulator option "bogus"/],
  ];
  for (const [raw, message] of bad) {
    void it(`refuses ${JSON.stringify(raw)} naming the option`, () => {
      assert.throws(() => parseSimulatorOptions(raw), message);
    });
  }

  void it('never echoes the token or IAM password in an error', () => {
    assert.throws(
      () => parseSimulatorOptions({ token: '' }),
      (error: Error) => !error.message.includes('got'),
    );
  });

  void it('has one flag per option, named as commander will camelCase it', () => {
    const keys = Object.keys(simulatorOptionsSchema.shape).sort();
    assert.deepEqual(simulatorFlags.map((f) => f.key).sort(), keys);
    for (const flag of simulatorFlags) {
      assert.equal(camel(flag.flag), flag.key, flag.flag);
      // `[on|off]`: a switch, which a bare flag turns on.
      assert.ok(flag.description.length > 0 && /^[<[]/.test(flag.placeholder));
    }
    const names = simulatorFlags.map((f) => f.flag);
    for (const documented of [
      '--port',
      '--instances',
      '--seed',
      '--token',
      '--iam-password',
      '--latency-ms',
      '--job-duration-ms',
      '--job-failure-rate',
      '--stuck-job-rate',
      '--frozen-rate',
      '--recovering-rate',
      '--rate-limit',
      '--fault-9999-rate',
      '--fault-5xx-rate',
      '--drop-rate',
      '--lost-response-rate',
      '--http200-error-rate',
      '--malformed-rate',
      '--retry-after',
      '--mixed-case-codes',
      '--body-limit-bytes',
      '--applied-bad-gateway-rate',
      '--applied-9999-rate',
      '--applied-9999-http200-rate',
      '--applied-truncated-rate',
      '--applied-missing-job-rate',
      '--foreign-job-rate',
      '--duplicate-job-rate',
    ]) {
      assert.ok(names.includes(documented), documented);
    }
  });

  void it('runtime faults: partial, validated, and fleet-shaping options refused with a hint', () => {
    assert.deepEqual(parseSimulatorFaults({ dropRate: '0.5' }), { dropRate: 0.5 });
    assert.throws(() => parseSimulatorFaults({ frozenRate: 0.1 }), /frozenRate can only be set at start/);
    assert.throws(() => parseSimulatorFaults({ malformedRate: 3 }), /--malformed-rate/);
  });
});
