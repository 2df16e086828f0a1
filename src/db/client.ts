// What every service's Prisma client shares: the pg driver adapter it runs over (no native query
// engine), the transaction budget of a step, and how a failed statement is read. Each service has
// its own client over its own database (src/db/booking-db.ts, src/activities/<service>/db.ts);
// nothing here holds a connection.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClientKnownRequestError, raw, sqltag, type Sql } from '@prisma/client/runtime/client';

/** SQL fragments for $queryRaw and $executeRaw, the same for every client: `sql` composes, `raw` inserts as is. */
export { raw, sqltag as sql, type Sql };

export interface DbOptions {
  /** Pool size of the pg driver (default 10). */
  max?: number;
}

/** The pg driver adapter a client runs over. */
export function pgAdapter(databaseUrl: string, options: DbOptions = {}): PrismaPg {
  return new PrismaPg({ connectionString: databaseUrl, max: options.max ?? 10 });
}

/** What runs SQL: any client, or a transaction of one. */
export interface SqlClient {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Sql, ...values: unknown[]): PromiseLike<T>;
  $executeRaw(query: TemplateStringsArray | Sql, ...values: unknown[]): PromiseLike<number>;
}

export type IsolationLevel = 'ReadUncommitted' | 'ReadCommitted' | 'RepeatableRead' | 'Serializable';

/** A client that runs a function in one transaction, `Tx` being its transaction's client. */
export interface TransactionalDb<Tx extends SqlClient = SqlClient> {
  $transaction<R>(
    fn: (tx: Tx) => Promise<R>,
    options?: { maxWait?: number; timeout?: number; isolationLevel?: IsolationLevel },
  ): Promise<R>;
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
  return error instanceof PrismaClientKnownRequestError && error.code === 'P2002';
}

/** True for Prisma's "transaction could not start or ran out of time" (P2028). */
export function isTransactionTimeout(error: unknown): boolean {
  return error instanceof PrismaClientKnownRequestError && error.code === 'P2028';
}

/**
 * PostgreSQL's SQLSTATE of a failed statement (e.g. 22021 for a NUL in a text), as the pg driver
 * adapter reports it; undefined for any other error.
 */
export function sqlStateOf(error: unknown): string | undefined {
  if (!(error instanceof PrismaClientKnownRequestError)) return undefined;
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
