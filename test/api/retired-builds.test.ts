// Sagas of a retired build, seen through today's API: while v4's sagas drain on v4 workers (the
// archived bundle here), GET shows their live attempts too, also those of an activity that today's
// steps no longer have (v4's selectSeats, part of its flight step).
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createActivities } from '../../src/activities/index.ts';
import { workflowIdFor } from '../../src/booking/booking.ts';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { createTripWorkers } from '../../src/temporal/worker-factory.ts';
import { bookingInput } from '../helpers/booking.ts';
import { poll } from '../helpers/poll.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import { getBooking } from './support.ts';

const V4_BUNDLE = fileURLToPath(new URL('../histories/builds/v4.js', import.meta.url));

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('api_retired_builds');
  api = await startApi(h);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

test("a v4 saga whose seat selection retries: GET shows the attempts on its flight step, as today's steps' own", async () => {
  const taskQueue = `v4-${randomUUID()}`;
  let seatAttempts = 0;
  const v4Worker = await createTripWorkers({
    connection: h.env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: V4_BUNDLE },
    oneQueue: true, // v4 schedules every activity on the booking's task queue
    dbs: h.tdb.dbs,
    faultInjection: false,
    worker: {
      shutdownGraceTime: '1s',
      // Today's activities, and v4's seat selection: its seat map does not answer.
      activities: {
        ...createActivities({ dbs: h.tdb.dbs, faultInjection: false }),
        selectSeats: () => {
          seatAttempts++;
          return Promise.reject(
            ApplicationFailure.create({
              type: 'SeatMapUnavailable',
              message: `the seat map does not answer (attempt ${seatAttempts})`,
            }),
          );
        },
      },
    },
  });
  const running = v4Worker.run();
  const input = await bookingInput(h.tdb.dbs, { customerId: 'cust-v4-drain' });
  const handle = await h.env.client.workflow.start('bookTrip', {
    taskQueue,
    workflowId: workflowIdFor(input.bookingId),
    args: [input],
  });
  try {
    const view = await poll(
      () => getBooking(api.app, input.bookingId),
      (v: BookingView) => (v.steps.find((s) => s.name === 'flight')?.live?.attempt ?? 0) >= 2,
      { what: "the flight step's live attempts (v4's selectSeats retrying)", timeoutMs: 15_000 },
    );
    const flight = view.steps.find((s) => s.name === 'flight')!;
    expect(flight.state).toBe('RUNNING');
    expect(flight.live!.lastFailure).toMatch(/the seat map does not answer \(attempt \d\)/);
    expect(view).toMatchObject({ source: 'workflow', currentStep: 'flight' });
    // The reservation itself is done: only the seat selection retries.
    expect(
      await h.tdb.dbs.flights.flightReservation.count({ where: { bookingId: input.bookingId, status: 'RESERVED' } }),
    ).toBe(1);
  } finally {
    await handle.terminate('test over');
    v4Worker.shutdown();
    await running;
  }
});
