"""Signed tree heads: C2SP ``tlog-checkpoint`` bodies inside C2SP ``signed-note`` envelopes.

A checkpoint note looks like::

    xiangzhi.example/tongxiang-log
    20852163
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

    — xiangzhi.example/tongxiang-log Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe…

* Body (https://c2sp.org/tlog-checkpoint): origin line (non-empty), tree size in ASCII decimal
  without leading zeros, standard base64 of the 32-byte RFC 6962 root, then optional non-empty
  extension lines; every line ends in ``\\n``.
* Envelope (https://c2sp.org/signed-note): the text, a blank line, then one or more lines
  ``— <key name> <base64(key ID || signature)>``. Only Ed25519 (signature type 0x01) is
  supported: key ID = ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``, the signature is
  Ed25519 over the UTF-8 note text (including its final newline).
* Keys use the golang.org/x/mod/sumdb/note encodings: verifier key
  ``<name>+<8 hex digits key ID>+<base64(0x01 || 32-byte public key)>`` and signer key
  ``PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || 32-byte seed)>``.

Parsing is strict: anything that does not match the format is rejected with :class:`NoteError`
(a ``ValueError``); a bad signature from a known key, or no signature from a known key, is
also a :class:`NoteError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .merkle import HASH_SIZE

__all__ = [
    "ALG_ED25519",
    "MAX_NOTE_SIZE",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteError",
    "NoteSignature",
    "OpenedNote",
    "Signer",
    "Verifier",
    "b64decode_strict",
    "generate_key",
    "is_valid_key_name",
    "key_id",
    "open_note",
    "open_checkpoint",
    "sign_checkpoint",
    "sign_note",
    "vkey_from_public_key",
]

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # em dash, space
MAX_NOTE_SIZE = 1 << 20
MAX_SIGNATURES = 100
_MAX_TREE_SIZE = (1 << 64) - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX8 = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A note, checkpoint or key string is malformed, or its signatures do not verify."""


def b64decode_strict(text: str, what: str = "value") -> bytes:
    """Decode standard, padded base64 (RFC 4648 §4), rejecting any non-canonical encoding."""
    if not isinstance(text, str):
        raise NoteError(f"{what}: expected a base64 string, got {type(text).__name__}")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(f"{what}: invalid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what}: non-canonical base64")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def is_valid_key_name(name: str) -> bool:
    """Key names are non-empty and contain no Unicode whitespace and no ``+`` (signed-note §Format)."""
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(ch.isspace() or ch in "\u200b\u2028\u2029\u180e" for ch in name)
        and not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name)
    )


