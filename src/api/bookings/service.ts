// The booking service behind the routes: starts bookTrip, reads live state from its query (the
// read model once it is closed or the worker is unreachable), and passes user and operator
// actions to the workflow as Updates.
import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { historyUrl, type Config } from '../../config.ts';
import type { BookingDb } from '../../db/booking-db.ts';
import { writeBookingRow } from '../../db/read-model.ts';
import type { PaymentsDb } from '../../activities/payments/db.ts';
import { tokenizeCard } from '../../activities/payments/vault.ts';
import {
  TASK_QUEUE,
  initialBookingState,
  isTerminal,
  workflowIdFor,
  type BookTripInput,
  type BookingState,
} from '../../booking/booking.ts';
import {
  BOOKING_STATUS_SEARCH_ATTRIBUTE,
  awaitSettledUpdate,
  cancelBookingUpdate,
  confirmHoldUpdate,
  extendHoldUpdate,
  getBookingStateQuery,
  resolveCompensationUpdate,
  retryCompensationUpdate,
} from '../../booking/messages.ts';
import type { CardInput } from '../../activities/payments/vault.ts';
import type { bookTrip } from '../../workflows/book-trip.ts';
import type { giveBackBooking } from '../../workflows/give-back.ts';
import { giveBackWorkflowIdFor } from '../../booking/unwound.ts';
import { TRIP_STEPS } from '../../booking/steps.ts';
import { isRunning, liveSteps, toView as viewOf, type BookingView, type LiveSteps } from './view.ts';
import { nexusLiveSteps } from './nexus-live.ts';
import { listBookings, type BookingListQuery } from './list.ts';
import { ApiError, notFound } from '../http/errors.ts';
import type { Identity } from '../identity/auth.ts';
import { claimKey, deleteExpiredKeys, markStarted, requestHash as hashOf } from './idempotency.ts';
import { admitHold, DEFAULT_HOLD_LIMITS, withdrawPendingRow } from './hold-limits.ts';
import type { BookingRequest } from './request.ts';
import { createSharedWaits, settleWaitId, type SettleMark } from './shared-waits.ts';
import { DAY_MS } from '../../common/dates.ts';
import type { ServiceRoutes } from '../../booking/service-routes.ts';

export type ApiConfig = Pick<Config, 'temporalUiUrl' | 'temporalNamespace' | 'faultInjection' | 'cardVaultKey'> &
  Partial<Pick<Config, 'idempotencyKeyTtlMs' | 'holdLimits'>>;

export interface BookingServiceDeps {
  client: Client;
  /** The booking service's own database: the read model and the idempotency keys. */
  db: BookingDb;
  /** The payment service's database, for its card vault alone (tokenizeCard, the payment service's code). */
  payments: PaymentsDb;
  config: ApiConfig;
  taskQueue?: string;
  /**
   * How each booking calls its services (src/temporal/service-transport.ts): put in its input, so a
   * booking keeps the way it started with. Absent: activities beside the booking's task queue.
   */
  serviceRoutes?: ServiceRoutes;
  /** How long a query or update may wait for the worker before the read model answers instead. */
  workerDeadlineMs?: number;
  /**
   * A client on the NativeConnection of a worker in this process (npm run dev), for plain starts
   * only: they ask for eager dispatch (the server hands the first workflow task back with its
   * answer, straight to that worker). Every other call goes through `client`.
   */
  eagerStarter?: Client;
  /**
   * Whether a plain start may be eager now. An eager start runs on the local worker, whose build it
   * pins the saga to, whatever the deployment's current build: so only while the local build is the
   * current one (src/temporal/versioning.ts, localBuildIsCurrent). Default: always, with an eagerStarter.
   */
  eagerWhen?: () => Promise<boolean>;
  /** Where a best-effort write that failed is told (the read model's PENDING row). */
  logger?: Pick<Logger, 'warn'>;
}

