"""Validation and masking of personal data: 居民身份证号码 (GB 11643-1999), mobile numbers, names.

Masking happens on the server before anything is shown (GB/T 35273 §7.2): ``330483********123X``, ``138****5678``,
``张*`` / ``欧阳**``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def validate_id_number(value: str) -> str:
    """Return the normalised 18-digit number or raise ValidationError with a Chinese message."""
    number = normalize_id_number(value)
    if not _ID_RE.match(number):
        raise ValidationError(_("身份证号应为18位，前17位为数字，最后一位为数字或X。"), code="invalid_id_number")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效。"), code="invalid_id_number") from None
    if birth.year < 1900 or birth > dt.date.today():  # noqa: DTZ011 - a birth date has no time zone
        raise ValidationError(_("身份证号中的出生日期无效。"), code="invalid_id_number")
    if id_check_digit(number[:17]) != number[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对。"), code="invalid_id_number")
    return number


def normalize_phone(value: str) -> str:
    phone = re.sub(r"[\s\-]", "", value or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    return phone


def validate_phone(value: str) -> str:
    phone = normalize_phone(value)
    if not _PHONE_RE.match(phone):
        raise ValidationError(_("手机号码应为11位，以1开头。"), code="invalid_phone")
    return phone


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    value = value.strip()
    if len(value) == 1:
        return value
    return value[0] + "*" * (len(value) - 1)


# Personal numbers typed into free text ---------------------------------------------------------------------------
# A digit run is taken whole: an ID number is never read as a phone inside it, nor a phone inside a longer number.
_ID18_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_ID15_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")
# 1[3-9]xxxxxxxxx, optionally as 3-4-4 with spaces or hyphens, optionally after +86 / 0086 / 86.
_PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")


@dataclass(frozen=True)
class FoundNumber:
    """A 身份证号 or mobile number found in free text: its normalised value, its masked form and where it stood."""

    kind: str  # "id_number" or "phone" (the field names of Person)
    value: str
    masked: str
    start: int
    end: int


def _valid_id15(number: str) -> bool:
    """A first-generation (15-digit) 身份证号: region, YYMMDD of a 19xx birth date, sequence."""
    try:
        dt.date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    return True


def find_numbers(text: str) -> list[FoundNumber]:
    """Every mainland 身份证号 (18 digits with a valid birth date and check digit, or the old 15-digit form) and mobile
    number (1[3-9]xxxxxxxxx, with or without separators or +86) in ``text``, in order of appearance."""
    text = text or ""
    found: list[FoundNumber] = []
    for m in _ID18_IN_TEXT.finditer(text):
        try:
            number = validate_id_number(m.group())
        except ValidationError:
            continue
        found.append(FoundNumber("id_number", number, mask_id_number(number), m.start(), m.end()))
    for m in _ID15_IN_TEXT.finditer(text):
        if _valid_id15(m.group()):
            found.append(FoundNumber("id_number", m.group(), mask_id_number(m.group()), m.start(), m.end()))
    for m in _PHONE_IN_TEXT.finditer(text):
        phone = re.sub(r"[\s-]", "", m.group())
        phone = phone[-11:]
        if any(f.start < m.end() and m.start() < f.end for f in found):
            continue
        found.append(FoundNumber("phone", phone, mask_phone(phone), m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def mask_found(text: str, found: list[FoundNumber]) -> str:
    """``text`` with each found number replaced by its masked form."""
    out, last = [], 0
    for f in sorted(found, key=lambda f: f.start):
        out += [text[last:f.start], f.masked]
        last = f.end
    out.append(text[last:])
    return "".join(out)


def mask_text(text: str) -> str:
    """Mask any 身份证号 or mobile number typed into free text (complaints, questions)."""
    return mask_found(text or "", find_numbers(text))