def key_id(name: str, public_key: bytes, alg: int = ALG_ED25519) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || alg || public_key)[:4]``."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + bytes(public_key)).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 note verifier (a trusted public key with its name)."""

    name: str
    public_key: bytes
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}")
        if len(self.public_key) != 32:
            raise NoteError("Ed25519 public key must be 32 bytes")
        object.__setattr__(self, "key_id", key_id(self.name, self.public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
        if not isinstance(vkey, str):
            raise NoteError("verifier key must be a string")
        parts = vkey.split("+", 2)  # the base64 key may itself contain "+"
        if len(parts) != 3:
            raise NoteError("verifier key must have the form <name>+<hex key id>+<base64 key>")
        name, id_hex, key_b64 = parts
        if not is_valid_key_name(name):
            raise NoteError(f"verifier key has an invalid name {name!r}")
        if not _HEX8.fullmatch(id_hex):
            raise NoteError("verifier key id must be 8 lower-case hex digits")
        raw = b64decode_strict(key_b64, "verifier key")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("verifier key is not an Ed25519 (type 0x01) public key")
        verifier = cls(name, raw[1:])
        if verifier.key_id.hex() != id_hex:
            raise NoteError("verifier key id does not match the key name and public key")
        return verifier

    @property
    def vkey(self) -> str:
        """The verifier key string."""
        return vkey_from_public_key(self.name, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True iff ``signature`` is a valid Ed25519 signature of ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """An Ed25519 note signer."""

    name: str
    seed: bytes = field(repr=False)
    public_key: bytes = field(init=False)
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}")
        if len(self.seed) != 32:
            raise NoteError("Ed25519 private key seed must be 32 bytes")
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        object.__setattr__(self, "public_key", public)
        object.__setattr__(self, "key_id", key_id(self.name, public))

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>``."""
        if not isinstance(skey, str):
            raise NoteError("signer key must be a string")
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise NoteError("signer key must have the form PRIVATE+KEY+<name>+<hex key id>+<base64 key>")
        name, id_hex, key_b64 = parts[2:]
        if not _HEX8.fullmatch(id_hex):
            raise NoteError("signer key id must be 8 lower-case hex digits")
        raw = b64decode_strict(key_b64, "signer key")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("signer key is not an Ed25519 (type 0x01) private key")
        signer = cls(name, raw[1:])
        if signer.key_id.hex() != id_hex:
            raise NoteError("signer key id does not match the key name and public key")
        return signer

    @property
    def skey(self) -> str:
        """The signer key string (secret)."""
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{_b64(bytes([ALG_ED25519]) + self.seed)}"

    @property
    def vkey(self) -> str:
        """The matching verifier key string."""
        return vkey_from_public_key(self.name, self.public_key)

    def verifier(self) -> Verifier:
        """The matching :class:`Verifier`."""
        return Verifier(self.name, self.public_key)

    def sign(self, message: bytes) -> bytes:
        """Raw 64-byte Ed25519 signature of ``message``."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def vkey_from_public_key(name: str, public_key: bytes) -> str:
    """Format a verifier key string for an Ed25519 public key."""
    if not is_valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    return f"{name}+{key_id(name, public_key).hex()}+{_b64(bytes([ALG_ED25519]) + bytes(public_key))}"


def generate_key(name: str) -> tuple[str, str]:
    """Generate a fresh Ed25519 key; return ``(skey, vkey)`` strings. Keep ``skey`` secret."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    signer = Signer(name, seed)
    return signer.skey, signer.vkey


# --------------------------------------------------------------------------------------------------
# Signed notes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes  # without the 4-byte key ID

    def line(self) -> str:
        """The formatted signature line, with its final newline."""
        return f"{SIG_PREFIX}{self.name} {_b64(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures were checked: ``verified`` by trusted keys, ``unverified`` from unknown keys."""

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def _check_text_chars(text: str, what: str) -> None:
    for ch in text:
        if ch != "\n" and ord(ch) < 0x20:
            raise NoteError(f"{what} contains a control character U+{ord(ch):04X}")


def sign_note(text: str, signers: Signer | Iterable[Signer]) -> str:
    """Sign ``text`` (which must end in a newline) and return the full note."""
    if isinstance(signers, Signer):
        signers = [signers]
    signer_list = list(signers)
    if not signer_list:
        raise NoteError("at least one signer is required")
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteError("note text must be a str ending in a newline")
    _check_text_chars(text, "note text")
    try:
        message = text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError("note text is not valid UTF-8") from None
    lines = [NoteSignature(s.name, s.key_id, s.sign(message)).line() for s in signer_list]
    return text + "\n" + "".join(lines)


def open_note(note: str | bytes, verifiers: Verifier | Sequence[Verifier]) -> OpenedNote:
    """Parse a signed note and verify it against trusted ``verifiers``.

    Follows C2SP signed-note: signatures whose (name, key ID) is unknown are ignored (returned
    in ``unverified``); a signature from a known key that does not verify rejects the note; at
    least one known key must have signed. Malformed notes raise :class:`NoteError`.
    """
    if isinstance(verifiers, Verifier):
        verifiers = [verifiers]
    known = {(v.name, v.key_id): v for v in verifiers}
    if isinstance(note, bytes | bytearray | memoryview):
        if len(note) > MAX_NOTE_SIZE:
            raise NoteError("note is too large")
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("note is not valid UTF-8") from None
    if not isinstance(note, str):
        raise NoteError(f"note must be str or bytes, got {type(note).__name__}")
    try:
        message_len = len(note.encode("utf-8"))
    except UnicodeEncodeError:
        raise NoteError("note is not valid UTF-8") from None
    if message_len > MAX_NOTE_SIZE:
        raise NoteError("note is too large")
    _check_text_chars(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, sig_block = note[: split + 1], note[split + 2 :]
    if not sig_block or not sig_block.endswith("\n"):
        raise NoteError("malformed note: signature block missing or not newline-terminated")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    message = text.encode("utf-8")
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, bytes]] = set()
    for n, line in enumerate(lines, 1):
        if not line.startswith(SIG_PREFIX):
            raise NoteError(f"malformed signature line {n}: must start with an em dash and a space")
        name, sep, b64 = line[len(SIG_PREFIX) :].partition(" ")
        if not sep or not is_valid_key_name(name):
            raise NoteError(f"malformed signature line {n}: bad key name")
        raw = b64decode_strict(b64, f"signature line {n}")
        if len(raw) < 5:
            raise NoteError(f"malformed signature line {n}: signature too short")
        sig = NoteSignature(name, raw[:4], raw[4:])
        ident = (name, sig.key_id)
        verifier = known.get(ident)
        if verifier is None:
            unverified.append(sig)
            continue
        if ident in seen:
            raise NoteError(f"duplicate signature from key {name} ({sig.key_id.hex()})")
        seen.add(ident)
        if len(sig.signature) != 64 or not verifier.verify(message, sig.signature):
            raise NoteError(f"invalid signature from key {name} ({sig.key_id.hex()})")
        verified.append(sig)
    if not verified:
        names = ", ".join(sorted({f"{v.name}+{v.key_id.hex()}" for v in known.values()})) or "none"
        raise NoteError(f"note is not signed by any trusted key (trusted: {names})")
    return OpenedNote(text, tuple(verified), tuple(unverified))


# --------------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, size and RFC 6962 root hash, plus optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin or "\n" in self.origin:
            raise NoteError("checkpoint origin must be a non-empty single line")
        _check_text_chars(self.origin, "checkpoint origin")
        if (
            isinstance(self.size, bool)
            or not isinstance(self.size, int)
            or not 0 <= self.size <= _MAX_TREE_SIZE
        ):
            raise NoteError(f"checkpoint size must be an integer in 0..2^64-1, got {self.size!r}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise NoteError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        object.__setattr__(self, "extensions", tuple(self.extensions))
        for ext in self.extensions:
            if not isinstance(ext, str) or not ext or "\n" in ext:
                raise NoteError("checkpoint extension lines must be non-empty single lines")
            _check_text_chars(ext, "checkpoint extension")

    def text(self) -> str:
        """The note text (body) of this checkpoint, ending in a newline."""
        lines = [self.origin, str(self.size), _b64(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (the text of a note, already verified)."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise NoteError("checkpoint text must end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("checkpoint must have at least 3 lines (origin, size, root hash)")
        origin, size_s, root_s, *exts = lines
        if not origin:
            raise NoteError("checkpoint origin line is empty")
        if not _DECIMAL.fullmatch(size_s):
            raise NoteError(f"checkpoint size {size_s!r} is not a decimal number without leading zeros")
        size = int(size_s)
        if size > _MAX_TREE_SIZE:
            raise NoteError("checkpoint size does not fit in 64 bits")
        root = b64decode_strict(root_s, "checkpoint root hash")
        if len(root) != HASH_SIZE:
            raise NoteError(f"checkpoint root hash has {len(root)} bytes, want {HASH_SIZE}")
        if any(not e for e in exts):
            raise NoteError("checkpoint has an empty extension line")
        return cls(origin, size, root, tuple(exts))


def sign_checkpoint(checkpoint: Checkpoint, signers: Signer | Iterable[Signer]) -> str:
    """Return the signed note for ``checkpoint``."""
    return sign_note(checkpoint.text(), signers)


def open_checkpoint(
    note: str | bytes, verifiers: Verifier | Sequence[Verifier], origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint note and parse its body.

    ``origin``, if given, must match the checkpoint's origin line (a verifier should always
    pin the origin of the log it expects).
    """
    opened = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} does not match the expected {origin!r}")
    return checkpoint
