// The worker's services against the step table (one service per step, no activity named twice)
// and against the list of databases (each service has a database of its own).
// (A row whose activity no service has fails to compile: src/activities/index.ts.)
import { describe, expect, test } from 'vitest';
import { connectDatabases, databasesMismatch } from '../../src/activities/databases.ts';
import { createActivities, servicesMismatch } from '../../src/activities/index.ts';
import { TRIP_SERVICES } from '../../src/activities/services.ts';
import { STEP_ACTIVITY_NAMES, TRIP_STEPS } from '../../src/booking/steps.ts';
import { SERVICE_DATABASES, databaseUrls } from '../../src/db/databases.ts';
import type { NativeConnection } from '@temporalio/worker';
import { workerDeploymentOptions } from '../../src/temporal/versioning.ts';
import {
  WORKER_ROLES,
  parseWorkerRoles,
  tripWorkerOptions,
  type TripWorkerOptions,
} from '../../src/temporal/worker-factory.ts';

describe('the services the worker runs', () => {
  test('match the step table: every step has its service, and the worker has every step activity', () => {
    expect(
      servicesMismatch(
        TRIP_STEPS.map((s) => s.service),
        TRIP_SERVICES.map((s) => s.name),
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
    expect(servicesMismatch(['flights', 'cars', 'payments'], ['flights', 'payments'], [])).toBe(
      'the services (src/activities/services.ts) do not match the step table (src/booking/steps.ts): no service cars, which a step names',
    );
    expect(servicesMismatch(['flights'], ['flights', 'hotels'], [])).toMatch(/a service hotels no step names$/);
    expect(servicesMismatch(['flights'], ['flights'], ['reserveFlight', 'cancelFlight', 'reserveFlight'])).toMatch(
      /activity reserveFlight named twice$/,
    );
  });

  test("each worker role runs its own activities only: a service's on its queue, the booking's workflows and read model on the booking's", () => {
    const base: TripWorkerOptions = {
      connection: {} as NativeConnection, // read by Worker.create, never by these options
      taskQueue: 'q',
      dbs: connectDatabases(databaseUrls('postgresql://unused@127.0.0.1:1/none', {}, true).urls),
      faultInjection: false,
      worker: { workerDeploymentOptions: workerDeploymentOptions({ deploymentName: 'd', buildId: 'b' }) },
    };
    for (const service of TRIP_SERVICES) {
      const options = tripWorkerOptions(base, service.name);
      const own = TRIP_STEPS.filter((s) => s.service === service.name).flatMap((s) => [s.activity, s.undo]);
      expect(options.taskQueue).toBe(`q-${service.name}`);
      expect(Object.keys(options.activities ?? {}).sort()).toEqual(own.sort());
      // No workflows the activity way; versioned with the process's build in its own deployment.
      expect(options).not.toHaveProperty('workflowsPath');
      expect(options.workerDeploymentOptions).toEqual({
        version: { deploymentName: `d-${service.name}`, buildId: 'b' },
        useWorkerVersioning: true,
        defaultVersioningBehavior: 'AUTO_UPGRADE',
      });
      // Without the booking's deployment options, no worker is versioned.
      expect(tripWorkerOptions({ ...base, worker: {} }, service.name)).not.toHaveProperty('workerDeploymentOptions');
    }
    const booking = tripWorkerOptions(base, 'booking');
    expect(booking.taskQueue).toBe('q');
    expect(Object.keys(booking.activities ?? {}).sort()).toEqual([
      'findUnwoundBookings',
      'markTerminated',
      'recordGiveBack',
      'syncBooking',
    ]);
    expect(booking.workerDeploymentOptions).toEqual(base.worker!.workerDeploymentOptions);
    expect(WORKER_ROLES).toEqual(['booking', ...TRIP_SERVICES.map((s) => s.name)]);
    expect(parseWorkerRoles([])).toEqual(WORKER_ROLES);
    expect(parseWorkerRoles(['hotels', ' hotels ', 'booking'])).toEqual(['hotels', 'booking']);
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
