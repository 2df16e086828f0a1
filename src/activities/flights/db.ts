// The flight service's own client, over its own database (FLIGHTS_DATABASE_URL): flights and their seat reservations.
// Only this service's code uses it.
import { PrismaClient, type Prisma } from '../../generated/flights/client.ts';
import { pgAdapter, type DbOptions } from '../../db/client.ts';

export type FlightsDb = PrismaClient;
export type FlightsTx = Prisma.TransactionClient;

export function createFlightsDb(databaseUrl: string, options: DbOptions = {}): FlightsDb {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, options) });
}
