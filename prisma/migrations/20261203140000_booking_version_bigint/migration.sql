-- A booking's version is at least the workflow time (epoch ms) of its change, so that a reset's new
-- run writes newer versions than the run it replaced (its counter starts again): int4 is too small.
ALTER TABLE "bookings" ALTER COLUMN "version" TYPE BIGINT;
