"""The pages and the API call the same services: the 抢单 board and alert page, the bureau's rule editor, the
villager's inbox, and /api/v1/outreach with the {code, message, detail} envelope."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.outreach.conftest import fire
from xiangzhi.outreach import media
from xiangzhi.outreach.enums import AlertState, DeliveryState
from xiangzhi.outreach.models import AlertRule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_dir(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "outreach": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    from django.core.files.storage import storages

    storages._storages.pop("outreach", None)
    yield
    storages._storages.pop("outreach", None)


def test_two_lawyers_claim_through_the_api_one_wins_the_other_gets_409(rule, lawyer_wz, lawyer_county):
    alert = fire(rule, now=timezone.now())
    a, b = lawyer_wz.client(), lawyer_county.client()
    listed = a.get("/api/v1/outreach/alerts?claimable=true").json()
    assert [x["id"] for x in listed["items"]] == [alert.pk] and listed["items"][0]["state"] == "open"
    assert a.post(f"/api/v1/outreach/alerts/{alert.pk}/claim").status_code == 200
    lost = b.post(f"/api/v1/outreach/alerts/{alert.pk}/claim")
    assert lost.status_code == 409
    assert lost.json()["code"] == "ALREADY_CLAIMED" and set(lost.json()) == {"code", "message", "detail"}


def test_answer_through_the_api_publishes_and_a_wrong_type_is_refused(rule, lawyer_wz, articles):
    alert = fire(rule, now=timezone.now())
    c = lawyer_wz.client()
    c.post(f"/api/v1/outreach/alerts/{alert.pk}/claim")
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = c.post(f"/api/v1/outreach/alerts/{alert.pk}/answer", {
        "text": "答复", "citations": ",".join(articles),
        "file": SimpleUploadedFile("a.mp3", b"MZ" + b"\x00" * 500, content_type="audio/mpeg")})
    assert bad.status_code == 422 and bad.json()["code"] == "MEDIA_TYPE_NOT_ALLOWED"
    ok = c.post(f"/api/v1/outreach/alerts/{alert.pk}/answer", {
        "text": "离婚可以先调解。", "citations": ",".join(articles),
        "file": SimpleUploadedFile("a.wav", media.wav_tone(1.0), content_type="audio/wav")})
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["state"] == AlertState.PUBLISHED and body["answer"]["duration"] == 1.0
    assert body["deliveries"]["sent"] == 12


def test_outsiders_see_nothing(rule, villager_a, mediator):
    alert = fire(rule, now=timezone.now())
    assert Client().get("/api/v1/outreach/alerts").status_code == 401
    assert villager_a[1].get(f"/api/v1/outreach/alerts/{alert.pk}").status_code == 404
    assert mediator.client().get(f"/outreach/staff/{alert.pk}/").status_code == 404
    assert mediator.client().post(f"/api/v1/outreach/alerts/{alert.pk}/claim").status_code == 404


def test_the_openapi_describes_the_outreach_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in ("/api/v1/outreach/alerts", "/api/v1/outreach/alerts/{alert_id}/claim",
              "/api/v1/outreach/alerts/{alert_id}/answer", "/api/v1/outreach/alerts/{alert_id}/review"):
        assert p in paths


def test_the_board_and_the_alert_page_claim_through_the_service(rule, lawyer_wz, lawyer_county):
    alert = fire(rule, now=timezone.now())
    a = lawyer_wz.client()
    assert "婚姻家庭" in a.get("/outreach/staff/").content.decode()
    page = a.get(f"/outreach/staff/{alert.pk}/").content.decode()
    assert "抢单" in page and "138****0001" in page
    assert a.post(f"/outreach/staff/{alert.pk}/", {"action": "claim"}).status_code == 302
    r = lawyer_county.client().post(f"/outreach/staff/{alert.pk}/", {"action": "claim"})
    assert r.status_code == 422 and "已被其他律师抢先认领" in r.content.decode()


def test_the_bureau_edits_a_rule_in_the_workbench_and_a_lawyer_cannot(rule, county_admin, lawyer_wz):
    data = {"name": "劳动热点", "topic": "劳动", "window_hours": 12, "threshold": 8, "release_level": 4,
            "baseline_days": 28, "burst_p": 0.01, "pending_minutes": 30, "keep_firing_minutes": 60,
            "claim_hours": 24, "is_active": "on"}
    assert lawyer_wz.client().post("/outreach/staff/rules/new/", data).status_code == 404
    r = county_admin.client().post("/outreach/staff/rules/new/", {**data, "release_level": 9})
    assert r.status_code == 422 and "解除数量不能高于触发数量" in r.content.decode()
    assert county_admin.client().post("/outreach/staff/rules/new/", data).status_code == 302
    assert AlertRule.objects.filter(name="劳动热点", threshold=8, needs_review=False).exists()


def test_a_villager_sees_and_opens_the_pushed_answer_in_the_inbox(rule, lawyer_wz, articles):
    from xiangzhi.outreach.services.answers import submit_answer
    from xiangzhi.outreach.services.claims import claim

    alert = claim(fire(rule, now=timezone.now()), actor=lawyer_wz.user)
    from xiangzhi.disputes.services.uploads import Upload

    alert = submit_answer(alert, actor=lawyer_wz.user, text="离婚可以先调解。", citations=articles,
                          upload=Upload(name="a.wav", content=media.wav_tone(1.0)))
    d = alert.deliveries.order_by("pk").first()
    villager = Client()
    villager.cookies["xz_visitor"] = d.visitor_id
    page = villager.get("/outreach/inbox/").content.decode()
    assert "<audio" in page and f"/outreach/media/{alert.pk}/" in page
    assert "《民法典》第1079条" in page and ">民法典-1079<" not in page  # cited as people read it
    assert Client().get("/outreach/inbox/").content.decode().count("<audio") == 0  # someone else: nothing
    got = villager.get(f"/outreach/media/{alert.pk}/")
    assert got.status_code == 200 and got["Content-Type"] == "audio/wav"
    whole = b"".join(got.streaming_content)
    assert whole[:4] == b"RIFF" and got["Accept-Ranges"] == "bytes"
    tail = villager.get(f"/outreach/media/{alert.pk}/", headers={"Range": "bytes=-100"})  # a phone seeking
    assert tail.status_code == 206 and tail["Content-Range"] == f"bytes {len(whole) - 100}-{len(whole) - 1}/{len(whole)}"
    assert b"".join(tail.streaming_content) == whole[-100:]
    assert villager.post(f"/outreach/a/{d.token}/opened/").status_code == 204
    d.refresh_from_db()
    assert d.state == DeliveryState.OPENED


def test_a_lawyer_declares_specialities_on_the_board(rule, lawyer_wz):
    from xiangzhi.outreach.models import Speciality

    c = lawyer_wz.client()
    assert c.post("/outreach/staff/specialities/", {"topic": ["劳动争议", "婚姻家庭"]}).status_code == 302
    assert set(Speciality.objects.filter(user=lawyer_wz.user).values_list("topic", flat=True)) == {"劳动争议", "婚姻家庭"}
    c.post("/outreach/staff/specialities/", {"topic": ["不存在的主题"]})
    assert Speciality.objects.filter(user=lawyer_wz.user).count() == 2  # refused, unchanged


def test_runperiodic_evaluates_the_rules_and_returns_expired_claims(rule, lawyer_wz):
    import datetime as dt

    from tests.outreach.conftest import add_questions
    from xiangzhi.core.periodic import run_due
    from xiangzhi.outreach.models import Alert

    add_questions(rule.topic, 12, at=timezone.now() - dt.timedelta(hours=1), spread=dt.timedelta(hours=3))
    names = {"outreach.evaluate_alerts", "outreach.expire_claims", "outreach.delivery_states"}
    assert set(run_due(only=names)) == names
    rule.pending_minutes = 0
    rule.save()
    run_due(only={"outreach.evaluate_alerts"}, force=True)
    assert Alert.objects.get().state == AlertState.OPEN


def test_the_staff_menu_shows_the_board_to_lawyers_only(lawyer_wz, mediator):
    assert "普法抢单" in lawyer_wz.client().get("/workbench/").content.decode()
    assert "普法抢单" not in mediator.client().get("/workbench/").content.decode()
