"""Phone numbers: normalised to E.164 before anything is stored or compared."""

from __future__ import annotations

import phonenumbers

from echosphere.core.errors import InvalidInput


def normalize_phone(raw: str) -> str:
    """Return the E.164 form of an international number, or raise ``InvalidInput``."""
    try:
        number = phonenumbers.parse(raw.strip(), None)
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            "bad_phone", "phone must be an international number such as +14155550123"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("bad_phone", "that phone number is not valid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str) -> str:
    """A form safe for logs and for strangers: only the last two digits."""
    return "*" * max(0, len(phone) - 2) + phone[-2:]
