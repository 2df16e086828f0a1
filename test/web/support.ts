// The browser tests' harness: the whole stack (startStack: a real `temporal server start-dev`, a
// worker, the API serving the page) and Chromium through playwright-core, plus helpers that read
// the page the way a user sees it.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import type { Stack } from '../../src/dev/stack.ts';
import { type BookingStatus, type StepState, TERMINAL_STATUSES } from '../../src/booking/booking.ts';
import type { StepName } from '../../src/booking/steps.ts';
import { buildWeb } from '../../scripts/build-web.ts';
import { startTestStack } from '../helpers/dev-stack.ts';
import { fetchAs } from '../helpers/identity.ts';

export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');
export const DOC_IMAGES = join(process.cwd(), 'docs', 'images');
export const UPDATE_DOC_IMAGES = process.env.UPDATE_DOC_IMAGES === '1';
/** Statuses after which the saga does nothing more on its own. */
export const TERMINAL = TERMINAL_STATUSES;

export interface WebHarness {
  stack: Stack;
  browser: Browser;
  /** The page's URL: the API serves it at /. */
  url: string;
  close(): Promise<void>;
}

/** Builds the page, starts the stack on a database of its own, launches Chromium. */
export async function startWebHarness(label: string): Promise<WebHarness> {
  await buildWeb();
  const [testStack, browser] = await Promise.all([
    startTestStack(`web_${label}`), // faults on: the scenario picker books the failure table
    chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    }),
  ]);
  await mkdir(SCREENSHOTS, { recursive: true });
  return {
    stack: testStack.stack,
    browser,
    url: testStack.stack.apiUrl,
    async close() {
      await browser.close().catch(() => undefined);
      await testStack.stop();
    },
  };
}

export interface OpenedPage {
  page: Page;
  /** Content-Security-Policy violations and uncaught errors seen so far. */
  problems: () => Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Opens the page (or a path of it) in a fresh context and records every CSP violation (console
 * messages and `securitypolicyviolation` events) and every uncaught error.
 */
export async function openPage(
  h: WebHarness,
  path = '/',
  viewport = { width: 1280, height: 900 },
): Promise<OpenedPage> {
  const context = await h.browser.newContext({ viewport });
  const page = await context.newPage();
  const seen: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text()))
      seen.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (error) => seen.push(`pageerror: ${error.message}`));
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.violatedDirective}: ${e.blockedURI}`),
    );
  });
  await page.goto(new URL(path, h.url).toString(), { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  return {
    page,
    problems: async () => [
      ...seen,
      ...(await page
        .evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? [])
        .catch(() => [] as string[])),
    ],
    close: () => context.close(),
  };
}

// ---------- Reading the page ----------

export const stepRow = (page: Page, step: StepName) => page.locator(`[data-step="${step}"]`);

export async function waitForStepState(
  page: Page,
  step: StepName,
  states: StepState | StepState[],
  timeout = 20_000,
): Promise<void> {
  const wanted: string[] = Array.isArray(states) ? states : [states];
  await page.waitForFunction(
    ([s, w]) => w.includes(document.querySelector(`[data-step="${s}"]`)?.getAttribute('data-state') ?? ''),
    [step, wanted] as const,
    { timeout, polling: 50 },
  );
}

export async function waitForStatus(
  page: Page,
  statuses: BookingStatus | BookingStatus[],
  timeout = 20_000,
): Promise<BookingStatus> {
  const wanted: string[] = Array.isArray(statuses) ? statuses : [statuses];
  await page.waitForFunction(
    (w) => w.includes(document.getElementById('booking-status')?.getAttribute('data-status') ?? ''),
    wanted,
    {
      timeout,
      polling: 50,
    },
  );
  return (await page.locator('#booking-status').getAttribute('data-status')) as BookingStatus;
}

/** Each step row's state, in the page's order: compare with a ledger of test/helpers/steps.ts. */
export async function stepStates(page: Page): Promise<[string, string | null][]> {
  return page.evaluate((): [string, string | null][] =>
    [...document.querySelectorAll('[data-step]')].map((row) => [
      row.getAttribute('data-step') ?? '',
      row.getAttribute('data-state'),
    ]),
  );
}

/** Records, from now on, every state each step row reaches, in order (a MutationObserver in the page). */
export async function recordTransitions(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const log: string[] = [];
    const last = new Map<string, string>();
    const scan = () => {
      for (const row of document.querySelectorAll('[data-step]')) {
        const step = row.getAttribute('data-step') ?? '';
        const state = row.getAttribute('data-state') ?? '';
        if (last.get(step) !== state) {
          last.set(step, state);
          log.push(`${step}:${state}`);
        }
      }
    };
    new MutationObserver(scan).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-state'],
    });
    (window as unknown as { __transitions: string[] }).__transitions = log;
  });
  return () => page.evaluate(() => (window as unknown as { __transitions: string[] }).__transitions);
}

/** Signs the page in through the identity form (the dev issuer): the page reloads as `sub`. */
export async function signInAs(page: Page, sub: string, operator = false): Promise<void> {
  await page.fill('#identity-sub', sub);
  await page.setChecked('#identity-operator', operator);
  await Promise.all([page.waitForEvent('load'), page.click('#identity-button')]);
  await page.waitForSelector('body[data-ready="true"]');
  await expect.poll(() => page.locator('#identity-status').getAttribute('data-sub')).toBe(sub);
  expect(await page.locator('#identity-status').getAttribute('data-role')).toBe(operator ? 'operator' : 'customer');
}

/** Signs in as the customer, then fills the form: a scenario (when given) first, since it sets the card, flight and hotel. */
export async function fillForm(
  page: Page,
  options: {
    customerId: string;
    scenario?: string;
    card?: 'good' | 'declined' | 'expired';
    flightNumber?: string;
    hotelId?: string;
    date?: string;
  },
): Promise<void> {
  await signInAs(page, options.customerId);
  if (options.date) {
    await page.fill('#flight-date', options.date);
    await page.dispatchEvent('#flight-date', 'change');
  }
  if (options.flightNumber) {
    await page.waitForSelector(`#flight option[value="${options.flightNumber}"]`, { state: 'attached' });
    await page.selectOption('#flight', options.flightNumber);
  }
  if (options.hotelId) await page.selectOption('#hotel', options.hotelId);
  if (options.scenario) await page.selectOption('#scenario', options.scenario);
  if (options.card) await page.check(`#card-${options.card}`);
}

