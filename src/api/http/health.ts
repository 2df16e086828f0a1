// GET /healthz: whether Temporal and the database answer, within 2 s (200, or 503 with the one
// that does not), and what the page needs to know of the configuration.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import type { BookingDb } from '../../db/booking-db.ts';
import { json } from './openapi-parts.ts';
import type { Route } from './route.ts';

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.object({ temporal: z.string(), database: z.string() }),
    faultInjection: z.boolean(),
    temporalUiUrl: z.string(),
  })
  .meta({ id: 'Health' });

export interface HealthRouteDeps {
  client: Client;
  /** The booking service's database (the services' are theirs to check). */
  db: BookingDb;
  config: Pick<Config, 'faultInjection' | 'temporalUiUrl'>;
}

const CHECK_MS = 2_000;

export const healthRoutes: readonly Route<HealthRouteDeps>[] = [
  {
    method: 'get',
    path: '/healthz',
    operation: {
      operationId: 'getHealth',
      summary: 'Checks Temporal and the database',
      responses: { '200': json(healthSchema, 'Both answer.'), '503': json(healthSchema, 'One of them does not.') },
    },
    handlers: ({ client, db, config }) => [
      async (_req, res) => {
        const deadline = Date.now() + CHECK_MS;
        const [temporal, database] = await Promise.all([
          client
            .withDeadline(deadline, () => client.workflowService.getSystemInfo({}))
            .then(() => 'ok')
            .catch((e: Error) => `unreachable: ${e.message.split('\n')[0]}`),
          db.$queryRaw`SELECT 1`.then(() => 'ok').catch((e: Error) => `unreachable: ${e.message.split('\n').at(-1)}`),
        ]);
        const ok = temporal === 'ok' && database === 'ok';
        res.status(ok ? 200 : 503).json({
          status: ok ? 'ok' : 'degraded',
          checks: { temporal, database },
          faultInjection: config.faultInjection,
          temporalUiUrl: config.temporalUiUrl,
        } satisfies z.infer<typeof healthSchema>);
      },
    ],
  },
];
