"""Files: the type check by content (magic bytes), storage under the data dir, and a case's attachments (each
with its SHA-256, attested in the ledger)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.utils import timezone

from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.core.models import User

from .. import rules
from ..enums import (
    AttachmentCategory,
    CaseStage,
    EventKind,
)
from ..models import (
    Attachment,
    Case,
    Party,
)
from .records import record

S = CaseStage


ALLOWED_UPLOADS = {  # extension → (content type, magic bytes)
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "pdf": ("application/pdf", b"%PDF-"),
}


MAX_FILES = 10


# ----------------------------------------------------------------------------------------------------------------
# Uploads
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class Upload:
    """A file as received: name, declared type and the bytes — in ``content`` (a test, a command), or in ``source``,
    a received file (a form, the API) that is read in chunks and never held in memory whole."""

    name: str
    content: bytes = b""
    content_type: str = ""
    source: File | None = None

    @classmethod
    def from_django(cls, f) -> Upload:  # noqa: ANN001
        return cls(name=f.name, content_type=getattr(f, "content_type", "") or "", source=f)

    @property
    def size(self) -> int:
        return self.source.size if self.source is not None else len(self.content)

    def head(self, n: int = 16) -> bytes:
        """The first ``n`` bytes (for the type check by content)."""
        if self.source is None:
            return self.content[:n]
        self.source.seek(0)
        data = self.source.read(n)
        self.source.seek(0)
        return data

    def chunks(self) -> Iterator[bytes]:
        if self.source is None:
            yield self.content
            return
        self.source.seek(0)
        yield from self.source.chunks()


def check_upload(upload: Upload) -> tuple[str, str]:
    """(extension, content type) of an acceptable file, or ValidationFailed: jpg/png/pdf, by name AND content,
    at most XIANGZHI_MAX_UPLOAD_BYTES. Every uploaded file the platform keeps goes through this."""
    limit = settings.XIANGZHI_MAX_UPLOAD_BYTES
    size = upload.size
    if size > limit:
        raise ValidationFailed("FILE_TOO_LARGE", f"文件“{upload.name}”超过 {limit // (1024 * 1024)} MB，请压缩后再上传。",
                               {"file": upload.name, "size": size, "limit": limit})
    if size == 0:
        raise ValidationFailed("FILE_EMPTY", f"文件“{upload.name}”是空的。", {"file": upload.name})
    ext = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if ext not in ALLOWED_UPLOADS or not upload.head().startswith(ALLOWED_UPLOADS[ext][1]):
        raise ValidationFailed("FILE_TYPE_NOT_ALLOWED", f"文件“{upload.name}”的类型不支持，只能上传 JPG、PNG 图片或 PDF 文件。",
                               {"file": upload.name, "allowed": ["jpg", "png", "pdf"]})
    return ext, ALLOWED_UPLOADS[ext][0]


def save_upload(upload: Upload, folder: str, ext: str, *, storage: Storage | None = None) -> tuple[str, str]:
    """(storage name, SHA-256) of ``upload`` (already checked) written to ``storage`` (default: the default storage)
    chunk by chunk under a random name (never derived from the case: a file's path tells nothing about whose it
    is)."""
    storage = storage or default_storage
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    body = upload.source if upload.source is not None else ContentFile(upload.content)
    if upload.source is not None:
        upload.source.seek(0)
    name = storage.save(f"{folder}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{ext}", body)
    return name, digest.hexdigest()


def store(case: Case, upload: Upload, ext: str, content_type: str, *, actor: User | None, party: Party | None,
          written: list[str], attest: bool = True, category: str = AttachmentCategory.EVIDENCE) -> Attachment:
    """Store one file of ``case`` (``written`` collects its name, for the caller to remove if the transaction
    fails) and record it: the attachment row with its SHA-256, the audit row, the event and its ledger leaf."""
    name, digest = save_upload(upload, "cases", ext)
    written.append(name)
    att = Attachment.objects.create(case=case, file=name, original_name=upload.name[:200], content_type=content_type,
                                    size=upload.size, sha256=digest, uploaded_by=actor if actor and actor.pk else None,
                                    party=party, category=category)
    payload = {"attachment": att.pk, "sha256": digest, "size": att.size, "content_type": content_type}
    if category != AttachmentCategory.EVIDENCE:
        payload["category"] = category
    record(case, EventKind.ATTACHMENT, payload,
           actor=actor, action="case.attachment_added", after={"sha256": att.sha256, "size": att.size},
           text="提交了一份材料", attest=attest)
    return att


def remove_files(names: list[str], *, storage: Storage | None = None) -> None:
    storage = storage or default_storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            pass


def add_attachment(case: Case, upload: Upload | None, *, actor: User, party: Party | None = None,
                   category: str = AttachmentCategory.EVIDENCE) -> Attachment:
    """A photo or document added later, by staff who handle the case or by a party. A file is required; type and
    size checked first; the file is removed again if the transaction fails. ``category``: where it goes in the case
    file (AttachmentCategory: evidence, a party's identity document 身份证明, a power of attorney, proof of
    performance)."""
    if upload is None:
        raise ValidationFailed("FILE_REQUIRED", "请选择要上传的文件。")
    if category not in AttachmentCategory.values:
        raise ValidationFailed("INVALID_CATEGORY", "材料类别无效。", {"categories": AttachmentCategory.values})
    ext, content_type = check_upload(upload)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            allowed = rules.party_can_add_material(party, locked) if party is not None else rules.can_add_material(
                actor, locked)
            if not allowed:
                raise Conflict("CANNOT_ADD_MATERIAL", "当前阶段不能提交材料。")
            att = store(locked, upload, ext, content_type, actor=actor, party=party, written=written,
                        category=category)
    except BaseException:
        remove_files(written)
        raise
    return att
