// The actions on a booking, each with its OpenAPI operation: cancel, confirm a hold, extend a
// hold, and an operator's retry or resolve of a failed compensation. Each passes an Update to the
// booking's workflow and answers 202 with the booking as it stands (confirm with Prefer: wait, 200
// with the outcome); each tells every API process that the booking changed.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { parse } from '../http/errors.ts';
import { bodyErrors, commonErrors, error, json, rateLimited } from '../http/openapi-parts.ts';
import { preferenceApplied, preferParameter, waitOf } from '../http/prefer.ts';
import type { Limiters } from '../http/rate-limits.ts';
import type { Operation, Route } from '../http/route.ts';
import { identityOf, type Identity } from '../identity/auth.ts';
import { authErrors, secured } from '../identity/gate.ts';
import { bookingIdOf, bookingIdParameter, notVisible, requireOperator, requireVisible, shown } from './access.ts';
import { cancelRequestSchema, confirmRequestSchema, extendHoldRequestSchema, resolveRequestSchema } from './request.ts';
import type { BookingService } from './service.ts';
import { bookingViewSchema, type BookingView } from './view.ts';

export interface BookingActionRouteDeps {
  service: BookingService;
  limiters: Limiters;
  /** Tells every API process's watchers that the booking changed (an Update changes no row). */
  announce?: (bookingId: string) => Promise<void>;
}

/** An accepted action changed the workflow's state: its watchers read it now, not at their next poll. */
function changed<T>(deps: BookingActionRouteDeps, bookingId: string, answer: T): T {
  void deps.announce?.(bookingId);
  return answer;
}

/** The body of an action that takes none may be empty or `{}`. */
const bodyOf = (req: Request): unknown => (req.body === undefined ? {} : req.body);

const emptyBodySchema = z.strictObject({});

/** What the document says of an action: the booking's ID in the path, a token, and what may refuse it. */
function actionOperation(
  operationId: string,
  summary: string,
  description: string,
  options: { operatorOnly?: boolean } = {},
) {
  return {
    operationId,
    summary,
    description,
    parameters: [bookingIdParameter],
    ...secured,
    responses: {
      '202': json(bookingViewSchema, 'Accepted by the workflow; the booking as it stands now.'),
      ...commonErrors,
      ...bodyErrors,
      ...authErrors,
      ...(options.operatorOnly ? { '403': error('Only an operator (scope bookings:operate) may do this.') } : {}),
      ...rateLimited,
      ...notVisible,
      '409': error('The booking is not in a state that allows this.'),
      '503': error('The workflow did not answer in time.'),
    },
  } satisfies Operation;
}

/** Confirm waits for the payment's outcome with Prefer: wait. */
function confirmOperation(): Operation {
  const action = actionOperation(
    'confirmBooking',
    'Confirm a HELD booking with a card',
    'Tokenizes the card and passes it to the workflow (confirmHold Update); the payment step runs, then CONFIRMED, or the usual unwind and FAILED. 409 unless HELD, or once the hold has expired (the expiry wins from its deadline on). A card that fails validation: 400, nothing written.',
  );
  return {
    ...action,
    parameters: [...action.parameters, preferParameter],
    responses: {
      ...action.responses,
      '202': { ...action.responses['202'], description: 'Accepted: the payment runs (status PENDING).' },
      '200': {
        ...json(
          bookingViewSchema,
          'With Prefer: wait=N: the outcome (CONFIRMED, FAILED) or the booking as it stands after N seconds.',
        ),
        headers: preferenceApplied,
      },
    },
  };
}

/** Who may act: an operator (checked before the body is read), or whoever may see the booking (after). */
type Actor = 'operator' | 'viewer';

interface ActionSpec<S extends z.ZodType> {
  path: string;
  operation: Operation;
  /** The body, as the document describes it; an action without one takes none (or `{}`). */
  body?: { schema: S; required: boolean };
  actor: Actor;
  /** Passes the action to the booking's workflow; answers the booking as it stands, and the status. */
  act: (
    deps: BookingActionRouteDeps,
    call: { id: string; body: z.infer<S>; caller: Identity; req: Request; res: Response },
  ) => Promise<{ view: BookingView; status?: number }>;
}

