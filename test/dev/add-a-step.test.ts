// The README's "Add a step", done: a copy of this checkout gets the car rental step of
// test/fixtures/car-rental (its service folder, and its own database's schema and migrations), one
// row in the step table, one entry in the list of services and one in the list of databases, and
// nothing else; its client is generated as `npm run db:generate` does. The copy compiles, and its
// whole stack (a real dev server, the worker, the API, the page in Chromium, and a database of the
// car's own) books trips with the car between the hotel and the payment: the charge is the sum of
// every step's price, an unwind gives the car back in reverse order, and the invariants, which read
// the car's books from its database too, hold.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import type { SqlClient } from '../../src/db/client.ts';
import type * as Db from '../helpers/db.ts';
import type * as Identity from '../helpers/identity.ts';
import type * as Temporal from '../helpers/temporal.ts';
import type * as Web from '../web/support.ts';

const run = promisify(execFile);
const CHECKOUT = join(import.meta.dirname, '..', '..');
const FIXTURE = join(CHECKOUT, 'test', 'fixtures', 'car-rental');
/** What a checkout holds: its files (tracked, or new and not ignored), and the Prisma client it generated. */
async function checkoutFiles(root: string): Promise<string[]> {
  const { stdout } = await run('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  // node_modules is linked into the copy, never copied (a checkout may have it as a symlink, which
  // .gitignore's `node_modules/` does not match).
  const listed = stdout.split('\0').filter((f) => f && f !== 'node_modules' && existsSync(join(root, f)));
  return [...listed, ...(await filesUnder(join(root, 'src/generated'))).map((f) => join('src/generated', f))];
}

/** The files of `copy` that are new, and those whose content differs from the checkout's. */
async function differences(copy: string, files: readonly string[]): Promise<{ added: string[]; changed: string[] }> {
  const added: string[] = [];
  const changed: string[] = [];
  for (const file of (await filesUnder(copy)).filter((f) => !f.startsWith('node_modules'))) {
    if (!files.includes(file)) added.push(file);
    else if (!(await readFile(join(copy, file))).equals(await readFile(join(CHECKOUT, file)))) changed.push(file);
  }
  return { added: added.sort(), changed: changed.sort() };
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** Replaces `from` (which must be there, once) with `to` in a file of the copy. */
async function edit(root: string, file: string, from: string, to: string): Promise<void> {
  const text = await readFile(join(root, file), 'utf8');
  expect(text.split(from).length - 1, `${file} has "${from}" once`).toBe(1);
  await writeFile(join(root, file), text.replace(from, to));
}

/** What "Add a step" asks for: the fixture's service folder and database, one row, two entries. */
async function addCarStep(root: string): Promise<void> {
  for (const file of (await filesUnder(FIXTURE)).filter((f) => f !== 'README.md'))
    await cp(join(FIXTURE, file), join(root, file));
  await edit(
    root,
    'src/booking/steps.ts',
    "import { paymentStep } from '../activities/payments/step.ts';",
    "import { paymentStep } from '../activities/payments/step.ts';\nimport { carStep } from '../activities/cars/step.ts';",
  );
  await edit(
    root,
    'src/booking/steps.ts',
    '[flightStep, hotelStep, paymentStep]',
    '[flightStep, hotelStep, carStep, paymentStep]',
  );
  await edit(
    root,
    'src/activities/services.ts',
    "import { payments } from './payments/index.ts';",
    "import { payments } from './payments/index.ts';\nimport { cars } from './cars/index.ts';",
  );
  await edit(root, 'src/activities/services.ts', '[flights, hotels, payments]', '[flights, hotels, cars, payments]');
  await edit(
    root,
    'src/db/databases.ts',
    "['flights', 'hotels', 'payments'] as const",
    "['flights', 'hotels', 'cars', 'payments'] as const",
  );
}

let copy: string;
let touched: { added: string[]; changed: string[] };
let web: typeof Web;
let db: typeof Db;
let temporal: typeof Temporal;
let identity: typeof Identity;
let h: Web.WebHarness;

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'trip-add-a-step-'));
  const files = await checkoutFiles(CHECKOUT);
  for (const file of files) await cp(join(CHECKOUT, file), join(copy, file));
  await symlink(join(CHECKOUT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  await addCarStep(copy);
  touched = await differences(copy, files);
  // The car's client, as `npm run db:generate` makes it (the copy shares this checkout's node_modules).
  await run(process.execPath, [join(copy, 'scripts', 'generate-clients.ts')], { cwd: copy });
  // The copy's own modules, car step and all: its stack, its page, its invariants.
  web = (await import(join(copy, 'test/web/support.ts'))) as typeof Web;
  db = (await import(join(copy, 'test/helpers/db.ts'))) as typeof Db;
  temporal = (await import(join(copy, 'test/helpers/temporal.ts'))) as typeof Temporal;
  identity = (await import(join(copy, 'test/helpers/identity.ts'))) as typeof Identity;
  h = await web.startWebHarness('add_a_step');
}, 180_000);

