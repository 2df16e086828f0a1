-- Watching without polling: every transaction that changes a booking (its read-model row, or a
-- flight or hotel reservation or payment of it) notifies the channel `booking_changed` with the
-- booking's ID. PostgreSQL delivers a notification at commit (never for a rolled-back change) and
-- folds repeats of the same payload within one transaction into one. The API LISTENs and wakes the
-- one watcher it keeps per watched booking (src/api/booking-watchers.ts). Who writes a row (an
-- activity, the API) does not matter: the triggers fire for every INSERT and UPDATE.
CREATE FUNCTION notify_booking_row_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('booking_changed', NEW.id);
  RETURN NULL;
END
$$;

CREATE FUNCTION notify_booking_service_row_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('booking_changed', NEW.booking_id);
  RETURN NULL;
END
$$;

CREATE TRIGGER bookings_notify_changed
  AFTER INSERT OR UPDATE ON "bookings"
  FOR EACH ROW EXECUTE FUNCTION notify_booking_row_changed();

CREATE TRIGGER flight_reservations_notify_changed
  AFTER INSERT OR UPDATE ON "flight_reservations"
  FOR EACH ROW EXECUTE FUNCTION notify_booking_service_row_changed();

CREATE TRIGGER hotel_reservations_notify_changed
  AFTER INSERT OR UPDATE ON "hotel_reservations"
  FOR EACH ROW EXECUTE FUNCTION notify_booking_service_row_changed();

CREATE TRIGGER payments_notify_changed
  AFTER INSERT OR UPDATE ON "payments"
  FOR EACH ROW EXECUTE FUNCTION notify_booking_service_row_changed();
