// npm run build:workflows [-- <path>]: bundles the workflow code once (default
// dist/workflow-bundle.js), for WORKFLOW_BUNDLE_PATH. Build it with the environment the worker
// will run with: payload encryption and tracing each add a module to the bundle.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ENCRYPTED_FAILURES_CONVERTER_PATH, payloadCodecFor } from '../src/codec.ts';
import { loadConfig } from '../src/config.ts';
import { TRACING_WORKFLOW_MODULES } from '../src/telemetry.ts';
import { WORKFLOWS_PATH } from '../src/temporal.ts';

const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const config = loadConfig();
const { code } = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  ...(payloadCodecFor(config) ? { failureConverterPath: ENCRYPTED_FAILURES_CONVERTER_PATH } : {}),
  ...(config.otlpEndpoint ? { workflowInterceptorModules: TRACING_WORKFLOW_MODULES } : {}),
});
await mkdir(dirname(out), { recursive: true });
await writeFile(out, code);
console.log(`wrote ${out} (${Math.round(code.length / 1024)} kB); run the worker with WORKFLOW_BUNDLE_PATH=${out}`);
