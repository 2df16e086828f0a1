// The flight service's books: seats counted against capacity, no seat sold twice, one
// reservation per booking.
import { reservationBooks } from '../shared/books.ts';
import type { BooksReader, ServiceBooks } from '../shared/service.ts';

export const flightBooks: ServiceBooks = {
  async violations(db: BooksReader) {
    const rows = await db.$queryRaw<{ violation: string }[]>`
      SELECT 'flight ' || f.flight_number || ' ' || f.date || ': ' || f.seats_available || ' available + '
             || COALESCE(SUM(r.seats) FILTER (WHERE r.status = 'RESERVED'), 0) || ' reserved <> ' || f.capacity AS violation
      FROM flights f LEFT JOIN flight_reservations r ON r.flight_id = f.id
      GROUP BY f.id HAVING f.seats_available + COALESCE(SUM(r.seats) FILTER (WHERE r.status = 'RESERVED'), 0) <> f.capacity
      UNION ALL
      SELECT 'booking ' || booking_id || ' has ' || COUNT(*) || ' flight reservations'
      FROM flight_reservations GROUP BY booking_id HAVING COUNT(*) > 1
      UNION ALL
      SELECT 'seat ' || seat || ' on flight ' || flight_id || ' is held by ' || COUNT(*) || ' bookings'
      FROM (SELECT flight_id, unnest(seat_numbers) AS seat FROM flight_reservations WHERE status = 'RESERVED') s
      GROUP BY flight_id, seat HAVING COUNT(*) > 1`;
    return rows.map((r) => r.violation);
  },
  ...reservationBooks('flight_reservations'),
};
