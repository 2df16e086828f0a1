// The invariants that hold whatever fails: checked after every test scenario and by the chaos run.
// Each service's books say what it holds and for how much (src/activities/<service>/books.ts);
// here they are held against each other and against the bookings' read model.
import type { Db } from '../db/client.ts';
import { TERMINAL_STATUSES } from '../booking/booking.ts';
import type { BooksReader } from './shared/service.ts';
import { TRIP_SERVICES } from './services.ts';

const GIVEN_BACK = TERMINAL_STATUSES.filter((status) => status !== 'CONFIRMED');

/**
 * The invariants that always hold; returns every violation found (empty when all hold):
 * - each service's own (seats and room-nights counted against capacity, nothing sold twice, one
 *   reservation or payment per booking);
 * - a booking that ended without its trip (FAILED, CANCELLED, EXPIRED, TERMINATED) holds nothing
 *   at any service; a CONFIRMED booking holds something at every service that holds anything;
 * - every charge is the sum of what the booking's other steps were priced at.
 */
export async function invariantViolations(db: Db): Promise<string[]> {
  // One snapshot: every service's books and the bookings as they stood at one moment, so a saga
  // moving on between two reads is no violation.
  return db.$transaction((tx) => violationsIn(tx), { isolationLevel: 'RepeatableRead', timeout: 30_000 });
}

/** What one service's books said. */
interface ServiceBooksRead {
  service: (typeof TRIP_SERVICES)[number];
  violations: string[];
  /** Absent for a service that never holds anything. */
  held: Set<string> | undefined;
  amounts: Map<string, number>;
}

async function violationsIn(tx: BooksReader): Promise<string[]> {
  const books: ServiceBooksRead[] = [];
  for (const service of TRIP_SERVICES) {
    books.push({
      service,
      violations: await service.books.violations(tx),
      held: service.books.held ? await service.books.held(tx) : undefined,
      amounts: await service.books.amounts(tx),
    });
  }
  const bookings = await tx.$queryRaw<
    { id: string; status: string }[]
  >`SELECT id, status::text AS status FROM bookings ORDER BY id`;
  return [
    ...books.flatMap((b) => b.violations),
    ...bookings.flatMap(({ id, status }) => {
      if (GIVEN_BACK.includes(status as never) && books.some((b) => b.held?.has(id))) {
        return [`booking ${id} is ${status} but holds a reservation or a payment`];
      }
      if (status === 'CONFIRMED' && !books.every((b) => !b.held || b.held.has(id))) {
        return [`booking ${id} is CONFIRMED but lacks a reservation or its payment`];
      }
      return [];
    }),
    ...chargesNotPriced(books),
  ];
}

/** Every charge that is not the sum of the booking's other steps' prices. */
function chargesNotPriced(books: ServiceBooksRead[]): string[] {
  const priced = books.filter((b) => !b.service.books.charges);
  return books
    .filter((b) => b.service.books.charges)
    .flatMap(({ amounts }) => [...amounts])
    .flatMap(([bookingId, charged]) => {
      const prices = priced.map((b) => b.amounts.get(bookingId));
      if (prices.some((price) => price === undefined)) return [];
      const total = prices.reduce((sum: number, price) => sum + price!, 0);
      return charged === total ? [] : [`booking ${bookingId} was charged ${charged} for ${total}`];
    });
}
