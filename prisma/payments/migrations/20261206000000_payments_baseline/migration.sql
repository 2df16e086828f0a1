-- The payment service's database, as the single database's migrations up to
-- 20261204100000_hotel_stay_dates_required left its tables (issue #23 gave each service its own):
-- tokenized cards (the vault) and one payment per booking.
CREATE TYPE "PaymentStatus" AS ENUM ('CAPTURED', 'REFUNDED', 'VOIDED');

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

CREATE TABLE "payments" (
    "id" TEXT NOT NULL,
    "booking_id" TEXT NOT NULL,
    "payment_method_token" TEXT,
    "amount_cents" INTEGER NOT NULL DEFAULT 0,
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "status" "PaymentStatus" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "refunded_at" TIMESTAMP(3),

    CONSTRAINT "payments_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "payments_shape" CHECK (("status" = 'VOIDED') = ("payment_method_token" IS NULL) AND "amount_cents" >= 0)
);

CREATE UNIQUE INDEX "payment_methods_fingerprint_key" ON "payment_methods"("fingerprint");
CREATE UNIQUE INDEX "payments_booking_id_key" ON "payments"("booking_id");

ALTER TABLE "payments" ADD CONSTRAINT "payments_payment_method_token_fkey" FOREIGN KEY ("payment_method_token") REFERENCES "payment_methods"("token") ON DELETE SET NULL ON UPDATE CASCADE;
