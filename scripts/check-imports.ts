// npm run lint's import check: no import cycle among the files under src/ (type imports count: a
// cycle of types is still two files that cannot be read apart), and no service folder
// (src/activities/<service>/) importing another's (shared/ is theirs in common). Prints each cycle
// or crossing and exits 1.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** The checkout to check: this one, or the one named on the command line (the check's own test). */
const ROOT = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const SRC = join(ROOT, 'src');
const SKIP = [join(SRC, 'generated'), join(SRC, 'web', 'public')];
const SHARED_SERVICE_FOLDER = 'shared';

function sourceFiles(dir: string): string[] {
  if (SKIP.includes(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|cts|mts|cjs)$/.test(entry.name) ? [path] : [];
  });
}

/** The files under src/ that a file imports (relative specifiers only; packages are not ours). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec));
}

/** Tarjan's strongly connected components: every one with more than one file is a cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) !== order.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component);
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}

/** The service a file belongs to (src/activities/<service>/…), if any. */
function serviceOf(file: string): string | undefined {
  const [top, service, ...rest] = relative(SRC, file).split(/[\\/]/);
  return top === 'activities' && rest.length > 0 && service !== SHARED_SERVICE_FOLDER ? service : undefined;
}

const files = sourceFiles(SRC);
const known = new Set(files);
const imported = new Map(files.map((f) => [f, importsOf(f)]));
const graph = new Map([...imported].map(([f, targets]) => [f, targets.filter((t) => known.has(t))]));
const name = (f: string) => relative(ROOT, f);
const problems = [
  // An import the check cannot follow could hide a cycle: name the file exactly, with its extension.
  ...[...imported].flatMap(([from, targets]) =>
    targets
      .filter((to) => !known.has(to) && !SKIP.some((dir) => to.startsWith(dir + sep)))
      .map((to) => `unresolved import: ${name(from)} → ${name(to)} (no such source file)`),
  ),
  ...cycles(graph).map((c) => `import cycle: ${c.map(name).sort().join(' ↔ ')}`),
  ...[...graph].flatMap(([from, targets]) =>
    targets
      .filter((to) => serviceOf(from) && serviceOf(to) && serviceOf(from) !== serviceOf(to))
      .map((to) => `service ${serviceOf(from)} imports service ${serviceOf(to)}: ${name(from)} → ${name(to)}`),
  ),
];
for (const problem of problems) console.error(problem);
if (problems.length > 0) process.exit(1);
console.log(`imports: ${files.length} files under src/, no cycle, no service importing another`);
