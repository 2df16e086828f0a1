-- The hotel service's database, as the single database's migrations up to
-- 20261204100000_hotel_stay_dates_required left its tables (issue #23 gave each service its own):
-- hotels, their rooms per night, and one stay per booking.
CREATE TYPE "ReservationStatus" AS ENUM ('RESERVED', 'CANCELLED', 'VOIDED');

CREATE TABLE "hotels" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "city" TEXT NOT NULL,
    "capacity" INTEGER NOT NULL,
    "nightly_price_cents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'USD',

    CONSTRAINT "hotels_pkey" PRIMARY KEY ("id")
);

-- One row per hotel and night, created on demand by the first reserve that needs it; `capacity` is
-- the rooms the hotel sells that night (the hotel's capacity when the row was made).
CREATE TABLE "hotel_nights" (
    "hotel_id" TEXT NOT NULL,
    "night" DATE NOT NULL,
    "capacity" INTEGER NOT NULL,
    "rooms_taken" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "hotel_nights_pkey" PRIMARY KEY ("hotel_id", "night"),
    CONSTRAINT "hotel_nights_rooms_in_range" CHECK ("rooms_taken" >= 0 AND "rooms_taken" <= "capacity")
);

CREATE TABLE "hotel_reservations" (
    "id" TEXT NOT NULL,
    "booking_id" TEXT NOT NULL,
    "hotel_id" TEXT,
    "rooms" INTEGER NOT NULL DEFAULT 0,
    "check_in" DATE,
    "check_out" DATE,
    "nights" INTEGER NOT NULL DEFAULT 0,
    "price_cents" INTEGER NOT NULL DEFAULT 0,
    "status" "ReservationStatus" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelled_at" TIMESTAMP(3),

    CONSTRAINT "hotel_reservations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "hotel_reservations_shape" CHECK (("status" = 'VOIDED') = ("hotel_id" IS NULL) AND "rooms" >= 0),
    -- A reservation with a hotel has both dates and at least one night; a tombstone has neither.
    CONSTRAINT "hotel_reservations_stay"
      CHECK ("hotel_id" IS NULL OR ("check_in" IS NOT NULL AND "check_out" IS NOT NULL AND "check_out" > "check_in"))
);

CREATE UNIQUE INDEX "hotel_reservations_booking_id_key" ON "hotel_reservations"("booking_id");
CREATE INDEX "hotel_reservations_hotel_id_status_idx" ON "hotel_reservations"("hotel_id", "status");

ALTER TABLE "hotel_nights" ADD CONSTRAINT "hotel_nights_hotel_id_fkey" FOREIGN KEY ("hotel_id") REFERENCES "hotels"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "hotel_reservations" ADD CONSTRAINT "hotel_reservations_hotel_id_fkey" FOREIGN KEY ("hotel_id") REFERENCES "hotels"("id") ON DELETE SET NULL ON UPDATE CASCADE;
