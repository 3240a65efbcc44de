"""Mobile phone numbers: Korean formats in, E.164 stored, domestic format for Korean SMS."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_KOREAN_MOBILE = re.compile(r"^01[016789]\d{7,8}$")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def normalize_phone(value: str) -> str:
    """'010-1234-5678', '01012345678', '+82 10 1234 5678' -> '+821012345678'."""
    raw = (value or "").strip()
    digits = re.sub(r"[\s\-().]", "", raw)
    if digits.startswith("+82"):
        digits = "0" + digits[3:].lstrip("0")
    if _KOREAN_MOBILE.match(digits):
        return "+82" + digits[1:]
    if _E164.match(digits):
        return digits
    raise ValidationError(
        _("Enter a mobile number such as 010-1234-5678 or +821012345678."), code="invalid_phone"
    )


def domestic_phone(e164: str) -> str:
    """'+821012345678' -> '01012345678' (Korean SMS providers want the domestic form)."""
    if e164.startswith("+82"):
        return "0" + e164[3:]
    return e164.lstrip("+")
