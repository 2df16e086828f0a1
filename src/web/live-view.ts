// The live view of one booking, driven by GET /bookings/:id/events (server-sent events) alone: a
// row per step with its compensation beside it, the status, the reason of a failure, the prices,
// and the actions (cancel; retry or resolve a failed compensation). The stream also sends a
// running step's live attempt and last failure as they change (a retry), so nothing is polled.
import { ApiRequestError, api, type BookingView, type Step } from './api.ts';
import { followBooking } from './event-stream.ts';
import { announce, byId, delay, h, setAttr, setText } from './dom.ts';
import { sampleCards } from '../activities/payments/cards.ts';
import type { CardChoice } from '../booking/scenarios.ts';
import {
  dateTime,
  waitedFor,
  money,
  plural,
  stepAttempts,
  stepDetail,
  typeInWords,
  undoAttempts,
  undoDetail,
  undoOutcome,
} from './format.ts';
import { createInventoryPanel } from './inventory.ts';
import { STEP_BY_NAME, STEP_NAMES, type StepName } from '../booking/steps.ts';

/** How long each replayed stage of an unwind stays on screen. */
const FRAME_MS = 300;
const CARDS = sampleCards();

const brandName = (brand: string) =>
  brand === 'amex' ? 'American Express' : brand.charAt(0).toUpperCase() + brand.slice(1);

/**
 * The stages between two views. When several compensations finished between two events, the
 * views in between are rebuilt from `compensations` (the order they ran in), so the page shows
 * the unwind one step at a time, as it happened, instead of all at once.
 */
export function unwindFrames(prev: BookingView | undefined, next: BookingView): BookingView[] {
  if (!prev || prev.bookingId !== next.bookingId) return [next];
  const done = prev.compensations.length;
  const added = next.compensations.slice(done);
  if (added.length < 2) return [next];
  const frames: BookingView[] = [];
  for (let k = 0; k < added.length; k++) {
    const compensations = next.compensations.slice(0, done + k);
    const applied = new Set(compensations.map((c) => c.step));
    const running = added[k]!.step;
    const stillToUndo = new Set(added.slice(k).map((c) => c.step));
    frames.push({
      ...next,
      status: 'COMPENSATING',
      currentStep: running,
      compensations,
      steps: next.steps.map((s): Step => {
        const { live: _live, undo: _undo, ...rest } = s;
        if (s.name === running)
          return { ...rest, state: 'COMPENSATING', undo: { activity: STEP_BY_NAME[s.name].undo, attempts: 0 } };
        if (stillToUndo.has(s.name) && !applied.has(s.name)) return { ...rest, state: s.error ? 'FAILED' : 'DONE' };
        return s;
      }),
    });
  }
  return [...frames, next];
}

/**
 * The booking as it stood when its unwind began: what ran is DONE (or FAILED), nothing undone yet.
 * A Book answer that waited (Prefer: wait) may arrive already unwound; the page still plays the
 * unwind from here, one undo at a time.
 */
export function beforeUnwind(view: BookingView): BookingView {
  return {
    ...view,
    status: 'COMPENSATING',
    compensations: [],
    steps: view.steps.map((s): Step => {
      const { live: _live, undo: _undo, ...rest } = s;
      return s.state === 'COMPENSATED' || s.state === 'COMPENSATION_FAILED'
        ? { ...rest, state: s.error ? 'FAILED' : 'DONE' }
        : rest;
    }),
  };
}

interface Row {
  li: HTMLLIElement;
  state: HTMLElement;
  attempts: HTMLElement;
  detail: HTMLElement;
  undo: HTMLElement;
  undoAttempts: HTMLElement;
  undoDetail: HTMLElement;
}

function buildRow(name: StepName, index: number): Row {
  const state = h('span', { class: 'badge', 'data-role': 'state' }, 'PENDING');
  const attempts = h('span', { class: 'attempts', 'data-role': 'attempts' }, '—');
  const detail = h('p', { class: 'detail', 'data-role': 'detail' });
  const undo = h('span', { class: 'badge', 'data-role': 'undo-outcome' }, 'not run');
  const undoAttemptsEl = h('span', { class: 'attempts', 'data-role': 'undo-attempts' });
  const undoDetailEl = h('p', { class: 'detail', 'data-role': 'undo-detail' });
  const li = h(
    'li',
    { class: 'step', 'data-step': name, 'data-state': 'PENDING', 'data-testid': `step-${name}` },
    h(
      'div',
      { class: 'forward' },
      h(
        'h3',
        {},
        `${index + 1}. ${STEP_BY_NAME[name].label} `,
        h('code', { class: 'activity' }, STEP_BY_NAME[name].activity),
      ),
      h('p', { class: 'state-line' }, state, ' ', attempts),
      detail,
    ),
    h(
      'div',
      { class: 'undo' },
      h('p', { class: 'undo-name' }, 'Undo ', h('code', { class: 'activity' }, STEP_BY_NAME[name].undo)),
      h('p', { class: 'state-line' }, undo, ' ', undoAttemptsEl),
      undoDetailEl,
    ),
  );
  return { li, state, attempts, detail, undo, undoAttempts: undoAttemptsEl, undoDetail: undoDetailEl };
}

