// The booking service's own client, over its own database (DATABASE_URL): the read model and the
// API's idempotency keys. The workflow's read-model and reconciler activities and the API's booking
// routes use it; no service's table is in this database.
import { PrismaClient, type Prisma } from '../generated/booking/client.ts';
import { pgAdapter, type DbOptions } from './client.ts';

export type BookingDb = PrismaClient;
export type BookingTx = Prisma.TransactionClient;

export function createBookingDb(databaseUrl: string, options: DbOptions = {}): BookingDb {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, options) });
}
