// ESLint + typescript-eslint with type information: floating promises are errors everywhere; workflow
// code value-imports only the workflow sandbox (workflows run deterministic, without I/O), and the
// API, the database and the page never load activity code (only the worker runs activities).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** The folder of the workspace package a file belongs to (packages/<name>), and its declared dependencies. */
function packageOf(file) {
  const root =
    file.slice(0, file.indexOf(`${sep}packages${sep}`)) +
    `${sep}packages${sep}` +
    file.split(`${sep}packages${sep}`)[1].split(sep)[0];
  const manifest = JSON.parse(readFileSync(`${root}${sep}package.json`, 'utf8'));
  const declared = new Set([
    manifest.name,
    ...Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.devDependencies }),
  ]);
  return { root, declared };
}

/** A bare specifier's package: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageName = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

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
        if (!target.startsWith(root + sep))
          context.report({ node: node.source, messageId: 'outside', data: { source } });
      } else if (!nodeBuiltins.includes(source) && !declared.has(packageName(source))) {
        context.report({ node: node.source, messageId: 'undeclared', data: { source } });
      }
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

/** A matcher of repository paths (`src/a/b.ts`, always `/`) for globs with `*` and `**`, as in `files`. */
function globs(patterns) {
  const token = { '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*' };
  const regexes = patterns.map(
    (glob) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*\/|\*\*|\*/g, (t) => token[t])}$`),
  );
  return (path) => regexes.some((regex) => regex.test(path));
}

/**
 * The workflow sandbox: workflow code and what it may load. Deterministic, no I/O: the booking's
 * names and step table, pure helpers, and each service's contract and step row.
 */
const WORKFLOW_SANDBOX = [
  'src/workflows/**/*.ts',
  'src/booking/**/*.ts',
  'src/common/**/*.ts',
  'src/activities/*/step.ts',
  'src/activities/*/types.ts',
  'src/activities/shared/contract.ts',
  'src/activities/shared/step-options.ts',
];
/** The packages the workflow sandbox may load: the workflow SDK, the saga runner, which runs there, and Nexus service definitions. */
const WORKFLOW_SAFE_PACKAGES = ['@temporalio/workflow', '@temporalio/common', '@trip-saga/saga', 'nexus-rpc'];

/** What is not the worker: the API, the database's own code, the page. None of them loads activity code. */
const NOT_THE_WORKER = ['src/api/**/*.ts', 'src/db/**/*.ts', 'src/web/**/*.ts'];
const ACTIVITY_CODE = ['src/activities/**'];
/**
 * What of src/activities/ the API, the database and the page may load: a service's contract
 * (types, step row, schema, view), its own database's client (db.ts), and what the API serves of
 * a service on purpose, over that service's database: the inventory routers (routes.ts and their
 * schemas, inventory.ts), the card vault and the room-nights it reads.
 * The workflow sandbox's files are loadable too (what the workflow may load, anything may).
 */
const ACTIVITY_CONTRACTS = [
  'src/activities/*/types.ts',
  'src/activities/*/step.ts',
  'src/activities/*/schema.ts',
  'src/activities/*/view.ts',
  'src/activities/*/db.ts',
  'src/activities/*/routes.ts',
  'src/activities/*/inventory.ts',
  'src/activities/payments/cards.ts',
  'src/activities/payments/vault.ts',
  'src/activities/hotels/room-nights.ts',
  'src/activities/shared/request-fields.ts',
];

const REPO = import.meta.dirname;
const repoPath = (path) => relative(REPO, path).split(sep).join('/');

/** The file a relative or absolute specifier names, as the runtime or the bundler finds it; else the path it names. */
function resolveImport(file, specifier) {
  const target = resolve(dirname(file), specifier);
  const candidates = [target, target.replace(/\.js$/, '.ts'), `${target}.ts`, join(target, 'index.ts')];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile()) ?? target;
}

/**
 * Calls `check(sourceNode, specifier, kind)` for each import and re-export of a file: kind
 * `type` for `import type` and `export type` (erased everywhere), `inline-types` for a list of
 * inline `type` specifiers only (erased by the workflow bundler, kept by Node's type stripping),
 * `value` otherwise; a computed `import()` has no specifier.
 */
function importsOf(check) {
  const typesOnly = (specifiers, kind) => specifiers.length > 0 && specifiers.every((s) => s[kind] === 'type');
  const declaration = (node, kind) => {
    if (!node.source) return; // `export { x }` of a local
    if (node[kind] === 'type') return check(node.source, node.source.value, 'type');
    const specifiers = (node.specifiers ?? []).filter(
      (s) => s.type === 'ImportSpecifier' || s.type === 'ExportSpecifier',
    );
    check(
      node.source,
      node.source.value,
      specifiers.length === node.specifiers?.length && typesOnly(specifiers, kind) ? 'inline-types' : 'value',
    );
  };
  return {
    ImportDeclaration: (node) => declaration(node, 'importKind'),
    ExportNamedDeclaration: (node) => declaration(node, 'exportKind'),
    ExportAllDeclaration: (node) => declaration(node, 'exportKind'),
    ImportExpression: (node) =>
      check(node.source, node.source.type === 'Literal' ? node.source.value : undefined, 'value'),
    TSImportEqualsDeclaration: (node) => {
      if (node.moduleReference.type !== 'TSExternalModuleReference') return;
      check(
        node.moduleReference.expression,
        node.moduleReference.expression.value,
        node.importKind === 'type' ? 'type' : 'value',
      );
    },
  };
}

const isOurs = (specifier) => specifier.startsWith('.') || specifier.startsWith('/');
const inSandbox = globs(WORKFLOW_SANDBOX);

/**
 * Workflow code runs in the workflow sandbox and is bundled with all it value-imports: each such
 * import of our files must resolve into the sandbox, each of a package must be workflow-safe, and
 * no Node builtin, even as a type. Type-only imports bundle nothing; but the API loads these files
 * too, under Node, which keeps an import of inline types only: of our files, that must be
 * `import type` (or resolve into the sandbox).
 */
const workflowSandbox = {
  meta: {
    type: 'problem',
    schema: [],
    messages: {
      builtin:
        "'{{source}}' is a Node builtin: workflow code runs in a deterministic sandbox without them. Do that work in an activity.",
      outside:
        "'{{source}}' is {{target}}, outside the workflow sandbox: workflow code value-imports only " +
        `${WORKFLOW_SANDBOX.join(', ')}. Use \`import type\` for its types, or call its code as an activity.`,
      package: `'{{source}}' is not a workflow-safe package: workflow code value-imports only ${WORKFLOW_SAFE_PACKAGES.join(', ')}. Use \`import type\` for its types, or call it from an activity.`,
      inlineTypes:
        "'{{source}}' is {{target}}, outside the workflow sandbox: Node keeps an import of inline types only, so the API would load it with this file. Write `import type { … }`.",
      computed: 'A computed import() cannot be checked against the workflow sandbox: import a literal path.',
    },
  },
  create(context) {
    return importsOf((node, source, kind) => {
      if (typeof source !== 'string') return context.report({ node, messageId: 'computed' });
      if (nodeBuiltins.includes(source)) return context.report({ node, messageId: 'builtin', data: { source } });
      if (kind === 'type') return;
      if (!isOurs(source)) {
        if (kind === 'value' && !WORKFLOW_SAFE_PACKAGES.includes(packageName(source)))
          context.report({ node, messageId: 'package', data: { source } });
        return;
      }
      const target = repoPath(resolveImport(context.filename, source));
      if (!inSandbox(target))
        context.report({
          node,
          messageId: kind === 'inline-types' ? 'inlineTypes' : 'outside',
          data: { source, target },
        });
    });
  },
};

