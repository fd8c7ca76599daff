"""Canonical leaf serialisation."""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiangzhi.ledger.canonical import canonical_leaf, file_digest, parse_canonical_leaf


def test_exact_bytes() -> None:
    leaf = canonical_leaf(
        "case.closed", {"case": "TX-2026-0001", "调解员": "王芳", "n": 2, "ok": True, "x": None}
    )
    assert (
        leaf
        == '{"case":"TX-2026-0001","kind":"case.closed","n":2,"ok":true,"v":1,"x":null,"调解员":"王芳"}'.encode()
    )


def test_key_order_and_nesting_do_not_matter() -> None:
    a = canonical_leaf("k", {"b": {"y": 1, "x": [3, {"q": 1, "p": 2}]}, "a": 1})
    b = canonical_leaf("k", OrderedDict([("a", 1), ("b", {"x": (3, {"p": 2, "q": 1}), "y": 1})]))
    assert a == b == b'{"a":1,"b":{"x":[3,{"p":2,"q":1}],"y":1},"kind":"k","v":1}'


def test_schema_version() -> None:
    assert canonical_leaf("k", {}, schema=2) == b'{"kind":"k","v":2}'
    for bad in (0, -1, True, 1.0, "1"):
        with pytest.raises(ValueError):
            canonical_leaf("k", {}, schema=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "payload",
    [
        {"x": math.nan},
        {"x": math.inf},
        {"x": [1, -math.inf]},
        {"x": {"y": float("nan")}},
        {"x": "\ud800"},  # lone surrogate
    ],
)
def test_rejects_non_finite_and_unencodable(payload: dict) -> None:
    with pytest.raises(ValueError):
        canonical_leaf("k", payload)


@pytest.mark.parametrize(
    "payload",
    [
        {"x": b"bytes"},
        {"x": datetime(2026, 1, 1, tzinfo=UTC)},
        {"x": Decimal("1.5")},
        {"x": {1, 2}},
        {"x": {1: "int key"}},
        {"x": {("t",): 1}},
    ],
)
def test_rejects_other_types(payload: dict) -> None:
    with pytest.raises(TypeError):
        canonical_leaf("k", payload)


def test_rejects_bad_kind_payload_and_reserved_keys() -> None:
    with pytest.raises(ValueError):
        canonical_leaf("", {})
    with pytest.raises(TypeError):
        canonical_leaf("k", [("a", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        canonical_leaf("k", {1: "x"})  # type: ignore[dict-item]
    for key in ("v", "kind"):
        with pytest.raises(ValueError, match="reserved"):
            canonical_leaf("k", {key: 1})


def test_parse_round_trip_and_non_canonical_rejection() -> None:
    leaf = canonical_leaf("k", {"a": [1, 2.5, "三"], "b": None})
    assert parse_canonical_leaf(leaf) == (1, "k", {"a": [1, 2.5, "三"], "b": None})
    for bad in [
        b'{"kind":"k", "v":1}',  # whitespace
        b'{"v":1,"kind":"k"}',  # key order
        b'{"kind":"k","v":1,"v":1}',  # duplicate key
        b'{"kind":"k","v":1,"x":"\\u4e09"}',  # escaped non-ASCII
        b'{"kind":"k","v":1,"x":NaN}',
        b'{"kind":"k"}',
        b'{"kind":"","v":1}',
        b'{"kind":"k","v":true}',
        b"[1]",
        b"\xff",
        b"",
    ]:
        with pytest.raises(ValueError):
            parse_canonical_leaf(bad)


def test_file_digest() -> None:
    assert file_digest(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=10), st.dictionaries(st.text(max_size=8), _json, max_size=5))
def test_round_trip_property(kind: str, payload: dict) -> None:
    payload = {k: v for k, v in payload.items() if k not in ("v", "kind")}
    try:
        leaf = canonical_leaf(kind, payload)
    except ValueError:
        return  # lone surrogates from st.text()
    schema, kind2, payload2 = parse_canonical_leaf(leaf)
    assert (schema, kind2) == (1, kind)
    assert canonical_leaf(kind2, payload2) == leaf
