"""Text as it crosses the boundary: what a person typed is cleaned once on the way in (page forms and API schemas),
and what the platform writes into an Office file is made XML-safe on the way out, so that one bad row already in
the database cannot break a document or an export.

C0 control characters (NUL, BEL, ESC…) have no meaning in a name, a description or a question, and XML 1.0 (the
inside of .docx and .xlsx) cannot hold them at all; the bidirectional overrides only turn text around on screen. Tab, line feed and carriage return are kept: a description or an
agreement holds several lines, and XML holds them.
"""

from __future__ import annotations

import re
from typing import Any

# Every character XML 1.0 cannot hold: C0 controls except \t \n \r, lone surrogates, U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The same plus DEL and the C1 controls, which a person never types on purpose either, and the bidirectional
# embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): nobody types them in Chinese text, and one of
# them turns what follows around on the screen ("邻居打我\u202e怎么办" shows as "邻居打我办么怎").
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """``value`` without control characters and bidirectional overrides (tab, line feed and carriage return stay);
    ``value`` itself (an enum member stays one) when it has none."""
    return _CONTROL.sub("", value) if _CONTROL.search(value) else value


def clean_data(value: Any) -> Any:
    """``clean_text`` applied to every string in a parsed request body (dicts and lists, as JSON gives them)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: clean_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    return value


def xml_safe(value: str) -> str:
    """``value`` with the characters XML cannot hold removed: for every text the platform writes into an Office
    file, whatever is in the database."""
    return _XML_ILLEGAL.sub("", value)
