"""The claimant's answer — text, the articles it rests on, an audio or video file checked by its content, size and
duration — the bureau's optional review, and publishing (which pushes it to the audience and gives it to the
consultation robot as FAQ material)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from xiangzhi.consultation import services as consultation
from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.core.models import User
from xiangzhi.core.personal import mask_text
from xiangzhi.core.text import clean_text
from xiangzhi.disputes.services.uploads import Upload, remove_files, save_upload
from xiangzhi.timebank.enums import ActivityKind
from xiangzhi.timebank.services.activities import propose_activity

from .. import media, rules
from ..enums import AlertState, EventKind
from ..models import Alert, Answer
from .push import push
from .records import record

ALLOWED = "MP3、M4A、AAC、OGG、WAV 音频或 MP4、WebM 视频"


def storage():  # noqa: ANN201
    """The storage of answer files (``XIANGZHI_OUTREACH_STORAGE_BACKEND``)."""
    return storages["outreach"]


def _read_within(upload: Upload, limit: int) -> bytes:
    """The file's bytes, refused when empty or over ``limit`` bytes."""
    if upload.size > limit:
        raise ValidationFailed("FILE_TOO_LARGE", f"文件“{upload.name}”超过 {limit // (1024 * 1024)} MB，请压缩后再上传。",
                               {"file": upload.name, "size": upload.size, "limit": limit})
    if upload.size == 0:
        raise ValidationFailed("FILE_EMPTY", f"文件“{upload.name}”是空的。", {"file": upload.name})
    return b"".join(upload.chunks())


def check_image(upload: Upload) -> tuple[media.Media, bytes]:
    """A comic's picture: PNG, JPEG, WebP or GIF by its content, within ``XIANGZHI_OUTREACH_MAX_IMAGE_BYTES``."""
    data = _read_within(upload, settings.XIANGZHI_OUTREACH_MAX_IMAGE_BYTES)
    found = media.probe_image(data)
    if found is None:
        raise ValidationFailed("MEDIA_TYPE_NOT_ALLOWED", f"文件“{upload.name}”不是图片，只能上传 PNG、JPEG、WebP 或 GIF。",
                               {"file": upload.name, "allowed": ["png", "jpg", "webp", "gif"]})
    return found, data


def check_media(upload: Upload) -> tuple[media.Media, bytes]:
    """The file's type (by its content, never its name), within ``XIANGZHI_OUTREACH_MAX_MEDIA_BYTES`` and
    ``XIANGZHI_OUTREACH_MAX_MEDIA_SECONDS``; ValidationFailed with a clear message otherwise."""
    data = _read_within(upload, settings.XIANGZHI_OUTREACH_MAX_MEDIA_BYTES)
    found = media.probe(data)
    if found is None:
        raise ValidationFailed("MEDIA_TYPE_NOT_ALLOWED", f"文件“{upload.name}”不是可播放的音视频，只能上传{ALLOWED}。",
                               {"file": upload.name, "allowed": ["mp3", "m4a", "aac", "ogg", "wav", "mp4", "webm"]})
    if found.duration is None:
        raise ValidationFailed("MEDIA_UNREADABLE", f"读不出文件“{upload.name}”的时长，文件可能已损坏，请重新导出后上传。",
                               {"file": upload.name})
    seconds = settings.XIANGZHI_OUTREACH_MAX_MEDIA_SECONDS
    if found.duration > seconds:
        raise ValidationFailed("MEDIA_TOO_LONG", f"音视频时长 {found.duration:.0f} 秒，超过 {seconds} 秒的上限，请剪短后再上传。",
                               {"file": upload.name, "duration": round(found.duration, 1), "limit": seconds})
    return found, data


def submit_answer(alert: Alert, *, actor: User, text: str, citations: list[str], upload: Upload | None) -> Alert:
    """The claimant answers: text (masked), cited articles (keys, checked against the knowledge base) and an audio
    or video file. With the rule's review the 求助 waits for the bureau (answered); without, it is published at once.
    Bad input leaves nothing behind: the file is checked before it is stored and removed if the transaction fails.

    Side effects: the file in the outreach storage; the Answer row; an ``answered`` event; notices to reviewers;
    or what :func:`publish` does."""
    if not rules.can_answer(actor.pk, alert.state, alert.claimed_by_id):
        raise Conflict("NOT_YOUR_CLAIM", "请先认领该求助，并在认领时限内答复。")
    text = mask_text(clean_text(text or "").strip())
    if not text:
        raise ValidationFailed("EMPTY_ANSWER", "请填写文字解答。", {"text": "必填"})
    keys = consultation.check_citations(citations)
    if upload is None:
        raise ValidationFailed("FILE_REQUIRED", "请上传录音或视频解答。", {"file": "必填"})
    found, data = check_media(upload)
    written: list[str] = []
    written_old = ""
    try:
        with transaction.atomic():
            locked = Alert.objects.select_for_update(of=("self",)).select_related("rule", "region").get(pk=alert.pk)
            if not rules.can_answer(actor.pk, locked.state, locked.claimed_by_id):
                raise Conflict("NOT_YOUR_CLAIM", "请先认领该求助，并在认领时限内答复。")
            name, digest = save_upload(Upload(name=upload.name, content=data), "answers", found.ext, storage=storage())
            written.append(name)
            old = Answer.objects.filter(alert=locked).first()
            written_old = old.media if old is not None and old.media else ""
            Answer.objects.update_or_create(alert=locked, defaults={
                "author": actor, "text": text, "citations": keys, "media": name, "media_kind": found.kind,
                "content_type": found.content_type, "size": len(data), "duration": round(found.duration, 2),
                "sha256": digest, "reviewed_by": None, "reviewed_at": None, "review_note": "",
                "submitted_at": timezone.now()})
            payload = {"sha256": digest, "size": len(data), "duration": round(found.duration, 2),
                       "content_type": found.content_type, "citations": keys}
            if locked.rule.needs_review:
                locked.state = AlertState.ANSWERED
                locked.save(update_fields=["state"])
                record(locked, EventKind.ANSWERED, payload, actor=actor, action="outreach.answered",
                       notify=_reviewer_notices(locked))
            else:
                record(locked, EventKind.ANSWERED, payload, actor=actor, action="outreach.answered")
                _publish(locked, actor=actor, reviewer=None)
    except BaseException:
        remove_files(written, storage=storage())
        raise
    if written_old:
        remove_files([written_old], storage=storage())
    return locked


