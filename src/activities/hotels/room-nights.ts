// A hotel's rooms per night (hotel_nights): what a stay locks, takes and gives back, and what is
// free for a stay. A stay's nights run from check-in to the night before check-out (YYYY-MM-DD,
// UTC, as every date here). A night without a row has nothing taken; the first reserve that needs
// it creates it with the hotel's capacity.
import { fromDbDate } from '../../common/dates.ts';
import type { SqlClient } from '../../db/client.ts';

/** The hotel service's client or a transaction of it: these run as SQL. */
type Tx = SqlClient;

export interface StayNight {
  night: string;
  free: number;
}

export interface LockedStay {
  nightlyPriceCents: number;
  currency: string;
  /** Each night of the stay, in night order. */
  nights: StayNight[];
}

/**
 * Locks the stay's nights at a hotel in night order (creating the rows it lacks, in night order
 * too), so two reserves of overlapping stays wait for each other instead of deadlocking; null
 * when there is no such hotel.
 */
export async function lockStayNights(
  tx: Tx,
  hotelId: string,
  checkIn: string,
  checkOut: string,
): Promise<LockedStay | null> {
  await tx.$executeRaw`
    INSERT INTO hotel_nights (hotel_id, night, capacity)
    SELECT h.id, ${checkIn}::date + i, h.capacity
    FROM hotels h CROSS JOIN generate_series(0, ${checkOut}::date - ${checkIn}::date - 1) AS i
    WHERE h.id = ${hotelId}
    ORDER BY i
    ON CONFLICT (hotel_id, night) DO NOTHING`;
  const rows = await tx.$queryRaw<{ night: Date; free: number; nightly: number; currency: string }[]>`
    SELECT n.night, n.capacity - n.rooms_taken AS free, h.nightly_price_cents AS nightly, h.currency
    FROM hotel_nights n JOIN hotels h ON h.id = n.hotel_id
    WHERE n.hotel_id = ${hotelId} AND n.night >= ${checkIn}::date AND n.night < ${checkOut}::date
    ORDER BY n.night
    FOR UPDATE OF n`;
  const first = rows[0];
  if (!first) return null;
  return {
    nightlyPriceCents: first.nightly,
    currency: first.currency,
    nights: rows.map((r) => ({ night: fromDbDate(r.night), free: r.free })),
  };
}

/** Takes `rooms` room-nights on each night of the stay (whose rows lockStayNights locked). */
export async function takeRoomNights(
  tx: Tx,
  hotelId: string,
  checkIn: string,
  checkOut: string,
  rooms: number,
): Promise<void> {
  await tx.$executeRaw`
    UPDATE hotel_nights SET rooms_taken = rooms_taken + ${rooms}
    WHERE hotel_id = ${hotelId} AND night >= ${checkIn}::date AND night < ${checkOut}::date`;
}

/** Locks the nights a booking's hotel reservation holds (none for a tombstone), in night order. */
export async function lockReservationNights(tx: Tx, bookingId: string): Promise<void> {
  await tx.$queryRaw`
    SELECT 1 FROM hotel_nights n JOIN hotel_reservations r
      ON n.hotel_id = r.hotel_id AND n.night >= r.check_in AND n.night < r.check_out
    WHERE r.booking_id = ${bookingId}
    ORDER BY n.night
    FOR UPDATE OF n`;
}

/** Gives a reservation's room-nights back, each night of its stay. */
export async function giveBackRoomNights(tx: Tx, reservationId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE hotel_nights n SET rooms_taken = n.rooms_taken - r.rooms
    FROM hotel_reservations r
    WHERE r.id = ${reservationId} AND n.hotel_id = r.hotel_id AND n.night >= r.check_in AND n.night < r.check_out`;
}

/** Each hotel's rooms free for a stay: the fewest free on any of its nights. */
export async function freeRoomsForStay(db: SqlClient, checkIn: string, nights: number): Promise<Map<string, number>> {
  const rows = await db.$queryRaw<{ hotel_id: string; free: number }[]>`
    SELECT h.id AS hotel_id, MIN(COALESCE(n.capacity - n.rooms_taken, h.capacity))::int AS free
    FROM hotels h
    CROSS JOIN generate_series(0, ${nights}::int - 1) AS i
    LEFT JOIN hotel_nights n ON n.hotel_id = h.id AND n.night = ${checkIn}::date + i
    GROUP BY h.id`;
  return new Map(rows.map((r) => [r.hotel_id, r.free]));
}
