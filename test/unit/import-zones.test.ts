import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { projectRoot } from '../../src/project-root';

// The layers of docs/architecture.md are lint rules (eslint.config.mjs); this proves each forbidden
// direction still fails `npm run lint`. Each fixture under fixtures/import-zones/src/ is linted with
// the project's own config as if it stood at the same place in src/ (a fixture in …/src/workflows/
// is workflow code). `npm run lint` and `tsc` leave the fixtures alone: their imports are relative
// to where they are linted, not to where they are kept.

const FIXTURES = join(projectRoot, 'test', 'unit', 'fixtures', 'import-zones');

const ZONE = 'import-x/no-restricted-paths';
const TYPE_ONLY = '@typescript-eslint/no-restricted-imports';
const PACKAGES = 'no-restricted-imports';

/** Each fixture (its place in src/) and the rules its one import must trip; none for the allowed. */
const EXPECTED: Record<string, readonly string[]> = {
  'src/campaign/imports-workflows.ts': [ZONE],
  'src/campaign/imports-store.ts': [ZONE],
  'src/campaign/imports-koophone-client.ts': [ZONE],
  'src/campaign/imports-temporal.ts': [PACKAGES],
  'src/campaign/imports-node.ts': [PACKAGES],
  'src/campaign/allowed.ts': [],
  'src/workflows/imports-activity-code.ts': [ZONE, TYPE_ONLY],
  'src/workflows/imports-activities-as-values.ts': [TYPE_ONLY],
  'src/workflows/imports-koophone.ts': [ZONE],
  'src/workflows/imports-store.ts': [ZONE],
  'src/workflows/imports-node.ts': [PACKAGES],
  'src/workflows/allowed.ts': [],
  'src/activities/imports-workflow-code.ts': [ZONE],
  'src/activities/imports-cli.ts': [ZONE],
  'src/activities/allowed.ts': [],
  'src/cli/imports-workflow-code.ts': [ZONE, TYPE_ONLY],
  'src/cli/imports-workflow-function.ts': [TYPE_ONLY],
  'src/cli/imports-activities.ts': [ZONE],
  'src/cli/allowed.ts': [],
  'src/account/imports-workflow-code.ts': [ZONE, TYPE_ONLY],
  'src/account/imports-workflow-function.ts': [ZONE],
  'src/account/imports-activities.ts': [ZONE],
  'src/account/imports-store.ts': [ZONE],
  'src/koophone/imports-campaign.ts': [ZONE],
  'src/koophone/imports-temporal.ts': [PACKAGES],
  'src/report/imports-activities.ts': [ZONE],
  'src/report/imports-koophone-client.ts': [ZONE],
  'src/report/imports-temporal.ts': [PACKAGES],
  'src/report/allowed.ts': [],
  'src/sources/imports-store.ts': [ZONE],
  'src/leases/imports-activities.ts': [ZONE],
  'src/simulator/imports-campaign.ts': [ZONE],
};

function fixtureFiles(dir = FIXTURES): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? fixtureFiles(join(dir, e.name)) : [relative(FIXTURES, join(dir, e.name))],
  );
}

// The project's config, without type information: a fixture's path in src/ is in no TypeScript
// program (the file is not there), and no zone rule needs types. The one rule that does is off.
const eslint = new ESLint({
  cwd: projectRoot,
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
});

async function lint(fixture: string): Promise<ESLint.LintResult> {
  const [result] = await eslint.lintText(readFileSync(join(FIXTURES, fixture), 'utf8'), {
    filePath: join(projectRoot, fixture),
  });
  assert.ok(result, fixture);
  return result;
}

describe('import zones (docs/architecture.md)', () => {
  it('has an expectation for every fixture and a fixture for every expectation', () => {
    assert.deepEqual(fixtureFiles().sort(), Object.keys(EXPECTED).sort());
  });

  for (const [fixture, rules] of Object.entries(EXPECTED)) {
    const name =
      rules.length === 0 ? `${fixture}: allowed, nothing fires` : `${fixture}: ${rules.join(' and ')}`;
    it(name, async () => {
      const result = await lint(fixture);
      const fired = result.messages.map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
      // Only the expected rules, each on the fixture's import: a fixture that fails for another
      // reason (a parse error, an unused name) proves nothing about the zones.
      assert.deepEqual(
        [...new Set(result.messages.map((m) => m.ruleId))].sort(),
        [...rules].sort(),
        fired.join('\n'),
      );
      for (const m of result.messages) {
        assert.equal(m.severity, 2, fired.join('\n'));
        assert.match(m.message, /docs\/architecture\.md|Node built-ins/, fired.join('\n'));
      }
    });
  }

  it('names only folders and files that exist in every zone', async () => {
    // A zone whose target, from or exception names nothing (a folder renamed) would silently let
    // imports through, or forbid them all.
    const config = (await eslint.calculateConfigForFile(
      join(projectRoot, 'src', 'workflows', 'index.ts'),
    )) as {
      rules: Record<
        string,
        [unknown, { zones: { target: string | string[]; from: string | string[]; except?: string[] }[] }]
      >;
    };
    const zones = config.rules[ZONE]![1].zones;
    assert.ok(zones.length > 0);
    for (const zone of zones) {
      const from = [zone.from].flat();
      const paths = [
        ...[zone.target].flat(),
        ...from,
        ...from.flatMap((f) => (zone.except ?? []).map((e) => join(f, e))),
      ];
      for (const path of paths)
        assert.ok(existsSync(join(projectRoot, path)), `${path} (zone on ${String(zone.target)})`);
    }
  });
});
