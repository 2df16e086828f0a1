// The mechanics that flights and hotels share: reserve inventory and cancel it, each in one
// transaction, both keyed by booking ID (a unique column), with tombstones for undos that arrive
// before their step. Both lock the inventory first and the reservation row second, so a retried
// reserve racing its cancel cannot deadlock. Flights keep one counter per flight (`reserve`,
// `cancel`); hotels bring their own inventory, a counter per night (`reserveOnce`, `cancelOnce`).
import {
  STEP_TRANSACTION,
  raw,
  retryOnUniqueViolation,
  type SqlClient,
  type TransactionalDb,
} from '../../db/client.ts';
import { businessFailure } from './failures.ts';
import type { UndoResult } from './contract.ts';

/**
 * Where a service keeps its reservations: its table, the column naming what a reservation took
 * from, and the column counting how much. Constants of the service's own code, never user input:
 * they are written into the SQL as they are.
 */
export interface ReservationTable {
  reservations: string;
  inventoryId: string;
  units: string;
}

/** Table and column names of a service whose inventory is one counter per row (flights). */
export interface InventoryTables extends ReservationTable {
  inventory: string;
  available: string;
}

export interface ExistingReservation {
  id: string;
  status: 'RESERVED' | 'CANCELLED' | 'VOIDED';
  inventory_id: string | number | null;
  units: number;
  price_cents: number;
}

async function lockReservation(tx: SqlClient, t: ReservationTable, bookingId: string) {
  const rows = await tx.$queryRaw<ExistingReservation[]>`
    SELECT id, status::text AS status, ${raw(t.inventoryId)} AS inventory_id,
           ${raw(t.units)} AS units, price_cents
    FROM ${raw(t.reservations)} WHERE booking_id = ${bookingId} FOR UPDATE`;
  return rows[0];
}

/** `Tx` is the service's own transaction client (its tables' models), whose database the reservations are in. */
export interface ReserveSteps<Tx extends SqlClient, I, R> {
  /** Finds the inventory and locks it; null when it does not exist. Runs before the reservation row is locked. */
  lockInventory: (tx: Tx) => Promise<I | null>;
  notFound: () => Error;
  /** Takes the units from the locked inventory, or throws the sold-out failure and takes nothing. */
  take: (tx: Tx, inventory: I) => Promise<void>;
  /** Inserts the reservation row, after the inventory was taken. */
  insert: (tx: Tx, inventory: I) => Promise<R>;
  /** The result for a reservation that already exists (a retried reserve), read in the same transaction. */
  existing: (tx: Tx, row: { id: string; priceCents: number }) => R | Promise<R>;
}

/**
 * Reserves inventory for a booking, once. A retried reserve returns the same reservation; a
 * reserve that arrives after the booking's cancel (a tombstone) books nothing.
 */
export async function reserveOnce<Tx extends SqlClient, I, R>(
  db: TransactionalDb<Tx>,
  t: ReservationTable,
  bookingId: string,
  steps: ReserveSteps<Tx, I, R>,
): Promise<R> {
  // Two concurrent reserves with one key: the loser of the unique index retries and finds the
  // winner's reservation.
  return retryOnUniqueViolation(() =>
    db.$transaction(async (tx) => {
      const inventory = await steps.lockInventory(tx);
      const existing = await lockReservation(tx, t, bookingId);
      if (existing?.status === 'RESERVED') {
        return steps.existing(tx, { id: existing.id, priceCents: existing.price_cents });
      }
      if (existing) {
        throw businessFailure(
          'AlreadyCompensated',
          `booking ${bookingId} was already compensated (${existing.status}); nothing was reserved`,
        );
      }
      if (!inventory) throw steps.notFound();
      await steps.take(tx, inventory);
      return steps.insert(tx, inventory);
    }, STEP_TRANSACTION),
  );
}

export interface CancelSteps<Tx extends SqlClient> {
  /** Locks the inventory the booking's reservation took from (if any), as reserve does: before the reservation row. */
  lockInventory: (tx: Tx, bookingId: string) => Promise<void>;
  /** Gives a RESERVED reservation's units back to the inventory. */
  giveBack: (tx: Tx, row: ExistingReservation) => Promise<void>;
}

