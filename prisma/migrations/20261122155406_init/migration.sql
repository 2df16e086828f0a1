-- CreateEnum
CREATE TYPE "ReservationStatus" AS ENUM ('RESERVED', 'CANCELLED', 'VOIDED');

-- CreateEnum
CREATE TYPE "PaymentStatus" AS ENUM ('CAPTURED', 'REFUNDED', 'VOIDED');

-- CreateEnum
CREATE TYPE "BookingStatus" AS ENUM ('PENDING', 'CONFIRMED', 'COMPENSATING', 'FAILED', 'CANCELLED', 'COMPENSATION_FAILED');

-- CreateTable
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

    CONSTRAINT "flights_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "flight_reservations" (
    "id" TEXT NOT NULL,
    "booking_id" TEXT NOT NULL,
    "flight_id" INTEGER,
    "seats" INTEGER NOT NULL DEFAULT 0,
    "price_cents" INTEGER NOT NULL DEFAULT 0,
    "status" "ReservationStatus" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelled_at" TIMESTAMP(3),

    CONSTRAINT "flight_reservations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "hotels" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "city" TEXT NOT NULL,
    "capacity" INTEGER NOT NULL,
    "rooms_available" INTEGER NOT NULL,
    "nightly_price_cents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'USD',

    CONSTRAINT "hotels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
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

    CONSTRAINT "hotel_reservations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_methods" (
    "token" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "brand" TEXT NOT NULL,
    "last4" TEXT NOT NULL,
    "exp_month" INTEGER NOT NULL,
    "exp_year" INTEGER NOT NULL,
    "decline_code" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payment_methods_pkey" PRIMARY KEY ("token")
);

-- CreateTable
CREATE TABLE "payments" (
    "id" TEXT NOT NULL,
    "booking_id" TEXT NOT NULL,
    "payment_method_token" TEXT,
    "amount_cents" INTEGER NOT NULL DEFAULT 0,
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "status" "PaymentStatus" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "refunded_at" TIMESTAMP(3),

    CONSTRAINT "payments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
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
    "version" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "bookings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "flights_flight_number_date_key" ON "flights"("flight_number", "date");

-- CreateIndex
CREATE UNIQUE INDEX "flight_reservations_booking_id_key" ON "flight_reservations"("booking_id");

-- CreateIndex
CREATE INDEX "flight_reservations_flight_id_status_idx" ON "flight_reservations"("flight_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "hotel_reservations_booking_id_key" ON "hotel_reservations"("booking_id");

-- CreateIndex
CREATE INDEX "hotel_reservations_hotel_id_status_idx" ON "hotel_reservations"("hotel_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "payment_methods_fingerprint_key" ON "payment_methods"("fingerprint");

-- CreateIndex
CREATE UNIQUE INDEX "payments_booking_id_key" ON "payments"("booking_id");

-- CreateIndex
CREATE INDEX "bookings_status_created_at_idx" ON "bookings"("status", "created_at");

-- CreateIndex
CREATE INDEX "bookings_customer_id_created_at_idx" ON "bookings"("customer_id", "created_at");

-- AddForeignKey
ALTER TABLE "flight_reservations" ADD CONSTRAINT "flight_reservations_flight_id_fkey" FOREIGN KEY ("flight_id") REFERENCES "flights"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "hotel_reservations" ADD CONSTRAINT "hotel_reservations_hotel_id_fkey" FOREIGN KEY ("hotel_id") REFERENCES "hotels"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payments" ADD CONSTRAINT "payments_payment_method_token_fkey" FOREIGN KEY ("payment_method_token") REFERENCES "payment_methods"("token") ON DELETE SET NULL ON UPDATE CASCADE;

-- Invariants the database itself enforces (Prisma's schema language has no CHECK constraints).
ALTER TABLE "flights" ADD CONSTRAINT "flights_seats_in_range" CHECK ("seats_available" >= 0 AND "seats_available" <= "capacity");
ALTER TABLE "hotels" ADD CONSTRAINT "hotels_rooms_in_range" CHECK ("rooms_available" >= 0 AND "rooms_available" <= "capacity");
ALTER TABLE "flight_reservations" ADD CONSTRAINT "flight_reservations_shape" CHECK (("status" = 'VOIDED') = ("flight_id" IS NULL) AND "seats" >= 0);
ALTER TABLE "hotel_reservations" ADD CONSTRAINT "hotel_reservations_shape" CHECK (("status" = 'VOIDED') = ("hotel_id" IS NULL) AND "rooms" >= 0);
ALTER TABLE "payments" ADD CONSTRAINT "payments_shape" CHECK (("status" = 'VOIDED') = ("payment_method_token" IS NULL) AND "amount_cents" >= 0);
