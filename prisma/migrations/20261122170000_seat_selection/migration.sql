-- The seat-selection step (bookTrip's `seat-selection` patch) records the seats it chose.
ALTER TABLE "flight_reservations" ADD COLUMN "seat_numbers" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
