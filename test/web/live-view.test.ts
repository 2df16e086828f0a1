// The live view while a saga runs, in a real browser against the whole stack: a cancel from the
// page mid-saga, a reload and a dropped connection mid-saga, and a compensation that is retried
// (with the README's screenshots of it, and of its history in the Temporal Web UI).
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHotelService } from '../../src/activities/hotels/activities.ts';
import { daysFromNow } from '../helpers/booking.ts';
import { poll } from '../helpers/poll.ts';
import { invariantViolations } from '../helpers/db.ts';
import { compensationsFrom, compensationsOf, everyStep, failedAt, runningAt, undoneThrough } from '../helpers/steps.ts';
import {
  DOC_IMAGES,
  SCREENSHOTS,
  UPDATE_DOC_IMAGES,
  book,
  fillForm,
  signInAs,
  getBooking,
  openPage,
  roomsLeft,
  screenshot,
  seatsLeft,
  startWebHarness,
  stepRow,
  stepStates,
  waitForClosed,
  waitForStatus,
  waitForStepState,
  type WebHarness,
} from './support.ts';

let h: WebHarness;
beforeAll(async () => {
  h = await startWebHarness('live');
});
afterAll(async () => {
  await h?.close();
});

describe('the live view', () => {
  test('Cancel mid-saga (the hotel step times out once, so it runs ~6 s) → CANCELLED on screen, with compensations', async () => {
    const { page, problems, close } = await openPage(h);
    try {
      const date = daysFromNow(13);
      const before = {
        seats: await seatsLeft(h, 'TB200', date),
        rooms: await roomsLeft(h, 'HTL-SEOUL-MYEONGDONG', { checkIn: date, nights: 3 }),
      };
      await fillForm(page, {
        customerId: 'web-cancel',
        date,
        flightNumber: 'TB200',
        hotelId: 'HTL-SEOUL-MYEONGDONG',
        scenario: 'reserveHotel:timeout',
      });
      expect(await page.locator('#faults-summary').textContent()).toBe('injected faults: reserveHotel=timeout');
      const id = await book(page);
      await waitForStepState(page, 'hotel', 'RUNNING');
      expect(await page.locator('#booking-status').textContent()).toBe('PENDING');
      expect(await stepRow(page, 'flight').getAttribute('data-state')).toBe('DONE');

      await page.click('#cancel-button');
      expect(await waitForStatus(page, ['CONFIRMED', 'FAILED', 'CANCELLED'])).toBe('CANCELLED');
      expect(await stepStates(page)).toEqual(undoneThrough('hotel'));
      expect(await stepRow(page, 'hotel').getAttribute('data-undo-outcome')).toBe('UNDONE');
      expect(await stepRow(page, 'flight').getAttribute('data-undo-outcome')).toBe('UNDONE');
      expect(await stepRow(page, 'payment').getAttribute('data-undo-outcome')).toBeNull();
      expect(await page.locator('#failure').textContent()).toMatch(/Cancelled: cancelled by the user/);
      expect(await page.locator('#cancel-button').isVisible()).toBe(false);
      expect(await page.locator('#announcer').textContent()).toMatch(/CANCELLED/);

      const view = await waitForClosed(h, id);
      expect(view.status).toBe('CANCELLED');
      expect(compensationsOf(view)).toEqual(compensationsFrom('hotel'));
      await expect
        .poll(() => page.locator('#inventory-hotel').getAttribute('data-rooms-available'))
        .toBe(String(before.rooms));
      expect(await seatsLeft(h, 'TB200', date)).toBe(before.seats);
      expect(await roomsLeft(h, 'HTL-SEOUL-MYEONGDONG', { checkIn: date, nights: 3 })).toBe(before.rooms);
      await screenshot(page, 'cancelled');

      // A cancel the API refuses (409: here, the booking is already over) is explained, not thrown.
      await page.locator('#cancel-button').evaluate((button: HTMLButtonElement) => button.click());
      await expect
        .poll(() => page.locator('#action-message').textContent())
        .toMatch(/^Cancel not possible now: the booking is CANCELLED\.$/);
      expect(await invariantViolations(h.stack.dbs)).toEqual([]);
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });

  test('a reload mid-saga, whose event stream then drops, shows the same booking and step states again, then its end', async () => {
    const { page, problems, close } = await openPage(h);
    try {
      await fillForm(page, { customerId: 'web-reload', date: daysFromNow(14), scenario: 'reserveHotel:timeout' });
      const id = await book(page);
      await waitForStepState(page, 'hotel', 'RUNNING');
      const before = await stepStates(page);
      expect(before).toEqual(runningAt('hotel'));

      // After the reload, the first event stream drops at once (as a flaky network or proxy would).
      let streams = 0;
      await page.route('**/bookings/*/events', async (route) => {
        streams++;
        if (streams === 1)
          await route.fulfill({
            status: 200,
            headers: { 'content-type': 'text/event-stream' },
            body: 'retry: 1500\n\n',
          });
        else await route.continue();
      });
      // Every text the connection status takes, recorded in the page as it changes: the
      // 'reconnecting' one lasts a second, and a poll from outside can miss it on a busy machine.
      await page.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { connectionTexts: string[] }).connectionTexts = seen;
        new MutationObserver(() => {
          const text = document.getElementById('connection')?.textContent ?? '';
          if (seen.at(-1) !== text) seen.push(text);
        }).observe(document, { subtree: true, childList: true, characterData: true });
      });
      await page.reload({ waitUntil: 'load' });
      await page.waitForSelector('body[data-ready="true"]');
      expect(new URL(page.url()).hash).toBe(`#/bookings/${id}`);
      expect(await page.locator('#booking-id').textContent()).toBe(id);
      const connectionTexts = () =>
        page.evaluate(() => (window as unknown as { connectionTexts: string[] }).connectionTexts);
      await poll(connectionTexts, (texts) => texts.some((t) => /reconnecting/.test(t)), {
        what: "the stream's drop on screen",
        timeoutMs: 10_000,
      });

      // EventSource reconnects by itself, and the view is the same as before the reload.
      await waitForStepState(page, 'hotel', 'RUNNING', 5_000);
      expect(streams).toBe(2);
      expect(await stepStates(page)).toEqual(before);
      expect(await page.locator('#booking-status').textContent()).toBe('PENDING');
      expect(await page.locator('#connection').textContent()).toBe('live');
      expect(await stepRow(page, 'hotel').locator('[data-role="attempts"]').textContent()).toMatch(/^attempt \d$/);

      // The hotel step timed out once and was retried: the retry found its work done.
      expect(await waitForStatus(page, ['CONFIRMED', 'FAILED', 'CANCELLED'], 30_000)).toBe('CONFIRMED');
      expect(await page.locator('#booking-id').textContent()).toBe(id);
      expect(await stepStates(page)).toEqual(everyStep('DONE'));
      expect(await stepRow(page, 'hotel').locator('[data-role="attempts"]').textContent()).toBe('2 attempts');
      expect((await waitForClosed(h, id)).status).toBe('CONFIRMED');
      await screenshot(page, 'reloaded');
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });

  test('an expired card whose hotel undo times out once: the unwind is visibly in progress, retried, then FAILED (and the README screenshots)', async () => {
    const { page, problems, close } = await openPage(h, '/', { width: 1280, height: 1000 });
    try {
      await fillForm(page, {
        customerId: 'web-unwind',
        date: daysFromNow(15),
        scenario: 'cancelHotel:timeout',
        card: 'expired',
      });
      expect(await page.locator('#faults-summary').textContent()).toBe('injected faults: cancelHotel=timeout');
      const id = await book(page);
      await waitForStepState(page, 'hotel', 'COMPENSATING');
      expect(await page.locator('#booking-status').textContent()).toBe('COMPENSATING');
      expect(await stepRow(page, 'payment').getAttribute('data-state')).toBe('FAILED');
      expect(await stepRow(page, 'flight').getAttribute('data-state')).toBe('DONE'); // not yet: hotel first
      // The first attempt times out (5 s); the retry's wait shows, in words.
      await expect
        .poll(() => stepRow(page, 'hotel').locator('[data-role="undo-detail"]').textContent(), {
          timeout: 10_000,
          interval: 100,
        })
        .toMatch(/attempt 2 · last failure: .*timeout/i);
      await screenshot(page, 'compensating');
      if (UPDATE_DOC_IMAGES)
        await copyFile(join(SCREENSHOTS, 'compensating.png'), join(DOC_IMAGES, 'page-compensating.png'));

      expect(await waitForStatus(page, ['CONFIRMED', 'FAILED', 'CANCELLED'], 20_000)).toBe('FAILED');
      expect(await stepStates(page)).toEqual(failedAt('payment'));
      expect(await stepRow(page, 'hotel').locator('[data-role="undo-attempts"]').textContent()).toBe('2 attempts');
      const view = await waitForClosed(h, id);
      expect(view.steps.find((s) => s.name === 'hotel')?.undo).toMatchObject({ outcome: 'UNDONE', attempts: 2 });

      if (UPDATE_DOC_IMAGES) {
        // The same booking in the Temporal Web UI (served by the dev server), from an operator's link.
        const href = view.links.history;
        expect(href).toBeTruthy();
        const ui = await page.context().newPage();
        await ui.setViewportSize({ width: 1280, height: 1400 });
        await ui.goto(href!, { waitUntil: 'load' });
        await ui.getByText('cancelHotel').first().waitFor({ timeout: 20_000 });
        await ui.waitForTimeout(1_500);
        await ui.screenshot({ path: join(DOC_IMAGES, 'web-ui-history.png') });
      }
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });

  test('a compensation that fails for good: the customer sees no operator actions; an operator does; a retry fails again, a resolve after a manual fix ends it FAILED, recorded as the operator', async () => {
    const { page, problems, close } = await openPage(h);
    try {
      await fillForm(page, { customerId: 'web-operator', date: daysFromNow(15), scenario: 'cancelHotel:fail' });
      const id = await book(page);
      expect(await waitForStatus(page, 'COMPENSATION_FAILED')).toBe('COMPENSATION_FAILED');
      expect(await stepStates(page)).toEqual(failedAt('payment', { hotel: 'COMPENSATION_FAILED' }));
      // The customer who booked it: no operator actions.
      expect(await page.locator('#retry-button').isVisible()).toBe(false);
      expect(await page.locator('#resolve-form').isVisible()).toBe(false);
      expect(await page.locator('#history-link').isVisible()).toBe(false); // no link to the Web UI either
      // Switched to an operator: the same booking (from the URL), with the operator's actions.
      await signInAs(page, 'op-web', true);
      expect(await waitForStatus(page, 'COMPENSATION_FAILED')).toBe('COMPENSATION_FAILED');
      expect(await page.locator('#identity-status').textContent()).toBe('Signed in as op-web (operator)');
      expect(await page.locator('#retry-button').isVisible()).toBe(true);
      const history = page.locator('#history-link');
      expect(await history.isVisible()).toBe(true);
      expect(await history.getAttribute('target')).toBe('_blank');
      expect(await history.getAttribute('href')).toBe(`${h.stack.uiUrl}/namespaces/default/workflows/booking-${id}`);
      expect(await page.locator('#resolve-form').isVisible()).toBe(true);
      expect(await page.locator('#cancel-button').isVisible()).toBe(false);

      // Retry: accepted, runs cancelHotel again, which fails again.
      await page.click('#retry-button');
      await expect.poll(async () => (await getBooking(h, id)).compensations.length, { timeout: 20_000 }).toBe(4);
      expect(await waitForStatus(page, 'COMPENSATION_FAILED')).toBe('COMPENSATION_FAILED');

      // A person cancels the hotel by hand, then resolves with a note.
      await createHotelService(h.stack.dbs.hotels).cancelHotel({ bookingId: id });
      await page.fill('#resolve-note', 'cancelled by phone with the hotel');
      await page.locator('#resolve-form button[type="submit"]').click();
      expect(await waitForStatus(page, ['FAILED', 'CANCELLED'])).toBe('FAILED');
      const view = await waitForClosed(h, id);
      expect(view.resolution).toMatchObject({ note: 'cancelled by phone with the hotel', by: 'op-web' });
      expect(view.retriedBy).toEqual(['op-web']);
      expect(await page.locator('#retry-button').isVisible()).toBe(false);
      expect(await invariantViolations(h.stack.dbs)).toEqual([]);
      await screenshot(page, 'operator-resolved');
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });
});
