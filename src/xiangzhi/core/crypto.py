"""Encryption of personal data at rest (AES-256-GCM with key ids) and HMAC blind indexes.

Stored form of an encrypted value: ``v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``. The associated data binds a
ciphertext to its column (``app_label.model.field``), so a value copied into another column does not decrypt. Keys come
from ``settings.XIANGZHI_ENCRYPTION_KEYS`` (``kid:base64key,…``): the first key encrypts, every key decrypts, which is
how a key is rotated (add a new first key, run ``xiangzhi rotate_keys``, then drop the old one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key id, or tampered ciphertext)."""


@dataclass(frozen=True)
class Keyring:
    active_id: str
    keys: dict[str, bytes]


def parse_keyring(spec: str) -> Keyring:
    keys: dict[str, bytes] = {}
    active: str | None = None
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, b64 = item.partition(":")
        if not sep or not kid or ":" in b64:
            raise ImproperlyConfigured("XIANGZHI_ENCRYPTION_KEYS must look like 'k1:<base64 32 bytes>,k0:<…>'.")
        try:
            key = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"Encryption key {kid!r} is not valid base64.") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(f"Encryption key {kid!r} must be 32 bytes (AES-256), got {len(key)}.")
        if kid in keys:
            raise ImproperlyConfigured(f"Encryption key id {kid!r} appears twice.")
        keys[kid] = key
        active = active or kid
    if active is None:
        raise ImproperlyConfigured("XIANGZHI_ENCRYPTION_KEYS holds no key.")
    return Keyring(active_id=active, keys=keys)


@lru_cache(maxsize=4)
def _keyring(spec: str) -> Keyring:
    return parse_keyring(spec)


def keyring() -> Keyring:
    return _keyring(settings.XIANGZHI_ENCRYPTION_KEYS)


def encrypt(plaintext: str, *, context: str) -> str:
    ring = keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.active_id]).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return f"{PREFIX}:{ring.active_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(stored: str) -> str | None:
    parts = stored.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def decrypt(stored: str, *, context: str) -> str:
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not an encrypted value")
    _, kid, payload = parts
    ring = keyring()
    key = ring.keys.get(kid)
    if key is None:
        raise DecryptionError(f"unknown key id {kid!r}")
    try:
        raw = base64.urlsafe_b64decode(payload.encode())
        return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode("utf-8")
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("ciphertext does not authenticate") from exc


@lru_cache(maxsize=4)
def _index_key(spec: str) -> bytes:
    try:
        key = base64.b64decode(spec, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured("XIANGZHI_BLIND_INDEX_KEY is not valid base64.") from exc
    if len(key) < 16:
        raise ImproperlyConfigured("XIANGZHI_BLIND_INDEX_KEY must be at least 16 bytes.")
    return key


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash for exact lookup of an encrypted value; equal inputs give equal indexes per purpose."""
    key = _index_key(settings.XIANGZHI_BLIND_INDEX_KEY)
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()
