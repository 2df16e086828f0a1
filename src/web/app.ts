// The booking page: book a trip, watch its saga live, list recent bookings. The booking shown is
// in the URL (#/bookings/<id>), so a reload or a shared link opens the same live view.
import { api, type BookingView } from './api.ts';
import { createBookForm } from './book-form.ts';
import { bookingHash, createBookingsList } from './bookings-list.ts';
import { announce, byId } from './dom.ts';
import { createLiveView } from './live-view.ts';
import { currentSession, DEMO_CUSTOMER, signIn, type Session } from './session.ts';

const BOOKING_HASH = /^#\/bookings\/([A-Za-z0-9_-]{1,64})$/;

/** Who the page is: the stored session, or the demo customer; the form switches (and reloads the page). */
async function identity(): Promise<Session | undefined> {
  const session = currentSession() ?? (await signIn(DEMO_CUSTOMER, false).catch(() => undefined));
  const status = byId('identity-status', HTMLParagraphElement);
  const sub = byId('identity-sub', HTMLInputElement);
  const operator = byId('identity-operator', HTMLInputElement);
  if (session) {
    status.textContent = `Signed in as ${session.sub} (${session.operator ? 'operator' : 'customer'})`;
    status.dataset.sub = session.sub;
    status.dataset.role = session.operator ? 'operator' : 'customer';
    sub.value = session.sub;
    operator.checked = session.operator;
  } else {
    status.textContent = 'Not signed in (this API has no dev issuer: use a token of your identity provider)';
  }
  byId('identity-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    signIn(sub.value.trim(), operator.checked).then(
      () => location.reload(),
      (error: unknown) => {
        status.textContent = `Sign-in failed: ${error instanceof Error ? error.message : String(error)}`;
      },
    );
  });
  return session;
}

async function main(): Promise<void> {
  const session = await identity();
  const health = await api.health().catch(() => undefined);
  if (health?.temporalUiUrl) {
    const uiLink = byId('ui-link', HTMLAnchorElement);
    uiLink.href = health.temporalUiUrl;
    uiLink.hidden = false;
  }

  const list = createBookingsList();
  let refreshLater: ReturnType<typeof setTimeout> | undefined;

  const live = createLiveView({
    operator: session?.operator ?? false,
    onStatus: () => void list.refresh(),
    onEnd: (view: BookingView | undefined) => {
      form.refreshInventory(); // called only after the form exists
      void list.refresh();
      // The read model takes the terminal status a moment after the workflow shows it.
      clearTimeout(refreshLater);
      refreshLater = setTimeout(() => void list.refresh(), 1_000);
      if (view) announce(`Booking ${view.status}.`);
    },
  });

  const form = createBookForm({
    faultInjection: health?.faultInjection ?? false,
    onBooked: (view) => {
      live.open(view.bookingId, view);
      if (location.hash !== bookingHash(view.bookingId)) location.hash = bookingHash(view.bookingId);
      live.focus();
      announce(`Booking ${view.bookingId} started.`);
      void list.refresh();
    },
  });

  function route(event?: HashChangeEvent): void {
    // ?booking=<id> works too; it becomes the hash form.
    const query = new URLSearchParams(location.search).get('booking');
    if (query && !location.hash) {
      history.replaceState(null, '', `${location.pathname}${bookingHash(query)}`);
    }
    const match = BOOKING_HASH.exec(location.hash);
    if (!match) {
      live.close();
      return;
    }
    const id = decodeURIComponent(match[1]!);
    if (id === live.bookingId) return;
    live.open(id);
    if (event) live.focus(); // a link was followed: the live view is where the user went
  }

  window.addEventListener('hashchange', route);
  route();
  await Promise.all([form.load(), list.refresh()]);
  document.body.dataset.ready = 'true';
}

void main();
