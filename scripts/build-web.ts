// Builds the booking page's script: src/web/app.ts → src/web/public/app.js (+ .map), one ESM
// bundle for current browsers. `npm run build:web` (and postinstall); `-- --watch` rebuilds on change.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, context, type BuildOptions } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));

export const WEB_BUILD: BuildOptions = {
  absWorkingDir: root,
  entryPoints: ['src/web/app.ts'],
  outfile: 'src/web/public/app.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};

/**
 * Builds the page's script. Files are written only when they change, each through a rename, so a
 * server reading them (or a second build running at the same time) never sees half a file.
 * Returns the paths written.
 */
export async function buildWeb(): Promise<string[]> {
  const result = await build({ ...WEB_BUILD, write: false });
  const written: string[] = [];
  for (const file of result.outputFiles) {
    const current = await readFile(file.path).catch(() => undefined);
    if (current && Buffer.compare(current, file.contents) === 0) continue;
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
    written.push(file.path);
  }
  return written;
}

async function watch(): Promise<void> {
  const ctx = await context({ ...WEB_BUILD, logLevel: 'info' });
  await ctx.watch();
  console.log('build:web: watching src/web for changes (Ctrl-C stops)');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--watch')) {
    await watch();
  } else {
    const written = await buildWeb();
    console.log(
      written.length
        ? `build:web: wrote ${written.map((p) => p.slice(root.length)).join(', ')}`
        : 'build:web: up to date',
    );
  }
}
