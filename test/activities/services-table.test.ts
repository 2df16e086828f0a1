// The worker's services against the step table: one service per step, no activity named twice.
// (A row whose activity no service has fails to compile: src/activities/index.ts.)
import { describe, expect, test } from 'vitest';
import { createActivities, servicesMismatch } from '../../src/activities/index.ts';
import { TRIP_SERVICES } from '../../src/activities/services.ts';
import { STEP_ACTIVITY_NAMES, STEP_NAMES } from '../../src/booking/steps.ts';
import { createDb } from '../../src/db/client.ts';

describe('the services the worker runs', () => {
  test('match the step table: every step has its service, and the worker has every step activity', () => {
    expect(
      servicesMismatch(
        STEP_NAMES,
        TRIP_SERVICES.map((s) => s.step),
        STEP_ACTIVITY_NAMES,
      ),
    ).toBeUndefined();
    // Building the activities connects nothing (Prisma connects on the first query).
    const activities = createActivities({
      db: createDb('postgresql://unused@127.0.0.1:1/none'),
      faultInjection: false,
    });
    for (const name of STEP_ACTIVITY_NAMES) expect(typeof activities[name], name).toBe('function');
  });

  test('a step without its service, a service without its step, an activity named twice: each is named', () => {
    expect(servicesMismatch(['flight', 'car', 'payment'], ['flight', 'payment'], [])).toBe(
      'the services (src/activities/services.ts) do not match the step table (src/booking/steps.ts): no service for step car',
    );
    expect(servicesMismatch(['flight'], ['flight', 'hotel'], [])).toMatch(/a service for hotel, which is no step$/);
    expect(servicesMismatch(['flight'], ['flight'], ['reserveFlight', 'cancelFlight', 'reserveFlight'])).toMatch(
      /activity reserveFlight named twice$/,
    );
  });
});
