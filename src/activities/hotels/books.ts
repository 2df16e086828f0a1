// The hotel service's books: for every hotel and night, the rooms taken are the rooms of the
// RESERVED stays that cover the night, never more than its capacity; one reservation per booking.
import { reservationBooks } from '../shared/books.ts';
import type { BooksReader, ServiceBooks } from '../shared/service.ts';

export const hotelBooks: ServiceBooks = {
  async violations(db: BooksReader) {
    const rows = await db.$queryRaw<{ violation: string }[]>`
      SELECT 'hotel ' || COALESCE(n.hotel_id, r.hotel_id) || ' on the night of ' || COALESCE(n.night, r.night) || ': '
             || COALESCE(n.rooms_taken, 0) || ' room(s) taken <> ' || COALESCE(r.rooms, 0) || ' in RESERVED stays' AS violation
      FROM hotel_nights n
      FULL JOIN (
        SELECT hotel_id, check_in + i AS night, SUM(rooms) AS rooms
        FROM hotel_reservations CROSS JOIN LATERAL generate_series(0, check_out - check_in - 1) AS i
        WHERE status = 'RESERVED' GROUP BY hotel_id, check_in + i
      ) r ON r.hotel_id = n.hotel_id AND r.night = n.night
      WHERE COALESCE(n.rooms_taken, 0) <> COALESCE(r.rooms, 0)
      UNION ALL
      SELECT 'hotel ' || hotel_id || ' on the night of ' || night || ': ' || rooms_taken || ' room(s) taken of ' || capacity
      FROM hotel_nights WHERE rooms_taken > capacity OR rooms_taken < 0
      UNION ALL
      SELECT 'hotel reservation ' || id || ' is RESERVED without a stay'
      FROM hotel_reservations WHERE status = 'RESERVED' AND NOT COALESCE(check_out > check_in, false)
      UNION ALL
      SELECT 'booking ' || booking_id || ' has ' || COUNT(*) || ' hotel reservations'
      FROM hotel_reservations GROUP BY booking_id HAVING COUNT(*) > 1`;
    return rows.map((r) => r.violation);
  },
  ...reservationBooks('hotel_reservations'),
};
