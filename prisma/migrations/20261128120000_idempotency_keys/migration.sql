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