/**
 * An action's route: the booking's ID, who may act, the body validated before anything is written
 * or sent, then the action, announced to every API process, and 202 (or the status the action
 * answers) with the booking as the caller may see it.
 */
function actionRoute<S extends z.ZodType>(spec: ActionSpec<S>): Route<BookingActionRouteDeps> {
  const schema = spec.body?.schema ?? emptyBodySchema;
  return {
    method: 'post',
    path: spec.path,
    operation: spec.operation,
    ...(spec.body ? { body: spec.body } : {}),
    handlers: (deps) => [
      deps.limiters.actions,
      async (req, res) => {
        const caller = identityOf(res);
        const id = bookingIdOf(req, res);
        if (spec.actor === 'operator') requireOperator(caller);
        const body = parse(schema, bodyOf(req), 'body') as z.infer<S>;
        if (spec.actor === 'viewer') await requireVisible(deps.service, id, caller);
        const { view, status = 202 } = await spec.act(deps, { id, body, caller, req, res });
        res
          .status(status)
          .location(`/bookings/${id}`)
          .json(shown(changed(deps, id, view), caller));
      },
    ],
  };
}

export const bookingActionRoutes: readonly Route<BookingActionRouteDeps>[] = [
  actionRoute({
    path: '/bookings/{id}/cancel',
    operation: actionOperation(
      'cancelBooking',
      'Cancel a booking',
      'The saga unwinds what ran (or was running); the booking ends CANCELLED. 409 once terminal. The body is optional.',
    ),
    body: { schema: cancelRequestSchema, required: false },
    actor: 'viewer',
    act: async ({ service }, { id, body, caller }) => ({ view: await service.cancel(id, body.reason, caller) }),
  }),
  actionRoute({
    path: '/bookings/{id}/confirm',
    operation: confirmOperation(),
    // Validated first: a card that fails validation is refused with nothing written.
    body: { schema: confirmRequestSchema, required: true },
    actor: 'viewer',
    act: async ({ service }, { id, body, caller, req, res }) => {
      const waitMs = waitOf(req, res);
      // With Prefer: wait the answer carries the outcome (or the booking as it stands): 200.
      return {
        view: await service.confirm(id, body.payment.card, caller, waitMs),
        status: waitMs === undefined ? 202 : 200,
      };
    },
  }),
  actionRoute({
    path: '/bookings/{id}/hold/extend',
    operation: actionOperation(
      'extendHold',
      'Extend a hold, once',
      'Moves holdExpiresAt `minutes` later (the workflow restarts its timer). 409 unless HELD before its deadline, or once it was extended.',
    ),
    body: { schema: extendHoldRequestSchema, required: true },
    actor: 'viewer',
    act: async ({ service }, { id, body, caller }) => ({ view: await service.extendHold(id, body.minutes, caller) }),
  }),
  actionRoute({
    path: '/bookings/{id}/compensation/retry',
    operation: actionOperation(
      'retryCompensation',
      'Retry the failed compensations (operators)',
      "Only while the booking is COMPENSATION_FAILED: its saga's, or, once that was terminated, the reconciler's workflow that gives it back (give-back-<bookingId>). Recorded with the operator's sub (retriedBy).",
      { operatorOnly: true },
    ),
    actor: 'operator',
    act: async ({ service }, { id, caller }) => ({ view: await service.retryCompensation(id, caller) }),
  }),
  actionRoute({
    path: '/bookings/{id}/compensation/resolve',
    operation: actionOperation(
      'resolveCompensation',
      'Resolve a failed compensation by hand (operators)',
      'Records the note and the operator (resolution.by); the booking then ends FAILED or CANCELLED, or TERMINATED when the reconciler gives it back (its saga was terminated).',
      { operatorOnly: true },
    ),
    body: { schema: resolveRequestSchema, required: true },
    actor: 'operator',
    act: async ({ service }, { id, body, caller }) => ({
      view: await service.resolveCompensation(id, body.note, caller),
    }),
  }),
];
