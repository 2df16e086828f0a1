# Schemathesis hooks for `npm run fuzz` (scripts/fuzz-api.ts): strategies for the OpenAPI
# document's own formats, so that a generated request the document calls valid is one; and, in the
# stateful phase, bookings that live long enough for the linked calls to act on them.
import itertools
import os
import random
import uuid
from datetime import datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict


def _luhn_check_digit(payload: str) -> str:
    """The digit that makes payload + digit pass the Luhn check (src/activities/payments/cards.ts luhnValid)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # these are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


# format: luhn (BookingRequest.payment.card.number): 12–19 ASCII digits, the last one the Luhn check digit.
schemathesis.openapi.format(
    "luhn",
    st.from_regex(r"\A[0-9]{11,18}\Z").map(lambda payload: payload + _luhn_check_digit(payload)),
)


# --- The stateful phase: real bookings to confirm, extend, retry and resolve ---------------------
#
# A generated POST /bookings names a random flight and hotel, so its booking fails at once: the
# links from its answer then only ever meet a FAILED booking (409), and confirm, extend, retry and
# resolve never run their logic. So, in the stateful phase, three POST /bookings in seven become a
# hold of seeded inventory (HELD: confirm, extend, cancel) and three a booking whose card is
# declined and whose hotel undo fails (COMPENSATION_FAILED: retry, resolve); the seventh is sent as
# generated. Each steered one waits (Prefer: wait) so that its answer, which the links read,
# already says HELD or COMPENSATION_FAILED. So many: a scenario often cancels or confirms its hold
# before it tries to extend it, and resolves its failed compensation before it retries.

STATEFUL = os.environ.get("FUZZ_PHASES") == "stateful"

# The seed's inventory (src/db/seed.ts): flights and hotels with room on every day it covers.
SEED_FLIGHTS = ("TB100", "TB200", "TB300", "TB400")
SEED_HOTELS = ("HTL-TOKYO-SHINJUKU", "HTL-SEOUL-MYEONGDONG", "HTL-SF-UNION")
# The seed covers 60 days from the day the stack started; a stay ends well inside them.
LAST_CHECK_IN_DAY = 45
MAX_NIGHTS = 5
# src/activities/payments/cards.ts TEST_CARDS.declined: the payment step declines it, so the saga unwinds.
DECLINED_CARD = {"number": "4000000000000002", "expMonth": 12, "expYear": 2099, "cvc": "123"}
# Under the hold cap's defaults (src/api/bookings/hold-limits.ts: 9 seats, 6 rooms per customer).
MAX_HELD_SEATS = 4
MAX_HELD_ROOMS = 3
# Long enough to outlast the phase; the linked extend and confirm find it HELD.
HOLD_MINUTES = 60
WAIT = "wait=15"

_posts = itertools.count()
_random = random.Random(21)


def _seeded_trip(body: dict) -> dict:
    """The generated flight and stay, moved onto seeded inventory and dates; sizes kept, within the caps."""
    flight = body.get("flight") if isinstance(body.get("flight"), dict) else {}
    hotel = body.get("hotel") if isinstance(body.get("hotel"), dict) else {}
    day = datetime.now(timezone.utc).date() + timedelta(days=_random.randint(1, LAST_CHECK_IN_DAY))
    seats = flight.get("seats") if isinstance(flight.get("seats"), int) else 1
    rooms = hotel.get("rooms") if isinstance(hotel.get("rooms"), int) else 1
    nights = hotel.get("nights") if isinstance(hotel.get("nights"), int) else 1
    return {
        "flight": {
            "flightNumber": _random.choice(SEED_FLIGHTS),
            "date": day.isoformat(),
            "seats": min(max(seats, 1), MAX_HELD_SEATS),
        },
        "hotel": {
            "hotelId": _random.choice(SEED_HOTELS),
            "checkIn": day.isoformat(),
            "nights": min(max(nights, 1), MAX_NIGHTS),
            "rooms": min(max(rooms, 1), MAX_HELD_ROOMS),
        },
    }


def _held(body: dict) -> dict:
    """A hold, for a customer of its own (the cap counts a customer's holds)."""
    return {**_seeded_trip(body), "customerId": f"fuzz-hold-{uuid.uuid4().hex[:12]}", "hold": {"minutes": HOLD_MINUTES}}


def _compensation_failed(body: dict) -> dict:
    """Declined, so the saga unwinds; its hotel undo fails, so it waits for an operator."""
    return {**_seeded_trip(body), "payment": {"card": dict(DECLINED_CARD)}, "faults": {"cancelHotel": "fail"}}


STEERED = (_held, _compensation_failed) * 3 + (None,)


@schemathesis.hook
def before_call(context, case, kwargs):
    if not STATEFUL or case.operation.method.upper() != "POST" or case.operation.path != "/bookings":
        return
    steer = STEERED[next(_posts) % len(STEERED)]
    if steer is None:
        return
    case.body = steer(case.body if isinstance(case.body, dict) else {})
    if case.headers is None:
        case.headers = CaseInsensitiveDict()
    # A fresh key: a generated one ("0", "A", …) repeats with another body and answers 422.
    case.headers["Idempotency-Key"] = uuid.uuid4().hex
    case.headers["Prefer"] = WAIT