function renderRow(row: Row, step: Step, status: BookingView['status']): void {
  setAttr(row.li, 'data-state', step.state);
  setAttr(row.li, 'data-undo-outcome', step.undo?.outcome);
  setText(row.state, step.state);
  setAttr(row.state, 'data-state', step.state);
  setText(row.attempts, stepAttempts(step));
  setText(row.detail, stepDetail(step));
  setText(row.undo, undoOutcome(step, status));
  setAttr(row.undo, 'data-state', step.undo ? (step.undo.outcome ?? 'COMPENSATING') : 'NONE');
  setText(row.undoAttempts, step.undo ? undoAttempts(step) : '');
  setText(row.undoDetail, undoDetail(step));
}

/** What changed between two views, in a sentence for the live region. */
function changes(prev: BookingView | undefined, next: BookingView): string {
  const parts: string[] = [];
  for (const step of next.steps) {
    const before = prev?.steps.find((s) => s.name === step.name);
    if (before?.state !== step.state && (prev || step.state !== 'PENDING'))
      parts.push(`${STEP_BY_NAME[step.name].label} ${step.state}`);
    if (before?.undo?.outcome !== step.undo?.outcome && step.undo?.outcome)
      parts.push(`${STEP_BY_NAME[step.name].label}: ${undoOutcome(step)}`);
  }
  if (prev?.status !== next.status) parts.push(`Booking ${next.status}`);
  return parts.join('. ');
}

export interface LiveViewOptions {
  /** The booking reached a terminal status (its event stream ended). */
  onEnd: (view: BookingView | undefined) => void;
  /** The booking's status changed (the list may show it). */
  onStatus: (view: BookingView) => void;
  /** The signed-in caller is an operator: the retry and resolve actions show. */
  operator: boolean;
}

/** The booking's summary on the page: status, why it failed, prices, card, actions, history link. */
function summaryElements(operator: boolean) {
  return {
    operator,
    section: byId('live', HTMLElement),
    idEl: byId('booking-id', HTMLElement),
    statusEl: byId('booking-status', HTMLElement),
    failure: byId('failure', HTMLParagraphElement),
    priceFlight: byId('price-flight', HTMLElement),
    priceHotel: byId('price-hotel', HTMLElement),
    priceTotal: byId('price-total', HTMLElement),
    cardEl: byId('card-last4', HTMLElement),
    cancelButton: byId('cancel-button', HTMLButtonElement),
    holdLine: byId('hold-line', HTMLParagraphElement),
    holdDeadline: byId('hold-deadline', HTMLTimeElement),
    holdCountdown: byId('hold-countdown', HTMLElement),
    confirmForm: byId('confirm-form', HTMLFormElement),
    confirmButton: byId('confirm-button', HTMLButtonElement),
    extendButton: byId('extend-button', HTMLButtonElement),
    operatorWait: byId('operator-wait', HTMLParagraphElement),
    retryButton: byId('retry-button', HTMLButtonElement),
    resolveForm: byId('resolve-form', HTMLFormElement),
    historyLink: byId('history-link', HTMLAnchorElement),
  };
}
type SummaryElements = ReturnType<typeof summaryElements>;