const inActivities = globs(ACTIVITY_CODE);
const loadableActivityFile = globs([...ACTIVITY_CONTRACTS, ...WORKFLOW_SANDBOX]);

/**
 * Only the worker runs activities: what else imports from src/activities/ loads a service's
 * contract, never activity code (its activities, its books, the worker's wiring of them). An
 * import of inline types only counts, Node's type stripping keeps it; `import type` does not.
 */
const notTheWorker = {
  meta: {
    type: 'problem',
    schema: [],
    messages: {
      activity:
        "'{{source}}' is {{target}}, activity code: only the worker loads it. Import what you need from a service's contract " +
        `(${ACTIVITY_CONTRACTS.join(', ')}), or use \`import type\` for its types.`,
      inlineTypes:
        "'{{source}}' is {{target}}, activity code: an import of inline types only still loads it under Node. Write `import type { … }`.",
      computed: 'A computed import() cannot be checked against the activity code: import a literal path.',
    },
  },
  create(context) {
    return importsOf((node, source, kind) => {
      if (typeof source !== 'string') return context.report({ node, messageId: 'computed' });
      if (kind === 'type' || !isOurs(source)) return;
      const target = repoPath(resolveImport(context.filename, source));
      if (inActivities(target) && !loadableActivityFile(target))
        context.report({
          node,
          messageId: kind === 'inline-types' ? 'inlineTypes' : 'activity',
          data: { source, target },
        });
    });
  },
};

const boundaries = { rules: { 'workflow-sandbox': workflowSandbox, 'not-the-worker': notTheWorker } };

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'src/generated/',
      'dist/',
      '.data/',
      'src/web/public/',
      'coverage/',
      'test/histories/builds/',
      'packages/*/dist/',
      'test/fixtures/car-rental/',
    ],
  }, // the fixture is checked where it lands: test/dev/add-a-step.test.ts
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
    // Workflow code and what it value-imports run in the workflow sandbox: deterministic, no I/O.
    files: WORKFLOW_SANDBOX,
    plugins: { boundaries },
    rules: {
      'boundaries/workflow-sandbox': 'error',
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
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code runs in a sandbox: no Node builtins.' })),
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Data flows one way: API → client → workflow → activities → database. The contracts these
    // load are checked too, so nothing reaches activity code through them (those in the workflow
    // sandbox are, more strictly, by its rule).
    files: [...NOT_THE_WORKER, ...ACTIVITY_CONTRACTS],
    // The database's CLI (npm run db:migrate, db:seed) is a composition root, as the worker is: it
    // seeds each service's database with that service's own code (src/activities/databases.ts).
    ignores: [...WORKFLOW_SANDBOX, 'src/db/cli.ts'],
    plugins: { boundaries },
    rules: { 'boundaries/not-the-worker': 'error' },
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
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', exports: 'writable', module: 'writable' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