/**
 * Cancels a booking's reservation and gives its inventory back. A retried cancel is a no-op. A
 * cancel of a reservation that never happened leaves a VOIDED tombstone, so a late reserve books
 * nothing.
 */
export async function cancelOnce<Tx extends SqlClient>(
  db: TransactionalDb<Tx>,
  t: ReservationTable,
  bookingId: string,
  steps: CancelSteps<Tx>,
): Promise<UndoResult> {
  return db.$transaction(async (tx) => {
    // If a reserve is in flight with this key, this insert waits for it and then does nothing.
    const inserted = await tx.$executeRaw`
      INSERT INTO ${raw(t.reservations)} (id, booking_id, status)
      VALUES (gen_random_uuid(), ${bookingId}, 'VOIDED') ON CONFLICT (booking_id) DO NOTHING`;
    if (inserted === 1) return { outcome: 'NOTHING_TO_UNDO' };
    await steps.lockInventory(tx, bookingId);
    const row = await lockReservation(tx, t, bookingId);
    if (!row || row.status === 'VOIDED') return { outcome: 'NOTHING_TO_UNDO' };
    if (row.status === 'CANCELLED') return { outcome: 'UNDONE', reference: row.id };
    await steps.giveBack(tx, row);
    await tx.$executeRaw`
      UPDATE ${raw(t.reservations)} SET status = 'CANCELLED', cancelled_at = now() WHERE id = ${row.id}`;
    return { outcome: 'UNDONE', reference: row.id };
  }, STEP_TRANSACTION);
}

// ---------- One counter per inventory row (flights) ----------

export interface ReserveSpec<Tx extends SqlClient, R> {
  units: number;
  /** Finds the inventory row and locks it (SELECT … FOR UPDATE); null when it does not exist. */
  lockInventory: (tx: Tx) => Promise<{ id: string | number; available: number } | null>;
  notFound: () => Error;
  soldOut: (available: number) => Error;
  /** Inserts the reservation row, after the inventory was decremented. */
  insert: (tx: Tx, inventoryId: string | number) => Promise<R>;
  /** The result for a reservation that already exists (a retried reserve), read in the same transaction. */
  existing: (tx: Tx, row: { id: string; priceCents: number }) => R | Promise<R>;
}

/** Reserves `spec.units` from one inventory row's counter, once (see reserveOnce). */
export async function reserve<Tx extends SqlClient, R>(
  db: TransactionalDb<Tx>,
  t: InventoryTables,
  bookingId: string,
  spec: ReserveSpec<Tx, R>,
): Promise<R> {
  return reserveOnce(db, t, bookingId, {
    lockInventory: spec.lockInventory,
    notFound: spec.notFound,
    take: async (tx, inventory) => {
      if (inventory.available < spec.units) throw spec.soldOut(inventory.available);
      await tx.$executeRaw`
        UPDATE ${raw(t.inventory)} SET ${raw(t.available)} = ${raw(t.available)} - ${spec.units}
        WHERE id = ${inventory.id}`;
    },
    insert: (tx, inventory) => spec.insert(tx, inventory.id),
    existing: spec.existing,
  });
}

/** Cancels a reservation of one inventory row's counter and gives its units back (see cancelOnce). */
export async function cancel<Tx extends SqlClient>(
  db: TransactionalDb<Tx>,
  t: InventoryTables,
  bookingId: string,
): Promise<UndoResult> {
  return cancelOnce(db, t, bookingId, {
    // A reservation's inventory row never changes.
    lockInventory: async (tx, id) => {
      const [peek] = await tx.$queryRaw<{ inventory_id: string | number | null }[]>`
        SELECT ${raw(t.inventoryId)} AS inventory_id FROM ${raw(t.reservations)} WHERE booking_id = ${id}`;
      if (peek?.inventory_id != null) {
        await tx.$queryRaw`SELECT 1 FROM ${raw(t.inventory)} WHERE id = ${peek.inventory_id} FOR UPDATE`;
      }
    },
    giveBack: async (tx, row) => {
      await tx.$executeRaw`
        UPDATE ${raw(t.inventory)} SET ${raw(t.available)} = ${raw(t.available)} + ${row.units}
        WHERE id = ${row.inventory_id}`;
    },
  });
}
