// The API's own description: GET /openapi.json, and Swagger UI on it at /docs (its page and
// script from docs/, its assets from swagger-ui-dist, all local: no CDN).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { openApiDocument, type DocumentOptions } from './openapi.ts';

const swaggerUiDir = (
  createRequire(import.meta.url)('swagger-ui-dist') as { getAbsoluteFSPath(): string }
).getAbsoluteFSPath();
const docsDir = fileURLToPath(new URL('./docs/', import.meta.url));

export function docsRoutes(options: DocumentOptions): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(options));
  });
  router.get('/docs', (_req, res) => {
    res.sendFile('index.html', { root: docsDir });
  });
  router.get('/docs/init.js', (_req, res) => {
    res.sendFile('init.js', { root: docsDir });
  });
  router.use('/docs/assets', express.static(swaggerUiDir, { index: false }));
  return router;
}
