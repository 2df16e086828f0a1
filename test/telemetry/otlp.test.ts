// OTEL_EXPORTER_OTLP_ENDPOINT: spans go over OTLP/HTTP to <endpoint>/v1/traces; unset, tracing is off.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { tracingFromConfig } from '../../src/temporal/telemetry.ts';

let server: Server;
const received: { url: string; contentType: string; bytes: number }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      received.push({ url: req.url ?? '', contentType: req.headers['content-type'] ?? '', bytes });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

test('unset: no tracing', () => {
  expect(tracingFromConfig(loadConfig({ NODE_ENV: 'test' }), 'trip-test')).toBeUndefined();
});

test('set: a span reaches <endpoint>/v1/traces', async () => {
  const { port } = server.address() as { port: number };
  const config = loadConfig({ NODE_ENV: 'test', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/` });
  const tracing = tracingFromConfig(config, 'trip-test');
  expect(tracing).toBeDefined();
  tracing!.tracer.startSpan('hello').end();
  await tracing!.shutdown(); // flushes the batch
  expect(received).toHaveLength(1);
  expect(received[0]).toMatchObject({ url: '/v1/traces' });
  expect(received[0]!.bytes).toBeGreaterThan(0);
});

test('METRICS_PORT and PROMETHEUS_BIND_ADDRESS: typed, one of them', () => {
  expect(loadConfig({ NODE_ENV: 'test' }).prometheusBindAddress).toBeUndefined();
  expect(loadConfig({ NODE_ENV: 'test', METRICS_PORT: '9464' }).prometheusBindAddress).toBe('0.0.0.0:9464');
  expect(loadConfig({ NODE_ENV: 'test', PROMETHEUS_BIND_ADDRESS: '127.0.0.1:9464' }).prometheusBindAddress).toBe(
    '127.0.0.1:9464',
  );
  expect(() => loadConfig({ NODE_ENV: 'test', METRICS_PORT: 'abc' })).toThrow(/METRICS_PORT/);
  expect(() => loadConfig({ NODE_ENV: 'test', PROMETHEUS_BIND_ADDRESS: '9464' })).toThrow(/PROMETHEUS_BIND_ADDRESS/);
  expect(() =>
    loadConfig({ NODE_ENV: 'test', METRICS_PORT: '9464', PROMETHEUS_BIND_ADDRESS: '127.0.0.1:9464' }),
  ).toThrow(/set one/);
});
