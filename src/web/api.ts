// The booking API as the page uses it: typed fetch calls, and one error type with the API's
// `{ error: { code, message, details } }` in it. Types only come from the server's schemas, so the
// bundle holds none of the server's code.
import type { z } from 'zod';
import type { BookingRequestBody } from '../api/bookings/request.ts';
import type { bookingListSchema } from '../api/bookings/list.ts';
import type { BookingView } from '../api/bookings/view.ts';
import type { healthSchema } from '../api/http/health.ts';
import type { flightSchema } from '../activities/flights/inventory.ts';
import type { hotelListSchema, hotelSchema } from '../activities/hotels/inventory.ts';
import type { BookingStatus } from '../booking/booking.ts';
import { authHeaders } from './session.ts';

export type { BookingRequestBody, BookingView };
export type Flight = z.infer<typeof flightSchema>;
export type Hotel = z.infer<typeof hotelSchema>;
export type HotelList = z.infer<typeof hotelListSchema>;
export type Health = z.infer<typeof healthSchema>;
export type BookingList = z.infer<typeof bookingListSchema>;
export type BookingSummary = BookingList['items'][number];
export type Step = BookingView['steps'][number];

/** How long the Book button's request waits for the saga (Prefer: wait): a quick booking answers with its outcome, a slow one shows its live view almost at once. */
export const BOOK_WAIT_SECONDS = 1;

export class ApiRequestError extends Error {
  /** The HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  readonly code: string;
  readonly details: { path: string; message: string }[];

  constructor(status: number, code: string, message: string, details: { path: string; message: string }[] = []) {
    super(message);
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Worth retrying as is: the server was unreachable or failed, not the request. */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: { path: string; message: string }[] };
}

async function call<T>(
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; okStatuses?: number[] } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        accept: 'application/json',
        ...(path.startsWith('/bookings') ? authHeaders() : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch {
    throw new ApiRequestError(0, 'network_error', 'the server cannot be reached; check the connection and try again');
  }
  let data: unknown;
  try {
    data = await res.json();
  } catch {
    data = undefined;
  }
  if (!res.ok && !options.okStatuses?.includes(res.status)) {
    const error = (data as ErrorBody | undefined)?.error;
    throw new ApiRequestError(
      res.status,
      error?.code ?? `http_${res.status}`,
      error?.message ?? res.statusText,
      error?.details ?? [],
    );
  }
  return data as T;
}

export const api = {
  /** 503 still carries the body: the page only needs faultInjection and the Web UI's address. */
  health: () => call<Health>('GET', '/healthz', { okStatuses: [503] }),
  flights: (date: string) =>
    call<{ items: Flight[] }>('GET', `/flights?${new URLSearchParams({ date, limit: '100' }).toString()}`),
  flight: (flightNumber: string, date: string) =>
    call<{ items: Flight[] }>('GET', `/flights?${new URLSearchParams({ flightNumber, date }).toString()}`).then(
      (r) => r.items[0],
    ),
  /** Each hotel's rooms free on every night of the stay. */
  hotels: (checkIn: string, nights: number) =>
    call<HotelList>('GET', `/hotels?${new URLSearchParams({ checkIn, nights: String(nights) }).toString()}`),
  /** Waits up to BOOK_WAIT_SECONDS for the outcome (Prefer: wait): a quick booking answers with it. */
  book: (request: BookingRequestBody, idempotencyKey: string) =>
    call<BookingView>('POST', '/bookings', {
      body: request,
      headers: { 'Idempotency-Key': idempotencyKey, Prefer: `wait=${BOOK_WAIT_SECONDS}` },
    }),
  extendHold: (id: string, minutes: number) =>
    call<BookingView>('POST', `/bookings/${encodeURIComponent(id)}/hold/extend`, { body: { minutes } }),
  confirm: (id: string, card: NonNullable<BookingRequestBody['payment']>['card']) =>
    call<BookingView>('POST', `/bookings/${encodeURIComponent(id)}/confirm`, { body: { payment: { card } } }),
  booking: (id: string) => call<BookingView>('GET', `/bookings/${encodeURIComponent(id)}`),
  bookings: (status?: BookingStatus) =>
    call<BookingList>(
      'GET',
      `/bookings?${new URLSearchParams({ limit: '20', ...(status ? { status } : {}) }).toString()}`,
    ),
  cancel: (id: string) => call<BookingView>('POST', `/bookings/${encodeURIComponent(id)}/cancel`, { body: {} }),
  retryCompensation: (id: string) =>
    call<BookingView>('POST', `/bookings/${encodeURIComponent(id)}/compensation/retry`, { body: {} }),
  resolveCompensation: (id: string, note: string) =>
    call<BookingView>('POST', `/bookings/${encodeURIComponent(id)}/compensation/resolve`, { body: { note } }),
  eventsUrl: (id: string) => `/bookings/${encodeURIComponent(id)}/events`,
};

/** A fresh Idempotency-Key. crypto.randomUUID needs a secure context; plain http on a LAN IP is not one. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
