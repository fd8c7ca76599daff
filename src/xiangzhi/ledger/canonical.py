"""Canonical, versioned serialisation of log leaves.

A leaf is the exact byte string that gets hashed with ``leaf_hash`` (``SHA-256(0x00 || leaf)``)
and appended to the log, so it must be reproducible byte for byte by anyone, years later, from
the record it describes. The rules (schema version 1):

* The leaf is the JSON object ``{"v": <schema>, "kind": <kind>, **payload}``.
* Serialised with ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
  allow_nan=False)`` and encoded as UTF-8: no whitespace between tokens, keys sorted by Unicode
  code point at every nesting level, non-ASCII characters (Chinese names, addresses…) written as
  themselves rather than ``\\uXXXX`` escapes.
* Allowed values: ``None``, ``bool``, ``int``, ``str``, finite ``float``, lists/tuples of
  allowed values, and dicts with ``str`` keys of allowed values. Everything else (bytes,
  datetimes, ``Decimal``, sets, NaN/Infinity, non-str keys, lone surrogates) is rejected with
  ``TypeError``/``ValueError``: callers convert explicitly (timestamps as RFC 3339 strings,
  amounts as integer fen or decimal strings, attached files as ``file_digest`` hex strings).
  Floats are allowed but discouraged: Python's shortest-repr float formatting is stable, but
  other languages may print the same float differently.
* ``payload`` must not contain the reserved keys ``"v"`` and ``"kind"``.
* Strings are not Unicode-normalised; the caller's text is hashed as given.

``schema`` is bumped whenever these rules or the meaning of a kind's fields change; old leaves
keep their version number and stay verifiable.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["CURRENT_SCHEMA", "RESERVED_KEYS", "canonical_leaf", "file_digest", "parse_canonical_leaf"]

CURRENT_SCHEMA = 1
RESERVED_KEYS = frozenset({"v", "kind"})


def _check_value(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{path}: string is not encodable as UTF-8 (lone surrogate?)") from None
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: non-finite float {value!r} is not allowed")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_value(item, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: key {key!r} is not a str")
            _check_value(key, f"{path} key")
            _check_value(item, f"{path}.{key}")
        return
    raise TypeError(f"{path}: value of type {type(value).__name__} cannot be serialised canonically")


def _dumps(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def canonical_leaf(kind: str, payload: Mapping[str, Any], schema: int = CURRENT_SCHEMA) -> bytes:
    """Serialise a record as canonical leaf bytes (see the module docstring for the rules).

    >>> canonical_leaf("case.closed", {"case": "TX-2026-0001", "调解员": "王芳", "n": 2})
    b'{"case":"TX-2026-0001","kind":"case.closed","n":2,"v":1,"\\xe8\\xb0\\x83\\xe8\\xa7\\xa3\\xe5\\x91\\x98":"\\xe7\\x8e\\x8b\\xe8\\x8a\\xb3"}'
    """
    if not isinstance(kind, str) or not kind:
        raise ValueError("kind must be a non-empty str")
    if isinstance(schema, bool) or not isinstance(schema, int) or schema < 1:
        raise ValueError(f"schema must be a positive int, got {schema!r}")
    if not isinstance(payload, Mapping):
        raise TypeError(f"payload must be a mapping, got {type(payload).__name__}")
    clash = RESERVED_KEYS.intersection(k for k in payload if isinstance(k, str))
    if clash:
        raise ValueError(f"payload uses reserved key(s) {sorted(clash)}")
    _check_value(kind, "kind")
    _check_value(payload, "payload")
    return _dumps({"v": schema, "kind": kind, **payload})


def parse_canonical_leaf(data: bytes) -> tuple[int, str, dict[str, Any]]:
    """Decode leaf bytes into ``(schema, kind, payload)``, checking they are in canonical form.

    Raises ``ValueError`` if the bytes are not valid JSON, lack ``v``/``kind``, or are not the
    exact canonical serialisation of their own content (so two different byte strings can never
    decode to the same record).
    """
    try:
        obj = json.loads(bytes(data).decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"leaf is not UTF-8 JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ValueError("leaf is not a JSON object")
    schema, kind = obj.get("v"), obj.get("kind")
    if isinstance(schema, bool) or not isinstance(schema, int) or schema < 1:
        raise ValueError("leaf has no valid schema version 'v'")
    if not isinstance(kind, str) or not kind:
        raise ValueError("leaf has no valid 'kind'")
    payload = {k: v for k, v in obj.items() if k not in RESERVED_KEYS}
    if canonical_leaf(kind, payload, schema) != bytes(data):
        raise ValueError("leaf is valid JSON but not in canonical form")
    return schema, kind, payload


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} in leaf")


def file_digest(content: bytes) -> str:
    """Lower-case hex SHA-256 of an attached file, the form leaves use to commit to files."""
    return hashlib.sha256(content).hexdigest()
