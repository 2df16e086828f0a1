// The inventory panel: seats left on the booked flight and rooms left at the booked hotel for the
// booked stay, read again on every event of the booking, so seats and rooms visibly go and come back.
import { api, type BookingView } from './api.ts';
import { nightsBetween } from '../common/dates.ts';
import { byId, setAttr, setText } from './dom.ts';
import { plural } from './format.ts';

export function createInventoryPanel() {
  const flightLine = byId('inventory-flight', HTMLParagraphElement);
  const hotelLine = byId('inventory-hotel', HTMLParagraphElement);
  let running: Promise<void> | undefined;
  let again: BookingView | undefined;
  /** The booking shown: a late answer for another one is dropped. */
  let current: string | undefined;

  async function read(view: BookingView): Promise<void> {
    const [flight, hotels] = await Promise.all([
      view.flight ? api.flight(view.flight.flightNumber, view.flight.date) : Promise.resolve(undefined),
      view.hotel
        ? api.hotels(view.hotel.checkIn, nightsBetween(view.hotel.checkIn, view.hotel.checkOut))
        : Promise.resolve(undefined),
    ]);
    if (view.bookingId !== current) return;
    if (flight) {
      setText(
        flightLine,
        `Flight ${flight.flightNumber} on ${flight.date}: ${plural(flight.seatsAvailable, 'seat')} left of ${flight.capacity}`,
      );
      setAttr(flightLine, 'data-seats-available', String(flight.seatsAvailable));
    }
    const hotel = hotels?.items.find((x) => x.hotelId === view.hotel?.hotelId);
    if (hotels && hotel) {
      const stay = `${hotels.stay.checkIn} → ${hotels.stay.checkOut}`;
      setText(hotelLine, `${hotel.name}, ${stay}: ${plural(hotel.roomsAvailable, 'room')} left of ${hotel.capacity}`);
      setAttr(hotelLine, 'data-rooms-available', String(hotel.roomsAvailable));
    }
  }

  /** Reads the inventory of this booking; calls that come while one runs collapse into one more read. */
  function refresh(view: BookingView): void {
    current = view.bookingId;
    if (running) {
      again = view;
      return;
    }
    running = read(view)
      .catch(() => undefined) // the next event reads again
      .finally(() => {
        running = undefined;
        const next = again;
        again = undefined;
        if (next) refresh(next);
      });
  }

  function clear(): void {
    current = undefined;
    for (const line of [flightLine, hotelLine]) {
      setText(line, '—');
      setAttr(line, 'data-seats-available', undefined);
      setAttr(line, 'data-rooms-available', undefined);
    }
  }

  return { refresh, clear };
}