/** Clicks Book and returns the booking ID the live view then shows (and the URL holds). */
export async function book(page: Page): Promise<string> {
  await page.click('#book-button');
  await page.waitForURL(/#\/bookings\/[A-Za-z0-9_-]+$/, { timeout: 10_000 });
  const id = decodeURIComponent(new URL(page.url()).hash.replace('#/bookings/', ''));
  await expect.poll(() => page.locator('#booking-id').textContent()).toBe(id);
  return id;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

// ---------- The API, for what the screen cannot show ----------

/** As an operator (a dev-issuer token), so every booking is readable. */
export async function getJson<T>(h: WebHarness, path: string): Promise<T> {
  const res = await fetchAs(new URL(path, h.url).toString());
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

export const getBooking = (h: WebHarness, id: string) => getJson<BookingView>(h, `/bookings/${id}`);

/** Waits until the booking is closed in the read model (the list and the DB agree with the screen). */
export async function waitForClosed(h: WebHarness, id: string, timeoutMs = 20_000): Promise<BookingView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await getBooking(h, id);
    if (TERMINAL.includes(view.status) && view.source === 'read-model') return view;
    if (Date.now() > deadline) throw new Error(`booking ${id} never closed; last: ${view.status}`);
    await delay(100);
  }
}

export async function seatsLeft(h: WebHarness, flightNumber: string, date: string): Promise<number> {
  const { items } = await getJson<{ items: { seatsAvailable: number }[] }>(
    h,
    `/flights?flightNumber=${flightNumber}&date=${date}`,
  );
  return items[0]!.seatsAvailable;
}

/** Rooms free at a hotel for a stay (check-in and nights), as GET /hotels answers. */
export async function roomsLeft(
  h: WebHarness,
  hotelId: string,
  stay: { checkIn: string; nights: number },
): Promise<number> {
  const { items } = await getJson<{ items: { hotelId: string; roomsAvailable: number }[] }>(
    h,
    `/hotels?checkIn=${stay.checkIn}&nights=${stay.nights}`,
  );
  return items.find((x) => x.hotelId === hotelId)!.roomsAvailable;
}
