"""Case numbers (一案一码): how they are written and how what people type is read back.

A case has one number, ``桐解〔2026〕05335号``, and one file number, ``(2026)桐人调字第5335号``, both made from the
year and the year's sequence number. People type them in many ways; :func:`parse_case_number` reads each of these
as (2026, 5335):

- the sequence number alone, ``5335``, ``05335`` or ``第5335号`` (a number without a year is one of the current year);
- year and sequence number, ``2026-5335``, ``2026/5335``, ``2026.5335``, ``2026年5335号``, ``2026 5335``;
- the number as printed, with any kind of brackets, with or without the zeros and the prefix:
  ``桐解（2026）05335号``, ``桐解[2026]5335号``, ``桐解〔2026〕05335号``, ``【2026】第5335号``, ``桐解2026-5335``;
- the file number, ``(2026)桐人调字第5335号``;
- any of these with full-width digits, punctuation or brackets (``２０２６－５３３５``) and spaces around the parts.

Anything else is not a case number (None): another county's prefix, a year that is not four digits, a sequence
number of zero or of more than seven digits, two numbers run together without a separator, other words.
"""

from __future__ import annotations

import re
import unicodedata

COUNTY_ABBR = "桐"
MAX_TYPED = 60  # no way of typing a case number is longer
MAX_SEQ_DIGITS = 7


def format_number(year: int, seq: int) -> str:
    return f"{COUNTY_ABBR}解〔{year}〕{seq:05d}号"


def format_archive_number(year: int, seq: int) -> str:
    return f"({year}){COUNTY_ABBR}人调字第{seq}号"


_OPEN = "([{〔【〖〘〚⦅⟦⟨《〈「『"
_CLOSE = ")]}〕】〗〙〛⦆⟧⟩》〉」』"
_BRACKETS = str.maketrans({**dict.fromkeys(_OPEN, "("), **dict.fromkeys(_CLOSE, ")")})
_SEPARATOR = r"(?:[-‐‑‒–—―−﹣/.·・_。]|年)"
_YEAR = r"(?P<year>\d{4})"
_SEQ = rf"第?0*(?P<seq>[1-9]\d{{0,{MAX_SEQ_DIGITS - 1}}})号?"
_PREFIX = rf"(?:{COUNTY_ABBR}解)"
_PATTERNS = [
    re.compile(_SEQ),  # 5335, 05335, 第5335号
    re.compile(rf"{_PREFIX}?{_YEAR}{_SEPARATOR}{_SEQ}"),  # 2026-5335, 2026年5335号, 桐解2026-5335
    re.compile(rf"{_PREFIX}?\({_YEAR}\){_SEQ}"),  # 桐解〔2026〕05335号, [2026]5335
    re.compile(rf"\({_YEAR}\){COUNTY_ABBR}人调字{_SEQ}"),  # (2026)桐人调字第5335号
]
_DIGIT_SPACE_DIGIT = re.compile(r"(?<=\d)\s+(?=\d)")


def normalise(text: str) -> str:
    """Full-width characters in their plain form (NFKC), every kind of bracket as ( and ), spaces between two digits
    as one separator and every other space removed."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    return "".join(_DIGIT_SPACE_DIGIT.sub("-", text).split()).translate(_BRACKETS)


def parse_case_number(text: str, *, current_year: int) -> tuple[int, int] | None:
    """(year, sequence number) of the case number ``text`` as typed (see the module's docstring), or None when it
    is not one. ``current_year``: the year of a sequence number typed without one."""
    if not text or len(text) > MAX_TYPED:
        return None
    plain = normalise(text)
    for pattern in _PATTERNS:
        m = pattern.fullmatch(plain)
        if m is not None:
            return (int(m["year"]) if "year" in pattern.groupindex else current_year), int(m["seq"])
    return None
