// The hotel service's own client, over its own database (HOTELS_DATABASE_URL): hotels, their nights and their stays.
// Only this service's code uses it.
import { PrismaClient, type Prisma } from '../../generated/hotels/client.ts';
import { pgAdapter, type DbOptions } from '../../db/client.ts';

export type HotelsDb = PrismaClient;
export type HotelsTx = Prisma.TransactionClient;

export function createHotelsDb(databaseUrl: string, options: DbOptions = {}): HotelsDb {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, options) });
}
