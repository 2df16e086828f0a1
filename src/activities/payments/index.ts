// The payment service as the worker and the checks take it: its activities and its books.
import type { TripService } from '../shared/service.ts';
import { createPaymentService } from './activities.ts';
import { paymentBooks } from './books.ts';

export const payments = {
  name: 'payments' as const,
  activities: ({ db, now }) => createPaymentService(db, now),
  books: paymentBooks,
} satisfies TripService;
