"""C2SP signed notes and tlog-checkpoints: known answers, round trips and rejection of tampering."""

from __future__ import annotations

import base64
import hashlib

import pytest

from xiangzhi.ledger.checkpoint import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    generate_key,
    is_valid_key_name,
    key_id,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
    vkey_from_public_key,
)
from xiangzhi.ledger.merkle import EMPTY_ROOT, root_of_leaves

# golang.org/x/mod/sumdb/note reference key and signature (note_test.go / package doc).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
GO_NOTE = GO_TEXT + "\n" + GO_SIG

ORIGIN = "xiangzhi.example/tongxiang"


@pytest.fixture(scope="module")
def keys() -> tuple[Signer, Verifier]:
    skey, vkey = generate_key(ORIGIN)
    return Signer.from_skey(skey), Verifier.from_vkey(vkey)


@pytest.fixture(scope="module")
def note(keys: tuple[Signer, Verifier]) -> str:
    cp = Checkpoint(ORIGIN, 8, root_of_leaves([b"a"] * 8))
    return sign_checkpoint(cp, keys[0])


# ----- keys ---------------------------------------------------------------------------------------


def test_go_known_answer() -> None:
    signer = Signer.from_skey(GO_SKEY)
    assert signer.vkey == GO_VKEY
    assert signer.skey == GO_SKEY
    assert sign_note(GO_TEXT, signer) == GO_NOTE  # Ed25519 is deterministic
    opened = open_note(GO_NOTE, Verifier.from_vkey(GO_VKEY))
    assert opened.text == GO_TEXT
    assert [s.name for s in opened.verified] == ["PeterNeumann"]


def test_key_id_algorithm() -> None:
    v = Verifier.from_vkey(GO_VKEY)
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + v.public_key).digest()[:4]
    assert key_id("PeterNeumann", v.public_key) == expected == bytes.fromhex("c74f20a3")
    assert v.vkey == GO_VKEY == vkey_from_public_key("PeterNeumann", v.public_key)


def test_generate_key_round_trip() -> None:
    skey, vkey = generate_key("example.com/log")
    signer = Signer.from_skey(skey)
    assert signer.vkey == vkey
    assert Verifier.from_vkey(vkey) == signer.verifier()
    assert skey.startswith("PRIVATE+KEY+example.com/log+")
    assert signer.seed.hex() not in repr(signer)


def test_base64_key_may_contain_plus() -> None:
    # transparency-dev/formats test key whose base64 contains '+'
    Verifier.from_vkey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # empty name
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space in name
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # upper-case id
        "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # short id
        "PeterNeumann+c74f20a3+AhpccQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # algorithm 0x02
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",  # truncated key
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=",  # bad base64
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",  # non-canonical b64 / other key
    ],
)
def test_bad_vkeys(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.from_vkey(vkey)


@pytest.mark.parametrize(
    "skey",
    [
        GO_SKEY.replace("PRIVATE+KEY", "PUBLIC+KEY"),
        GO_SKEY.replace("c74f20a3", "c74f20a4"),
        GO_SKEY[:-4],
        "PRIVATE+KEY+PeterNeumann+c74f20a3",
    ],
)
def test_bad_skeys(skey: str) -> None:
    with pytest.raises(NoteError):
        Signer.from_skey(skey)


def test_key_names() -> None:
    assert is_valid_key_name("example.com/log")
    assert is_valid_key_name("桐乡市司法局/存证")
    for bad in ["", "a b", "a+b", "a\u3000b", "a\tb", "a\nb"]:
        assert not is_valid_key_name(bad)
    with pytest.raises(NoteError):
        generate_key("bad name")


# ----- notes --------------------------------------------------------------------------------------


def test_checkpoint_round_trip(keys: tuple[Signer, Verifier], note: str) -> None:
    cp = open_checkpoint(note, keys[1], origin=ORIGIN)
    assert cp.size == 8
    assert cp.root_hash == root_of_leaves([b"a"] * 8)
    assert note.startswith(cp.text() + "\n— " + ORIGIN + " ")
    assert open_checkpoint(note.encode("utf-8"), [keys[1]]) == cp


def test_checkpoint_with_extensions_and_empty_tree(keys: tuple[Signer, Verifier]) -> None:
    cp = Checkpoint(ORIGIN, 0, EMPTY_ROOT, ("Timestamp: 1700000000", "ext 2"))
    n = sign_checkpoint(cp, keys[0])
    assert open_checkpoint(n, keys[1]) == cp
    assert (
        cp.text() == f"{ORIGIN}\n0\n{base64.b64encode(EMPTY_ROOT).decode()}\nTimestamp: 1700000000\next 2\n"
    )


def test_wrong_key(note: str) -> None:
    _, other = generate_key(ORIGIN)  # same name, different key: unknown key, ignored
    with pytest.raises(NoteError, match="not signed by any trusted key"):
        open_checkpoint(note, Verifier.from_vkey(other))
    with pytest.raises(NoteError, match="not signed by any trusted key"):
        open_checkpoint(note, [])


def test_wrong_origin(keys: tuple[Signer, Verifier], note: str) -> None:
    with pytest.raises(NoteError, match="origin"):
        open_checkpoint(note, keys[1], origin="other.example/log")


def test_altered_body(keys: tuple[Signer, Verifier], note: str) -> None:
    body, sig = note.split("\n\n")
    lines = body.split("\n")
    for i, alteration in [(1, "9"), (1, "7"), (0, ORIGIN + "x")]:
        altered = lines.copy()
        altered[i] = alteration
        with pytest.raises(NoteError, match="invalid signature"):
            open_checkpoint("\n".join(altered) + "\n\n" + sig, keys[1])
    root = bytearray(base64.b64decode(lines[2]))
    root[0] ^= 1
    altered = [lines[0], lines[1], base64.b64encode(bytes(root)).decode()]
    with pytest.raises(NoteError, match="invalid signature"):
        open_checkpoint("\n".join(altered) + "\n\n" + sig, keys[1])


@pytest.mark.parametrize("offset", [0, 3, 4, 10, 40, 67])
def test_altered_signature(keys: tuple[Signer, Verifier], note: str, offset: int) -> None:
    body, sig_line = note.split("\n\n")
    prefix, b64 = sig_line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(b64))
    raw[offset] ^= 0x20
    altered = f"{body}\n\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n"
    # Flipping the key ID makes the signature "unknown" (ignored); flipping the signature is invalid.
    with pytest.raises(NoteError, match="invalid signature" if offset >= 4 else "not signed by any trusted"):
        open_checkpoint(altered, keys[1])


