import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../src/project-root';
import { longestFirst, planRun, QUIET_FILES } from '../../scripts/test-runner/plan';

describe("npm test's plan", () => {
  it('every file that must run alone exists (a moved file would otherwise run beside others unnoticed)', () => {
    const missing = [...QUIET_FILES.keys()].filter((f) => !existsSync(join(projectRoot, f)));
    assert.deepEqual(missing, []);
    for (const [file, why] of QUIET_FILES) assert.ok(why.length > 10, `${file} says why it runs alone`);
  });

  it('longest first by the last durations; files never timed (new, or a new machine) before all', () => {
    const order = longestFirst(['a.test.ts', 'b.test.ts', 'c.test.ts', 'd.test.ts', 'e.test.ts'], {
      'a.test.ts': 1000,
      'b.test.ts': 90_000,
      'd.test.ts': 5000,
    });
    assert.deepEqual(order, ['c.test.ts', 'e.test.ts', 'b.test.ts', 'd.test.ts', 'a.test.ts']);
  });

  it('the quiet files run alone, in the order given; the rest side by side', () => {
    const quiet = [...QUIET_FILES.keys()];
    const plan = planRun(['x.test.ts', quiet[1]!, 'y.test.ts', quiet[0]!], {
      'x.test.ts': 1,
      'y.test.ts': 2,
    });
    assert.deepEqual(plan.alone, [quiet[1], quiet[0]]);
    assert.deepEqual(plan.sideBySide, ['y.test.ts', 'x.test.ts']);
  });
});
