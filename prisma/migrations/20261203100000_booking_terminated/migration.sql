-- A booking whose workflow closed without unwinding (terminated, timed out, or gone), after the
-- reconciler gave back what it held.
ALTER TYPE "BookingStatus" ADD VALUE IF NOT EXISTS 'TERMINATED';
