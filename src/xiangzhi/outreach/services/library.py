"""普法资源库: the bureau and the towns' 司法所 (their town's items: rules.can_edit_item with
selectors.item_in_jurisdiction) create and edit items (text, comic, micro-video, class with ordered lessons, 以案释法 case) tagged by
topic and audience, publishes and unpublishes them. A micro-video's file and a comic's pictures go through the
answers' media checks (type by content, size and duration limits). Every change is an audit row (attested by the ledger)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.db import transaction
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, Forbidden, ValidationFailed
from xiangzhi.core.models import Region, User
from xiangzhi.core.text import clean_text
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
        raise Forbidden("FORBIDDEN", "只有司法局、司法所工作人员可以管理普法资源库。")


def _guard_item(actor: User, item: LibraryItem) -> None:
    from .. import selectors

    if not rules.can_edit_item(core_rules.roles_of(actor), in_jurisdiction=selectors.item_in_jurisdiction(actor, item)):
        raise Forbidden("FORBIDDEN", "只能编辑本辖区的普法资源。")


def _region_for(actor: User, region: Region | None) -> Region | None:
    """The item's owner: ``region`` when inside the actor's jurisdiction; by default the bureau's items are
    county-wide (None) and a 司法所's belong to its town."""
    from .. import selectors

    bureau = bool(rules.TOPTEN_ROLES & core_rules.roles_of(actor))
    codes = selectors.library_codes(actor)
    if region is None:
        if bureau:
            return None
        region = Region.objects.filter(code__in=codes).order_by("code").first()
        if region is None:
            raise Forbidden("FORBIDDEN", "您没有所属乡镇，不能新建普法资源。")
        return region
    if not bureau and not any(region.code.startswith(c) for c in codes):
        raise Forbidden("FORBIDDEN", "只能为本辖区新建普法资源。")
    return region


def _without_controls(draft: ItemDraft) -> ItemDraft:
    """The draft with its control characters taken out (core.text.clean_text): the API's multipart form fields are
    no schema and pass no middleware, so the service cleans what it stores (a NUL would fail on PostgreSQL)."""
    return replace(draft, kind=clean_text(draft.kind or ""), title=clean_text(draft.title or ""),
                   summary=clean_text(draft.summary or ""), body=clean_text(draft.body or ""),
                   topics=[clean_text(t) for t in draft.topics], audiences=[clean_text(a) for a in draft.audiences],
                   lessons=[(clean_text(t or ""), clean_text(b or "")) for t, b in draft.lessons])


def _clean(draft: ItemDraft, *, has_file: bool, has_images: bool) -> dict:
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
    if draft.kind == ItemKind.VIDEO and not has_file:
        errors["file"] = "请上传微视频"
    if draft.kind == ItemKind.COMIC and not has_images:
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
                images: list[Upload] | None = None, region: Region | None = None) -> LibraryItem:
    """A new item (draft), with its lessons, for a micro-video its file, for a comic its pictures in order — every
    file checked by its content before anything is stored. Bad input leaves nothing behind.
    Side effects: the files in the outreach storage; the item, lesson and comic page rows; an audit row."""
    _guard(actor)
    draft = _without_controls(draft)
    owner = _region_for(actor, region)
    images = images or []
    fields = _clean(draft, has_file=upload is not None, has_images=bool(images))
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
            item = LibraryItem(created_by=actor, region=owner, **fields)
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
                       region_code=owner.code if owner else "",
                       after={"kind": item.kind, "title": item.title, "region": owner.code if owner else "", "topics": item.topics,
                              "audiences": item.audiences, "sha256": item.sha256, "lessons": len(draft.lessons),
                              "pages": len(pictures)})
    except BaseException:
        remove_files(written, storage=storage())
        raise
    return item


def _snapshot(item: LibraryItem) -> dict:
    return {"kind": item.kind, "title": item.title, "summary": item.summary, "body_chars": len(item.body),
            "topics": item.topics, "audiences": item.audiences,
            "lessons": [lesson.title for lesson in Lesson.objects.filter(item=item).order_by("position")]}


