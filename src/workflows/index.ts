// The worker's workflow bundle entry point.
export { bookTrip } from './book-trip.ts';
export { giveBackBooking } from './give-back.ts';
export { reconcileBookings } from './reconcile.ts';
export { serviceOperation } from './service-operation.ts';