function renderSummary(el: SummaryElements, view: BookingView, busy: boolean): void {
  setText(el.idEl, view.bookingId);
  setText(el.statusEl, view.status);
  setAttr(el.statusEl, 'data-status', view.status);
  setAttr(el.statusEl, 'data-state', view.status);
  setAttr(el.section, 'data-status', view.status);
  el.failure.hidden = !view.failure;
  if (view.failure) {
    const where = view.failure.type === 'Cancelled' ? '' : ` at the ${view.failure.step} step`;
    setText(el.failure, `Why: ${typeInWords(view.failure.type)}${where}: ${view.failure.message}`);
  }
  const currency = view.payment?.currency ?? 'USD';
  const seatNumbers = view.flight?.seatNumbers?.length ? `: ${view.flight.seatNumbers.join(', ')}` : '';
  setText(
    el.priceFlight,
    view.flight?.price
      ? `${money(view.flight.price, currency)} (${view.flight.flightNumber}, ${plural(view.flight.seats, 'seat')}${seatNumbers})`
      : '—',
  );
  setText(
    el.priceHotel,
    view.hotel?.price
      ? `${money(view.hotel.price, currency)} (${plural(view.hotel.nights ?? 0, 'night')} × ${plural(view.hotel.rooms, 'room')})`
      : '—',
  );
  setText(el.priceTotal, money(view.payment?.amount, currency));
  setText(el.cardEl, view.payment ? `${brandName(view.payment.brand)} •••• ${view.payment.last4}` : '—');
  setAttr(el.cardEl, 'data-last4', view.payment?.last4);
  el.cancelButton.hidden = !((view.status === 'PENDING' || view.status === 'HELD') && !view.cancelRequested);
  el.cancelButton.disabled = busy;
  const held = view.status === 'HELD' && view.holdExpiresAt !== undefined;
  el.holdLine.hidden = el.confirmForm.hidden = !held;
  el.confirmButton.disabled = el.extendButton.disabled = busy;
  el.extendButton.hidden = !held || view.holdExtended !== undefined; // once
  if (held) {
    setText(el.holdDeadline, dateTime(view.holdExpiresAt!));
    el.holdDeadline.dateTime = view.holdExpiresAt!;
    renderCountdown(el, view.holdExpiresAt!);
  }
  el.operatorWait.hidden = !view.operatorWait;
  if (view.operatorWait) {
    const { since, reminders } = view.operatorWait;
    setText(
      el.operatorWait,
      `Waiting for an operator for ${waitedFor(since)} (since ${dateTime(since)}; ${plural(reminders, 'reminder')} logged).`,
    );
  }
  // The operator's actions: only an operator sees them (the API refuses them to a customer too).
  const needsOperator = view.status === 'COMPENSATION_FAILED' && el.operator;
  el.retryButton.hidden = !needsOperator;
  el.retryButton.disabled = busy;
  el.resolveForm.hidden = !needsOperator;
  // Only an operator's view links to the Web UI (it shows every booking and can terminate any).
  if (view.links.history) el.historyLink.href = view.links.history;
  el.historyLink.hidden = !view.links.history;
}

/** "1:02:03", "4:05": the time left until `deadline`, never negative. */
export function countdown(deadline: string, now = Date.now()): string {
  const total = Math.max(0, Math.ceil((Date.parse(deadline) - now) / 1_000));
  const [hours, minutes, seconds] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
}

function renderCountdown(el: SummaryElements, deadline: string): void {
  setText(el.holdCountdown, countdown(deadline));
  setAttr(
    el.holdCountdown,
    'data-seconds-left',
    String(Math.max(0, Math.ceil((Date.parse(deadline) - Date.now()) / 1_000))),
  );
}

/** Before a booking's first state arrives: its ID, and nothing else. */
function clearSummary(el: SummaryElements, id: string): void {
  setText(el.idEl, id);
  setText(el.statusEl, '…');
  setAttr(el.statusEl, 'data-status', undefined);
  setAttr(el.statusEl, 'data-state', undefined);
  el.failure.hidden = true;
  el.cancelButton.hidden = el.retryButton.hidden = el.resolveForm.hidden = el.historyLink.hidden = true;
  el.holdLine.hidden = el.confirmForm.hidden = el.operatorWait.hidden = true;
}