function updateFailureType(error: unknown): string | undefined {
  if (!(error instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = error.cause;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** What the Web UI shows of a booking before its first step: a summary for the list, details for its page. */
function describeBooking(
  input: BookTripInput,
  card: { brand: string; last4: string } | undefined,
): { staticSummary: string; staticDetails: string } {
  const { bookingId, customerId, flight, hotel, faults, hold } = input;
  return {
    staticSummary: `Trip for ${customerId}: ${flight.flightNumber} on ${flight.date}, ${hotel.hotelId} ${hotel.checkIn} → ${hotel.checkOut}`,
    staticDetails: [
      `**Booking** \`${bookingId}\` for customer \`${customerId}\``,
      '',
      `- Flight: ${flight.flightNumber} on ${flight.date}, ${flight.seats} seat(s)`,
      `- Hotel: ${hotel.hotelId}, ${hotel.checkIn} → ${hotel.checkOut}, ${hotel.rooms} room(s)`,
      card
        ? `- Card: ${card.brand} •••• ${card.last4}`
        : `- Hold for ${hold?.minutes} minute(s), then a confirm pays (or it expires)`,
      faults
        ? `- Injected faults: ${Object.entries(faults)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`
        : '- No injected faults',
      '',
      `Saga: ${TRIP_STEPS.map((s) => s.activity).join(' → ')}; on failure or cancel, undo in reverse.`,
    ].join('\n'),
  };
}

export function createBookingService(deps: BookingServiceDeps) {
  const { client, db, payments, config } = deps;
  const taskQueue = deps.taskQueue ?? TASK_QUEUE;
  const deadline = () => Date.now() + (deps.workerDeadlineMs ?? 3_000);
  const toView = (state: BookingState, source: BookingView['source'], live?: LiveSteps) =>
    viewOf(state, source, (workflowId) => historyUrl(config, workflowId), live);
  const handleFor = (bookingId: string) => client.workflow.getHandle<typeof bookTrip>(workflowIdFor(bookingId));

  async function readModel(bookingId: string): Promise<BookingState | undefined> {
    const row = await db.booking.findUnique({ where: { id: bookingId }, select: { state: true } });
    return row ? (row.state as unknown as BookingState) : undefined;
  }

  /** Live state from the workflow while it runs; the read model once it is closed or unreachable. */
  async function get(bookingId: string): Promise<BookingView | undefined> {
    const stored = await readModel(bookingId);
    // Ended, or given back by the reconciler's own workflow: the read model is newer than any workflow's query.
    if (stored && (isTerminal(stored.status) || stored.givingBack)) return toView(stored, 'read-model');
    const handle = handleFor(bookingId);
    try {
      // Live attempts come from describe, and only a running step or undo has them. A booking that
      // waits (HELD, or for an operator) is queried alone, and described only if a step runs after all.
      const waiting = stored?.status === 'HELD' || stored?.status === 'COMPENSATION_FAILED';
      const [state, description] = await client.withDeadline(deadline(), async () => {
        if (!waiting) return Promise.all([handle.query(getBookingStateQuery), handle.describe()]);
        const queried = await handle.query(getBookingStateQuery);
        const running = queried.steps.some(isRunning);
        return [queried, running ? await handle.describe() : undefined] as const;
      });
      // A step over Nexus has its attempts in its service's namespace (nexus-live.ts): best effort,
      // a view without them is still the booking's.
      const live = description
        ? {
            ...liveSteps(description),
            ...(await client.withDeadline(deadline(), () => nexusLiveSteps(client, description)).catch(() => ({}))),
          }
        : {};
      return toView(state, 'workflow', live);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return stored ? toView(stored, 'read-model') : undefined;
      if (stored) return toView(stored, 'read-model'); // the worker or Temporal is unreachable
      throw new ApiError(
        503,
        'temporarily_unavailable',
        'the booking is running but its workflow does not answer; retry shortly',
      );
    }
  }

  /**
   * Runs `fn` for at most `ms`: its answer, or undefined once the time is up (the gRPC calls in it
   * are aborted; the workflow is not touched). A deadline on a wait is not a failure of the booking.
   */
  async function within<T>(ms: number, fn: () => Promise<T>): Promise<T | undefined> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), ms);
    try {
      return await client.withAbortSignal(abort.signal, fn);
    } catch (error) {
      if (abort.signal.aborted) return undefined;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The booking once it settles (awaitSettled), within `waitMs`; else undefined: the workflow is
   * closed, from a build without the Update, or does not answer. The caller then gets the booking
   * as it stands (get), which knows what to say in each case. One wait per booking, shared by
   * every caller that waits on it (shared-waits.ts).
   */
  const waits = createSharedWaits(client, handleFor);
  const settled = (bookingId: string, waitMs: number, known?: SettleMark) => waits.settled(bookingId, waitMs, known);

  /** Whether Temporal has the booking's workflow (no worker needed). */
  const exists = (bookingId: string) =>
    client
      .withDeadline(deadline(), () => handleFor(bookingId).describe())
      .then(
        () => true,
        () => false,
      );

  const ttlMs = config.idempotencyKeyTtlMs ?? DAY_MS;
  let lastCleanup = 0;

  /**
   * Starts a booking for `customerId` (already authorised by the route). With an Idempotency-Key,
   * a repeat of the same request by the same caller returns the same booking, for as long as the
   * key is kept (a row in idempotency_keys), even once Temporal's retention deleted the workflow.
   */
  async function start(
    request: BookingRequest & { customerId: string },
    idempotencyKey?: string,
    caller?: string,
    waitMs?: number,
  ): Promise<{ created: boolean; view: BookingView; eagerlyStarted?: boolean }> {
    if (request.faults && Object.keys(request.faults).length > 0 && !config.faultInjection) {
      throw new ApiError(400, 'fault_injection_disabled', 'faults are only honoured with FAULT_INJECTION=on');
    }
    // The hash is keyed: the body holds a card number, and its plain hash could be brute-forced.
    const requestHash = hashOf(config.cardVaultKey, request);
    let bookingId: string = randomUUID();
    if (idempotencyKey) {
      if (Date.now() - lastCleanup > 600_000) {
        lastCleanup = Date.now();
        void deleteExpiredKeys(db, ttlMs).catch(() => undefined);
      }
      // The key is claimed before anything else is written (not even a card token): one row per
      // caller and key; the first request's booking ID and hash win every race.
      const claim = await claimKey(db, {
        subject: caller ?? request.customerId,
        key: idempotencyKey,
        bookingId,
        requestHash,
        ttlMs,
      });
      if (claim.requestHash !== requestHash) {
        throw new ApiError(
          422,
          'idempotency_key_reused',
          'this Idempotency-Key was already used with a different request',
        );
      }
      if (claim.bookingId !== bookingId && claim.started) return answerRepeat(claim.bookingId, waitMs);
      // Ours, or a concurrent first request still starting it: start the same booking (the
      // workflow ID rejects a second start).
      bookingId = claim.bookingId;
    }
    // A hold has no card yet: its confirm brings one.
    const card = request.payment
      ? await tokenizeCard(payments, config.cardVaultKey, request.customerId, request.payment.card)
      : undefined;
    // Each step's part of the request goes to the workflow as it is; the card only as its token.
    const { customerId, payment: _card, faults, hold, ...steps } = request;
    const input: BookTripInput = {
      bookingId,
      customerId,
      ...steps,
      ...(card ? { payment: { token: card.token, brand: card.brand, last4: card.last4 } } : {}),
      ...(hold ? { hold } : {}),
      ...(faults && Object.keys(faults).length > 0 ? { faults } : {}),
      ...(deps.serviceRoutes ? { services: deps.serviceRoutes } : {}),
    };
    const options: WorkflowStartOptions<typeof bookTrip> = {
      taskQueue,
      workflowId: workflowIdFor(bookingId),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // The request's keyed hash, for whoever reads the workflow (repeats are answered from idempotency_keys).
      memo: { requestHash, customerId },
      // The Web UI can list bookings by status from their start; the workflow keeps it current.
      typedSearchAttributes: [{ key: BOOKING_STATUS_SEARCH_ATTRIBUTE, value: 'PENDING' }],
      ...describeBooking(input, card),
    };
    const initialState = initialBookingState(input, new Date().toISOString());
    // The PENDING row comes first, before anything is started: it is what the reconciler finds a
    // booking by, so a saga terminated before its first status change still gives back what its
    // steps took. A row that cannot be written fails the request, and nothing has started. A hold
    // first passes its customer's limits, which writes the row (hold-limits.ts).
    if (hold) await admitHold(db, config.holdLimits ?? DEFAULT_HOLD_LIMITS, initialState);
    else await writeBookingRow(db, initialState, { ifAbsent: true });
    /** The booking is started: its key says so (the row was written before the start). */
    const started = async () => {
      if (idempotencyKey) await markStarted(db, bookingId);
    };
    try {
      const initial = () => toView(initialState, 'workflow');
      if (waitMs === undefined) {
        const eager = deps.eagerStarter && (await (deps.eagerWhen?.() ?? true)) ? deps.eagerStarter : undefined;
        const handle = eager
          ? await eager.workflow.start<typeof bookTrip>('bookTrip', { ...options, requestEagerStart: true })
          : await client.workflow.start<typeof bookTrip>('bookTrip', options);
        await started();
        return { created: true, view: initial(), ...(handle.eagerlyStarted ? { eagerlyStarted: true } : {}) };
      }
      // Prefer: wait. Update-with-Start rather than waiting on the workflow's result: one call
      // starts the saga and waits on it, and the Update answers when the booking settles, which
      // includes HELD (a hold's result comes only after its confirm) and COMPENSATION_FAILED (an
      // operator's wait may last days); a result would only come when the workflow closes.
      // FAIL on a running workflow with the ID: the same duplicate rule as the plain start.
      const operation = new WithStartWorkflowOperation<typeof bookTrip>('bookTrip', {
        ...options,
        workflowIdConflictPolicy: 'FAIL',
      });
      const state = await within(waitMs, async () => {
        // The first stretch's ID: a waiting repeat attaches to this Update instead of adding one.
        const update = await client.workflow.startUpdateWithStart(awaitSettledUpdate, {
          updateId: settleWaitId(initialState),
          waitForStage: 'ACCEPTED',
          startWorkflowOperation: operation,
        });
        await started();
        return update.result();
      });
      if (state) return { created: true, view: toView(state, 'workflow') };
      // The time is up: the booking as it stands. Started, unless Temporal never took the start;
      // started but with no worker answering yet (none polls, or none is current), as it began.
      const view = (await get(bookingId).catch(() => undefined)) ?? ((await exists(bookingId)) ? initial() : undefined);
      if (!view)
        throw new ApiError(
          503,
          'temporarily_unavailable',
          'the booking could not be started in time; retry (with the same Idempotency-Key)',
        );
      await started();
      return { created: true, view };
    } catch (error) {
      // A booking whose start failed, and which Temporal does not show, takes its row back (an
      // admitted hold, its place): a customer's list holds no booking that never began.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError) && !(await exists(bookingId)))
        await withdrawPendingRow(db, bookingId);
      // Lost a race with a concurrent repeat of this request.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError) || !idempotencyKey) throw error;
      await markStarted(db, bookingId);
      return answerRepeat(bookingId, waitMs);
    }
  }

  /**
   * A repeat of a request whose booking was started: that booking, live or from the read model.
   * A repeat that asks to wait waits on that booking (its awaitSettled Update); it starts none.
   */
  async function answerRepeat(bookingId: string, waitMs?: number): Promise<{ created: false; view: BookingView }> {
    const state = waitMs === undefined ? undefined : await settled(bookingId, waitMs);
    if (state) return { created: false, view: toView(state, 'workflow') };
    const view = await get(bookingId);
    // Started, but neither Temporal nor the read model knows it any more: say so, never start again.
    if (!view)
      throw new ApiError(
        409,
        'idempotency_key_booking_gone',
        `this Idempotency-Key's booking ${bookingId} is no longer kept; use a new key to book again`,
      );
    return { created: false, view };
  }

  /**
   * An operator's Update to the booking's saga; once that has closed, to the reconciler's
   * giveBackBooking workflow of the booking (it takes the same Updates), if one runs.
   */
  async function operatorUpdate(
    bookingId: string,
    run: (handle: WorkflowHandle<typeof bookTrip> | WorkflowHandle<typeof giveBackBooking>) => Promise<BookingState>,
  ): Promise<BookingState> {
    try {
      return await run(handleFor(bookingId));
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      return run(client.workflow.getHandle<typeof giveBackBooking>(giveBackWorkflowIdFor(bookingId)));
    }
  }

  /** Runs an Update; maps refusals to 409, a missing booking to 404, a silent worker to 503. */
  async function update(
    bookingId: string,
    run: () => Promise<BookingState>,
    refusedTypes: string[],
  ): Promise<BookingView> {
    try {
      return toView(await client.withDeadline(deadline(), run), 'workflow');
    } catch (error) {
      const type = updateFailureType(error);
      if (type && refusedTypes.includes(type)) {
        throw new ApiError(409, 'conflict', (error as WorkflowUpdateFailedError).cause?.message ?? 'refused');
      }
      if (error instanceof WorkflowNotFoundError) {
        const stored = await readModel(bookingId);
        if (stored) throw new ApiError(409, 'conflict', `the booking is ${stored.status}`);
        throw notFound('booking');
      }
      if (error instanceof WorkflowUpdateFailedError)
        throw new ApiError(400, 'rejected', error.cause?.message ?? error.message);
      throw new ApiError(503, 'temporarily_unavailable', 'the booking workflow did not answer in time; retry shortly');
    }
  }

  return {
    start,
    get,

    /** The booking's customer (read model, else the workflow), or undefined when there is no such booking. */
    async ownerOf(bookingId: string): Promise<string | undefined> {
      const row = await db.booking.findUnique({ where: { id: bookingId }, select: { customerId: true } });
      if (row) return row.customerId;
      // Not in the read model (yet: the API writes its row just after the start): the workflow's memo says,
      // from Temporal alone, so a slow worker reveals nothing about someone else's booking.
      try {
        const { memo } = await client.withDeadline(deadline(), () => handleFor(bookingId).describe());
        if (typeof memo?.customerId === 'string') return memo.customerId;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw new ApiError(503, 'temporarily_unavailable', 'Temporal does not answer; retry shortly');
      }
      return (await get(bookingId))?.customerId; // started before its memo named the customer
    },

    cancel: (bookingId: string, reason: string | undefined, caller: Identity) =>
      update(
        bookingId,
        () =>
          handleFor(bookingId).executeUpdate(cancelBookingUpdate, {
            args: [{ ...(reason ? { reason } : {}), by: caller.subject }],
          }),
        ['BookingNotCancellable'],
      ),

    /**
     * Confirms a HELD booking with a card: 409 unless HELD (before the card is tokenized), then the
     * workflow's confirmHold Update decides (its validator refuses once the hold's expiry has begun).
     * With `waitMs`, the answer waits for the outcome (or the time).
     */
    async confirm(bookingId: string, cardInput: CardInput, caller: Identity, waitMs?: number): Promise<BookingView> {
      const current = await get(bookingId);
      if (!current) throw notFound('booking');
      if (current.status !== 'HELD') throw new ApiError(409, 'conflict', `the booking is ${current.status}, not HELD`);
      const card = await tokenizeCard(payments, config.cardVaultKey, current.customerId, cardInput);
      const payment = { token: card.token, brand: card.brand, last4: card.last4 };
      const accepted = await update(
        bookingId,
        () => handleFor(bookingId).executeUpdate(confirmHoldUpdate, { args: [{ payment, by: caller.subject }] }),
        ['BookingNotHeld'],
      );
      if (waitMs === undefined) return accepted;
      const state = await settled(bookingId, waitMs, accepted);
      return state ? toView(state, 'workflow') : ((await get(bookingId)) ?? accepted);
    },

    extendHold: (bookingId: string, minutes: number, caller: Identity) =>
      update(
        bookingId,
        () => handleFor(bookingId).executeUpdate(extendHoldUpdate, { args: [{ minutes, by: caller.subject }] }),
        ['HoldNotExtendable'],
      ),

    retryCompensation: (bookingId: string, caller: Identity) =>
      update(
        bookingId,
        () =>
          operatorUpdate(bookingId, (handle) =>
            handle.executeUpdate(retryCompensationUpdate, { args: [{ by: caller.subject }] }),
          ),
        ['NoFailedCompensation'],
      ),

    resolveCompensation: (bookingId: string, note: string, caller: Identity) =>
      update(
        bookingId,
        () =>
          operatorUpdate(bookingId, (handle) =>
            handle.executeUpdate(resolveCompensationUpdate, { args: [{ note, by: caller.subject }] }),
          ),
        ['NoFailedCompensation', 'InvalidNote'],
      ),

    /** A page of the read model, newest first, with a keyset cursor. */
    list: (query: BookingListQuery) => listBookings(db, query),
  };
}

export type BookingService = ReturnType<typeof createBookingService>;
