// The payment service: charge a tokenized card once per booking, refund it once.
import { STEP_TRANSACTION, retryOnUniqueViolation } from '../../db/client.ts';
import { isExpired } from './cards.ts';
import { businessFailure } from '../shared/failures.ts';
import type { StepInput, UndoResult } from '../shared/contract.ts';
import type { PaymentsDb } from './db.ts';
import type { ChargePaymentInput, PaymentResult } from './types.ts';

interface PaymentRow {
  id: string;
  status: 'CAPTURED' | 'REFUNDED' | 'VOIDED';
  amount_cents: number;
  currency: string;
}

export function createPaymentService(db: PaymentsDb, now: () => Date) {
  return {
    /** Charges the amount the workflow computed from the reserved prices; never twice per booking. */
    chargePayment: async (input: ChargePaymentInput): Promise<PaymentResult> => {
      const { bookingId, token, amountCents, currency } = input;
      if (!Number.isInteger(amountCents) || amountCents <= 0) {
        throw businessFailure('InvalidRequest', `cannot charge ${amountCents} cents`);
      }
      return retryOnUniqueViolation(() =>
        db.$transaction(async (tx) => {
          const [existing] = await tx.$queryRaw<PaymentRow[]>`
            SELECT id, status::text AS status, amount_cents, currency FROM payments
            WHERE booking_id = ${bookingId} FOR UPDATE`;
          if (existing?.status === 'CAPTURED') {
            return { paymentId: existing.id, amountCents: existing.amount_cents, currency: existing.currency };
          }
          if (existing) {
            throw businessFailure(
              'AlreadyCompensated',
              `booking ${bookingId} was already refunded (${existing.status}); nothing was charged`,
            );
          }
          const method = await tx.paymentMethod.findUnique({ where: { token } });
          if (!method) throw businessFailure('PaymentMethodNotFound', `no payment method ${token}`);
          const expiry = `${String(method.expMonth).padStart(2, '0')}/${String(method.expYear % 100).padStart(2, '0')}`;
          if (isExpired(method.expMonth, method.expYear, now())) {
            throw businessFailure('CardExpired', `card ending ${method.last4} expired ${expiry}`);
          }
          if (method.declineCode) {
            throw businessFailure('CardDeclined', `card ending ${method.last4} was declined (${method.declineCode})`);
          }
          const payment = await tx.payment.create({
            data: { bookingId, paymentMethodToken: token, amountCents, currency, status: 'CAPTURED' },
          });
          return { paymentId: payment.id, amountCents, currency };
        }, STEP_TRANSACTION),
      );
    },

    /** Refunds a booking's payment. A refund of a charge that never happened leaves a tombstone. */
    refundPayment: async (input: StepInput): Promise<UndoResult> => {
      const { bookingId } = input;
      return db.$transaction(async (tx) => {
        const inserted = await tx.$executeRaw`
          INSERT INTO payments (id, booking_id, status) VALUES (gen_random_uuid(), ${bookingId}, 'VOIDED')
          ON CONFLICT (booking_id) DO NOTHING`;
        if (inserted === 1) return { outcome: 'NOTHING_TO_UNDO' };
        const [row] = await tx.$queryRaw<PaymentRow[]>`
          SELECT id, status::text AS status, amount_cents, currency FROM payments
          WHERE booking_id = ${bookingId} FOR UPDATE`;
        if (!row || row.status === 'VOIDED') return { outcome: 'NOTHING_TO_UNDO' };
        if (row.status === 'CAPTURED') {
          await tx.$executeRaw`UPDATE payments SET status = 'REFUNDED', refunded_at = now() WHERE id = ${row.id}`;
        }
        return { outcome: 'UNDONE', reference: row.id };
      }, STEP_TRANSACTION);
    },
  };
}
