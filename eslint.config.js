// Lint configuration. The rule that matters most here is the import boundary of the pure core:
// harness/core (planning, metrics, verdicts, rendering) must not do I/O, so it may not import node:*,
// process runners, the Kubernetes client's runtime, or the impure layers. Type-only imports are fine.
import tseslint from 'typescript-eslint';

const ioModules = [
  {
    group: ['node:*', 'fs', 'fs/*', 'path', 'child_process', 'os', 'net', 'http', 'https', 'process'],
    message: 'harness/core is pure: no I/O. Put this in harness/adapters and pass the result in.',
  },
  {
    group: ['execa', 'commander'],
    message: 'harness/core is pure: processes and CLI parsing belong to adapters and cli.',
  },
  {
    group: ['**/adapters/**', '**/runtime/**', '**/cli/**'],
    message: 'dependencies point inward: harness/core may not import adapters, runtime or cli.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/out/**', 'services/**', 'clusters/**', 'scenarios/k6/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['harness/core/**/*.ts'],
    ignores: ['harness/core/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: ioModules.map((p) => ({ ...p, allowTypeImports: false })),
          paths: [
            {
              name: '@kubernetes/client-node',
              message: 'harness/core may use the client models as types only (import type).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
