// One booking's server-sent events (GET /bookings/:id/events), followed until the stream ends:
// EventSource reconnects by itself after a dropped connection; after an error answer it gives up,
// so this asks the API why and reconnects, unless the booking does not exist.
import { ApiRequestError, api, type BookingView } from './api.ts';

const RECONNECT_MS = 2_000;

export interface StreamHandlers {
  /** A state of the booking, as the stream sends it. */
  onView: (view: BookingView) => void;
  /** The booking is terminal: the stream ended. */
  onEnd: () => void;
  /** How the connection stands, in words ('' once nothing is worth saying). */
  onConnection: (text: string) => void;
  /** The API says there is no such booking. */
  onNotFound: () => void;
}

/** Follows a booking's events; `close()` stops for good. */
export function followBooking(id: string, handlers: StreamHandlers): { close(): void } {
  let source: EventSource | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  function connect(): void {
    const es = new EventSource(api.eventsUrl(id));
    source = es;
    handlers.onConnection('connecting…');
    es.addEventListener('open', () => handlers.onConnection('live'));
    es.addEventListener('booking', (event) => handlers.onView(JSON.parse((event as MessageEvent<string>).data) as BookingView));
    es.addEventListener('end', () => {
      es.close();
      if (source === es) source = undefined;
      handlers.onConnection('finished');
      handlers.onEnd();
    });
    es.addEventListener('error', () => {
      if (source !== es) return;
      if (es.readyState !== EventSource.CLOSED) {
        handlers.onConnection('connection lost; reconnecting…'); // EventSource retries by itself
        return;
      }
      // The server answered with an error, so EventSource gave up: find out why, then try again.
      handlers.onConnection('disconnected; retrying…');
      reconnectTimer = setTimeout(() => {
        api.booking(id).then(
          () => !closed && connect(),
          (error: unknown) => {
            if (closed) return;
            if (error instanceof ApiRequestError && error.status === 404) {
              handlers.onConnection('');
              handlers.onNotFound();
            } else {
              connect();
            }
          },
        );
      }, RECONNECT_MS);
    });
  }

  connect();
  return {
    close() {
      closed = true;
      source?.close();
      source = undefined;
      clearTimeout(reconnectTimer);
    },
  };
}
