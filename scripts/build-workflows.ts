// npm run build:workflows [-- <path>]: bundles the workflow code once (default
// dist/workflow-bundle.js), for WORKFLOW_BUNDLE_PATH. One bundle for every runtime config: it
// carries the tracing interceptors and the data converter's modules, which decide at run time
// (WORKFLOW_BUNDLE_OPTIONS in src/temporal/worker-factory.ts), so the image builds it without any secrets or
// environment.
//
// npm run build:workflows -- --archive <path>: the workflow code alone, minified, without a source
// map: what the replay tests replay a retired build's histories on (docs/replay.md).
// Archive the current build this way before a change ships as a new build.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH, WORKFLOW_BUNDLE_OPTIONS } from '../src/temporal/worker-factory.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { archive: { type: 'string' } } });
const out = resolve(values.archive ?? positionals[0] ?? 'dist/workflow-bundle.js');
const { code } = await bundleWorkflowCode(
  values.archive
    ? {
        workflowsPath: WORKFLOWS_PATH,
        webpackConfigHook: (config) => ({
          ...config,
          devtool: false,
          optimization: { ...config.optimization, minimize: true },
        }),
      }
    : WORKFLOW_BUNDLE_OPTIONS,
);
// The worker reads a bundle's inline source map; an archive's is empty (its stack traces name the bundle).
const EMPTY_SOURCE_MAP = `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify({ version: 3, sources: [], names: [], mappings: '' })).toString('base64')}`;
await mkdir(dirname(out), { recursive: true });
await writeFile(out, values.archive ? `${code}\n${EMPTY_SOURCE_MAP}\n` : code);
console.log(
  values.archive
    ? `wrote ${out} (${Math.round(code.length / 1024)} kB): this build's workflow code, for replaying its histories once it is retired`
    : `wrote ${out} (${Math.round(code.length / 1024)} kB); run the worker with WORKFLOW_BUNDLE_PATH=${out}`,
);
