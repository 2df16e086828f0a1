import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '../generated/prisma/client.ts';

export type Db = PrismaClient;
export { Prisma };

export interface DbOptions {
  /** Pool size of the pg driver (default 10). */
  max?: number;
}

/** A Prisma client over the pg driver adapter: no native query engine. */
export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.max ?? 10 });
  return new PrismaClient({ adapter });
}

/**
 * A step's transaction (a reserve, a cancel, a charge, a refund) may wait for a pooled connection,
 * and run, for about as long as the step's attempt may (a 5 s start-to-close timeout,
 * src/activities/shared/step-options.ts), instead of Prisma's defaults of 2 s and 5 s: a busy pool
 * then fails an attempt only when the attempt would have timed out anyway.
 */
export const STEP_TRANSACTION = { maxWait: 4_000, timeout: 5_000 } as const;

/** True for Prisma's unique-constraint violation (P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/**
 * PostgreSQL's SQLSTATE of a failed statement (e.g. 22021 for a NUL in a text), as the pg driver
 * adapter reports it; undefined for any other error.
 */
export function sqlStateOf(error: unknown): string | undefined {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  const cause = (
    error.meta as { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } } | undefined
  )?.driverAdapterError?.cause;
  const code = cause?.originalCode ?? cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Runs `fn` again when it lost a race on a unique index: two concurrent calls with one
 * idempotency key both insert, one wins, and the loser's retry finds the winner's row.
 */
export async function retryOnUniqueViolation<T>(fn: () => Promise<T>, retries = 2): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await fn();
    } catch (error) {
      if (round >= retries || !isUniqueViolation(error)) throw error;
    }
  }
}
