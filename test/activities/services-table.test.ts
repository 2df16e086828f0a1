// The worker's services against the step table (one service per step, no activity named twice)
// and against the list of databases (each service has a database of its own).
// (A row whose activity no service has fails to compile: src/activities/index.ts.)
import { describe, expect, test } from 'vitest';
import { connectDatabases, databasesMismatch } from '../../src/activities/databases.ts';
import { createActivities, servicesMismatch } from '../../src/activities/index.ts';
import { TRIP_SERVICES } from '../../src/activities/services.ts';
import { STEP_ACTIVITY_NAMES, STEP_NAMES } from '../../src/booking/steps.ts';
import { SERVICE_DATABASES, databaseUrls } from '../../src/db/databases.ts';

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
      dbs: connectDatabases(databaseUrls('postgresql://unused@127.0.0.1:1/none', {}, true).urls),
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

describe('the services and their databases', () => {
  test('each service has a database of the list, of its own, and each database of the list a service', () => {
    expect(
      databasesMismatch(
        SERVICE_DATABASES,
        TRIP_SERVICES.map((s) => s.database.name),
      ),
    ).toBeUndefined();
  });

  test('a database without its service, a service whose database is not listed, one shared by two: each is named', () => {
    expect(databasesMismatch(['flights', 'hotels'], ['flights'])).toBe(
      'the services (src/activities/services.ts) do not match their databases (src/db/databases.ts): no service for database hotels',
    );
    expect(databasesMismatch(['flights'], ['flights', 'cars'])).toMatch(/a service's database cars is not listed$/);
    expect(databasesMismatch(['flights'], ['flights', 'flights'])).toMatch(/database flights named twice$/);
  });
});
