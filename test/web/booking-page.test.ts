// The booking page in a real browser against the whole stack: a booking that succeeds, an expired
// card that unwinds (hotel before flight, seats and rooms back), a double click that books once,
// no CSP violations, and a phone-width screen.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { SEED_DAYS } from '../../src/activities/shared/seed.ts';
import { SOLD_OUT_HOTEL } from '../../src/booking/scenarios.ts';
import { daysFromNow } from '../helpers/booking.ts';
import { invariantViolations } from '../helpers/db.ts';
import { compensationsFrom, compensationsOf, everyStep, failedAt, stepsBefore } from '../helpers/steps.ts';
import {
  book,
  fillForm,
  getBooking,
  getJson,
  openPage,
  recordTransitions,
  roomsLeft,
  screenshot,
  seatsLeft,
  startWebHarness,
  stepRow,
  stepStates,
  waitForClosed,
  waitForStatus,
  type WebHarness,
} from './support.ts';

let h: WebHarness;
beforeAll(async () => {
  h = await startWebHarness('page');
});
afterAll(async () => {
  await h?.close();
});

describe('the booking page', () => {
  test('loads under the CSP with no violations; every field has a label; it is keyboard usable', async () => {
    const { page, problems, close } = await openPage(h);
    try {
      const response = await page.request.get(h.url);
      expect(response.headers()['content-security-policy']).toContain("script-src 'self'");
      // The stylesheet applied (it is the only styling the CSP allows).
      expect(
        await page
          .locator('.panel')
          .first()
          .evaluate((el) => getComputedStyle(el).borderRadius),
      ).toBe('10px');
      // The pickers are filled from the API; fault injection is on in tests, so the scenarios show.
      await expect.poll(() => page.locator('#flight option').count()).toBeGreaterThan(1);
      expect(await page.locator('#hotel option').count()).toBe(4);
      expect(await page.locator('#scenario-field').isVisible()).toBe(true);
      expect(await page.locator('#flight option[value="TB404"]').textContent()).toContain('sold out');
      // Check-in and check-out follow the flight date: +3 nights.
      expect(await page.inputValue('#flight-date')).toBe(daysFromNow(7));
      expect(await page.inputValue('#check-in')).toBe(daysFromNow(7));
      expect(await page.inputValue('#check-out')).toBe(daysFromNow(10));
      await page.fill('#flight-date', daysFromNow(20));
      await page.dispatchEvent('#flight-date', 'change');
      expect(await page.inputValue('#check-out')).toBe(daysFromNow(23));

      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('input, select, textarea')]
          .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label'))
          .map((el) => el.id),
      );
      expect(unlabelled).toEqual([]);
      expect(await page.locator('[aria-live="polite"]').count()).toBeGreaterThan(0);

      // Keyboard: Tab from the test card reaches the scenario, then the Book button; Enter books.
      await page.focus('#card-good');
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('scenario');
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('book-button');
      const outline = await page.locator('#book-button').evaluate((el) => getComputedStyle(el).outlineStyle);
      expect(outline).toBe('solid'); // a visible focus ring
      await page.keyboard.press('Enter');
      await page.waitForURL(/#\/bookings\//);
      expect(await waitForStatus(page, ['CONFIRMED'])).toBe('CONFIRMED');
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });

  test('a booking that ends CONFIRMED on screen, with prices and card (a customer gets no Web UI link)', async () => {
    const { page, problems, close } = await openPage(h);
    try {
      const date = daysFromNow(8);
      await fillForm(page, {
        customerId: 'web-confirmed',
        date,
        flightNumber: 'TB100',
        hotelId: 'HTL-TOKYO-SHINJUKU',
        scenario: 'happy',
      });
      await page.selectOption('#seat-preference', 'window');
      const id = await book(page);
      expect(await waitForStatus(page, ['CONFIRMED', 'FAILED', 'CANCELLED'])).toBe('CONFIRMED');
      expect(await stepStates(page)).toEqual(everyStep('DONE'));
      expect(await page.locator('#booking-status').textContent()).toBe('CONFIRMED');
      expect(await page.locator('#price-flight').textContent()).toMatch(/^\$220\.00 \(TB100, 1 seat: \d+[AF]\)$/); // a window seat
      expect(await page.locator('#price-hotel').textContent()).toContain('$540.00');
      expect(await page.locator('#price-hotel').textContent()).toContain('3 nights');
      expect(await page.locator('#price-total').textContent()).toBe('$760.00');
      expect(await page.locator('#card-last4').getAttribute('data-last4')).toBe('4242');
      expect(await page.locator('#cancel-button').isVisible()).toBe(false);
      expect(await page.locator('#failure').isVisible()).toBe(false);
      // A customer gets no link to the Temporal Web UI (operators' views carry it: live-view.test.ts).
      expect(await page.locator('#history-link').isVisible()).toBe(false);
      await expect.poll(() => page.locator('#inventory-flight').getAttribute('data-seats-available')).toBe('119');
      // The list shows it, and the API agrees.
      await expect
        .poll(() => page.locator(`#booking-list li[data-booking-id="${id}"]`).getAttribute('data-status'), {
          timeout: 5_000,
        })
        .toBe('CONFIRMED');
      const view = await waitForClosed(h, id);
      expect(view).toMatchObject({
        status: 'CONFIRMED',
        customerId: 'web-confirmed',
        payment: { amount: '760.00', last4: '4242' },
      });
      await screenshot(page, 'confirmed');

      // The list filters by status, and each entry opens its live view (the URL says which).
      await page.selectOption('#status-filter', 'COMPENSATION_FAILED');
      await expect
        .poll(() => page.locator('#booking-list-empty').textContent())
        .toBe('No COMPENSATION_FAILED bookings.');
      await page.selectOption('#status-filter', 'CONFIRMED');
      await expect.poll(() => page.locator(`#booking-list li[data-booking-id="${id}"]`).count()).toBe(1);
      expect(
        new Set(
          await page
            .locator('#booking-list li')
            .evaluateAll((items) => items.map((li) => li.getAttribute('data-status'))),
        ),
      ).toEqual(new Set(['CONFIRMED']));
      await page.evaluate(() => {
        location.hash = '';
      });
      await expect.poll(() => page.locator('#live').isHidden()).toBe(true);
      await page.locator(`#booking-list li[data-booking-id="${id}"] a`).click();
      await page.waitForURL(new RegExp(`#/bookings/${id}$`));
      expect(await waitForStatus(page, 'CONFIRMED')).toBe('CONFIRMED');
      expect(await page.locator('#booking-id').textContent()).toBe(id);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('live-title');
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });

  test('the hotel picker and the inventory panel show the rooms free for the chosen stay, night by night', async () => {
    const { page, problems, close } = await openPage(h);
    try {
      const jeju = page.locator(`#hotel option[value="${SOLD_OUT_HOTEL}"]`);
      const setStay = async (checkIn: string, checkOut: string) => {
        await page.fill('#check-in', checkIn);
        await page.dispatchEvent('#check-in', 'change');
        await page.fill('#check-out', checkOut);
        await page.dispatchEvent('#check-out', 'change');
      };
      // The sold-out hotel is full on every seeded night, and free on the nights after them.
      await expect.poll(() => jeju.textContent()).toContain('fully booked these nights');
      await setStay(daysFromNow(SEED_DAYS), daysFromNow(SEED_DAYS + 2));
      await expect.poll(() => jeju.textContent()).toContain('3 rooms left these nights');
      await setStay(daysFromNow(SEED_DAYS - 1), daysFromNow(SEED_DAYS + 2));
      await expect.poll(() => jeju.textContent()).toContain('fully booked these nights');

      // A booked stay: the panel counts the rooms free on its nights, not tonight's.
      const date = daysFromNow(15);
      await fillForm(page, {
        customerId: 'web-stay',
        date,
        flightNumber: 'TB100',
        hotelId: 'HTL-TOKYO-SHINJUKU',
        scenario: 'happy',
      });
      await book(page);
      expect(await waitForStatus(page, ['CONFIRMED', 'FAILED', 'CANCELLED'])).toBe('CONFIRMED');
      const forStay = await roomsLeft(h, 'HTL-TOKYO-SHINJUKU', { checkIn: date, nights: 3 });
      expect(forStay).toBeLessThan(await roomsLeft(h, 'HTL-TOKYO-SHINJUKU', { checkIn: daysFromNow(0), nights: 1 }));
      await expect
        .poll(() => page.locator('#inventory-hotel').getAttribute('data-rooms-available'))
        .toBe(String(forStay));
      expect(await page.locator('#inventory-hotel').textContent()).toContain(`${date} → ${daysFromNow(18)}`);
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });

  test('an expired card: payment FAILED, then hotel and flight COMPENSATED in that order; seats and rooms come back', async () => {
    const { page, problems, close } = await openPage(h);
    try {
      const date = daysFromNow(9);
      const before = {
        seats: await seatsLeft(h, 'TB300', date),
        rooms: await roomsLeft(h, 'HTL-SF-UNION', { checkIn: date, nights: 3 }),
      };
      await fillForm(page, {
        customerId: 'web-expired',
        date,
        flightNumber: 'TB300',
        hotelId: 'HTL-SF-UNION',
        scenario: 'card-expired',
      });
      expect(await page.isChecked('#card-expired')).toBe(true);
      const transitions = await recordTransitions(page);
      const id = await book(page);
      expect(await waitForStatus(page, ['CONFIRMED', 'FAILED', 'CANCELLED'])).toBe('FAILED');

      const seen = await transitions();
      const at = (entry: string) => seen.indexOf(entry);
      expect(at('payment:FAILED'), seen.join(' ')).toBeGreaterThanOrEqual(0);
      expect(at('hotel:COMPENSATED'), seen.join(' ')).toBeGreaterThan(at('payment:FAILED'));
      expect(at('flight:COMPENSATED'), seen.join(' ')).toBeGreaterThan(at('hotel:COMPENSATED'));
      expect(await stepStates(page)).toEqual(failedAt('payment'));

      // In words: why it failed, what each undo did.
      expect(await page.locator('#failure').textContent()).toMatch(/Card expired at the payment step/);
      expect(await stepRow(page, 'payment').locator('[data-role="detail"]').textContent()).toMatch(/^Card expired: /);
      expect(await stepRow(page, 'payment').getAttribute('data-undo-outcome')).toBe('NOTHING_TO_UNDO');
      expect(await stepRow(page, 'payment').locator('[data-role="undo-outcome"]').textContent()).toBe(
        'nothing to undo',
      );
      for (const step of stepsBefore('payment')) {
        expect(await stepRow(page, step).getAttribute('data-undo-outcome')).toBe('UNDONE');
        expect(await stepRow(page, step).locator('[data-role="undo-outcome"]').textContent()).toBe('undone');
      }
      expect(await page.locator('#price-total').textContent()).toBe('$1,670.00'); // $890 + 3 × $260, never charged
      expect(await page.locator('#card-last4').getAttribute('data-last4')).toBe('4242');

      // Seats and rooms are back where they were: on the panel and in the API.
      await expect
        .poll(() => page.locator('#inventory-flight').getAttribute('data-seats-available'))
        .toBe(String(before.seats));
      await expect
        .poll(() => page.locator('#inventory-hotel').getAttribute('data-rooms-available'))
        .toBe(String(before.rooms));
      await waitForClosed(h, id);
      expect(await seatsLeft(h, 'TB300', date)).toBe(before.seats);
      expect(await roomsLeft(h, 'HTL-SF-UNION', { checkIn: date, nights: 3 })).toBe(before.rooms);
      const view = await getBooking(h, id);
      expect(compensationsOf(view)).toEqual(compensationsFrom('payment', { payment: 'NOTHING_TO_UNDO' }));
      expect(await invariantViolations(h.stack.dbs)).toEqual([]);
      await screenshot(page, 'expired-card-compensated');
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });

  test('the unknown-flight scenario books a flight that is not in the schedule: FAILED with FlightNotFound, nothing to undo', async () => {
    const { page, problems, close } = await openPage(h);
    try {
      await fillForm(page, { customerId: 'web-unknown-flight', date: daysFromNow(16), scenario: 'flight-not-found' });
      expect(await page.locator('#flight').inputValue()).toBe('XX999');
      const id = await book(page);
      expect(await waitForStatus(page, ['CONFIRMED', 'FAILED', 'CANCELLED'])).toBe('FAILED');
      expect(await stepStates(page)).toEqual(failedAt('flight'));
      expect(await page.locator('#failure').textContent()).toMatch(/FlightNotFound|no flight XX999/);
      expect((await waitForClosed(h, id)).failure).toMatchObject({ step: 'flight', type: 'FlightNotFound' });
      await screenshot(page, 'unknown-flight');
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });

  test('a double click on Book makes exactly one booking', async () => {
    const { page, problems, close } = await openPage(h);
    try {
      const customerId = `web-dblclick-${Date.now()}`;
      await fillForm(page, { customerId, date: daysFromNow(11), scenario: 'happy' });
      const requests: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && new URL(r.url()).pathname === '/bookings')
          requests.push(r.headers()['idempotency-key'] ?? '');
      });
      await page.dblclick('#book-button');
      await page.waitForURL(/#\/bookings\//);
      expect(await waitForStatus(page, ['CONFIRMED', 'FAILED', 'CANCELLED'])).toBe('CONFIRMED');
      const { items } = await getJson<{ items: BookingView[] }>(h, `/bookings?customerId=${customerId}`);
      expect(items).toHaveLength(1);
      expect(requests.length).toBeGreaterThanOrEqual(1);
      expect(new Set(requests).size).toBe(1); // any request sent carried the same Idempotency-Key
      expect(requests[0]).toMatch(/^[0-9a-f-]{36}$/);
      await screenshot(page, 'double-click');
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });

  test('at phone width (390 px) the form is usable: one column, nothing wider than the screen, a booking goes through', async () => {
    const { page, problems, close } = await openPage(h, '/', { width: 390, height: 844 });
    try {
      const noSideways = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      expect(await noSideways()).toBe(true);
      const columns = await page
        .locator('main')
        .evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length);
      expect(columns).toBe(1);
      for (const id of [
        '#flight-date',
        '#flight',
        '#hotel',
        '#check-in',
        '#check-out',
        '#seats',
        '#rooms',
        '#identity-sub',
        '#scenario',
        '#book-button',
      ]) {
        const box = await page.locator(id).boundingBox();
        expect(box, id).not.toBeNull();
        expect(box!.x, id).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width, id).toBeLessThanOrEqual(390);
        expect(box!.height, id).toBeGreaterThanOrEqual(30); // big enough to tap
      }
      await fillForm(page, { customerId: 'web-phone', date: daysFromNow(12), scenario: 'happy', card: 'declined' });
      await page.fill('#seats', '2');
      await page.fill('#rooms', '2');
      await book(page);
      expect(await waitForStatus(page, ['CONFIRMED', 'FAILED', 'CANCELLED'])).toBe('FAILED');
      expect(await page.locator('#failure').textContent()).toMatch(/Card declined/);
      expect(await page.locator('#price-flight').textContent()).toContain('2 seats');
      expect(await noSideways()).toBe(true);
      await screenshot(page, 'phone-width');
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });
});