def test_extra_signatures(keys: tuple[Signer, Verifier], note: str) -> None:
    other = Signer.from_skey(generate_key("witness.example/w1")[0])
    cosigned = note + sign_note(open_note(note, keys[1]).text, other).split("\n\n")[1]
    opened = open_note(cosigned, keys[1])
    assert len(opened.verified) == 1 and len(opened.unverified) == 1
    both = open_note(cosigned, [keys[1], other.verifier()])
    assert len(both.verified) == 2
    sig_line = note.split("\n\n")[1]
    with pytest.raises(NoteError, match="duplicate"):
        open_note(note + sig_line, keys[1])


def _malformed_notes(note: str) -> list[str]:
    body, sig = note.split("\n\n")
    name_and_sig = sig[2:]
    return [
        "",
        body,  # no signatures
        body + "\n",
        body + "\n\n",  # empty signature block
        note.rstrip("\n"),  # signature line not newline-terminated
        body + "\n\n- " + name_and_sig,  # hyphen instead of em dash
        body + "\n\n—" + name_and_sig,  # no space after em dash
        body + "\n\n— " + name_and_sig.replace(" ", "  ", 1),  # double space
        body + "\n\n— " + name_and_sig.replace(" ", "", 1),  # no space between name and signature
        body + "\n\n— " + name_and_sig.replace("=", "", 1),  # unpadded base64
        body + "\n\n— " + name_and_sig.rstrip("\n") + "!\n",  # bad base64
        body + "\n\n— " + ORIGIN + " AAAA\n",  # too short
        body + "\x01\n\n" + sig,  # control character in the text
        body + "\r\n\n" + sig,
        note + "\n",  # trailing blank line: text then ends in the signature, no signatures
        note + "trailing garbage\n",
    ]


def test_malformed_notes(keys: tuple[Signer, Verifier], note: str) -> None:
    for bad in _malformed_notes(note):
        with pytest.raises(NoteError):
            open_note(bad, keys[1])
    with pytest.raises(NoteError):
        open_note(b"\xff\xfe" + note.encode(), keys[1])
    with pytest.raises(NoteError, match="too large"):
        open_note("x" * (1 << 20) + note, keys[1])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "origin\n8\n",  # too few lines
        "origin\n8\nAAAA\n",  # root not 32 bytes
        "\n8\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",  # empty origin
        "origin\n08\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",  # leading zero
        "origin\n-1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "origin\n+1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "origin\n 1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "origin\n１\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",  # full-width digit
        "origin\n18446744073709551616\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",  # 2^64
        "origin\n1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n\n",  # empty extension line
        "origin\n1\n" + base64.urlsafe_b64encode(b"\xff" * 32).decode() + "\n",  # URL-safe alphabet
        "origin\n1\n" + base64.b64encode(EMPTY_ROOT).decode(),  # no final newline
    ],
)
def test_malformed_checkpoint_bodies(keys: tuple[Signer, Verifier], text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)
    if text.endswith("\n") and "\n\n" not in text and text != "\n":
        # even when properly signed, a bad body is rejected
        with pytest.raises(NoteError):
            open_checkpoint(sign_note(text, keys[0]), keys[1])


def test_checkpoint_constructor_validation() -> None:
    with pytest.raises(NoteError):
        Checkpoint("", 1, EMPTY_ROOT)
    with pytest.raises(NoteError):
        Checkpoint("a\nb", 1, EMPTY_ROOT)
    with pytest.raises(NoteError):
        Checkpoint("o", -1, EMPTY_ROOT)
    with pytest.raises(NoteError):
        Checkpoint("o", 1, EMPTY_ROOT[:31])
    with pytest.raises(NoteError):
        Checkpoint("o", 1, EMPTY_ROOT, ("",))
    assert Checkpoint.parse(Checkpoint("o", 2**64 - 1, EMPTY_ROOT).text()).size == 2**64 - 1


def test_sign_note_validation(keys: tuple[Signer, Verifier]) -> None:
    with pytest.raises(NoteError):
        sign_note("no newline", keys[0])
    with pytest.raises(NoteError):
        sign_note("text\n", [])
    with pytest.raises(NoteError):
        sign_note("bad\x07\n", keys[0])
