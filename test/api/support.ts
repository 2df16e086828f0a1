// Helpers the API tests share: request bodies, polling, error and OpenAPI checks, SSE parsing.
import Ajv2020Module from 'ajv/dist/2020.js';
import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { expect } from 'vitest';
import { openApiDocument } from '../../src/api/http/openapi.ts';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { calendarDate } from '../../src/api/http/query.ts';
import { luhnValid } from '../../src/activities/payments/cards.ts';
import type { Databases } from '../../src/activities/databases.ts';
import type { CardInput } from '../../src/activities/payments/vault.ts';
import { TERMINAL_STATUSES } from '../../src/booking/booking.ts';
import type { FaultPlan } from '../../src/booking/faults.ts';
import type { FlightRequest } from '../../src/activities/flights/types.ts';
import { CARDS, FLIGHT, HOTEL_STAY, type HotelStay } from '../helpers/booking.ts';
import { poll } from '../helpers/poll.ts';
import { statesOf } from '../helpers/steps.ts';

export interface BodyOverrides {
  customerId?: string;
  flight?: Partial<FlightRequest>;
  hotel?: Partial<HotelStay>;
  card?: Partial<CardInput>;
  faults?: FaultPlan;
}

/** A valid POST /bookings body (good card, TB100 + Shinjuku, $760), with overrides. */
export function bookingBody(o: BodyOverrides = {}) {
  return {
    customerId: o.customerId ?? 'cust-api',
    flight: { ...FLIGHT, ...o.flight },
    hotel: { ...HOTEL_STAY, ...o.hotel },
    payment: { card: { ...CARDS.good, ...o.card } },
    ...(o.faults ? { faults: o.faults } : {}),
  };
}

export { poll };

/** Statuses after which the saga does nothing more on its own. */
export const TERMINAL = TERMINAL_STATUSES;

export async function getBooking(app: Express, id: string): Promise<BookingView> {
  const res = await request(app).get(`/bookings/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as BookingView;
}

/**
 * Polls GET /bookings/:id until `until` holds; by default until the booking is closed, i.e. its
 * terminal state is in the read model (the workflow shows it a moment before it syncs it).
 */
export function waitForBooking(
  app: Express,
  id: string,
  until: (view: BookingView) => boolean = (v) => TERMINAL.includes(v.status) && v.source === 'read-model',
  timeoutMs = 20_000,
): Promise<BookingView> {
  return poll(() => getBooking(app, id), until, { timeoutMs, what: `booking ${id}` });
}

/** POST /bookings, expecting 201; returns the response. */
export async function postBooking(app: Express, body: unknown, idempotencyKey?: string): Promise<Response> {
  const req = request(app).post('/bookings');
  if (idempotencyKey) void req.set('Idempotency-Key', idempotencyKey);
  const res = await req.send(body as object);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res;
}

/** Each step's state, in the view's order: compare with a ledger of test/helpers/steps.ts. */
export const stepStates = (view: BookingView) => statesOf(view);
export { compensationsOf } from '../helpers/steps.ts';

export async function seatsAvailable(app: Express, flightNumber: string, date: string): Promise<number> {
  const res = await request(app).get('/flights').query({ flightNumber, date });
  expect(res.status).toBe(200);
  const items = (res.body as { items: { seatsAvailable: number }[] }).items;
  expect(items).toHaveLength(1);
  return items[0]!.seatsAvailable;
}

/** Rooms free at a hotel for a stay, as GET /hotels answers. */
export async function roomsAvailable(
  app: Express,
  hotelId: string,
  stay: { checkIn: string; nights: number },
): Promise<number> {
  const res = await request(app).get('/hotels').query({ checkIn: stay.checkIn, nights: stay.nights });
  expect(res.status).toBe(200);
  const hotel = (res.body as { items: { hotelId: string; roomsAvailable: number }[] }).items.find(
    (x) => x.hotelId === hotelId,
  );
  expect(hotel, hotelId).toBeDefined();
  return hotel!.roomsAvailable;
}

/** Rows a booking attempt could leave behind, in any database, for "nothing was written" checks. */
export async function writtenRows(dbs: Databases) {
  const [bookings, paymentMethods, flightReservations, hotelReservations, payments] = await Promise.all([
    dbs.booking.booking.count(),
    dbs.payments.paymentMethod.count(),
    dbs.flights.flightReservation.count(),
    dbs.hotels.hotelReservation.count(),
    dbs.payments.payment.count(),
  ]);
  return { bookings, paymentMethods, flightReservations, hotelReservations, payments };
}

// ---------- Errors ----------

/** Anything that looks like a stack frame or a source path. */
const STACKISH = /(\n\s*at\s)|(\bat\s+\S+\s+\()|(\.(ts|js|mjs|cjs):\d+)|node_modules|\/work\/|file:\/\//;

export function expectNoStackTrace(res: Response): void {
  expect(res.text ?? '', `a stack trace or path in: ${res.text}`).not.toMatch(STACKISH);
}

/** The one error shape: JSON `{ error: { code, message, details? } }`, no stack, matching the Error schema. */
export function expectError(
  res: Response,
  status: number,
  code: string,
): { code: string; message: string; details?: { path: string; message: string }[] } {
  expect(res.status, `${res.status} ${res.text}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.body as { error: { code: string; message: string; details?: { path: string; message: string }[] } };
  expect(body.error.code, res.text).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expectNoStackTrace(res);
  expectSchema('Error', res.body);
  return body.error;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}
export const errorOf = (res: Response) => (res.body as ErrorBody).error;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export const pageOf = <T = Record<string, unknown>>(res: Response) => res.body as Page<T>;

export function detailPaths(res: Response): string[] {
  return ((res.body as { error?: { details?: { path: string }[] } }).error?.details ?? []).map((d) => d.path);
}

/** A 400 validation_failed whose details name exactly... at least these paths (and messages match when given). */
export function expectValidation(res: Response, expected: Record<string, RegExp | string | undefined>): void {
  const error = expectError(res, 400, 'validation_failed');
  expect(error.details, res.text).toBeDefined();
  for (const [path, message] of Object.entries(expected)) {
    const hits = error.details!.filter((d) => d.path === path);
    expect(hits.length, `no detail for ${path} in ${res.text}`).toBeGreaterThan(0);
    if (message !== undefined) {
      expect(
        hits.some((d) => (typeof message === 'string' ? d.message.includes(message) : message.test(d.message))),
        `no detail for ${path} matching ${String(message)} in ${res.text}`,
      ).toBe(true);
    }
  }
}

// ---------- OpenAPI ----------

type Json = Record<string, unknown>;
// ajv's CommonJS default export, typed for NodeNext.
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ??
  Ajv2020Module) as unknown as typeof Ajv2020Module.default;