afterAll(async () => {
  await h?.close();
  if (copy) await rm(copy, { recursive: true, force: true });
});

/** The booking request of test/api/support.ts, through the copy's API. */
async function bookAndSettle(customerId: string, overrides: Record<string, unknown> = {}): Promise<BookingView> {
  const { bookingBody } = (await import(join(copy, 'test/api/support.ts'))) as typeof import('../api/support.ts');
  const res = await identity.fetchAs(new URL('/bookings', h.url).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...bookingBody({ customerId }), ...overrides }),
  });
  expect(res.status).toBe(201);
  const { bookingId } = (await res.json()) as BookingView;
  return web.waitForClosed(h, bookingId);
}

/** The car service's database in the copy's stack (this checkout's types know no car). */
const carsDb = () => (h.stack.dbs as unknown as { cars: SqlClient }).cars;

async function carRental(bookingId: string) {
  const [row] = await carsDb().$queryRaw<{ status: string; price_cents: number; days: number }[]>`
    SELECT status::text AS status, price_cents, days FROM car_rentals WHERE booking_id = ${bookingId}`;
  return row;
}

describe('adding a car rental step', () => {
  test('touches the fixture folder, one row of the step table and one entry of the services: what the README lists', async () => {
    expect(touched.added).toEqual([
      'prisma/cars/migrations/20270101000000_cars_baseline/migration.sql',
      'prisma/cars/migrations/migration_lock.toml',
      'prisma/cars/schema.prisma',
      'src/activities/cars/activities.ts',
      'src/activities/cars/books.ts',
      'src/activities/cars/db.ts',
      'src/activities/cars/index.ts',
      'src/activities/cars/step.ts',
      'src/activities/cars/types.ts',
    ]);
    expect(touched.changed).toEqual(['src/activities/services.ts', 'src/booking/steps.ts', 'src/db/databases.ts']);
    // The README's "Add a step" names each of them: the changed files whole, the service's files
    // by their names in its folder, its database by where schemas and migrations go.
    const readme = await readFile(join(CHECKOUT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Add a step'),
      readme.indexOf('\n## ', readme.indexOf('## Add a step') + 1),
    );
    for (const file of touched.changed) expect(section).toContain(`\`${file}\``);
    expect(section).toContain('`src/activities/<service>/`');
    for (const file of touched.added.filter((f) => f.startsWith('src/activities/cars/')))
      expect(section).toContain(`\`${basename(file)}\``);
    expect(section).toContain('`prisma/<database>/schema.prisma`');
    expect(section).toContain('`prisma/<database>/migrations/<timestamp>_<name>/migration.sql`');
    // What ships type-checks as it is: the trip's request and details, the fault targets and the
    // activities follow the table. (The tests' expectations are of the three-step trip.)
    await writeFile(
      join(copy, 'tsconfig.shipped.json'),
      JSON.stringify({ extends: './tsconfig.json', include: ['src', 'scripts'] }),
    );
    await run(join(CHECKOUT, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', join(copy, 'tsconfig.shipped.json')], {
      cwd: copy,
    }).catch((error: { stdout: string }) => {
      throw new Error(`the copy does not type-check:\n${error.stdout}`);
    });
    // Lints as it is, and keeps the import rules: no cycle, no service importing another.
    await run(
      join(CHECKOUT, 'node_modules', '.bin', 'eslint'),
      ['src/activities/cars', 'src/booking/steps.ts', 'src/activities/services.ts'],
      { cwd: copy },
    );
    await run(process.execPath, [join(copy, 'scripts', 'check-imports.ts'), copy]);
  }, 180_000);

  test('a booking rents the car between the hotel and the payment, and pays for all three', async () => {
    const view = await bookAndSettle('car-confirmed');
    expect(view.status).toBe('CONFIRMED');
    expect(view.steps.map((s) => `${s.name}:${s.state}`)).toEqual([
      'flight:DONE',
      'hotel:DONE',
      'car:DONE',
      'payment:DONE',
    ]);
    const rental = await carRental(view.bookingId);
    expect(rental).toMatchObject({ status: 'RESERVED', days: 3, price_cents: 3 * 4_500 });
    const rows = await db.serviceRows(h.stack.dbs, view.bookingId);
    expect(rows.payment?.amountCents).toBe(rows.flight!.priceCents + rows.hotel!.priceCents + rental!.price_cents);
    const history = await h.stack.client.workflow.getHandle(`booking-${view.bookingId}`).fetchHistory();
    expect(temporal.activitySequence(history).filter((a) => !a.startsWith('syncBooking'))).toEqual([
      'reserveFlight',
      'reserveHotel',
      'reserveCar',
      'chargePayment',
    ]);
    expect(await db.invariantViolations(h.stack.dbs)).toEqual([]);
  });

  test('a declined card gives the car back, then the hotel, then the flight', async () => {
    const view = await bookAndSettle('car-declined', { faults: { chargePayment: 'fail' } });
    expect(view.status).toBe('FAILED');
    expect(view.failure).toMatchObject({ step: 'payment', type: 'InjectedFailure' });
    expect(view.compensations.map((c) => `${c.activity}:${c.outcome}`)).toEqual([
      'refundPayment:NOTHING_TO_UNDO',
      'cancelCar:UNDONE',
      'cancelHotel:UNDONE',
      'cancelFlight:UNDONE',
    ]);
    expect(await carRental(view.bookingId)).toMatchObject({ status: 'CANCELLED' });
    expect(await db.invariantViolations(h.stack.dbs)).toEqual([]);
  });

  test('no car left at the hotel: the booking fails at the car, before any charge', async () => {
    const hotelId = 'HTL-SEOUL-MYEONGDONG';
    await carsDb().$executeRaw`
      INSERT INTO car_fleets (hotel_id, capacity, cars_available, daily_price_cents) VALUES (${hotelId}, 0, 0, 4500)
      ON CONFLICT (hotel_id) DO UPDATE SET capacity = 0, cars_available = 0`;
    const { bookingBody } = (await import(join(copy, 'test/api/support.ts'))) as typeof import('../api/support.ts');
    const body = bookingBody({ customerId: 'car-sold-out', hotel: { hotelId } });
    const view = await bookAndSettle('car-sold-out', { hotel: body.hotel });
    expect(view.status).toBe('FAILED');
    expect(view.failure).toMatchObject({ step: 'car', type: 'CarSoldOut' });
    expect(view.steps.map((s) => `${s.name}:${s.state}`)).toEqual([
      'flight:COMPENSATED',
      'hotel:COMPENSATED',
      'car:FAILED',
      'payment:SKIPPED',
    ]);
    expect((await db.serviceRows(h.stack.dbs, view.bookingId)).payment).toBeNull();
    expect(await db.invariantViolations(h.stack.dbs)).toEqual([]);
  });

  test('the page shows the car step as it runs and ends', async () => {
    const { page, problems, close } = await web.openPage(h);
    try {
      await web.fillForm(page, { customerId: 'car-page' });
      const id = await web.book(page);
      expect(await web.waitForStatus(page, ['CONFIRMED', 'FAILED'])).toBe('CONFIRMED');
      expect(await web.stepStates(page)).toEqual([
        ['flight', 'DONE'],
        ['hotel', 'DONE'],
        ['car', 'DONE'],
        ['payment', 'DONE'],
      ]);
      await expect.poll(() => web.stepRow(page, 'car' as never).textContent()).toMatch(/Car.*reserveCar/s);
      expect((await web.waitForClosed(h, id)).status).toBe('CONFIRMED');
      expect(await problems()).toEqual([]);
    } finally {
      await close();
    }
  });
});
