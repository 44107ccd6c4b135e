"""Korean mobile numbers as people type them, stored one way: 010-1234-5678."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext

from ..errors import InvalidInput

# What people put between digits: spaces, hyphens, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-.()/]+")
# 010 has eight digits after it; the old 011, 016-019 numbers seven or eight.
_MOBILE = re.compile(r"^(010)(\d{4})(\d{4})$|^(01[16789])(\d{3,4})(\d{4})$")


def normalise_phone(text: str, field: str = "phone") -> str:
    """A Korean mobile number in any usual spelling → "010-1234-5678".

    Accepts 01012345678, 010-1234-5678, 010 1234 5678, +82 10-1234-5678, +82 (0)10…,
    0082…, full-width digits. Raises InvalidInput (beside `field`) for anything else:
    landlines, foreign numbers, too few or too many digits, letters.
    """
    cleaned = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))
    if cleaned.startswith("+82"):
        cleaned = cleaned[3:]
    elif cleaned.startswith("0082"):
        cleaned = cleaned[4:]
    elif cleaned.startswith("82") and len(cleaned) in (11, 12):
        cleaned = cleaned[2:]
    if cleaned and not cleaned.startswith("0"):
        cleaned = "0" + cleaned  # +82 10-… drops the leading zero
    match = _MOBILE.match(cleaned) if cleaned.isascii() and cleaned.isdigit() else None
    if match is None:
        raise InvalidInput(gettext("Enter a mobile number such as 010-1234-5678."), field)
    return "-".join(part for part in match.groups() if part)


def phone_or_none(text: str | None) -> str | None:
    """The number normalised, or None when there is none or it is no mobile number
    (an applicant's number typed years ago: such a person gets e-mail)."""
    if not text:
        return None
    try:
        return normalise_phone(text)
    except InvalidInput:
        return None
