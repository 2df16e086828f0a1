// GET /healthz: whether Temporal and the database answer, within 2 s.
import { z } from 'zod';

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.object({ temporal: z.string(), database: z.string() }),
    faultInjection: z.boolean(),
    temporalUiUrl: z.string(),
  })
  .meta({ id: 'Health' });
