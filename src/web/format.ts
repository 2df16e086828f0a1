// Words and numbers as the page shows them.
import type { BookingStatus } from '../booking/booking.ts';
import type { Step } from './api.ts';

/** "220.00" in USD → "$220.00". */
export function money(amount: string | undefined, currency = 'USD'): string {
  if (amount === undefined) return '—';
  const value = Number(amount);
  if (!Number.isFinite(value)) return `${amount} ${currency}`;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(value);
  } catch {
    return `${amount} ${currency}`;
  }
}

/** An error type in words: "CardExpired" → "Card expired". */
export function typeInWords(type: string): string {
  const words = type.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function errorInWords(error: { type: string; message: string } | undefined): string {
  return error ? `${typeInWords(error.type)}: ${error.message}` : '';
}

export function clock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function dateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' });
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What a forward step is doing or did, in words. */
export function stepDetail(step: Step): string {
  if (step.state === 'RUNNING' && step.live) return liveInWords(step.live);
  if (step.error) return errorInWords(step.error);
  switch (step.state) {
    case 'PENDING':
      return 'waiting for its turn';
    case 'RUNNING':
      return 'running';
    case 'SKIPPED':
      return 'not started: an earlier step failed or the booking was cancelled';
    default:
      return step.reference ? `reference ${step.reference}` : '';
  }
}

export function stepAttempts(step: Step): string {
  if (step.state === 'RUNNING' && step.live) return `attempt ${step.live.attempt}`;
  return step.attempts > 0 ? plural(step.attempts, 'attempt') : '—';
}

/** The compensation of a step, in words; `status` is the booking's. */
export function undoOutcome(step: Step, status?: BookingStatus): string {
  if (!step.undo)
    return status === 'COMPENSATING' && step.state !== 'PENDING' && step.state !== 'SKIPPED' ? 'waiting' : 'not run';
  switch (step.undo.outcome) {
    case 'UNDONE':
      return 'undone';
    case 'NOTHING_TO_UNDO':
      return 'nothing to undo';
    case 'FAILED':
      return 'failed';
    default:
      return 'running';
  }
}

export function undoDetail(step: Step): string {
  if (!step.undo) return '';
  if (!step.undo.outcome && step.state === 'COMPENSATING' && step.live) return liveInWords(step.live);
  return errorInWords(step.undo.error);
}

export function undoAttempts(step: Step): string {
  if (!step.undo) return '—';
  if (!step.undo.outcome && step.live) return `attempt ${step.live.attempt}`;
  return step.undo.attempts > 0 ? plural(step.undo.attempts, 'attempt') : '—';
}

function liveInWords(live: NonNullable<Step['live']>): string {
  const parts = [`attempt ${live.attempt}`];
  if (live.lastFailure) parts.push(`last failure: ${live.lastFailure}`);
  if (live.nextAttemptAt) parts.push(`next attempt at ${clock(live.nextAttemptAt)}`);
  return parts.join(' · ');
}

/** "9 days", "3 hours", "12 minutes": how long since `since`. */
export function waitedFor(since: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - Date.parse(since)) / 60_000));
  if (minutes >= 2 * 1440) return plural(Math.floor(minutes / 1440), 'day');
  if (minutes >= 120) return plural(Math.floor(minutes / 60), 'hour');
  return plural(minutes, 'minute');
}
