// The keyset cursor of GET /bookings: the last row's creation time and ID, as `<ms>.<bookingId>`
// (13 digits of milliseconds since 1970, then the ID). Its pattern is in the OpenAPI document and
// the API checks it the same way. Every string that matches is a position in the list, so a
// well-formed cursor that no page handed out simply answers with the bookings after it (perhaps none).
import { BOOKING_ID_PATTERN } from '../../booking/booking.ts';

export interface CursorPosition {
  createdAt: Date;
  id: string;
}

const ID = BOOKING_ID_PATTERN.source.replace(/^\^/, '').replace(/\$$/, '');
/** 13 digits of milliseconds: 1970 up to the year 2286. */
export const CURSOR_PATTERN = new RegExp(`^([0-9]{13})\\.(${ID})$`);

export function encodeCursor({ createdAt, id }: CursorPosition): string {
  return `${String(createdAt.getTime()).padStart(13, '0')}.${id}`;
}

/** The position a cursor names; undefined when it does not match CURSOR_PATTERN. */
export function decodeCursor(cursor: string): CursorPosition | undefined {
  const match = CURSOR_PATTERN.exec(cursor);
  if (!match) return undefined;
  return { createdAt: new Date(Number(match[1])), id: match[2]! };
}
