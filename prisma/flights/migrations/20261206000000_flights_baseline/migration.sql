-- The flight service's database, as the single database's migrations up to
-- 20261204100000_hotel_stay_dates_required left its tables (issue #23 gave each service its own):
-- flights and one reservation per booking, with its seat numbers.
CREATE TYPE "ReservationStatus" AS ENUM ('RESERVED', 'CANCELLED', 'VOIDED');

CREATE TABLE "flights" (
    "id" SERIAL NOT NULL,
    "flight_number" TEXT NOT NULL,
    "date" DATE NOT NULL,
    "origin" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "capacity" INTEGER NOT NULL,
    "seats_available" INTEGER NOT NULL,
    "price_cents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'USD',

    CONSTRAINT "flights_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "flights_seats_in_range" CHECK ("seats_available" >= 0 AND "seats_available" <= "capacity")
);

CREATE TABLE "flight_reservations" (
    "id" TEXT NOT NULL,
    "booking_id" TEXT NOT NULL,
    "flight_id" INTEGER,
    "seats" INTEGER NOT NULL DEFAULT 0,
    "price_cents" INTEGER NOT NULL DEFAULT 0,
    "status" "ReservationStatus" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelled_at" TIMESTAMP(3),
    -- The seats chosen with the reservation (none for reservations of builds before seat selection).
    "seat_numbers" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "flight_reservations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "flight_reservations_shape" CHECK (("status" = 'VOIDED') = ("flight_id" IS NULL) AND "seats" >= 0)
);

CREATE UNIQUE INDEX "flights_flight_number_date_key" ON "flights"("flight_number", "date");
CREATE UNIQUE INDEX "flight_reservations_booking_id_key" ON "flight_reservations"("booking_id");
CREATE INDEX "flight_reservations_flight_id_status_idx" ON "flight_reservations"("flight_id", "status");

ALTER TABLE "flight_reservations" ADD CONSTRAINT "flight_reservations_flight_id_fkey" FOREIGN KEY ("flight_id") REFERENCES "flights"("id") ON DELETE SET NULL ON UPDATE CASCADE;