export const doc = openApiDocument() as Json & {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: Json }> }> }>>;
  components: { schemas: Record<string, Json> };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
// The document's formats, as the API checks them: a real calendar date, and a Luhn-valid card number.
ajv.addFormat('date', (s: string) => calendarDate.safeParse(s).success);
ajv.addFormat('luhn', luhnValid);
ajv.addSchema({ $id: 'doc', components: doc.components });

/** A schema of the document with its local $refs pointed at the registered document. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema && typeof schema === 'object') {
    return Object.fromEntries(
      Object.entries(schema).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `doc${v}` : rebase(v),
      ]),
    );
  }
  return schema;
}

const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
function validatorFor(key: string, schema: unknown) {
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(rebase(schema) as Json);
    compiled.set(key, validate);
  }
  return validate;
}

/** Validates a value against components.schemas[id]. */
export function expectSchema(id: string, value: unknown): void {
  expect(doc.components.schemas[id], `no schema ${id}`).toBeDefined();
  const validate = validatorFor(`component:${id}`, { $ref: `#/components/schemas/${id}` });
  expect(validate(value) ? [] : validate.errors, `${id}: ${JSON.stringify(value)?.slice(0, 500)}`).toEqual([]);
}

export function schemaAccepts(id: string, value: unknown): boolean {
  return validatorFor(`component:${id}`, { $ref: `#/components/schemas/${id}` })(value) === true;
}

/**
 * The response is documented for this path + method + status, has the documented media type, and
 * (for JSON) its body validates against the documented schema.
 */
export function expectConforms(res: Response, method: string, path: string): void {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  expect(operation, `${method} ${path} is not in the document`).toBeDefined();
  const response = operation!.responses[String(res.status)];
  expect(response, `${method} ${path} → ${res.status} is not documented (${res.text?.slice(0, 300)})`).toBeDefined();
  const [mediaType, media] = Object.entries(response!.content ?? {})[0] ?? [];
  expect(mediaType, `${method} ${path} → ${res.status} has no content`).toBeDefined();
  expect(res.headers['content-type']).toContain(mediaType!);
  if (mediaType === 'application/json') {
    const validate = validatorFor(`${method} ${path} ${res.status}`, media!.schema);
    expect(
      validate(res.body) ? [] : validate.errors,
      `${method} ${path} → ${res.status}: ${res.text?.slice(0, 500)}`,
    ).toEqual([]);
  }
}

// ---------- Server-sent events ----------

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\n\n/)) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith(':'));
    if (lines.length === 0) continue;
    const event: SseEvent = { event: 'message', data: '' };
    const data: string[] = [];
    let hasField = false;
    for (const line of lines) {
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event.event = value;
      else if (field === 'id') event.id = value;
      else if (field === 'data') data.push(value);
      else continue;
      hasField = true;
    }
    if (!hasField || (data.length === 0 && event.event === 'message')) continue;
    event.data = data.join('\n');
    events.push(event);
  }
  return events;
}

/** GET /bookings/:id/events until the server ends the stream. */
export async function readEvents(app: Express, id: string): Promise<{ res: Response; events: SseEvent[] }> {
  const res = await request(app)
    .get(`/bookings/${id}/events`)
    .buffer(true)
    .parse((response, callback) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => callback(null, text));
    })
    .timeout(30_000);
  return { res, events: parseSse(String(res.body)) };
}
