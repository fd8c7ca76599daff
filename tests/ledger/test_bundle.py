"""Offline proof bundles: the happy path and every tampering we can think of."""

from __future__ import annotations

import base64
import copy
import json
import math
from typing import Any

import pytest

from xiangzhi.ledger.bundle import (
    BUNDLE_FORMAT,
    TlogProof,
    bundle_from_json,
    bundle_to_json,
    check_bundle,
    check_tlog_proof,
    make_bundle,
    parse_tlog_proof,
    tlog_proofs_from_bundle,
)
from xiangzhi.ledger.canonical import canonical_leaf, file_digest, parse_canonical_leaf
from xiangzhi.ledger.checkpoint import Checkpoint, NoteError, Signer, generate_key, sign_checkpoint
from xiangzhi.ledger.merkle import InMemoryHashStore, VerificationError, leaf_hash

ORIGIN = "xiangzhi.example/tongxiang"
SIZE = 21


@pytest.fixture(scope="module")
def log() -> dict[str, Any]:
    skey, vkey = generate_key(ORIGIN)
    signer = Signer.from_skey(skey)
    leaves = [
        canonical_leaf(
            "case.event",
            {
                "case": f"TX-2026-{i:04d}",
                "event": "调解成功",
                "files": [file_digest(b"scan %d" % i)],
                "seq": i,
            },
        )
        for i in range(SIZE)
    ]
    store = InMemoryHashStore.from_leaf_data(leaves)
    note = sign_checkpoint(Checkpoint(ORIGIN, SIZE, store.root()), signer)
    return {"store": store, "leaves": leaves, "note": note, "vkey": vkey, "signer": signer}


@pytest.fixture()
def bundle(log: dict[str, Any]) -> dict[str, Any]:
    return make_bundle(log["store"], [0, 7, SIZE - 1], log["leaves"], log["note"], log["vkey"])


def _assert_rejected(bundle: Any, fragment: str, **kwargs: Any) -> None:
    report = check_bundle(bundle, **kwargs)
    assert not report.ok
    assert report.errors
    assert any(fragment in e for e in report.errors), report.errors


# ----- happy path ---------------------------------------------------------------------------------


def test_happy_path(bundle: dict[str, Any], log: dict[str, Any]) -> None:
    report = check_bundle(bundle, trusted_vkey=log["vkey"])
    assert report.ok, report.errors
    assert report.errors == []
    assert report.origin == ORIGIN and report.tree_size == SIZE
    assert report.root_hash == log["store"].root().hex()
    assert report.key_trusted is True and report.key_name == ORIGIN
    assert [leaf.index for leaf in report.leaves] == [0, 7, SIZE - 1]
    assert all(leaf.ok and leaf.kind == "case.event" and leaf.schema == 1 for leaf in report.leaves)
    assert report.leaves[1].payload is not None and report.leaves[1].payload["case"] == "TX-2026-0007"
    assert report.leaves[1].leaf_hash == leaf_hash(log["leaves"][7]).hex()
    assert "VALID: 3/3" in report.summary()
    for entry in bundle["leaves"]:
        assert len(entry["proof"]) <= math.ceil(math.log2(SIZE))


def test_json_round_trip(bundle: dict[str, Any]) -> None:
    text = bundle_to_json(bundle)
    assert "调解" not in text  # leaf data is base64, the JSON is ASCII apart from the key name
    assert check_bundle(bundle_from_json(text)).ok
    assert check_bundle(json.loads(text.encode("utf-8"))).ok


def test_bundle_for_older_checkpoint(log: dict[str, Any]) -> None:
    """Proofs are made against the checkpoint's size, not the store's current size."""
    store = log["store"]
    old_note = sign_checkpoint(Checkpoint(ORIGIN, 5, store.root(5)), log["signer"])
    b = make_bundle(store, [4], log["leaves"], old_note, log["vkey"])
    assert check_bundle(b).ok
    with pytest.raises(ValueError, match="not covered"):
        make_bundle(store, [5], log["leaves"], old_note, log["vkey"])


def test_opaque_leaves_still_verify() -> None:
    skey, vkey = generate_key("example.com/raw")
    store = InMemoryHashStore.from_leaf_data([b"", b"\x00\xff", b"not json"])
    note = sign_checkpoint(Checkpoint("example.com/raw", 3, store.root()), Signer.from_skey(skey))
    report = check_bundle(make_bundle(store, [0, 1, 2], {0: b"", 1: b"\x00\xff", 2: b"not json"}, note, vkey))
    assert report.ok and all(leaf.kind is None for leaf in report.leaves)


def test_make_bundle_refuses_bad_input(log: dict[str, Any]) -> None:
    store, leaves, note, vkey = log["store"], log["leaves"], log["note"], log["vkey"]
    with pytest.raises(ValueError, match="does not match"):
        make_bundle(store, [3], {3: leaves[4]}, note, vkey)
    with pytest.raises(ValueError):
        make_bundle(store, [], leaves, note, vkey)
    with pytest.raises(ValueError):
        make_bundle(store, [0], leaves, note, generate_key(ORIGIN)[1])  # not the signing key
    with pytest.raises(ValueError, match="exceeds"):
        make_bundle(InMemoryHashStore.from_leaf_data(leaves[:3]), [0], leaves, note, vkey)


