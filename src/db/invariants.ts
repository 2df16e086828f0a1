// The invariants that hold whatever fails: checked after every test scenario and by the chaos run.
import type { Db } from './client.ts';

/**
 * The invariants that always hold; returns every violation found (empty when all hold):
 * - seats available + seats in active reservations = capacity, for every flight;
 * - for every hotel and night, the rooms taken = the rooms of the RESERVED stays that cover the
 *   night, and never more than the night's capacity;
 * - no booking has two active reservations for one step, nor two payments; no seat is sold twice;
 * - every closed booking in the read model matches the services' rows.
 */
export async function invariantViolations(db: Db): Promise<string[]> {
  const rows = await db.$queryRaw<{ violation: string }[]>`
    SELECT 'flight ' || f.flight_number || ' ' || f.date || ': ' || f.seats_available || ' available + '
           || COALESCE(SUM(r.seats) FILTER (WHERE r.status = 'RESERVED'), 0) || ' reserved <> ' || f.capacity AS violation
    FROM flights f LEFT JOIN flight_reservations r ON r.flight_id = f.id
    GROUP BY f.id HAVING f.seats_available + COALESCE(SUM(r.seats) FILTER (WHERE r.status = 'RESERVED'), 0) <> f.capacity
    UNION ALL
    SELECT 'hotel ' || COALESCE(n.hotel_id, r.hotel_id) || ' on the night of ' || COALESCE(n.night, r.night) || ': '
           || COALESCE(n.rooms_taken, 0) || ' room(s) taken <> ' || COALESCE(r.rooms, 0) || ' in RESERVED stays'
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
    SELECT 'booking ' || booking_id || ' has ' || COUNT(*) || ' flight reservations'
    FROM flight_reservations GROUP BY booking_id HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'seat ' || seat || ' on flight ' || flight_id || ' is held by ' || COUNT(*) || ' bookings'
    FROM (SELECT flight_id, unnest(seat_numbers) AS seat FROM flight_reservations WHERE status = 'RESERVED') s
    GROUP BY flight_id, seat HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'booking ' || booking_id || ' has ' || COUNT(*) || ' hotel reservations'
    FROM hotel_reservations GROUP BY booking_id HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'booking ' || booking_id || ' was charged ' || COUNT(*) || ' times'
    FROM payments WHERE status IN ('CAPTURED', 'REFUNDED') GROUP BY booking_id HAVING COUNT(*) > 1
    UNION ALL
    SELECT 'booking ' || b.id || ' is ' || b.status || ' but holds a reservation or a payment'
    FROM bookings b WHERE b.status IN ('FAILED', 'CANCELLED', 'EXPIRED', 'TERMINATED') AND (
      EXISTS (SELECT 1 FROM flight_reservations r WHERE r.booking_id = b.id AND r.status = 'RESERVED') OR
      EXISTS (SELECT 1 FROM hotel_reservations r WHERE r.booking_id = b.id AND r.status = 'RESERVED') OR
      EXISTS (SELECT 1 FROM payments p WHERE p.booking_id = b.id AND p.status = 'CAPTURED'))
    UNION ALL
    SELECT 'booking ' || b.id || ' is CONFIRMED but lacks a reservation or its payment'
    FROM bookings b WHERE b.status = 'CONFIRMED' AND NOT (
      EXISTS (SELECT 1 FROM flight_reservations r WHERE r.booking_id = b.id AND r.status = 'RESERVED') AND
      EXISTS (SELECT 1 FROM hotel_reservations r WHERE r.booking_id = b.id AND r.status = 'RESERVED') AND
      EXISTS (SELECT 1 FROM payments p WHERE p.booking_id = b.id AND p.status = 'CAPTURED'))
    UNION ALL
    SELECT 'booking ' || p.booking_id || ' was charged ' || p.amount_cents || ' for ' || (fr.price_cents + hr.price_cents)
    FROM payments p
    JOIN flight_reservations fr ON fr.booking_id = p.booking_id
    JOIN hotel_reservations hr ON hr.booking_id = p.booking_id
    WHERE p.status <> 'VOIDED' AND p.amount_cents <> fr.price_cents + hr.price_cents`;
  return rows.map((r) => r.violation);
}
