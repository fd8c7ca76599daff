"""Audio/video answers: type by content (an .exe named .mp3 refused, nothing left behind), size and duration
limits, only the claimant, the bureau's review; publishing pushes to the audience once and feeds the robot's FAQ."""

from __future__ import annotations

import struct

import pytest
from django.utils import timezone

from tests.outreach.conftest import fire
from xiangzhi.consultation.models import FaqEntry
from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.core.models import Notification
from xiangzhi.disputes.services.uploads import Upload
from xiangzhi.outreach import media
from xiangzhi.outreach.enums import AlertState, DeliveryState
from xiangzhi.outreach.models import Answer, Delivery
from xiangzhi.outreach.services.answers import review_answer, storage, submit_answer
from xiangzhi.outreach.services.claims import claim
from xiangzhi.outreach.services.push import mark_opened, push, refresh_sent

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 2000


@pytest.fixture(autouse=True)
def _media_dir(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "outreach": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    from django.core.files.storage import storages

    storages._storages.pop("outreach", None)
    yield tmp_path / "media"
    storages._storages.pop("outreach", None)


def _files(root) -> list:  # noqa: ANN001
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def claimed(rule, lawyer_wz):
    alert = fire(rule, now=timezone.now(), phone="13700000009")
    return claim(alert, actor=lawyer_wz.user)


def _answer(alert, user, articles, data: bytes = b"", name: str = "answer.wav"):  # noqa: ANN001
    return submit_answer(alert, actor=user, text="离婚可以先调解，也可以直接起诉。", citations=articles,
                         upload=Upload(name=name, content=data or media.wav_tone(2.0)))


def mp3_frames(n: int) -> bytes:
    frame = bytes([0xFF, 0xFB, 0x90, 0x00]) + b"\x00" * (417 - 4)  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    return b"".join(frame for _ in range(n))


def test_media_types_are_told_by_content_with_their_duration():
    assert media.probe(media.wav_tone(1.5)).duration == pytest.approx(1.5, abs=0.01)
    mp3 = media.probe(mp3_frames(100))
    assert mp3.ext == "mp3" and mp3.duration == pytest.approx(100 * 1152 / 44100, rel=1e-6)
    mvhd = struct.pack(">I4sB3xIIII", 108, b"mvhd", 0, 0, 0, 1000, 12_500) + b"\x00" * 80
    m4a = struct.pack(">I4s4sI", 20, b"ftyp", b"M4A ", 0) + b"\x00" * 4 + struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    found = media.probe(m4a)
    assert (found.ext, found.kind, found.duration) == ("m4a", "audio", 12.5)
    opus = b"OggS" + b"\x00" * 24 + b"OpusHead" + b"\x00" * 40 + b"OggS\x00\x04" + struct.pack("<q", 48000 * 7) + b"\x00" * 20
    assert media.probe(opus).duration == pytest.approx(7.0)
    assert media.probe(EXE) is None
    assert media.probe(b"ID3" + b"\x00" * 100) is None  # a tag and no frames


def test_an_exe_named_mp3_is_refused_and_nothing_is_left_behind(claimed, lawyer_wz, articles, _media_dir):
    with pytest.raises(ValidationFailed) as err:
        _answer(claimed, lawyer_wz.user, articles, EXE, name="answer.mp3")
    assert err.value.code == "MEDIA_TYPE_NOT_ALLOWED" and "MP3" in err.value.message
    assert not Answer.objects.exists() and _files(_media_dir) == []
    claimed.refresh_from_db()
    assert claimed.state == AlertState.CLAIMED


def test_too_large_and_too_long_files_are_refused(claimed, lawyer_wz, articles, settings, _media_dir):
    settings.XIANGZHI_OUTREACH_MAX_MEDIA_SECONDS = 1
    with pytest.raises(ValidationFailed) as err:
        _answer(claimed, lawyer_wz.user, articles, media.wav_tone(2.0))
    assert err.value.code == "MEDIA_TOO_LONG"
    settings.XIANGZHI_OUTREACH_MAX_MEDIA_BYTES = 1024
    with pytest.raises(ValidationFailed) as err:
        _answer(claimed, lawyer_wz.user, articles, media.wav_tone(0.5))
    assert err.value.code == "FILE_TOO_LARGE"
    assert not Answer.objects.exists() and _files(_media_dir) == []


def test_a_failure_after_storing_removes_the_file(claimed, lawyer_wz, _media_dir, db):
    with pytest.raises(ValidationFailed) as err:  # an unknown article: refused before anything is stored
        _answer(claimed, lawyer_wz.user, ["民法典-99999"])
    assert err.value.code == "UNKNOWN_ARTICLE"
    assert _files(_media_dir) == [] and not Answer.objects.exists()


def test_only_the_claimant_answers(claimed, lawyer_county, articles):
    with pytest.raises(Conflict):
        _answer(claimed, lawyer_county.user, articles)


def test_without_review_the_answer_is_published_pushed_once_and_becomes_faq(claimed, lawyer_wz, articles, sms_outbox,
                                                                           _media_dir):
    alert = _answer(claimed, lawyer_wz.user, articles)
    assert alert.state == AlertState.PUBLISHED
    answer = alert.answer
    assert answer.media_kind == "audio" and answer.content_type == "audio/wav" and answer.duration == 2.0
    assert storage().exists(answer.media)
    deliveries = list(alert.deliveries.all())
    assert len(deliveries) == 12 and {d.state for d in deliveries} == {DeliveryState.QUEUED}
    assert Notification.objects.filter(dedupe_key__startswith=f"outreach:push:{alert.pk}:").count() == 12
    assert push(alert) == 0  # idempotent re-run
    assert Notification.objects.filter(dedupe_key__startswith=f"outreach:push:{alert.pk}:").count() == 12
    assert Delivery.objects.filter(alert=alert).count() == 12
    faq = FaqEntry.objects.get(pk=alert.faq_id)
    assert faq.citations == articles and faq.topic == "婚姻家庭" and faq.reviewed_at is None
    from xiangzhi.core.services import deliver_notifications

    deliver_notifications()
    assert refresh_sent() == 12
    assert len(sms_outbox) == 12 and f"/outreach/a/{deliveries[0].token}/" in "".join(m["text"] for m in sms_outbox)
    d = mark_opened(deliveries[0])
    assert d.state == DeliveryState.OPENED and d.opened_at is not None


def test_a_new_asker_after_publishing_is_reached_by_a_re_run_only_once(claimed, lawyer_wz, articles):
    from tests.outreach.conftest import add_questions
    from xiangzhi.outreach.services.push import sync_audience

    alert = _answer(claimed, lawyer_wz.user, articles)
    add_questions(alert.topic, 1, at=timezone.now(), prefix="late")
    sync_audience(alert, since=alert.fired_at - timezone.timedelta(days=1), until=timezone.now())
    sync_audience(alert, since=alert.fired_at - timezone.timedelta(days=1), until=timezone.now())
    assert push(alert) == 1 and push(alert) == 0
    assert alert.deliveries.count() == 13


def test_with_review_the_bureau_publishes_or_sends_back(rule, lawyer_wz, county_admin, articles):
    rule.needs_review = True
    rule.save()
    alert = claim(fire(rule, now=timezone.now()), actor=lawyer_wz.user)
    alert = _answer(alert, lawyer_wz.user, articles)
    assert alert.state == AlertState.ANSWERED and not alert.deliveries.exclude(state=DeliveryState.WAITING).exists()
    with pytest.raises(Conflict):
        review_answer(alert, actor=lawyer_wz.user, approve=True)  # not the bureau (and the author)
    with pytest.raises(ValidationFailed):
        review_answer(alert, actor=county_admin.user, approve=False)
    alert = review_answer(alert, actor=county_admin.user, approve=False, note="请补充调解程序的说明")
    assert alert.state == AlertState.CLAIMED
    alert = _answer(alert, lawyer_wz.user, articles)
    alert = review_answer(alert, actor=county_admin.user, approve=True)
    assert alert.state == AlertState.PUBLISHED
    assert FaqEntry.objects.get(pk=alert.faq_id).reviewed_at is not None
    assert alert.deliveries.filter(state=DeliveryState.SENT).count() == 12  # no phones: inbox only


def test_a_published_answer_proposes_the_lawyers_minutes_to_the_time_bank(claimed, lawyer_wz, articles, _media_dir):
    """时间银行: an answered 求助 is platform work; the answering lawyer's minutes are proposed once (a person
    verifies them in the time bank), only when the lawyer is a registered volunteer."""
    from xiangzhi.timebank.models import Activity
    from xiangzhi.timebank.services.volunteers import register_volunteer

    firm = lawyer_wz.user.memberships.get().organisation
    register_volunteer(name="吴律师", kind="lawyer", organisation=firm, region=claimed.region, user=lawyer_wz.user,
                       actor=None)
    alert = _answer(claimed, lawyer_wz.user, articles)
    proposed = Activity.objects.get()
    assert (proposed.source_key, proposed.kind, proposed.minutes, proposed.state) == (
        f"outreach.alert:{alert.pk}", "alert_answer", 60, "proposed")
    assert proposed.volunteer.user == lawyer_wz.user and proposed.organisation == firm


def test_an_answer_sent_as_a_multipart_form_loses_its_control_characters(claimed, lawyer_wz, articles):
    """The answer's text comes as a multipart form field (no schema, no middleware under /api/): the service takes
    the control characters out before storing it."""
    alert = submit_answer(claimed, actor=lawyer_wz.user, text="离婚\x00可以先\x1b调解。", citations=articles,
                          upload=Upload(name="answer.wav", content=media.wav_tone(2.0)))
    assert Answer.objects.get(alert=alert).text == "离婚可以先调解。"