export function createLiveView(options: LiveViewOptions) {
  const el = summaryElements(options.operator);
  const { section, statusEl, cancelButton, retryButton, resolveForm, confirmForm } = el;
  const confirmCard = byId('confirm-card', HTMLSelectElement);
  const title = byId('live-title', HTMLHeadingElement);
  const connection = byId('connection', HTMLSpanElement);
  const stepsList = byId('steps', HTMLOListElement);
  const resolveNote = byId('resolve-note', HTMLInputElement);
  const actionMessage = byId('action-message', HTMLParagraphElement);
  const inventory = createInventoryPanel();

  let bookingId: string | undefined;
  let stream: { close(): void } | undefined;
  /** The newest view received, and the one on screen (a replayed stage may lag behind). */
  let latest: BookingView | undefined;
  let shown: BookingView | undefined;
  const queue: BookingView[] = [];
  let playing = false;
  let busy = false;
  const rows = new Map<StepName, Row>();

  function render(view: BookingView): void {
    const said = changes(shown, view);
    shown = view;
    for (const step of view.steps) {
      const row = rows.get(step.name);
      if (row) renderRow(row, step, view.status);
    }
    renderSummary(el, view, busy);
    if (said) announce(said);
  }

  async function play(): Promise<void> {
    playing = true;
    while (queue.length > 0) {
      const frame = queue.shift()!;
      if (frame.bookingId !== bookingId) continue;
      const before = shown?.status;
      render(frame);
      if (before !== frame.status) options.onStatus(frame);
      if (queue.length > 0) await delay(FRAME_MS);
    }
    playing = false;
  }

  function receive(view: BookingView): void {
    if (view.bookingId !== bookingId) return;
    if (latest && view.version < latest.version) return; // an older answer that arrived late
    queue.push(...unwindFrames(latest, view));
    const changed = latest?.version !== view.version || latest.status !== view.status;
    latest = view;
    if (changed) inventory.refresh(view);
    if (!playing) void play();
  }

  function connect(id: string): void {
    stream?.close();
    stream = followBooking(id, {
      onView: receive,
      onEnd: () => options.onEnd(latest),
      onConnection: (text) => setText(connection, text),
      onNotFound: () => {
        setText(statusEl, 'NOT FOUND');
        setAttr(statusEl, 'data-status', 'NOT_FOUND');
        announce(`Booking ${id} was not found.`);
      },
    });
  }

  async function act(run: () => Promise<BookingView>, what: string): Promise<boolean> {
    if (!bookingId || busy) return false;
    busy = true;
    cancelButton.disabled = retryButton.disabled = true;
    setText(actionMessage, `${what}…`);
    try {
      receive(await run());
      setText(actionMessage, `${what}: requested.`);
      return true;
    } catch (error) {
      const message =
        error instanceof ApiRequestError && error.status === 409
          ? `not possible now: ${error.message}.`
          : `failed: ${(error as Error).message}.`;
      setText(actionMessage, `${what} ${message}`);
      return false;
    } finally {
      busy = false;
      if (shown) render(shown);
    }
  }

  cancelButton.addEventListener('click', () => {
    const id = bookingId;
    if (id) void act(() => api.cancel(id), 'Cancel');
  });
  retryButton.addEventListener('click', () => {
    const id = bookingId;
    if (id) void act(() => api.retryCompensation(id), 'Retry of the compensation');
  });
  confirmForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = bookingId;
    const card = CARDS[(confirmCard.value as CardChoice | undefined) ?? 'good'] ?? CARDS.good;
    if (id) void act(() => api.confirm(id, card), 'Confirm');
  });
  el.extendButton.addEventListener('click', () => {
    const id = bookingId;
    if (id) void act(() => api.extendHold(id, 15), 'Extending the hold');
  });
  // The countdown ticks while a hold is on screen.
  setInterval(() => {
    if (shown?.status === 'HELD' && shown.holdExpiresAt && !el.holdLine.hidden)
      renderCountdown(el, shown.holdExpiresAt);
  }, 1_000);

  resolveForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = bookingId;
    const note = resolveNote.value.trim();
    if (!id || !note) return;
    void act(() => api.resolveCompensation(id, note), 'Resolve').then((done) => {
      if (done) resolveNote.value = '';
    });
  });

  return {
    get bookingId() {
      return bookingId;
    },
    /** Shows a booking and follows it; `initial` (the POST's answer) is shown until the first event. */
    open(id: string, initial?: BookingView): void {
      if (id === bookingId) return;
      bookingId = id;
      latest = shown = undefined;
      queue.length = 0;
      rows.clear();
      stepsList.replaceChildren(
        ...STEP_NAMES.map((name, i) => {
          const row = buildRow(name, i);
          rows.set(name, row);
          return row.li;
        }),
      );
      clearSummary(el, id);
      setText(actionMessage, '');
      inventory.clear();
      section.hidden = false;
      if (initial && initial.compensations.length > 1) receive(beforeUnwind(initial));
      if (initial) receive(initial);
      connect(id);
    },
    close(): void {
      bookingId = undefined;
      stream?.close();
      stream = undefined;
      section.hidden = true;
    },
    focus(): void {
      title.focus();
    },
  };
}
