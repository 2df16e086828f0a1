// Hold now, pay later on the page, in a real browser against the whole stack: hold a trip, watch
// the countdown run, extend it once, confirm with a card, and see it CONFIRMED.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { daysFromNow } from '../helpers/booking.ts';
import { invariantViolations } from '../helpers/db.ts';
import { waitingBefore } from '../helpers/steps.ts';
import { waitedFor } from '../../src/web/format.ts';
import {
  book,
  fillForm,
  openPage,
  startWebHarness,
  stepStates,
  waitForClosed,
  waitForStatus,
  type WebHarness,
} from './support.ts';

let h: WebHarness;
beforeAll(async () => {
  h = await startWebHarness('hold');
});
afterAll(async () => {
  await h?.close();
});

test('an operator wait in words: minutes, then hours, then days', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  expect(waitedFor('2026-11-28T11:15:00Z', now)).toBe('45 minutes');
  expect(waitedFor('2026-11-28T07:00:00Z', now)).toBe('5 hours');
  expect(waitedFor('2026-11-19T10:00:00Z', now)).toBe('9 days');
});

describe('a hold on the page', () => {
  test('hold, watch the countdown, extend once, confirm, CONFIRMED', async () => {
    const { page, problems, close } = await openPage(h);
    try {
      await fillForm(page, {
        customerId: 'web-hold',
        date: daysFromNow(9),
        flightNumber: 'TB100',
        hotelId: 'HTL-TOKYO-SHINJUKU',
        scenario: 'happy',
      });
      expect(await page.locator('#hold-minutes').isDisabled()).toBe(true);
      await page.check('#hold');
      await page.fill('#hold-minutes', '2');
      expect(await page.locator('#book-button').textContent()).toBe('Hold trip');
      const id = await book(page).catch(async (e: unknown) => {
        throw new Error(`${String(e)}; the form says: ${await page.locator('#form-errors').textContent()}`);
      });
      expect(await waitForStatus(page, ['HELD'])).toBe('HELD');
      expect(await stepStates(page)).toEqual(waitingBefore('payment'));
      expect(await page.locator('#card-last4').textContent()).toBe('—');
      expect(await page.locator('#cancel-button').isVisible()).toBe(true);

      // The countdown runs: at most two minutes, and it goes down.
      const secondsLeft = async () => Number(await page.locator('#hold-countdown').getAttribute('data-seconds-left'));
      const first = await secondsLeft();
      expect(first).toBeGreaterThan(60);
      expect(first).toBeLessThanOrEqual(120);
      expect(await page.locator('#hold-countdown').textContent()).toMatch(/^[12]:[0-5][0-9]$/);
      await expect.poll(secondsLeft, { timeout: 5_000 }).toBeLessThan(first);
      expect(await page.locator('#hold-deadline').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);

      // Once, 15 minutes longer: the countdown jumps, and the button goes.
      await page.click('#extend-button');
      await expect.poll(secondsLeft, { timeout: 5_000 }).toBeGreaterThan(15 * 60);
      await expect.poll(() => page.locator('#extend-button').isVisible()).toBe(false);
      expect(await page.locator('#hold-countdown').textContent()).toMatch(/^1[67]:[0-5][0-9]$/);

      await page.selectOption('#confirm-card', 'good');
      await page.click('#confirm-button');
      expect(await waitForStatus(page, ['CONFIRMED', 'FAILED'])).toBe('CONFIRMED');
      expect(await page.locator('#hold-line').isVisible()).toBe(false);
      expect(await page.locator('#confirm-form').isVisible()).toBe(false);
      expect(await page.locator('#card-last4').getAttribute('data-last4')).toBe('4242');
      expect(await page.locator('#price-total').textContent()).toBe('$760.00');
      const view = await waitForClosed(h, id);
      expect(view).toMatchObject({
        status: 'CONFIRMED',
        holdExpiresAt: expect.stringMatching(/Z$/) as unknown,
        confirmed: { by: 'web-hold' },
      });
      expect(await invariantViolations(h.stack.dbs)).toEqual([]);
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });
});
