// The invariants that hold whatever fails: checked after every test scenario and by the chaos run.
// Each service's books say what it holds and for how much (src/activities/<service>/books.ts), read
// from the service's own database; here they are held against each other and against the bookings'
// read model, read from the booking service's database.
//
// There is no snapshot across databases: each database is read in a snapshot of its own, one after
// the other, while sagas may go on. The check stays sound by what it judges and in which order:
// the bookings are read first, and only a booking that had ended then (a terminal status, which
// no saga leaves but one an operator resets) is judged against the services' books. Every step and undo of an ended
// booking had committed before its end was written, so the books, read after, show all of it; what
// a saga still moving does between the reads belongs to a booking that is not judged this time.
import { TERMINAL_STATUSES, type BookingStatus } from '../booking/booking.ts';
import type { TransactionalDb } from '../db/client.ts';
import type { Databases } from './databases.ts';
import type { ServiceBooks } from './shared/service.ts';
import { TRIP_SERVICES } from './services.ts';

const GIVEN_BACK: readonly BookingStatus[] = TERMINAL_STATUSES.filter((status) => status !== 'CONFIRMED');

/**
 * The invariants that always hold; returns every violation found (empty when all hold):
 * - each service's own (seats and room-nights counted against capacity, nothing sold twice, one
 *   reservation or payment per booking), read in one snapshot of its database;
 * - a booking that ended without its trip (FAILED, CANCELLED, EXPIRED, TERMINATED) holds nothing
 *   at any service; a CONFIRMED booking holds something at every service that holds anything;
 * - every charge of an ended booking is the sum of what the booking's other steps were priced at.
 */
export async function invariantViolations(dbs: Databases): Promise<string[]> {
  const ended = await endedBookings(dbs);
  const books: ServiceBooksRead[] = [];
  for (const service of TRIP_SERVICES) books.push(await readBooks(service, dbs));
  return [...books.flatMap((b) => b.violations), ...heldAgainstStatus(ended, books), ...chargesNotPriced(ended, books)];
}

/** What one service's books said. */
interface ServiceBooksRead {
  books: ServiceBooks;
  violations: string[];
  /** Absent for a service that never holds anything. */
  held: Set<string> | undefined;
  amounts: Map<string, number>;
}

/** The bookings that had ended when read, with their status: the only ones judged. */
async function endedBookings(dbs: Databases): Promise<Map<string, BookingStatus>> {
  const rows = await dbs.booking.$queryRaw<{ id: string; status: BookingStatus }[]>`
    SELECT id, status::text AS status FROM bookings WHERE status::text = ANY(${[...TERMINAL_STATUSES]}) ORDER BY id`;
  return new Map(rows.map((r) => [r.id, r.status]));
}

/** One service's books, in one snapshot of its own database. */
async function readBooks(service: (typeof TRIP_SERVICES)[number], dbs: Databases): Promise<ServiceBooksRead> {
  const { books } = service;
  const db: TransactionalDb = dbs[service.database.name];
  return db.$transaction(
    async (tx) => ({
      books,
      violations: await books.violations(tx),
      held: books.held ? await books.held(tx) : undefined,
      amounts: await books.amounts(tx),
    }),
    { isolationLevel: 'RepeatableRead', timeout: 30_000 },
  );
}

/** Every ended booking that holds something it should not, or lacks something it should. */
function heldAgainstStatus(ended: Map<string, BookingStatus>, books: ServiceBooksRead[]): string[] {
  return [...ended].flatMap(([id, status]) => {
    if (GIVEN_BACK.includes(status) && books.some((b) => b.held?.has(id))) {
      return [`booking ${id} is ${status} but holds a reservation or a payment`];
    }
    if (status === 'CONFIRMED' && !books.every((b) => !b.held || b.held.has(id))) {
      return [`booking ${id} is CONFIRMED but lacks a reservation or its payment`];
    }
    return [];
  });
}

/** Every charge of an ended booking that is not the sum of the booking's other steps' prices. */
function chargesNotPriced(ended: Map<string, BookingStatus>, books: ServiceBooksRead[]): string[] {
  const priced = books.filter((b) => !b.books.charges);
  return books
    .filter((b) => b.books.charges)
    .flatMap(({ amounts }) => [...amounts])
    .filter(([bookingId]) => ended.has(bookingId))
    .flatMap(([bookingId, charged]) => {
      const prices = priced.map((b) => b.amounts.get(bookingId));
      if (prices.some((price) => price === undefined)) return [];
      const total = prices.reduce((sum: number, price) => sum + price!, 0);
      return charged === total ? [] : [`booking ${bookingId} was charged ${charged} for ${total}`];
    });
}
