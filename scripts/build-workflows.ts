// npm run build:workflows [-- <path>]: bundles the workflow code once (default
// dist/workflow-bundle.js), for WORKFLOW_BUNDLE_PATH. One bundle for every runtime config: it
// carries the tracing interceptors and the data converter's modules, which decide at run time
// (WORKFLOW_BUNDLE_OPTIONS in src/temporal.ts), so the image builds it without any secrets or
// environment.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_OPTIONS } from '../src/temporal.ts';

const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const { code } = await bundleWorkflowCode(WORKFLOW_BUNDLE_OPTIONS);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, code);
console.log(`wrote ${out} (${Math.round(code.length / 1024)} kB); run the worker with WORKFLOW_BUNDLE_PATH=${out}`);
