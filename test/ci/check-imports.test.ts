// The import check of `npm run lint` (scripts/check-imports.ts), on this checkout and on small
// trees that break its rules.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = new URL('../../scripts/check-imports.ts', import.meta.url).pathname;
const trees: string[] = [];

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'check-imports-'));
  trees.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

async function check(root?: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [SCRIPT, ...(root ? [root] : [])]);
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, out: failed.stderr };
  }
}

afterEach(async () => {
  await Promise.all(trees.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

describe('the import check', () => {
  it('passes on this checkout', async () => {
    const { code, out } = await check();
    expect(out).toContain('no cycle');
    expect(code).toBe(0);
  });

  it('finds a cycle made of type imports only', async () => {
    const root = await tree({
      'src/booking/a.ts': "import type { B } from './b.ts';\nexport type A = { b?: B };\n",
      'src/booking/b.ts': "import type { A } from '../booking/a.ts';\nexport type B = { a?: A };\n",
      'src/booking/c.ts': "import type { A } from './a.ts';\nexport type C = A;\n",
    });
    const { code, out } = await check(root);
    expect(code).toBe(1);
    expect(out).toContain('import cycle: src/booking/a.ts ↔ src/booking/b.ts');
    expect(out).not.toContain('c.ts');
  });

  it('names an import it cannot follow, which could hide a cycle', async () => {
    const root = await tree({
      'src/booking/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/booking/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
    });
    const { code, out } = await check(root);
    expect(code).toBe(1);
    expect(out).toContain('unresolved import: src/booking/a.ts → src/booking/b.js (no such source file)');
    expect(out).toContain('unresolved import: src/booking/b.ts → src/booking/a (no such source file)');
  });

  it('finds a service importing another, and lets both import shared/', async () => {
    const root = await tree({
      'src/activities/shared/contract.ts': 'export type StepInput = { bookingId: string };\n',
      'src/activities/cars/step.ts':
        "import type { StepInput } from '../shared/contract.ts';\nimport { hotelStep } from '../hotels/step.ts';\nexport const carStep = { hotelStep } as StepInput & object;\n",
      'src/activities/hotels/step.ts':
        "import type { StepInput } from '../shared/contract.ts';\nexport const hotelStep = {} as StepInput;\n",
    });
    const { code, out } = await check(root);
    expect(code).toBe(1);
    expect(out).toBe(
      'service cars imports service hotels: src/activities/cars/step.ts → src/activities/hotels/step.ts\n',
    );
  });
});
