// The booking as the workflow keeps it: its state, and what follows each change of it (a newer
// version, the Web UI's view) and each status worth telling the read model (a write beside the saga).
import type { BookTripInput, BookingState, BookingStatus } from '../booking/booking.ts';
import { initialBookingState } from '../booking/booking.ts';
import { readModelWriter } from './read-model-writer.ts';
import { webUiView } from './web-ui.ts';

export interface TrackedBooking {
  readonly input: BookTripInput;
  readonly state: BookingState;
  /** Workflow time (ISO): deterministic on replay. */
  now: () => string;
  /** Call after every change of the state: a newer version, and the Web UI shows it. */
  changed: () => void;
  /**
   * Asks for a write of the state to the read model, beside the saga (read-model-writer.ts): the
   * saga never waits for it. An activity, never a local one: a local activity's write is visible
   * before its workflow task commits, and a task that fails (an Update came in meanwhile) runs
   * again from the history, where the Update may win: a read model that had said CONFIRMED would
   * then see the booking cancelled. The API writes the first row (PENDING) when it starts the
   * booking; a booking on the happy path writes only its end (bench/README.md, the shape of the saga).
   */
  sync: () => void;
  /** The booking ends with `status`: resolves once the read model has the end (before the workflow does). */
  end: (status: BookingStatus) => Promise<void>;
}

/** A new booking from its input, shown in the Web UI at once. */
export function trackBooking(input: BookTripInput): TrackedBooking {
  const now = () => new Date().toISOString(); // workflow time: deterministic on replay
  const state: BookingState = initialBookingState(input, now());
  const webUi = webUiView(state);
  const changed = () => {
    state.version = Math.max(state.version + 1, Date.now());
    state.updatedAt = now();
    webUi.show();
  };
  const readModel = readModelWriter(state, now, changed);
  webUi.show();
  return {
    input,
    state,
    now,
    changed,
    sync: () => readModel.write(),
    end: (status) => {
      state.status = status;
      state.currentStep = null;
      changed();
      readModel.write();
      return readModel.settled();
    },
  };
}
