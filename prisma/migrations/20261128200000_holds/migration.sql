-- Hold now, pay later (#15): a booking may be HELD (flight and hotel reserved, no payment yet) and
-- then EXPIRED when its hold ran out unconfirmed.
ALTER TYPE "BookingStatus" ADD VALUE 'HELD' AFTER 'PENDING';
ALTER TYPE "BookingStatus" ADD VALUE 'EXPIRED';
