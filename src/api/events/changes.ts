// The API's one LISTEN connection: PostgreSQL tells it when a booking changed (channel
// booking_changed, payload the booking's ID; src/db/booking-changed.ts). A dedicated pg client, not
// one of the pool's (a LISTEN belongs to its session; behind PgBouncer it needs session pooling or
// a direct connection). A dropped connection is opened again, with a growing pause; once it
// listens again the `reconnected` handlers run, since what changed in between was not told.
import pg from 'pg';
import type { Logger } from 'pino';
import { BOOKING_CHANGED_CHANNEL } from '../../db/booking-changed.ts';

export interface BookingChanges {
  /** Runs `handler` with the booking's ID at each change; returns a function that stops it. */
  onChange(handler: (bookingId: string) => void): () => void;
  /** Runs `handler` each time the connection starts listening (again): changes may have been missed. */
  onReconnect(handler: () => void): () => void;
  /** Resolves once the connection listens (the first time), or once closed. Never rejects. */
  ready: Promise<void>;
  /** Closes the connection for good. */
  close(): Promise<void>;
}

export interface BookingChangesOptions {
  databaseUrl: string;
  logger?: Logger;
  /** First pause before opening a dropped connection again (doubles up to 30 s). */
  reconnectMs?: number;
}

const MAX_RECONNECT_MS = 30_000;

/**
 * Connects and LISTENs, and keeps listening: a connection that cannot be opened (the database is
 * not up yet) or drops is opened again. Until it listens, watchers learn of changes from their
 * safety poll only; once it does, every watcher reads once (the `reconnected` handlers).
 */
export function listenForBookingChanges(options: BookingChangesOptions): BookingChanges {
  const { databaseUrl, logger } = options;
  const firstPause = options.reconnectMs ?? 500;
  const changeHandlers = new Set<(bookingId: string) => void>();
  const reconnectHandlers = new Set<() => void>();
  let client: pg.Client | undefined;
  let closed = false;
  let pause = firstPause;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));

  async function open(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: databaseUrl, keepAlive: true, application_name: 'trip-api-listen' });
    c.on('notification', (message) => {
      if (message.channel !== BOOKING_CHANGED_CHANNEL || !message.payload) return;
      for (const handler of changeHandlers) handler(message.payload);
    });
    c.on('error', (error) => lost(c, error));
    c.on('end', () => lost(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${BOOKING_CHANGED_CHANNEL}`);
    } catch (error) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
      throw error;
    }
    return c;
  }

  function lost(c: pg.Client, error?: Error): void {
    if (client !== c || closed) return;
    client = undefined;
    c.removeAllListeners();
    c.on('error', () => undefined);
    void c.end().catch(() => undefined);
    logger?.warn({ err: error }, `booking changes: the LISTEN connection dropped; opening it again in ${pause} ms`);
    schedule();
  }

  function connect(first: boolean): void {
    open().then(
      (c) => {
        if (closed) return void c.end().catch(() => undefined);
        client = c;
        pause = firstPause;
        logger?.info(first ? 'booking changes: listening' : 'booking changes: listening again');
        listening();
        // What changed while it did not listen was not told: every watcher reads once.
        for (const handler of reconnectHandlers) handler();
      },
      (error: unknown) => {
        if (closed) return;
        logger?.warn({ err: error }, `booking changes: cannot LISTEN yet; again in ${pause} ms`);
        schedule(first);
      },
    );
  }

  function schedule(first = false): void {
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (!closed) connect(first);
    }, pause);
    pause = Math.min(pause * 2, MAX_RECONNECT_MS);
  }

  connect(true);
  return {
    ready,
    onChange(handler) {
      changeHandlers.add(handler);
      return () => changeHandlers.delete(handler);
    },
    onReconnect(handler) {
      reconnectHandlers.add(handler);
      return () => reconnectHandlers.delete(handler);
    },
    async close() {
      closed = true;
      listening();
      clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}
