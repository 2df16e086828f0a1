// The payment service's own client, over its own database (PAYMENTS_DATABASE_URL): the card vault and the payments.
// Only this service's code uses it.
import { PrismaClient, type Prisma } from '../../generated/payments/client.ts';
import { pgAdapter, type DbOptions } from '../../db/client.ts';

export type PaymentsDb = PrismaClient;
export type PaymentsTx = Prisma.TransactionClient;

export function createPaymentsDb(databaseUrl: string, options: DbOptions = {}): PaymentsDb {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, options) });
}