# ----- tampering ----------------------------------------------------------------------------------


def _b64_flip(text: str, byte: int = 0) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[byte % len(raw)] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def test_tampered_leaf_data(bundle: dict[str, Any]) -> None:
    for byte in (0, 5, 40):
        b = copy.deepcopy(bundle)
        b["leaves"][1]["data"] = _b64_flip(b["leaves"][1]["data"], byte)
        report = check_bundle(b)
        assert not report.ok
        assert [leaf.ok for leaf in report.leaves] == [True, False, True]
        assert "leaf #1 (index 7): inclusion proof does not verify" in report.errors[0]


def test_substituted_leaf_data(bundle: dict[str, Any], log: dict[str, Any]) -> None:
    b = copy.deepcopy(bundle)
    forged = canonical_leaf("case.event", {**parse_canonical_leaf(log["leaves"][7])[2], "event": "调解失败"})
    b["leaves"][1]["data"] = base64.b64encode(forged).decode()
    _assert_rejected(b, "inclusion proof does not verify")


def test_tampered_proof_element(bundle: dict[str, Any]) -> None:
    for i in range(len(bundle["leaves"][0]["proof"])):
        b = copy.deepcopy(bundle)
        b["leaves"][0]["proof"][i] = _b64_flip(b["leaves"][0]["proof"][i], 31)
        _assert_rejected(b, "root mismatch")


def test_proof_too_short_or_long(bundle: dict[str, Any]) -> None:
    b = copy.deepcopy(bundle)
    b["leaves"][0]["proof"].pop()
    _assert_rejected(b, "wrong inclusion proof length")
    b = copy.deepcopy(bundle)
    b["leaves"][0]["proof"].append(b["leaves"][0]["proof"][0])
    _assert_rejected(b, "wrong inclusion proof length")
    b = copy.deepcopy(bundle)
    b["leaves"][0]["proof"][0] = base64.b64encode(b"\x00" * 31).decode()
    _assert_rejected(b, "has 31 bytes")


def test_tampered_index(bundle: dict[str, Any]) -> None:
    for index, fragment in [
        (8, "root mismatch"),
        (6, "root mismatch"),
        (SIZE, "beyond the checkpoint"),
        (-1, "non-negative integer"),
        ("7", "non-negative integer"),
        (True, "non-negative"),
        (7.0, "non-negative integer"),
    ]:
        b = copy.deepcopy(bundle)
        b["leaves"][1]["index"] = index
        _assert_rejected(b, fragment)


def test_swapped_proofs(bundle: dict[str, Any]) -> None:
    b = copy.deepcopy(bundle)
    b["leaves"][0]["proof"], b["leaves"][1]["proof"] = b["leaves"][1]["proof"], b["leaves"][0]["proof"]
    report = check_bundle(b)
    assert not report.ok and [leaf.ok for leaf in report.leaves] == [False, False, True]


def test_tampered_checkpoint_size_or_root(bundle: dict[str, Any], log: dict[str, Any]) -> None:
    body, sig = bundle["checkpoint"].split("\n\n")
    origin, size, root = body.split("\n")
    for altered in [
        f"{origin}\n{SIZE + 1}\n{root}",
        f"{origin}\n{SIZE - 1}\n{root}",
        f"{origin}\n{size}\n{_b64_flip(root)}",
        f"other.example\n{size}\n{root}",
    ]:
        b = copy.deepcopy(bundle)
        b["checkpoint"] = altered + "\n\n" + sig
        _assert_rejected(b, "checkpoint rejected: invalid signature")


def test_checkpoint_resigned_by_attacker(bundle: dict[str, Any], log: dict[str, Any]) -> None:
    """An attacker who re-signs a forged tree with their own key and swaps the vkey is caught by pinning."""
    skey, vkey = generate_key(ORIGIN)
    store = InMemoryHashStore.from_leaf_data([b"forged"] * SIZE)
    forged_note = sign_checkpoint(Checkpoint(ORIGIN, SIZE, store.root()), Signer.from_skey(skey))
    forged = make_bundle(store, [0], [b"forged"] * SIZE, forged_note, vkey)
    assert check_bundle(forged).ok  # self-consistent…
    _assert_rejected(forged, "not the trusted key", trusted_vkey=log["vkey"])  # …but not our log
    report = check_bundle(forged, trusted_vkey=log["vkey"])
    assert report.key_trusted is False
    # The forged checkpoint with the real key: signature check fails.
    b = copy.deepcopy(bundle)
    b["checkpoint"] = forged_note
    _assert_rejected(b, "not signed by any trusted key")


