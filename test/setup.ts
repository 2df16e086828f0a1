// Per test file: the Temporal runtime logs only errors, so activity failures that a test injects
// on purpose do not flood the output; its metrics (the SDK's and the activities' own) are served
// for Prometheus on a port of the file's own, at TEST_METRICS_URL.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { freePort } from '../src/dev/postgres.ts';

const metricsPort = await freePort();
process.env.TEST_METRICS_URL = `http://127.0.0.1:${metricsPort}/metrics`;

Runtime.install({
  logger: new DefaultLogger(process.env.TEMPORAL_LOG_LEVEL === 'DEBUG' ? 'DEBUG' : 'ERROR'),
  telemetryOptions: {
    logging: { forward: {}, filter: { core: 'ERROR', other: 'ERROR' } },
    metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } },
  },
});
