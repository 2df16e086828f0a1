-- A hotel reservation with a hotel has both dates and at least one night. The CHECK of
-- 20261203110000 (`check_out > check_in`) let a NULL date through (NULL is not false); every
-- build writes both dates with the hotel, so every row already satisfies this, and a tombstone
-- (VOIDED: no hotel, no dates) still does.
ALTER TABLE "hotel_reservations" DROP CONSTRAINT "hotel_reservations_stay";
ALTER TABLE "hotel_reservations" ADD CONSTRAINT "hotel_reservations_stay"
  CHECK ("hotel_id" IS NULL OR ("check_in" IS NOT NULL AND "check_out" IS NOT NULL AND "check_out" > "check_in"));
