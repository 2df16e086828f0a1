// The booking form: flights of a date and hotels from the API, test cards, scenarios of the
// failure table, and a submit that books exactly once however often it is clicked.
import {
  ApiRequestError,
  api,
  newIdempotencyKey,
  type BookingRequestBody,
  type BookingView,
  type Flight,
  type Hotel,
} from './api.ts';
import { byId, h, setText } from './dom.ts';
import { sampleCards } from '../activities/payments/cards.ts';
import { nightsBetween, utcDay } from '../common/dates.ts';
import { money, plural } from './format.ts';
import {
  SCENARIOS,
  SOLD_OUT_FLIGHT,
  SOLD_OUT_HOTEL,
  UNKNOWN_FLIGHT,
  faultsInWords,
  scenarioById,
  type CardChoice,
  type Scenario,
} from '../booking/scenarios.ts';
import type { FaultPlan } from '../booking/faults.ts';
import type { SeatPreference } from '../activities/flights/types.ts';

/** Days ahead that the seeds hold flights for (src/db/seed.ts: SEED_DAYS). */
const SEEDED_DAYS = 60;
const DEFAULT_NIGHTS = 3;
/** The longest stay the API takes (src/activities/hotels/schema.ts: MAX_NIGHTS). */
const MAX_NIGHTS = 30;
const DEFAULT_FLIGHT = 'TB100';
const DEFAULT_HOTEL = 'HTL-TOKYO-SHINJUKU';

const CARDS: Record<CardChoice, NonNullable<BookingRequestBody['payment']>['card']> = sampleCards();

export interface BookFormOptions {
  faultInjection: boolean;
  onBooked: (view: BookingView) => void;
}