def update_item(item: LibraryItem, draft: ItemDraft, *, actor: User) -> LibraryItem:
    """Edit an item of the actor's jurisdiction: title, summary, body, kind, topics, audiences and, for a class, its
    lessons (replaced, in the given order). A micro-video keeps its file and a comic its pictures (see
    :func:`attach_media`); changing the kind to one that needs a file the item lacks is refused.
    Side effects: the item's fields and lessons (under its row lock); an audit row with before/after."""
    _guard(actor)
    _guard_item(actor, item)
    draft = _without_controls(draft)
    with transaction.atomic():
        locked = LibraryItem.objects.select_for_update().get(pk=item.pk)
        fields = _clean(draft, has_file=bool(locked.media), has_images=locked.pages.exists())
        if draft.kind != ItemKind.CLASS and draft.lessons:
            raise ValidationFailed("INVALID_ITEM", "只有课程可以有课时。", {"lessons": "只有课程可以有课时"})
        before = _snapshot(locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*fields, "updated_at"])
        if locked.kind == ItemKind.CLASS or before["lessons"]:
            Lesson.objects.filter(item=locked).delete()
            Lesson.objects.bulk_create([Lesson(item=locked, position=i + 1, title=t.strip()[:120], body=b)
                                        for i, (t, b) in enumerate(draft.lessons)])
        core.audit("outreach.item_edited", actor=actor, obj=locked,
                   region_code=locked.region.code if locked.region_id else "", before=before,
                   after=_snapshot(locked))
    return locked


def attach_media(item: LibraryItem, upload: Upload, *, actor: User) -> LibraryItem:
    """A comic gets one more picture (PNG/JPEG/WebP/GIF, after its last); a micro-video gets its video or audio
    file (MP4/WebM or MP3/M4A/AAC/OGG/WAV; the old file is replaced and removed once the change is committed).
    The file is checked by its content, size and duration before anything is stored; a refusal or a failed
    transaction leaves no file and no row. Side effects: the file; a ComicPage row or the item's media fields;
    an audit row."""
    _guard(actor)
    _guard_item(actor, item)
    if item.kind == ItemKind.COMIC:
        found, data = check_image(upload)
    elif item.kind == ItemKind.VIDEO:
        found, data = check_media(upload)
    else:
        raise ValidationFailed("NO_MEDIA_FOR_KIND", "只有漫画可以添加图片，只有微视频可以上传音视频。", {"kind": item.kind})
    written: list[str] = []
    old = ""
    try:
        with transaction.atomic():
            locked = LibraryItem.objects.select_for_update().get(pk=item.pk)
            name, digest = save_upload(Upload(name=upload.name, content=data), "library", found.ext, storage=storage())
            written.append(name)
            if locked.kind == ItemKind.COMIC:
                position = (locked.pages.order_by("-position").values_list("position", flat=True).first() or 0) + 1
                ComicPage.objects.create(item=locked, position=position, name=name, content_type=found.content_type,
                                         size=len(data), sha256=digest)
                after = {"page": position, "sha256": digest, "size": len(data)}
            else:
                old = locked.media
                locked.media, locked.content_type, locked.size = name, found.content_type, len(data)
                locked.duration, locked.sha256 = round(found.duration, 2), digest
                locked.updated_at = timezone.now()
                locked.save(update_fields=["media", "content_type", "size", "duration", "sha256", "updated_at"])
                after = {"media": found.content_type, "duration": locked.duration, "sha256": digest,
                         "size": len(data)}
            core.audit("outreach.item_media_attached", actor=actor, obj=locked,
                       region_code=locked.region.code if locked.region_id else "", after=after)
            if old:
                transaction.on_commit(lambda: remove_files([old], storage=storage()))
    except BaseException:
        remove_files(written, storage=storage())
        raise
    return locked


def set_published(item: LibraryItem, *, actor: User, published: bool) -> LibraryItem:
    """Publish (the public sees it) or unpublish (hidden again) an item of the actor's jurisdiction, under a row
    lock. Side effects: state/published_at; an audit row."""
    from .. import selectors

    roles = core_rules.roles_of(actor)
    if not rules.can_manage_library(roles):
        raise Forbidden("FORBIDDEN", "只有司法局、司法所工作人员可以发布或下架普法资源。")
    with transaction.atomic():
        locked = LibraryItem.objects.select_for_update().get(pk=item.pk)
        mine = selectors.item_in_jurisdiction(actor, locked)
        allowed = rules.can_publish_item(roles, locked.state, in_jurisdiction=mine) if published else \
            rules.can_unpublish_item(roles, locked.state, in_jurisdiction=mine)
        if not mine:
            raise Forbidden("FORBIDDEN", "只能发布或下架本辖区的普法资源。")
        if not allowed:
            raise Conflict("ITEM_STATE", "该资源已发布。" if published else "该资源未发布，无需下架。")
        before = locked.state
        locked.state = ItemState.PUBLISHED if published else ItemState.UNPUBLISHED
        if published:
            locked.published_at = timezone.now()
        locked.save(update_fields=["state", "published_at"])
        core.audit("outreach.item_published" if published else "outreach.item_unpublished", actor=actor, obj=locked,
                   region_code=locked.region.code if locked.region_id else "",
                   before={"state": before}, after={"state": locked.state})
    return locked
