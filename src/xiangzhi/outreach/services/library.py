"""普法资源库: the bureau creates items (text, comic, micro-video, class with ordered lessons, 以案释法 case) tagged by
topic and audience, publishes and unpublishes them. A micro-video's file and a comic's pictures go through the
answers' media checks (type by content, size and duration limits). Every change is an audit row (attested by the ledger)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, Forbidden, ValidationFailed
from xiangzhi.core.models import User
from xiangzhi.disputes.services.uploads import Upload, remove_files, save_upload

from .. import rules
from ..enums import Audience, ItemKind, ItemState, MediaKind
from ..models import ComicPage, Lesson, LibraryItem
from .answers import check_image, check_media, storage


@dataclass
class ItemDraft:
    kind: str
    title: str
    summary: str = ""
    body: str = ""
    topics: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    lessons: list[tuple[str, str]] = field(default_factory=list)  # (title, body), in order


def _guard(actor: User) -> None:
    if not rules.can_manage_library(core_rules.roles_of(actor)):
        raise Forbidden("FORBIDDEN", "只有司法局工作人员可以管理普法资源库。")


def _clean(draft: ItemDraft, upload: Upload | None, images: list[Upload]) -> dict:
    from xiangzhi.consultation.retrieval import TOPICS

    errors: dict[str, str] = {}
    if draft.kind not in ItemKind.values:
        errors["kind"] = "类型只能是：" + "、".join(str(label) for label in ItemKind.labels)
    title = (draft.title or "").strip()
    if not title:
        errors["title"] = "必填"
    elif len(title) > 120:
        errors["title"] = "不超过 120 字"
    unknown = [t for t in draft.topics if t not in TOPICS]
    if unknown:
        errors["topics"] = "没有这些主题：" + "、".join(unknown)
    bad = [a for a in draft.audiences if a not in Audience.values]
    if bad or not draft.audiences:
        errors["audiences"] = "请选择适用人群" if not bad else "没有这些人群：" + "、".join(bad)
    if draft.kind == ItemKind.CLASS and not draft.lessons:
        errors["lessons"] = "课程至少要有一课时"
    if draft.kind == ItemKind.VIDEO and upload is None:
        errors["file"] = "请上传微视频"
    if draft.kind == ItemKind.COMIC and not images:
        errors["images"] = "漫画至少要有一张图片"
    if draft.kind in (ItemKind.ARTICLE, ItemKind.CASE) and not (draft.body or "").strip():
        errors["body"] = "必填"
    if errors:
        raise ValidationFailed("INVALID_ITEM", "请检查填写的内容：" + "；".join(f"{k}：{v}" for k, v in errors.items()),
                               errors)
    topics, audiences = sorted(set(draft.topics)), [a for a in Audience.values if a in draft.audiences]
    return {"kind": draft.kind, "title": title, "summary": (draft.summary or "").strip()[:300],
            "body": (draft.body or "").strip(), "topics": topics, "audiences": audiences,
            "tags": "," + "".join(f"t:{t}," for t in topics) + "".join(f"a:{a}," for a in audiences)}


def create_item(draft: ItemDraft, *, actor: User, upload: Upload | None = None,
                images: list[Upload] | None = None) -> LibraryItem:
    """A new item (draft), with its lessons, for a micro-video its file, for a comic its pictures in order — every
    file checked by its content before anything is stored. Bad input leaves nothing behind.
    Side effects: the files in the outreach storage; the item, lesson and comic page rows; an audit row."""
    _guard(actor)
    images = images or []
    fields = _clean(draft, upload, images)
    pictures = [check_image(image) for image in images]
    found = data = None
    if upload is not None:
        found, data = check_media(upload)
        if draft.kind == ItemKind.VIDEO and found.kind != MediaKind.VIDEO:
            raise ValidationFailed("MEDIA_TYPE_NOT_ALLOWED", f"文件“{upload.name}”不是视频，微视频只能上传 MP4 或 WebM。",
                                   {"file": upload.name})
    written: list[str] = []
    try:
        with transaction.atomic():
            item = LibraryItem(created_by=actor, **fields)
            if found is not None:
                name, digest = save_upload(Upload(name=upload.name, content=data), "library", found.ext,
                                           storage=storage())
                written.append(name)
                item.media, item.content_type, item.size = name, found.content_type, len(data)
                item.duration, item.sha256 = round(found.duration, 2), digest
            item.save()
            for i, (picture, data_i) in enumerate(pictures):
                name_i, digest_i = save_upload(Upload(name=images[i].name, content=data_i), "library", picture.ext,
                                               storage=storage())
                written.append(name_i)
                ComicPage.objects.create(item=item, position=i + 1, name=name_i, content_type=picture.content_type,
                                         size=len(data_i), sha256=digest_i)
            Lesson.objects.bulk_create([Lesson(item=item, position=i + 1, title=t.strip()[:120], body=b)
                                        for i, (t, b) in enumerate(draft.lessons)])
            core.audit("outreach.item_created", actor=actor, obj=item,
                       after={"kind": item.kind, "title": item.title, "topics": item.topics,
                              "audiences": item.audiences, "sha256": item.sha256, "lessons": len(draft.lessons),
                              "pages": len(pictures)})
    except BaseException:
        remove_files(written, storage=storage())
        raise
    return item


def set_published(item: LibraryItem, *, actor: User, published: bool) -> LibraryItem:
    """Publish (the public sees it) or unpublish (hidden again) an item, under a row lock.
    Side effects: state/published_at; an audit row."""
    roles = core_rules.roles_of(actor)
    if not rules.can_manage_library(roles):
        raise Forbidden("FORBIDDEN", "只有司法局工作人员可以发布或下架普法资源。")
    with transaction.atomic():
        locked = LibraryItem.objects.select_for_update().get(pk=item.pk)
        allowed = rules.can_publish_item(roles, locked.state) if published else \
            rules.can_unpublish_item(roles, locked.state)
        if not allowed:
            raise Conflict("ITEM_STATE", "该资源已发布。" if published else "该资源未发布，无需下架。")
        before = locked.state
        locked.state = ItemState.PUBLISHED if published else ItemState.UNPUBLISHED
        if published:
            locked.published_at = timezone.now()
        locked.save(update_fields=["state", "published_at"])
        core.audit("outreach.item_published" if published else "outreach.item_unpublished", actor=actor, obj=locked,
                   before={"state": before}, after={"state": locked.state})
    return locked
