# Schemathesis hooks for `npm run fuzz` (scripts/fuzz-api.ts): strategies for the OpenAPI
# document's own formats, so that a generated request the document calls valid is one.
import schemathesis
from hypothesis import strategies as st


def _luhn_check_digit(payload: str) -> str:
    """The digit that makes payload + digit pass the Luhn check (src/payments/cards.ts luhnValid)."""
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
