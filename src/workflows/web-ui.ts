// What the Web UI shows of a booking: the workflow's current details (where the saga stands), the
// summaries of its waits, and the BookingStatus search attribute that lists it by status.
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { BookingState, BookingStatus } from '../booking/booking.ts';
import { BOOKING_STATUS_SEARCH_ATTRIBUTE } from '../booking/messages.ts';
import { deadlineInWords } from '../common/words.ts';

export interface WebUiView {
  /** Shows the state as it is now: the current details, and the search attribute if the status moved. */
  show(): void;
}

/** The Web UI's view of `state`. */
export function webUiView(state: BookingState): WebUiView {
  // The API starts a booking with BookingStatus=PENDING; a start without it gets it here.
  let publishedStatus = workflowInfo().typedSearchAttributes.get(BOOKING_STATUS_SEARCH_ATTRIBUTE) as
    BookingStatus | undefined;
  /** Keeps the BookingStatus search attribute equal to the status. */
  const publishStatus = () => {
    if (state.status === publishedStatus) return;
    upsertSearchAttributes([{ key: BOOKING_STATUS_SEARCH_ATTRIBUTE, value: state.status }]);
    publishedStatus = state.status;
  };
  return {
    show() {
      setCurrentDetails(renderDetails(state));
      publishStatus();
    },
  };
}

/** The workflow's current details in the Web UI: where the saga stands. */
export function renderDetails(state: BookingState): string {
  const lines = [`**${state.status}**${state.currentStep ? ` · ${state.currentStep}` : ''}`, ''];
  for (const step of state.steps) {
    const undo = step.undo ? ` · undo ${step.undo.activity}: ${step.undo.outcome ?? 'running'}` : '';
    const error = step.error ? ` · ${step.error.type}` : '';
    lines.push(`- ${step.name}: ${step.state}${step.attempts ? ` (${step.attempts} attempt(s))` : ''}${error}${undo}`);
  }
  if (state.failure) lines.push('', `Reason: ${state.failure.type}: ${state.failure.message}`);
  if (state.holdExpiresAt)
    lines.push('', `Hold until ${state.holdExpiresAt}${state.confirmed ? `; confirmed ${state.confirmed.at}` : ''}`);
  if (state.operatorWait)
    lines.push(
      '',
      `Waiting for an operator since ${state.operatorWait.since} (${state.operatorWait.reminders} reminder(s))`,
    );
  if (state.cancelledBy) lines.push('', `Cancelled by ${state.cancelledBy}`);
  if (state.retriedBy?.length) lines.push('', `Compensations retried by ${state.retriedBy.join(', ')}`);
  if (state.resolution) lines.push('', `Resolved by ${state.resolution.by ?? 'an operator'}: ${state.resolution.note}`);
  return lines.join('\n');
}

/** The hold's timer, as the Web UI names it: "Hold until 14:05 UTC". */
export function holdTimerSummary(deadline: Date): string {
  return `Hold until ${deadlineInWords(deadline, new Date())}`;
}

/** The operator's wait (a timer until the next reminder), as the Web UI names it. */
export function operatorWaitSummary(failed: readonly string[]): string {
  return `Waiting for an operator: retry or resolve ${failed.join(', ')}`;
}
