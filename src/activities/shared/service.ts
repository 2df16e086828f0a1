// What a service brings to the worker and to the checks: its database (its name, and how its own
// client connects), its activities, built from their dependencies, its books (what it holds for each
// booking, and its own invariants), and the data it is seeded with.
import type { DbOptions, SqlClient, TransactionalDb } from '../../db/client.ts';
import type { ServiceDatabaseName } from '../../db/databases.ts';

export interface ServiceDeps<D> {
  /** The service's own client, over its own database. */
  db: D;
  /** The clock (a card's expiry). */
  now: () => Date;
}

/** A service's activities: each takes one object with the booking's ID and answers one. */
export type ServiceActivities = Record<string, (input: never) => Promise<object>>;

/** What reads a service's books: its client, or a transaction of it (one snapshot for every read). */
export type BooksReader = Pick<SqlClient, '$queryRaw'>;

/** What a service's books say, read from its own tables. */
export interface ServiceBooks {
  /** Violations of the service's own invariants (its counters, nothing sold twice): one line each. */
  violations(db: BooksReader): Promise<string[]>;
  /**
   * The bookings it holds something for now (a RESERVED reservation, a CAPTURED payment); a service
   * that never holds anything (a read-only check) has none, and a CONFIRMED booking needs nothing of it.
   */
  held?(db: BooksReader): Promise<Set<string>>;
  /**
   * Per booking, the amount its step stands for: a reservation's price (reserved or since
   * cancelled), or, for the service that charges, what it charged (unless voided).
   */
  amounts(db: BooksReader): Promise<Map<string, number>>;
  /** This service takes the money: its amount must be the sum of every other step's. */
  charges?: true;
}

/** A service's own database: its name (src/db/databases.ts) and how its client connects to it. */
export interface ServiceDatabase<N extends ServiceDatabaseName, D extends TransactionalDb> {
  name: N;
  connect: (databaseUrl: string, options?: DbOptions) => D;
}

export interface TripService<
  N extends ServiceDatabaseName = ServiceDatabaseName,
  D extends TransactionalDb = TransactionalDb,
  A extends ServiceActivities = ServiceActivities,
> {
  /** The service's name: its step's row names it (`service`), and its worker's task queue ends in it. */
  name: string;
  database: ServiceDatabase<N, D>;
  activities: (deps: ServiceDeps<D>) => A;
  books: ServiceBooks;
  /** Its demo and test data (npm run db:seed, the dev stack, the tests): idempotent; says what it added. */
  seed?: (db: D, today: Date) => Promise<string>;
}
