"""Validation and masking of personal data: 居民身份证号码 (GB 11643-1999), mobile numbers, names.

Masking happens on the server before anything is shown (GB/T 35273 §7.2): ``330483********123X``, ``138****5678``,
``张*`` / ``欧阳**``.
"""

from __future__ import annotations

import datetime as dt
import re

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


_ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """Mask any 身份证号 or mobile number typed into free text (complaints, questions)."""
    text = _ID_IN_TEXT.sub(lambda m: m.group(1) + "********" + m.group(3)[-4:], text)
    return _PHONE_IN_TEXT.sub(lambda m: m.group(1) + "****" + m.group(3), text)
