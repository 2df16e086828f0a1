// The payment service as the worker and the checks take it: its database, its activities and its
// books. It has no seed data: its cards come from the API's vault (vault.ts), as a customer gives them.
import type { TripService } from '../shared/service.ts';
import { createPaymentService } from './activities.ts';
import { paymentBooks } from './books.ts';
import { createPaymentsDb, type PaymentsDb } from './db.ts';

export const payments = {
  name: 'payments' as const,
  database: { name: 'payments', connect: createPaymentsDb },
  activities: ({ db, now }) => createPaymentService(db, now),
  books: paymentBooks,
} satisfies TripService<'payments', PaymentsDb>;
