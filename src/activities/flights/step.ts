// The flight step's row in the trip's table (src/booking/steps.ts). Pure: the workflow imports it.
import type { StepRow } from '../shared/contract.ts';
import { RESERVE_OPTIONS, UNDO_OPTIONS, undoByBookingId } from '../shared/step-options.ts';
import type { createFlightService } from './activities.ts';
import type { FlightDetails, FlightReservationResult, FlightRequest } from './types.ts';

type FlightActivities = ReturnType<typeof createFlightService>;

export const flightStep = {
  name: 'flight',
  service: 'flights',
  label: 'Flight',
  activity: 'reserveFlight',
  options: RESERVE_OPTIONS,
  undo: 'cancelFlight',
  undoOptions: UNDO_OPTIONS,
  undoArgs: undoByBookingId,
  initialDetails: (input) => ({ flight: { ...input.flight } }),
  summary: ({ input: { flight } }) =>
    `Reserve ${flight.seats} ${flight.seatPreference ?? 'any'} seat(s) on ${flight.flightNumber} ${flight.date}`,
  args: ({ input }) => ({ bookingId: input.bookingId, ...input.flight }),
  // The seats are assigned in the reservation's own transaction (seatPreference, default any).
  record: ({ input, state }, result) => {
    const { priceCents, currency, reservationId, seatNumbers } = result as FlightReservationResult;
    // The trip is priced in the flight's currency; a hold has no payment yet, so its flight keeps
    // the currency for the confirm.
    state.flight = { ...input.flight, priceCents, reservationId, seatNumbers, ...(state.payment ? {} : { currency }) };
    if (state.payment) state.payment = { ...state.payment, currency };
    return reservationId;
  },
} as const satisfies StepRow<
  FlightActivities,
  { bookingId: string; flight: FlightRequest },
  { flight?: FlightDetails; payment?: { currency: string } }
>;