export function createBookForm(options: BookFormOptions) {
  const form = byId('book-form', HTMLFormElement);
  const flightDate = byId('flight-date', HTMLInputElement);
  const flightSelect = byId('flight', HTMLSelectElement);
  const seats = byId('seats', HTMLInputElement);
  const seatPreference = byId('seat-preference', HTMLSelectElement);
  const hotelSelect = byId('hotel', HTMLSelectElement);
  const checkIn = byId('check-in', HTMLInputElement);
  const checkOut = byId('check-out', HTMLInputElement);
  const rooms = byId('rooms', HTMLInputElement);
  const hold = byId('hold', HTMLInputElement);
  const holdMinutes = byId('hold-minutes', HTMLInputElement);
  const scenarioField = byId('scenario-field', HTMLDivElement);
  const scenarioSelect = byId('scenario', HTMLSelectElement);
  const faultsSummary = byId('faults-summary', HTMLOutputElement);
  const errors = byId('form-errors', HTMLDivElement);
  const button = byId('book-button', HTMLButtonElement);

  let faults: FaultPlan = {};
  let submitting = false;
  /** The last submission that did not get an answer: a retry of the same request reuses its key. */
  let unanswered: { body: string; key: string } | undefined;
  let flightsRequest = 0;
  let hotelsRequest = 0;

  // ---- Dates ----
  const today = utcDay(0);
  for (const input of [flightDate, checkIn, checkOut]) {
    input.min = today;
    input.max = utcDay(SEEDED_DAYS + 30);
  }
  flightDate.max = utcDay(SEEDED_DAYS - 1);
  flightDate.value = utcDay(7);
  checkIn.value = flightDate.value;
  checkOut.value = utcDay(DEFAULT_NIGHTS, flightDate.value);

  // ---- Flights and hotels ----
  function flightLabel(f: Flight): string {
    const seatsLeft = f.seatsAvailable === 0 ? 'sold out' : `${plural(f.seatsAvailable, 'seat')} left`;
    return `${f.flightNumber} · ${f.origin} → ${f.destination} · ${f.date} · ${seatsLeft} · ${money(f.price, f.currency)}`;
  }

  /** Rooms left for the chosen stay: a room on every one of its nights. */
  function hotelLabel(hotel: Hotel): string {
    const roomsLeft =
      hotel.roomsAvailable === 0
        ? 'fully booked these nights'
        : `${plural(hotel.roomsAvailable, 'room')} left these nights`;
    return `${hotel.name}, ${hotel.city} · ${roomsLeft} · ${money(hotel.nightlyPrice, hotel.currency)} a night`;
  }

  function fillSelect<T>(
    select: HTMLSelectElement,
    items: T[],
    value: (item: T) => string,
    label: (item: T) => string,
    preferred: string[],
  ): void {
    const keep = select.value;
    select.replaceChildren(...items.map((item) => h('option', { value: value(item) }, label(item))));
    const values = items.map(value);
    select.value = [keep, ...preferred].find((v) => v && values.includes(v)) ?? values[0] ?? '';
  }

  async function loadFlights(): Promise<void> {
    const request = ++flightsRequest;
    const date = flightDate.value;
    if (!date) return;
    try {
      const { items } = await api.flights(date);
      if (request !== flightsRequest) return; // a newer date was picked meanwhile
      const unknownChosen = flightSelect.value === UNKNOWN_FLIGHT;
      fillSelect(flightSelect, items, (f) => f.flightNumber, flightLabel, [DEFAULT_FLIGHT]);
      if (items.length === 0) flightSelect.replaceChildren(h('option', { value: '' }, 'No flights on this date'));
      if (unknownChosen) chooseUnknownFlight();
    } catch (error) {
      showErrors([`Flights could not be loaded: ${(error as Error).message}`]);
    }
  }

  /** The stay the form names, when its dates make one (1–30 nights). */
  function chosenStay(): { checkIn: string; nights: number } | undefined {
    const nights = checkIn.value && checkOut.value ? nightsBetween(checkIn.value, checkOut.value) : 0;
    return nights >= 1 && nights <= MAX_NIGHTS ? { checkIn: checkIn.value, nights } : undefined;
  }

  async function loadHotels(): Promise<void> {
    const request = ++hotelsRequest;
    const stay = chosenStay();
    if (!stay) return;
    try {
      const { items } = await api.hotels(stay.checkIn, stay.nights);
      if (request !== hotelsRequest) return; // other dates were picked meanwhile
      fillSelect(hotelSelect, items, (x) => x.hotelId, hotelLabel, [DEFAULT_HOTEL]);
    } catch (error) {
      showErrors([`Hotels could not be loaded: ${(error as Error).message}`]);
    }
  }

  flightDate.addEventListener('change', () => {
    // Check-in and check-out follow the flight, keeping the number of nights.
    const nights = Math.max(
      1,
      (checkIn.value && checkOut.value ? nightsBetween(checkIn.value, checkOut.value) : 0) || DEFAULT_NIGHTS,
    );
    if (flightDate.value) {
      checkIn.value = flightDate.value;
      checkOut.value = utcDay(nights, flightDate.value);
    }
    void loadFlights();
    void loadHotels();
  });
  // Rooms are sold per night: what is left depends on the stay.
  for (const input of [checkIn, checkOut]) input.addEventListener('change', () => void loadHotels());

  // ---- Scenarios ----
  /** A flight that is not in the schedule (the FlightNotFound scenario) gets an option of its own. */
  function chooseUnknownFlight(): void {
    if (!Array.from(flightSelect.options).some((o) => o.value === UNKNOWN_FLIGHT)) {
      flightSelect.append(h('option', { value: UNKNOWN_FLIGHT }, `${UNKNOWN_FLIGHT} · not in the schedule`));
    }
    flightSelect.value = UNKNOWN_FLIGHT;
  }

  function applyScenario(scenario: Scenario): void {
    faults = { ...scenario.faults };
    setText(faultsSummary, faultsInWords(faults));
    const card = form.querySelector<HTMLInputElement>(`input[name="card"][value="${scenario.card}"]`);
    if (card) card.checked = true;
    const flightWanted =
      scenario.flightNumber ??
      (flightSelect.value === SOLD_OUT_FLIGHT || flightSelect.value === UNKNOWN_FLIGHT ? DEFAULT_FLIGHT : undefined);
    if (flightWanted === UNKNOWN_FLIGHT) chooseUnknownFlight();
    else if (flightWanted) flightSelect.value = flightWanted;
    const hotelWanted = scenario.hotelId ?? (hotelSelect.value === SOLD_OUT_HOTEL ? DEFAULT_HOTEL : undefined);
    if (hotelWanted) hotelSelect.value = hotelWanted;
  }

  if (options.faultInjection) {
    const groups = new Map<string, HTMLOptGroupElement>();
    for (const scenario of SCENARIOS) {
      let group = groups.get(scenario.group);
      if (!group) {
        group = h('optgroup', { label: scenario.group });
        groups.set(scenario.group, group);
      }
      group.append(h('option', { value: scenario.id }, scenario.label));
    }
    scenarioSelect.replaceChildren(...groups.values());
    scenarioSelect.value = 'happy';
    scenarioSelect.addEventListener('change', () => applyScenario(scenarioById(scenarioSelect.value)));
    scenarioField.hidden = false;
  }

  // ---- Submit ----
  function selectedCard(): CardChoice {
    const checked = form.querySelector<HTMLInputElement>('input[name="card"]:checked');
    return (checked?.value as CardChoice | undefined) ?? 'good';
  }

  function requestBody(): BookingRequestBody {
    const hasFaults = options.faultInjection && Object.keys(faults).length > 0;
    return {
      // No customerId: the API books for the signed-in customer (the token's sub).
      flight: {
        flightNumber: flightSelect.value,
        date: flightDate.value,
        seats: Number(seats.value),
        ...(seatPreference.value === 'any' ? {} : { seatPreference: seatPreference.value as SeatPreference }),
      },
      // The API takes the stay as check-in + nights; the page keeps its check-out date picker.
      hotel: {
        hotelId: hotelSelect.value,
        checkIn: checkIn.value,
        nights: nightsBetween(checkIn.value, checkOut.value),
        rooms: Number(rooms.value),
      },
      // A hold pays later (its confirm brings the card).
      ...(hold.checked
        ? { hold: { minutes: Number(holdMinutes.value) } }
        : { payment: { card: CARDS[selectedCard()] } }),
      ...(hasFaults ? { faults } : {}),
    };
  }

  function showErrors(lines: string[]): void {
    errors.replaceChildren(
      ...(lines.length > 1 ? [h('ul', {}, ...lines.map((l) => h('li', {}, l)))] : lines.map((l) => h('p', {}, l))),
    );
    errors.hidden = lines.length === 0;
  }

  function setSubmitting(on: boolean): void {
    submitting = on;
    button.disabled = on;
    setText(button, on ? 'Booking…' : hold.checked ? 'Hold trip' : 'Book trip');
    form.setAttribute('aria-busy', String(on));
  }

  hold.addEventListener('change', () => {
    holdMinutes.disabled = !hold.checked;
    setText(button, hold.checked ? 'Hold trip' : 'Book trip');
  });
  holdMinutes.disabled = true;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (submitting) return; // a second click while the first is on its way
    if (checkOut.value && checkIn.value && checkOut.value <= checkIn.value) {
      showErrors(['Check-out must be after check-in.']);
      checkOut.focus();
      return;
    }
    const request = requestBody();
    const body = JSON.stringify(request);
    const key = unanswered?.body === body ? unanswered.key : newIdempotencyKey();
    unanswered = { body, key };
    setSubmitting(true); // synchronously, before anything awaits: a double click books once
    showErrors([]);
    void (async () => {
      try {
        const view = await api.book(request, key);
        unanswered = undefined;
        options.onBooked(view);
      } catch (error) {
        if (error instanceof ApiRequestError) {
          if (!error.retryable) unanswered = undefined;
          const details = error.details.map((d) => `${d.path.replace(/^body\./, '')}: ${d.message}`);
          const retry = error.retryable ? ' Submitting again retries the same booking; it will not book twice.' : '';
          showErrors([`The booking was not accepted: ${error.message}.${retry}`, ...details]);
        } else {
          showErrors([`Something went wrong: ${(error as Error).message}`]);
        }
      } finally {
        setSubmitting(false);
      }
    })();
  });

  return {
    async load(): Promise<void> {
      await Promise.all([loadFlights(), loadHotels()]);
    },
    /** Seats and rooms left change with every booking. */
    refreshInventory(): void {
      void loadFlights();
      void loadHotels();
    },
  };
}
