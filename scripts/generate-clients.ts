// npm run db:generate (and postinstall): a Prisma client for each database, from each
// prisma/<database>/schema.prisma into src/generated/<database>/. Needs no database.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const schemas = readdirSync(join(ROOT, 'prisma'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, 'prisma', entry.name, 'schema.prisma')))
  .map((entry) => join('prisma', entry.name, 'schema.prisma'))
  .sort();
if (schemas.length === 0) throw new Error('no prisma/<database>/schema.prisma to generate');
for (const schema of schemas) {
  try {
    execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schema], { cwd: ROOT, stdio: 'inherit' });
  } catch {
    // prisma has said why.
    process.exit(1);
  }
}
