// One booking's server-sent events (GET /bookings/:id/events), followed until the stream ends. Read
// with fetch, not EventSource: EventSource cannot send the Authorization header, and a token must
// never go into a URL. A dropped or refused stream is opened again, unless the booking does not
// exist (404) or the caller is not signed in (401). The stream carries every change, a running
// step's retries too: nothing else is polled.
import { api, type BookingView } from './api.ts';
import { authHeaders } from './session.ts';

const RECONNECT_MS = 1_000;

export interface StreamHandlers {
  /** A state of the booking, as the stream sends it. */
  onView: (view: BookingView) => void;
  /** The booking is terminal: the stream ended. */
  onEnd: () => void;
  /** How the connection stands, in words ('' once nothing is worth saying). */
  onConnection: (text: string) => void;
  /** The API says there is no such booking (or none of this caller's). */
  onNotFound: () => void;
}

interface SseEvent {
  event: string;
  data: string;
}

/** One event block (the lines between blank lines) as { event, data }. */
function parseBlock(block: string): SseEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { event, data: data.join('\n') } : undefined;
}

/** Follows a booking's events; `close()` stops for good. */
export function followBooking(id: string, handlers: StreamHandlers): { close(): void } {
  let controller: AbortController | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const again = (text: string) => {
    if (closed) return;
    handlers.onConnection(text);
    reconnectTimer = setTimeout(() => void connect(), RECONNECT_MS);
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const abort = new AbortController();
    controller = abort;
    handlers.onConnection('connecting…');
    let res: Response;
    try {
      res = await fetch(api.eventsUrl(id), {
        headers: { accept: 'text/event-stream', ...authHeaders() },
        cache: 'no-store',
        signal: abort.signal,
      });
    } catch {
      return again('connection lost; reconnecting…');
    }
    if (res.status === 404) {
      handlers.onConnection('');
      handlers.onNotFound();
      return;
    }
    if (res.status === 401) {
      handlers.onConnection('not signed in: sign in to follow this booking');
      return;
    }
    if (!res.ok || !res.body) return again('disconnected; retrying…');
    handlers.onConnection('live');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.search(/\r?\n\r?\n/); end >= 0; end = buffer.search(/\r?\n\r?\n/)) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          const event = parseBlock(block);
          if (event?.event === 'booking') handlers.onView(JSON.parse(event.data) as BookingView);
          if (event?.event === 'expired') {
            // The token the stream was opened with has expired: open it again with the current one.
            abort.abort();
            return again('session expired; reconnecting…');
          }
          if (event?.event === 'end') {
            abort.abort();
            handlers.onConnection('finished');
            handlers.onEnd();
            return;
          }
        }
      }
    } catch {
      // dropped, or closed by close()
    }
    if (controller === abort) again('connection lost; reconnecting…');
  }

  void connect();
  return {
    close() {
      closed = true;
      controller?.abort();
      controller = undefined;
      clearTimeout(reconnectTimer);
    },
  };
}