def review_answer(alert: Alert, *, actor: User, approve: bool, note: str = "") -> Alert:
    """The bureau approves (publishes) or sends back (with a note; the claim holds, with a new deadline) an answer.
    Side effects: Answer review fields; Alert state; a ``rejected`` event or what :func:`publish` does."""
    with transaction.atomic():
        locked = Alert.objects.select_for_update(of=("self",)).select_related("rule", "region", "answer").get(pk=alert.pk)
        answer = getattr(locked, "answer", None)
        is_author = answer is not None and answer.author_id == actor.pk
        if not rules.can_review(core_rules.roles_of(actor), locked.state, is_author=is_author):
            raise Conflict("CANNOT_REVIEW", "该解答不在待审核状态，或您无权审核（不能审核自己的解答）。")
        answer.reviewed_by, answer.reviewed_at, answer.review_note = actor, timezone.now(), (note or "")[:300]
        answer.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
        if approve:
            _publish(locked, actor=actor, reviewer=actor)
        else:
            if not (note or "").strip():
                raise ValidationFailed("NOTE_REQUIRED", "退回时请写明原因。", {"note": "必填"})
            locked.state = AlertState.CLAIMED
            locked.claim_deadline = timezone.now() + (locked.claim_deadline - locked.claimed_at
                                                      if locked.claim_deadline and locked.claimed_at
                                                      else dt.timedelta(hours=locked.rule.claim_hours))
            locked.save(update_fields=["state", "claim_deadline"])
            record(locked, EventKind.REJECTED, {"note": note[:300]}, actor=actor, action="outreach.rejected",
                   notify=[core.Message(locked.claimed_by, "普法解答被退回", note[:200], f"/outreach/staff/{locked.pk}/",
                                        f"outreach:{locked.pk}:rejected:{answer.reviewed_at.isoformat()}")])
    return locked


def _publish(alert: Alert, *, actor: User, reviewer: User | None) -> None:
    """Publish (inside the caller's locked transaction): state, the FAQ entry for the robot (reviewed when the
    bureau reviewed it), the ``published`` event, and the push to the audience."""
    answer = alert.answer
    alert.state, alert.published_at = AlertState.PUBLISHED, timezone.now()
    question = alert.samples[0] if alert.samples else f"{alert.topic}方面的常见问题"
    faq = consultation.save_faq(None, question=question[:300], answer=answer.text, citations=answer.citations,
                                actor=answer.author, topic=alert.topic)
    if reviewer is not None and reviewer.pk != answer.author_id:
        consultation.review_faq(faq, actor=reviewer)
    alert.faq_id = faq.pk
    alert.save(update_fields=["state", "published_at", "faq_id"])
    record(alert, EventKind.PUBLISHED, {"faq": faq.pk, "audience": alert.deliveries.count()}, actor=actor,
           action="outreach.published")
    _propose_minutes(alert, answer)
    push(alert)


def _propose_minutes(alert: Alert, answer: Answer) -> None:
    """时间银行: a published answer proposes the answering lawyer's minutes (when they are a registered volunteer;
    idempotent by ``outreach.alert:<id>``), a person verifies them there."""
    minutes = settings.XIANGZHI_TIMEBANK_ALERT_MINUTES
    membership = (answer.author.memberships.filter(is_active=True, organisation__isnull=False)
                  .select_related("organisation").order_by("pk").first())
    if minutes <= 0 or membership is None:
        return
    propose_activity(source_key=f"outreach.alert:{alert.pk}", user=answer.author, kind=ActivityKind.ALERT_ANSWER,
                     title=f"答复普法求助：{alert.topic}"[:120], occurred_on=timezone.localdate(alert.published_at),
                     minutes=minutes, organisation=membership.organisation, region=alert.region,
                     link=reverse("outreach:answer", args=[alert.pk]))


def _reviewer_notices(alert: Alert) -> list[core.Message]:
    reviewers = (User.objects.filter(memberships__is_active=True, memberships__role__in=rules.REVIEW_ROLES,
                                     is_active=True).distinct().order_by("pk")[:50])
    return [core.Message(u, "普法解答待审核", f"“{alert.topic}”求助的解答已提交，请审核后发布。",
                         f"/outreach/staff/{alert.pk}/", f"outreach:{alert.pk}:review:{alert.answer.submitted_at.isoformat()}:{u.pk}")
            for u in reviewers]


def media_digest(name: str) -> str:
    """SHA-256 of a stored answer file (the ledger's recompute and the tests)."""
    h = hashlib.sha256()
    with storage().open(name, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
