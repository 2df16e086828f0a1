import { expect } from 'vitest';
import type { BookingStatus } from '../../src/booking/booking.ts';
import type { StepName } from '../../src/booking/steps.ts';
import { invariantViolations, serviceRows } from '../helpers/db.ts';
import { statesOf, step, type Ledger } from '../helpers/steps.ts';
import { failureTypes, type BookingRun, type Harness } from './harness.ts';

export interface SagaExpectation {
  status: BookingStatus;
  /** Each step's state, in the table's order (test/helpers/steps.ts builds them). */
  steps: Ledger;
  /** Compensation activities in the order they ran. */
  compensations: readonly string[];
  /** The failure's step and type, for FAILED bookings. */
  failure?: { step: StepName; type: string };
  /** The failure type at the bottom of the workflow's failure chain, when it differs. */
  causeType?: string;
}

/** Final status, ledger, compensation order (state and history), read model, and DB invariants. */
export async function expectSaga(h: Harness, run: BookingRun, expected: SagaExpectation): Promise<void> {
  const { state } = run;
  expect(state.status).toBe(expected.status);
  expect(statesOf(state)).toEqual(expected.steps);
  expect(state.compensations.map((c) => c.activity)).toEqual(expected.compensations);
  expect(run.compensations).toEqual(expected.compensations);
  if (expected.failure) {
    expect(state.failure).toMatchObject(expected.failure);
    expect(step(state, expected.failure.step).error?.type).toBe(expected.failure.type);
  }
  if (expected.status === 'FAILED') {
    // The workflow fails with BookingFailed, caused by the step's ActivityFailure and its cause.
    expect(failureTypes(run.error)).toEqual([
      'BookingFailed',
      'ActivityFailure',
      expected.causeType ?? expected.failure!.type,
    ]);
  } else {
    expect(run.error).toBeUndefined();
  }
  const rows = await serviceRows(h.tdb.dbs, state.bookingId);
  expect(rows.booking?.status).toBe(expected.status);
  expect((rows.booking?.state as { version: number }).version).toBe(state.version);
  expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
}
