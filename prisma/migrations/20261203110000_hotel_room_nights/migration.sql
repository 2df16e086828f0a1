-- Rooms are per night (#21): a stay takes one room-night per room on each night from check-in to
-- the night before check-out, so a hotel full on one night still sells every other night, and a
-- stay's nights free nothing once they are past but take nothing from the nights after them.
-- One row per hotel and night, created on demand by the first reserve that needs it; `capacity` is
-- the rooms the hotel sells that night (the hotel's capacity when the row was made).
CREATE TABLE "hotel_nights" (
    "hotel_id" TEXT NOT NULL,
    "night" DATE NOT NULL,
    "capacity" INTEGER NOT NULL,
    "rooms_taken" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "hotel_nights_pkey" PRIMARY KEY ("hotel_id", "night"),
    CONSTRAINT "hotel_nights_hotel_id_fkey" FOREIGN KEY ("hotel_id") REFERENCES "hotels"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "hotel_nights_rooms_in_range" CHECK ("rooms_taken" >= 0 AND "rooms_taken" <= "capacity")
);

-- Today's data: every RESERVED stay takes its rooms on each of its nights. The old single counter
-- kept the rooms of all reservations of a hotel within its capacity, so no night exceeds it.
INSERT INTO "hotel_nights" ("hotel_id", "night", "capacity", "rooms_taken")
SELECT r."hotel_id", r."check_in" + i, h."capacity", SUM(r."rooms")
FROM "hotel_reservations" r
JOIN "hotels" h ON h."id" = r."hotel_id"
CROSS JOIN LATERAL generate_series(0, r."check_out" - r."check_in" - 1) AS i
WHERE r."status" = 'RESERVED'
GROUP BY r."hotel_id", r."check_in" + i, h."capacity";

-- The one counter for all dates means nothing any more: nothing reads it.
ALTER TABLE "hotels" DROP CONSTRAINT "hotels_rooms_in_range";
ALTER TABLE "hotels" DROP COLUMN "rooms_available";

-- A stay has at least one night (the services already refuse others; now the database does too).
ALTER TABLE "hotel_reservations" ADD CONSTRAINT "hotel_reservations_stay" CHECK ("hotel_id" IS NULL OR "check_out" > "check_in");
