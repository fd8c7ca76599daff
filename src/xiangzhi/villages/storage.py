"""Evidence files: the type check by content (magic bytes, whatever the name or the declared type say) and the
villages storage backend (``STORAGES["villages"]``: a directory under the data dir by default)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.utils import timezone

from xiangzhi.core.errors import ValidationFailed

# content type → (extension, magic bytes at the start of the file)
ACCEPTED = {
    "image/jpeg": ("jpg", b"\xff\xd8\xff"),
    "image/png": ("png", b"\x89PNG\r\n\x1a\n"),
    "application/pdf": ("pdf", b"%PDF-"),
}


def storage() -> Storage:
    return storages["villages"]


@dataclass(frozen=True)
class Checked:
    content_type: str
    ext: str
    size: int


def check(f: File) -> Checked:
    """The type of ``f`` read from its first bytes (JPEG, PNG or PDF), its size within
    XIANGZHI_VILLAGES_MAX_EVIDENCE_BYTES; else ValidationFailed."""
    size = f.size or 0
    name = getattr(f, "name", "") or ""
    if size == 0:
        raise ValidationFailed("FILE_EMPTY", f"文件“{name}”是空的。", {"file": name})
    limit = settings.XIANGZHI_VILLAGES_MAX_EVIDENCE_BYTES
    if size > limit:
        raise ValidationFailed("FILE_TOO_LARGE", f"文件“{name}”超过 {limit // (1024 * 1024)} MB。",
                               {"file": name, "size": size, "limit": limit})
    f.seek(0)
    head = f.read(16)
    f.seek(0)
    for content_type, (ext, magic) in ACCEPTED.items():
        if head.startswith(magic):
            return Checked(content_type, ext, size)
    raise ValidationFailed("FILE_TYPE_NOT_ALLOWED", f"文件“{name}”的类型不支持，只能上传 JPG、PNG 图片或 PDF 文件。",
                           {"file": name, "allowed": sorted(ext for ext, _ in ACCEPTED.values())})


def save(f: File, checked: Checked) -> tuple[str, str]:
    """(storage name, SHA-256) of ``f`` written under a random name (a path tells nothing about the village)."""
    digest = hashlib.sha256()
    f.seek(0)
    for chunk in f.chunks():
        digest.update(chunk)
    f.seek(0)
    name = storage().save(f"evidence/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{checked.ext}", f)
    return name, digest.hexdigest()


def remove(names: list[str]) -> None:
    for name in names:
        try:
            storage().delete(name)
        except OSError:
            pass
