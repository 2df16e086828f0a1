// The booking team's workflow: a step that calls the flight service over Nexus. It reserves, undoes
// on demand, and, as the saga's unwind does, undoes after a failure or a cancel (in a
// non-cancellable scope, so a cancelled workflow still undoes).
import { NexusOperationFailure } from '@temporalio/common';
import {
  ApplicationFailure,
  CancellationScope,
  createNexusServiceClient,
  isCancellation,
  TimeoutFailure,
  type NexusOperationCancellationType,
} from '@temporalio/workflow';
import { HandlerError } from 'nexus-rpc';
import {
  flightService,
  type CancelFlightRequest,
  type CancelFlightResult,
  type FlightReservation,
  type ReserveFlightRequest,
} from './flight-service.ts';

export interface BookFlightInput {
  endpoint: string;
  request: ReserveFlightRequest;
  /** How a cancel of the workflow reaches the running reserve (the SDK's default: WAIT_CANCELLATION_COMPLETED). */
  cancellationType?: NexusOperationCancellationType;
  /** The reserve's end-to-end timeout (ms), the step's own; default a minute. */
  reserveTimeoutMs?: number;
  /** Undo once reserved (on demand), and the undo's own arguments. */
  undoAfterReserve?: boolean;
  undo?: Omit<CancelFlightRequest, 'bookingId'>;
}

/** One link of a failure's cause chain, as the workflow sees it. */
export interface FailureLink {
  name: string;
  message: string;
  /** ApplicationFailure: its type and whether it is non-retryable. */
  type?: string | null;
  nonRetryable?: boolean;
  /** Nexus HandlerError: its type and whether it is retryable. */
  handlerErrorType?: string;
  retryable?: boolean;
  /** TimeoutFailure: which timeout. */
  timeoutType?: string | null;
  /** NexusOperationFailure: the operation and its token. */
  operation?: string;
  operationToken?: string;
}

export interface BookFlightResult {
  reservation?: FlightReservation;
  failure?: FailureLink[];
  undo?: CancelFlightResult;
}

export async function bookFlight(input: BookFlightInput): Promise<BookFlightResult> {
  const flights = createNexusServiceClient({ endpoint: input.endpoint, service: flightService });
  const { bookingId, flightNumber, seats } = input.request;
  const undo = () =>
    flights.executeOperation(
      'cancelFlight',
      { bookingId, ...input.undo },
      // The undo's budget, as the step's UNDO_OPTIONS give it: a day.
      { summary: `Undo flight: cancelFlight ${bookingId}`, scheduleToCloseTimeout: '24 hours' },
    );
  try {
    const reservation = await flights.executeOperation('reserveFlight', input.request, {
      summary: `Reserve ${seats} seat(s) on ${flightNumber}`,
      scheduleToCloseTimeout: input.reserveTimeoutMs ?? 60_000,
      ...(input.cancellationType ? { cancellationType: input.cancellationType } : {}),
    });
    if (!input.undoAfterReserve) return { reservation };
    return { reservation, undo: await undo() };
  } catch (error) {
    const undone = await CancellationScope.nonCancellable(undo);
    if (isCancellation(error)) throw error;
    return { failure: causeChain(error), undo: undone };
  }
}

function causeChain(error: unknown): FailureLink[] {
  const chain: FailureLink[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) chain.push(describe(e));
  return chain;
}

function describe(e: Error): FailureLink {
  const link: FailureLink = { name: e.name, message: e.message };
  if (e instanceof ApplicationFailure) return { ...link, type: e.type, nonRetryable: Boolean(e.nonRetryable) };
  if (e instanceof HandlerError) return { ...link, handlerErrorType: e.type, retryable: e.retryable };
  if (e instanceof TimeoutFailure) return { ...link, timeoutType: e.timeoutType };
  if (e instanceof NexusOperationFailure)
    return { ...link, operation: e.operation, ...(e.operationToken ? { operationToken: e.operationToken } : {}) };
  return link;
}
