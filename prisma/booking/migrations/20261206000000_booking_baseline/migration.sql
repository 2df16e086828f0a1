-- The booking service's database, as the single database's migrations up to
-- 20261204100000_hotel_stay_dates_required left its tables (issue #23 gave each service its own):
-- the bookings' read model and the API's idempotency keys.
CREATE TYPE "BookingStatus" AS ENUM ('PENDING', 'HELD', 'CONFIRMED', 'COMPENSATING', 'FAILED', 'CANCELLED', 'COMPENSATION_FAILED', 'EXPIRED', 'TERMINATED');

CREATE TABLE "bookings" (
    "id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "status" "BookingStatus" NOT NULL,
    "current_step" TEXT,
    "failure_step" TEXT,
    "failure_type" TEXT,
    "failure_message" TEXT,
    "flight_cents" INTEGER,
    "hotel_cents" INTEGER,
    "total_cents" INTEGER,
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "state" JSONB NOT NULL,
    -- At least the workflow time (epoch ms) of the change, so a reset's new run writes newer versions.
    "version" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "bookings_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "bookings_status_created_at_idx" ON "bookings"("status", "created_at");
CREATE INDEX "bookings_customer_id_created_at_idx" ON "bookings"("customer_id", "created_at");

-- Idempotency-Keys belong to the caller and outlive Temporal's retention: (subject, key) names one
-- booking and the keyed hash of its request until expires_at (IDEMPOTENCY_KEY_TTL, 24 h by default).
CREATE TABLE "idempotency_keys" (
    "subject" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "booking_id" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "started" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("subject","key")
);

CREATE UNIQUE INDEX "idempotency_keys_booking_id_key" ON "idempotency_keys"("booking_id");
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys"("expires_at");

-- Watching without polling: every transaction that changes a booking's read-model row notifies the
-- channel `booking_changed` with the booking's ID. PostgreSQL delivers a notification at commit
-- (never for a rolled-back change) and folds repeats of the same payload within one transaction
-- into one. The API LISTENs and wakes the one watcher it keeps per watched booking
-- (src/api/events/). The services' tables are in their own databases: what their steps do reaches
-- the watchers through the workflow and Temporal (docs/api.md, events).
CREATE FUNCTION notify_booking_row_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('booking_changed', NEW.id);
  RETURN NULL;
END
$$;

CREATE TRIGGER bookings_notify_changed
  AFTER INSERT OR UPDATE ON "bookings"
  FOR EACH ROW EXECUTE FUNCTION notify_booking_row_changed();
