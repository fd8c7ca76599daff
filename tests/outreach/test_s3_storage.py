"""Answers kept in an S3-compatible bucket (moto's server over HTTP): the lawyer's upload lands as a private object
under outreach/ and nowhere under the data dir, the villager's player gets it back byte for byte through the app's
view, a refused file leaves no object, and an answer sent back and answered again replaces its object."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.outreach.conftest import fire
from tests.s3 import files_holding, s3_bucket, s3_endpoint, use_s3  # noqa: F401 — fixtures
from xiangzhi.outreach import media
from xiangzhi.outreach.enums import AlertState
from xiangzhi.outreach.models import Answer
from xiangzhi.outreach.services.answers import media_digest, review_answer, storage

pytestmark = pytest.mark.django_db


@pytest.fixture
def bucket(settings, s3_bucket, tmp_path):  # noqa: F811
    # a file-system fallback would land here (or in the data dir's outreach-media): the tests look there too
    settings.XIANGZHI_OUTREACH_MEDIA_DIR = tmp_path / "outreach-media"
    use_s3(settings, s3_bucket, "outreach")
    return s3_bucket


def _local_copies(data: bytes, tmp_path: Path) -> list[Path]:
    return files_holding(Path(django_settings.DATA_DIR), data) + files_holding(tmp_path, data)


def _answer_through_the_api(client, alert, data: bytes, name: str = "answer.wav"):  # noqa: ANN001, ANN202
    return client.post(f"/api/v1/outreach/alerts/{alert.pk}/answer", {
        "text": "离婚可以先调解，也可以直接起诉。", "citations": "民法典-1079,民法典-1087",
        "file": SimpleUploadedFile(name, data, content_type="audio/wav")})


def test_the_store_is_the_s3_backend(bucket):
    from storages.backends.s3 import S3Storage

    assert isinstance(storage(), S3Storage) and storage().bucket_name == bucket.name
    assert storage().location == "outreach" and storage().default_acl == "private"


def test_an_answer_is_a_private_object_and_the_villager_plays_it_back_byte_identical(rule, lawyer_wz, articles,
                                                                                     bucket, tmp_path):
    data = media.wav_tone(1.5)
    alert = fire(rule, now=timezone.now())
    lawyer = lawyer_wz.client()
    assert lawyer.post(f"/api/v1/outreach/alerts/{alert.pk}/claim").status_code == 200
    ok = _answer_through_the_api(lawyer, alert, data)
    assert ok.status_code == 200, ok.content
    assert ok.json()["state"] == AlertState.PUBLISHED

    answer = Answer.objects.get(alert=alert)
    key = f"outreach/{answer.media}"
    assert answer.media.startswith("answers/") and bucket.objects() == [key]
    assert bucket.get(key) == data and answer.sha256 == hashlib.sha256(data).hexdigest()
    assert bucket.public_grants(key) == []  # private: no grant to everyone
    assert _local_copies(data, tmp_path) == []  # the storage was used, not a directory
    assert media_digest(answer.media) == answer.sha256  # the ledger's recompute reads the object

    d = alert.deliveries.order_by("pk").first()
    villager = Client()
    villager.cookies["xz_visitor"] = d.visitor_id
    page = villager.get("/outreach/inbox/").content.decode()
    assert f"/outreach/media/{alert.pk}/" in page and bucket.endpoint not in page  # never a link to the bucket
    got = villager.get(f"/outreach/media/{alert.pk}/")
    assert got.status_code == 200 and got["Content-Type"] == "audio/wav"
    assert int(got["Content-Length"]) == len(data)
    assert b"".join(got.streaming_content) == data  # read to the end: the test client closes the response
    seek = villager.get(f"/outreach/media/{alert.pk}/", headers={"Range": "bytes=1000-4999"})  # the player seeks
    assert seek.status_code == 206 and seek["Content-Range"] == f"bytes 1000-4999/{len(data)}"
    assert b"".join(seek.streaming_content) == data[1000:5000]


def test_a_refused_file_leaves_no_object(rule, lawyer_wz, articles, bucket, tmp_path):
    alert = fire(rule, now=timezone.now())
    lawyer = lawyer_wz.client()
    lawyer.post(f"/api/v1/outreach/alerts/{alert.pk}/claim")
    exe = b"MZ\x90\x00" + b"\x00" * 3000
    bad = _answer_through_the_api(lawyer, alert, exe, name="answer.mp3")
    assert bad.status_code == 422 and bad.json()["code"] == "MEDIA_TYPE_NOT_ALLOWED"
    unknown = lawyer.post(f"/api/v1/outreach/alerts/{alert.pk}/answer", {
        "text": "答复", "citations": "民法典-99999",
        "file": SimpleUploadedFile("a.wav", media.wav_tone(1.0), content_type="audio/wav")})
    assert unknown.status_code == 422
    assert bucket.objects() == [] and not Answer.objects.exists()
    assert _local_copies(exe, tmp_path) == []


def test_a_failure_after_the_upload_removes_the_object(rule, lawyer_wz, articles, bucket, monkeypatch):
    from xiangzhi.outreach.services import answers
    from xiangzhi.outreach.services.claims import claim

    alert = claim(fire(rule, now=timezone.now()), actor=lawyer_wz.user)
    seen = []

    def fail_after_the_upload(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen.extend(bucket.objects())
        raise RuntimeError("the database went away")

    monkeypatch.setattr(answers, "record", fail_after_the_upload)
    with pytest.raises(RuntimeError):
        answers.submit_answer(alert, actor=lawyer_wz.user, text="答复", citations=articles,
                              upload=answers.Upload(name="a.wav", content=media.wav_tone(1.0)))
    assert len(seen) == 1 and seen[0].startswith("outreach/answers/")  # it did reach the bucket…
    assert bucket.objects() == [] and not Answer.objects.exists()  # …and was removed when the transaction failed


def test_an_answer_sent_back_and_answered_again_replaces_its_object(rule, lawyer_wz, county_admin, articles, bucket):
    from xiangzhi.outreach.services.claims import claim

    rule.needs_review = True
    rule.save()
    alert = claim(fire(rule, now=timezone.now()), actor=lawyer_wz.user)
    lawyer = lawyer_wz.client()
    first, second = media.wav_tone(1.0), media.wav_tone(2.0)
    assert _answer_through_the_api(lawyer, alert, first).status_code == 200
    old_key = f"outreach/{Answer.objects.get(alert=alert).media}"
    assert bucket.objects() == [old_key]
    review_answer(alert, actor=county_admin.user, approve=False, note="请补充调解程序的说明")
    assert _answer_through_the_api(lawyer, alert, second).status_code == 200
    new_key = f"outreach/{Answer.objects.get(alert=alert).media}"
    assert new_key != old_key and bucket.objects() == [new_key] and bucket.get(new_key) == second
    # under review: the bureau hears it through the same view
    got = county_admin.client().get(f"/outreach/media/{alert.pk}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == second
