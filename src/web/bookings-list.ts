// Recent bookings from the read model (GET /bookings), newest first, with a status filter. Each
// opens its live view through the URL (#/bookings/<id>).
import { api, type BookingSummary } from './api.ts';
import { byId, h, setText } from './dom.ts';
import { dateTime, money, typeInWords, waitedFor } from './format.ts';
import type { BookingStatus } from '../booking/booking.ts';

export const bookingHash = (id: string) => `#/bookings/${encodeURIComponent(id)}`;

export function createBookingsList() {
  const list = byId('booking-list', HTMLUListElement);
  const empty = byId('booking-list-empty', HTMLParagraphElement);
  const filter = byId('status-filter', HTMLSelectElement);
  const refreshButton = byId('refresh-bookings', HTMLButtonElement);
  let request = 0;

  function item(b: BookingSummary): HTMLLIElement {
    const reason = b.failure ? ` · ${typeInWords(b.failure.type)} at ${b.failure.step}` : '';
    const waits = b.operatorWaitSince
      ? ` · waiting for an operator for ${waitedFor(b.operatorWaitSince)}`
      : b.holdExpiresAt
        ? ` · held until ${dateTime(b.holdExpiresAt)}`
        : '';
    return h(
      'li',
      { 'data-booking-id': b.bookingId, 'data-status': b.status },
      h(
        'a',
        { href: bookingHash(b.bookingId) },
        h('span', { class: 'badge', 'data-state': b.status }, b.status),
        ' ',
        h('code', { class: 'booking-ref' }, b.bookingId),
      ),
      h(
        'span',
        { class: 'muted' },
        ` ${b.customerId} · ${b.total ? `total ${money(b.total, b.currency)}` : 'no total'}${reason}${waits} · ${dateTime(b.createdAt)}`,
      ),
    );
  }

  async function refresh(): Promise<void> {
    const mine = ++request;
    try {
      const { items } = await api.bookings((filter.value || undefined) as BookingStatus | undefined);
      if (mine !== request) return;
      list.replaceChildren(...items.map(item));
      empty.hidden = items.length > 0;
      setText(empty, filter.value ? `No ${filter.value} bookings.` : 'No bookings yet.');
    } catch (error) {
      if (mine !== request) return;
      empty.hidden = false;
      setText(empty, `Bookings could not be loaded: ${(error as Error).message}`);
    }
  }

  filter.addEventListener('change', () => void refresh());
  refreshButton.addEventListener('click', () => void refresh());
  return { refresh };
}
