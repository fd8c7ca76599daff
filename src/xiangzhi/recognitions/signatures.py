"""The county's Ed25519 key for certificates, and the signed statements anyone can check offline.

A certificate's QR code holds ``<public url>/r/<statement>.<signature>``: ``statement`` is the base64url (no padding)
of a compact JSON object — ``n`` the holder's masked name, ``t`` the title, ``y`` the year, ``r`` the region code,
``s`` the serial, ``u`` valid until (YYYY-MM-DD), ``v`` the format version — and ``signature`` the base64url of the
Ed25519 signature of the statement's bytes (the decoded JSON, UTF-8). The revocation list is a statement of the same
kind (``k`` = "revocations", ``i`` issued at, ``s`` the revoked serials). Verifying needs only the public key: 32 raw
bytes, published as standard base64 at /api/v1/recognitions/public-key.

The private key is a 32-byte seed in the file ``XIANGZHI_RECOGNITIONS_KEY_FILE`` (under the data dir by default),
created on first use with mode 0600. This module reads no database.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

VERSION = 1
MAX_TOKEN = 2000


class Forged(Exception):
    """The token is not a statement signed by this key (malformed, edited, or signed by another key)."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_path() -> Path:
    return Path(settings.XIANGZHI_RECOGNITIONS_KEY_FILE)


def _create_key(path: Path) -> None:
    """Write a new seed with mode 0600, complete before it appears under its name (a temporary file hard-linked into
    place); a concurrent first use keeps whichever key was linked first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(base64.b64encode(seed).decode("ascii") + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def private_key() -> Ed25519PrivateKey:
    path = _key_path()
    if not path.exists():
        _create_key(path)
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _load(name: str, mtime_ns: int, size: int) -> Ed25519PrivateKey:  # noqa: ARG001 - the cache key: a changed file
    path = Path(name)
    try:
        seed = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RuntimeError(f"{path}: not a base64 Ed25519 seed") from exc
    if len(seed) != 32:
        raise RuntimeError(f"{path}: an Ed25519 seed is 32 bytes, found {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_bytes() -> bytes:
    return private_key().public_key().public_bytes_raw()


def public_key_b64() -> str:
    """The public key as standard base64 (RFC 4648 §4) of its 32 raw bytes."""
    return base64.b64encode(public_key_bytes()).decode("ascii")


def compact(statement: dict[str, Any]) -> bytes:
    return json.dumps(statement, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(statement: dict[str, Any]) -> str:
    """``<statement>.<signature>`` of ``statement`` (deterministic: Ed25519 signatures are)."""
    raw = compact(statement)
    return f"{b64url(raw)}.{b64url(private_key().sign(raw))}"


def verify(token: str, public_key: bytes | None = None) -> dict[str, Any]:
    """The statement of ``token`` if it was signed by ``public_key`` (default: ours); raises :class:`Forged`."""
    if not token or len(token) > MAX_TOKEN or token.count(".") != 1:
        raise Forged("malformed")
    head, _, tail = token.partition(".")
    try:
        raw, signature = unb64url(head), unb64url(tail)
    except (ValueError, binascii.Error):
        raise Forged("malformed") from None
    key = Ed25519PublicKey.from_public_bytes(public_key if public_key is not None else public_key_bytes())
    try:
        key.verify(signature, raw)
    except InvalidSignature:
        raise Forged("bad signature") from None
    try:
        statement = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Forged("malformed") from None
    if not isinstance(statement, dict) or statement.get("v") != VERSION:
        raise Forged("unknown format")
    return statement