def test_tampered_signature_and_vkey(bundle: dict[str, Any]) -> None:
    body, sig = bundle["checkpoint"].split("\n\n")
    prefix, b64 = sig.rstrip("\n").rsplit(" ", 1)
    b = copy.deepcopy(bundle)
    b["checkpoint"] = f"{body}\n\n{prefix} {_b64_flip(b64, 10)}\n"
    _assert_rejected(b, "checkpoint rejected: invalid signature")
    b = copy.deepcopy(bundle)
    b["checkpoint"] = body + "\n"
    _assert_rejected(b, "checkpoint rejected: malformed note")
    b = copy.deepcopy(bundle)
    b["vkey"] = b["vkey"][:-2] + "AA"
    _assert_rejected(b, "bad verifier key")
    b = copy.deepcopy(bundle)
    b["vkey"] = generate_key(ORIGIN)[1]
    _assert_rejected(b, "not signed by any trusted key")


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda b: b.update(format="other"), "unknown bundle format"),
        (lambda b: b.pop("format"), "unknown bundle format"),
        (lambda b: b.update(version=2), "unsupported bundle version"),
        (lambda b: b.update(version="1"), "unsupported bundle version"),
        (lambda b: b.update(extra=1), "unexpected bundle fields"),
        (lambda b: b.pop("vkey"), "bad verifier key"),
        (lambda b: b.update(checkpoint=None), "checkpoint must be a string"),
        (lambda b: b.update(leaves=[]), "non-empty list"),
        (lambda b: b.update(leaves={}), "non-empty list"),
        (lambda b: b["leaves"].append("x"), "entry must be an object"),
        (lambda b: b["leaves"][0].pop("proof"), "exactly the fields"),
        (lambda b: b["leaves"][0].update(hash="00"), "exactly the fields"),
        (lambda b: b["leaves"][0].update(proof="AAAA"), "proof must be a list"),
        (lambda b: b["leaves"][0].update(data="!!!"), "leaf data: invalid base64"),
        (lambda b: b["leaves"][0].update(data=5), "leaf data: expected a base64 string"),
        (lambda b: b["leaves"][0]["proof"].__setitem__(0, "zz"), "proof element 0: invalid base64"),
        (
            lambda b: b["leaves"][0]["proof"].__setitem__(0, b["leaves"][0]["proof"][0].rstrip("=")),
            "proof element 0: invalid base64",
        ),
    ],
)
def test_malformed_bundles(bundle: dict[str, Any], mutate: Any, fragment: str) -> None:
    b = copy.deepcopy(bundle)
    mutate(b)
    _assert_rejected(b, fragment)


@pytest.mark.parametrize("value", [None, [], "bundle", 3, b"{}"])
def test_not_an_object(value: Any) -> None:
    _assert_rejected(value, "must be a JSON object")


def test_bundle_format_constant(bundle: dict[str, Any]) -> None:
    assert bundle["format"] == BUNDLE_FORMAT and bundle["version"] == 1
    assert set(bundle) == {"format", "version", "vkey", "checkpoint", "leaves"}


# ----- C2SP tlog-proof export ---------------------------------------------------------------------


def test_tlog_proof_round_trip(bundle: dict[str, Any], log: dict[str, Any]) -> None:
    texts = tlog_proofs_from_bundle(bundle)
    assert len(texts) == 3
    first = texts[1]
    assert first.startswith("c2sp.org/tlog-proof@v1\nindex 7\n")
    assert first.endswith("\n\n" + bundle["checkpoint"])
    cp = check_tlog_proof(first, log["leaves"][7], log["vkey"], origin=ORIGIN)
    assert cp.size == SIZE
    parsed = parse_tlog_proof(first)
    assert parsed.index == 7 and parsed.extra is None and parsed.checkpoint == bundle["checkpoint"]
    with_extra = TlogProof(7, parsed.proof, parsed.checkpoint, extra=b"ctx").text()
    assert with_extra.split("\n")[1] == "extra " + base64.b64encode(b"ctx").decode()
    assert parse_tlog_proof(with_extra).extra == b"ctx"
    check_tlog_proof(with_extra, log["leaves"][7], log["vkey"])


def test_tlog_proof_tampering(bundle: dict[str, Any], log: dict[str, Any]) -> None:
    text = tlog_proofs_from_bundle(bundle)[1]
    with pytest.raises(VerificationError):
        check_tlog_proof(text, log["leaves"][8], log["vkey"])
    with pytest.raises(VerificationError):
        check_tlog_proof(text.replace("index 7", "index 6"), log["leaves"][7], log["vkey"])
    with pytest.raises(VerificationError):
        check_tlog_proof(text.replace("index 7", f"index {SIZE}"), log["leaves"][7], log["vkey"])
    with pytest.raises(NoteError):
        check_tlog_proof(text, log["leaves"][7], generate_key(ORIGIN)[1])
    with pytest.raises(NoteError):
        check_tlog_proof(text, log["leaves"][7], log["vkey"], origin="other.example")
    for bad in [
        text.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
        text.replace("index 7", "index 07"),
        text.replace("index 7", "idx 7"),
        text.replace("\nindex 7", "\nextra !!\nindex 7"),
        text.split("\n\n")[0],
        text.replace("=\n", "\n", 1),
    ]:
        with pytest.raises(NoteError):
            check_tlog_proof(bad, log["leaves"][7], log["vkey"])
