// Each service's contract as a Nexus service: its operations are its steps' forward activities
// and undos (their input and result types are the service's own, src/activities/<service>/types.ts),
// derived from the step table, so a service added to the table has its contract too. Both sides
// import it: the booking's workflow to call the service's endpoint, the service's worker to handle
// it (src/temporal/service-nexus.ts).
//
// Imported by the workflow: plain data and nexus-rpc's definitions only.
import * as nexus from 'nexus-rpc';
import type { ServiceName } from './service-routes.ts';
import { TRIP_STEPS } from './steps.ts';

/** What every operation takes: one object with the booking's ID (and the step's own fields). */
export interface OperationInput {
  bookingId: string;
}

/** The operations of one service: each of its rows' forward activity, then its undo. */
export function operationsOf(service: ServiceName): string[] {
  return TRIP_STEPS.filter((s) => s.service === service).flatMap((s): string[] => [
    s.activity,
    ...('undo' in s ? [s.undo] : []),
  ]);
}

/** Every service of the table, once, in the table's order. */
export const SERVICE_NAMES: readonly ServiceName[] = [...new Set(TRIP_STEPS.map((s) => s.service))];

/** The operation's kind and its row's options: a forward activity's, or an undo's. */
export function operationRow(service: ServiceName, operation: string) {
  const row = TRIP_STEPS.find(
    (s) => s.service === service && (s.activity === operation || ('undo' in s && s.undo === operation)),
  );
  if (!row) return undefined;
  return row.activity === operation
    ? { row, kind: 'step' as const, options: row.options }
    : { row, kind: 'undo' as const, options: row.undoOptions };
}

type Contract = nexus.ServiceDefinition<Record<string, nexus.OperationDefinition<OperationInput, object>>>;

/** Each service's Nexus service definition, by the service's name. */
export const SERVICE_CONTRACTS = Object.fromEntries(
  SERVICE_NAMES.map((service) => [
    service,
    nexus.service(
      service,
      Object.fromEntries(operationsOf(service).map((op) => [op, nexus.operation<OperationInput, object>()])),
    ),
  ]),
) as Record<ServiceName, Contract>;
