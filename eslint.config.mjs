// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';

/** Node's built-in modules, with and without the `node:` prefix, each with `message`. */
function builtinPaths(message) {
  return [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({ name, message }));
}

/** The KooPhone API's pure vocabulary (no imports of their own): the domain may read it, nothing else of the client. */
const KOOPHONE_VOCABULARY = [
  './koophone/codes.ts',
  './koophone/models.ts',
  './koophone/account.ts',
  './koophone/limits.ts',
];
/**
 * What clients (the CLI, src/account) may import of src/workflows: the message types, and two
 * workflow functions as types for client.workflow.start (the type-only rule below). The account
 * coordinator's clients use AccountCoordinatorWorkflow instead: its function's types reach the
 * activities, which call src/account, a cycle.
 */
const WORKFLOW_API = [
  './definitions.ts',
  './account-definitions.ts',
  './reset-campaign.ts',
  './check-connectivity.ts',
];
const see = (why) => `${why} (docs/architecture.md)`;

/** docs/architecture.md's picture as import-x/no-restricted-paths zones: `target` must not import `from`, but `except`. */
const ZONES = [
  {
    target: './src/campaign',
    from: './src',
    except: ['./campaign', ...KOOPHONE_VOCABULARY],
    message: see('The campaign domain imports only itself and the KooPhone API vocabulary'),
  },
  {
    target: './src/workflows',
    from: './src',
    except: ['./workflows', './campaign', './activities/index.ts', './temporal/search-attributes.ts'],
    message: see(
      'Workflow code imports the campaign domain only (activities as types, the search attribute keys)',
    ),
  },
  {
    target: './src/activities',
    from: './src/workflows',
    except: ['./definitions.ts', './account-definitions.ts'],
    message: see('Activities know workflows only by their message types'),
  },
  {
    target: './src/activities',
    from: ['./src/cli', './src/simulator', './src/worker.ts', './src/account-worker.ts'],
    message: see('Activities do not import the CLI, the simulator or the hosts'),
  },
  {
    target: ['./src/cli', './src/account'],
    from: './src/workflows',
    except: WORKFLOW_API,
    message: see('Clients reach workflows through the Temporal client and the message types'),
  },
  {
    target: ['./src/cli', './src/account'],
    from: './src/activities',
    message: see('Clients do not run activity code'),
  },
  {
    target: './src/account',
    from: './src',
    except: ['./account', './campaign', './workflows'],
    message: see('The coordinator seen from outside stands on the domain and the message types only'),
  },
  {
    target: './src/koophone',
    from: './src',
    except: ['./koophone'],
    message: see('The KooPhone client stands alone'),
  },
  {
    target: './src/report',
    from: './src',
    except: ['./report', './campaign', ...KOOPHONE_VOCABULARY],
    message: see('The report store stands on the domain and the KooPhone vocabulary only'),
  },
  {
    target: './src/sources',
    from: './src',
    except: ['./sources', './campaign', './koophone'],
    message: see('The id sources stand on the domain and the KooPhone client only'),
  },
  {
    target: './src/leases',
    from: './src',
    except: ['./leases', './campaign', './report'],
    message: see('Leases stand on the domain and the store only'),
  },
  {
    target: './src/simulator',
    from: './src',
    except: ['./simulator', './koophone'],
    message: see('The simulator knows the KooPhone API, nothing of the product'),
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.temporal/**',
      '.data/**',
      'reports/**',
      'test-output/**',
      'bench/results/**',
      // Linted by test/unit/import-zones.test.ts as if they stood in src/: wrong on purpose.
      'test/unit/fixtures/**',
    ],
  },
  js.configs.recommended,
  { files: ['**/*.mjs'], languageOptions: { globals: { console: 'readonly', process: 'readonly' } } },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'import-x/no-cycle': 'error',
    },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinPaths('Workflow code must not import Node built-ins; use @temporalio/workflow APIs.'),
        },
      ],
    },
  },
  {
    // The domain is pure: no Node built-ins, no Temporal, so workflows, activities and the CLI can share it.
    files: ['src/campaign/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinPaths('The campaign domain is pure (docs/architecture.md): no Node built-ins.'),
          patterns: [
            {
              group: ['@temporalio/*'],
              message: 'The campaign domain is pure (docs/architecture.md): no Temporal.',
            },
          ],
        },
      ],
    },
  },
  {
    // The KooPhone client, the report store and the id sources work without Temporal.
    files: ['src/koophone/**/*.ts', 'src/report/**/*.ts', 'src/sources/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@temporalio/*'],
              message:
                'The KooPhone client, the store and the id sources are independent of Temporal (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    // Type-only edges of docs/architecture.md: workflow code knows activities by their types
    // (proxyActivities), clients know workflow functions by theirs (client.workflow.start).
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message: 'Workflow code imports activities with `import type` only (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'src/account/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // A path pattern, not gitignore globs: a folder's exclusion could not be undone for two files in it.
              regex: '/workflows(/(?!(account-)?definitions$).*)?$',
              allowTypeImports: true,
              message:
                "Clients use the workflows' message types (definitions, account-definitions) and import workflow functions with `import type` only (docs/architecture.md).",
            },
          ],
        },
      ],
    },
  },
  {
    // The layers of docs/architecture.md: each zone is a folder and what it must not import.
    files: ['src/**/*.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: ZONES }] },
  },
);
