// ESLint + typescript-eslint with type information: floating promises are errors everywhere, and
// workflow code may not import Node builtins (workflows run in a deterministic sandbox).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** The folder of the workspace package a file belongs to (packages/<name>), and its declared dependencies. */
function packageOf(file) {
  const root = file.slice(0, file.indexOf(`${sep}packages${sep}`)) + `${sep}packages${sep}` + file.split(`${sep}packages${sep}`)[1].split(sep)[0];
  const manifest = JSON.parse(readFileSync(`${root}${sep}package.json`, 'utf8'));
  const declared = new Set([manifest.name, ...Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.devDependencies })]);
  return { root, declared };
}

/** A bare specifier's package: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageName = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/**
 * A workspace package is published alone: none of its files may import a file outside its folder
 * (the app's src/ above all) or a package its package.json does not declare.
 */
const selfContainedPackage = {
  meta: {
    type: 'problem',
    schema: [],
    messages: {
      outside: "'{{source}}' is outside this package: a published package cannot reach it.",
      undeclared: "'{{source}}' is not among this package's dependencies.",
    },
  },
  create(context) {
    const file = context.filename;
    const { root, declared } = packageOf(file);
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string') return;
      if (source.startsWith('.') || source.startsWith('/')) {
        const target = resolve(dirname(file), source);
        if (!target.startsWith(root + sep)) context.report({ node: node.source, messageId: 'outside', data: { source } });
      } else if (!nodeBuiltins.includes(source) && !declared.has(packageName(source))) {
        context.report({ node: node.source, messageId: 'undeclared', data: { source } });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'src/generated/', 'dist/', '.data/', 'src/web/public/', 'coverage/', 'test/histories/builds/', 'packages/*/dist/', 'test/fixtures/car-rental/'] }, // the fixture is checked where it lands: test/dev/add-a-step.test.ts
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    // Workflow code and what it imports run in the workflow sandbox: deterministic, no I/O. That is
    // the booking's names and step table, pure helpers, and each service's contract and step row.
    files: [
      'src/workflows/**/*.ts',
      'src/booking/**/*.ts',
      'src/common/**/*.ts',
      'src/activities/*/step.ts',
      'src/activities/*/types.ts',
      'src/activities/shared/contract.ts',
      'src/activities/shared/step-options.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflow code runs in a sandbox: no Node builtins.' })),
            { name: 'pg', message: 'The workflow never touches the database: that is what activities are for.' },
          ],
          patterns: [
            {
              regex: '/activities/(?![a-z-]+/step\\.ts$|shared/step-options\\.ts$)',
              allowTypeImports: true,
              message: 'Workflows import activities as types only (a service\'s step row and the shared step options are plain data).',
            },
            { group: ['**/db/*', '@prisma/*'], message: 'The workflow never touches the database: that is what activities are for.' },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['packages/*/**/*.ts'],
    plugins: { workspace: { rules: { 'self-contained': selfContainedPackage } } },
    rules: { 'workspace/self-contained': 'error' },
  },
  {
    // The saga package's runner runs in the workflow sandbox, like the workflows that use it.
    files: ['packages/saga/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code runs in a sandbox: no Node builtins.' })) },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Data flows one way: API → client → workflow → activities → database.
    files: ['src/api/**/*.ts', 'src/db/**/*.ts', 'src/web/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities/index.ts', '**/activities/*/activities.ts', '**/activities/read-model.ts', '**/activities/reconcile.ts'],
              message: 'Only the worker runs activities; import a service\'s contract (types, step, schema, view), not its activities.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', exports: 'writable', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
