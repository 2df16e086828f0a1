// What the services' seed data share (each service's seed.ts): how far ahead it reaches, and the
// transaction budget of a one-off batch.

/** Days from today that the seed data covers. */
export const SEED_DAYS = 60;

/** A one-off batch of a few hundred rows: on a loaded machine it may outlast Prisma's default 5 s. */
export const SEED_TRANSACTION = { maxWait: 30_000, timeout: 60_000 };
