"""Retried creating POSTs: an ``Idempotency-Key`` replays the first result instead of creating a duplicate, and a
department's referral with the same document number (移送文号) is one case even without the header."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.conftest import WUZHEN, first_village, run_in_threads
from tests.disputes.conftest import new_case
from xiangzhi.core import services as core
from xiangzhi.core.models import IdempotencyKey, Organisation, Region, User
from xiangzhi.disputes.models import Attachment, Case, JointReply
from xiangzhi.disputes.services import routing


def _intake(description="隔壁邻居把围墙砌到我家院子里来了"):
    return {"applicant": {"name": "张三", "phone": "13800000001"}, "respondents": [{"name": "李四"}],
            "region_code": first_village(WUZHEN).code, "description": description, "channel": "window"}


def _post(client, url, body, key=None, **extra):
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def test_a_retried_case_intake_returns_the_first_result_and_creates_one_case(mediator):
    c = mediator.client()
    first = _post(c, "/api/v1/cases/", _intake(), key="intake-0001")
    assert first.status_code == 201, first.content
    again = _post(c, "/api/v1/cases/", _intake(), key="intake-0001")
    assert again.status_code == 201 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    assert _post(c, "/api/v1/cases/", _intake(), key="intake-0002").status_code == 201
    assert Case.objects.count() == 2


def test_the_same_key_with_a_different_body_is_refused_in_chinese(mediator):
    c = mediator.client()
    assert _post(c, "/api/v1/cases/", _intake(), key="k-1").status_code == 201
    r = _post(c, "/api/v1/cases/", _intake("另一件事：邻居家的狗咬伤了我家的鸡"), key="k-1")
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"code", "message", "detail"} and body["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "Idempotency-Key" in body["message"] and "请" in body["message"]
    assert Case.objects.count() == 1


def test_keys_belong_to_one_client(mediator, town_staff):
    assert _post(mediator.client(), "/api/v1/cases/", _intake(), key="shared").status_code == 201
    r = _post(town_staff.client(), "/api/v1/cases/", _intake(), key="shared")
    assert r.status_code == 201 and not r.has_header("Idempotent-Replayed")
    assert Case.objects.count() == 2


def test_a_refused_request_does_not_use_up_its_key(mediator):
    c = mediator.client()
    bad = _intake()
    bad["region_code"] = "999"
    assert _post(c, "/api/v1/cases/", bad, key="retry-me").status_code == 422
    assert not IdempotencyKey.objects.exists()
    assert _post(c, "/api/v1/cases/", _intake(), key="retry-me").status_code == 201


def test_the_schema_documents_the_header_on_the_creating_posts(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/cases/", "/api/v1/cases/referrals", "/api/v1/cases/{case_id}/attachments",
                 "/api/v1/cases/joint-tasks/{task_id}/replies"):
        names = [p["name"] for p in paths[path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path
    assert "case_id" in [p["name"] for p in paths["/api/v1/cases/{case_id}/attachments"]["post"]["parameters"]]


def test_a_malformed_key_is_refused(mediator):
    r = _post(mediator.client(), "/api/v1/cases/", _intake(), key="x" * 101)
    assert r.status_code == 422 and r.json()["code"] == "INVALID_IDEMPOTENCY_KEY"
    assert Case.objects.count() == 0


def test_keys_expire_and_runperiodic_removes_them(mediator, settings):
    from xiangzhi.core.periodic import discover_jobs

    settings.XIANGZHI_IDEMPOTENCY_KEY_HOURS = 1
    c = mediator.client()
    assert _post(c, "/api/v1/cases/", _intake(), key="old").status_code == 201
    row = IdempotencyKey.objects.get()
    assert dt.timedelta(minutes=59) < row.expires_at - timezone.now() <= dt.timedelta(hours=1)
    IdempotencyKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _post(c, "/api/v1/cases/", _intake(), key="old").status_code == 201  # expired: a new request
    assert Case.objects.count() == 2
    IdempotencyKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    job = next(j for j in discover_jobs() if j.name == "core.prune_idempotency_keys")
    assert job.func() == 1 and not IdempotencyKey.objects.exists()


def test_retried_attachment_and_joint_reply_are_stored_once(mediator, liaison):
    case = new_case()
    c = mediator.client()
    url = f"/api/v1/cases/{case.pk}/attachments"
    first = c.post(url, {"file": SimpleUploadedFile("协议.pdf", b"%PDF-1.4 x", "application/pdf")},
                   HTTP_IDEMPOTENCY_KEY="att-1")
    assert first.status_code == 201, first.content
    again = c.post(url, {"file": SimpleUploadedFile("协议.pdf", b"%PDF-1.4 x", "application/pdf")},
                   HTTP_IDEMPOTENCY_KEY="att-1")
    assert again.status_code == 201 and again.json() == first.json()
    other = c.post(url, {"file": SimpleUploadedFile("协议.pdf", b"%PDF-1.4 y", "application/pdf")},
                   HTTP_IDEMPOTENCY_KEY="att-1")
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert Attachment.objects.filter(case=case).count() == 1

    due = (timezone.now() + dt.timedelta(days=2)).isoformat()
    task = _post(c, f"/api/v1/cases/{case.pk}/joint-tasks", {"organisation_id": liaison.organisation.pk,
                                                            "task": "核实出警记录", "due_at": due, "contact_name": "王警官"})
    lc = liaison.client()
    url = f"/api/v1/cases/joint-tasks/{task.json()['id']}/replies"
    assert _post(lc, url, {"text": "已核实"}, key="reply-1").status_code == 201
    assert _post(lc, url, {"text": "已核实"}, key="reply-1").status_code == 201
    assert JointReply.objects.count() == 1


def _police_token():
    police = Organisation.objects.filter(specialty="police", region__code=WUZHEN).first()
    svc = User.objects.create(username="police_api", kind="service")
    core.add_membership(svc, role="liaison", region=Region.objects.get(code=WUZHEN), organisation=police, actor=None)
    return police, core.issue_api_token(svc, name="乌镇派出所", actor=None)


def _referral(ref="桐公乌（2026）88号", description="两家因为排水沟发生争吵，出警后移送调解"):
    return {"applicant": {"name": "张三", "phone": "13800000001"}, "respondents": [{"name": "李四"}],
            "region_code": first_village(WUZHEN).code, "description": description, "referral_ref": ref}


def test_a_token_client_retries_a_referral_with_its_key(tongxiang):
    _police, token = _police_token()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    first = _post(Client(), "/api/v1/cases/referrals", _referral(ref=""), key="ref-1", **auth)
    again = _post(Client(), "/api/v1/cases/referrals", _referral(ref=""), key="ref-1", **auth)
    assert first.status_code == again.status_code == 201 and first.content == again.content
    assert Case.objects.count() == 1


def test_the_same_referral_ref_from_the_same_department_is_one_case_without_the_header(tongxiang):
    police, token = _police_token()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    first = _post(Client(), "/api/v1/cases/referrals", _referral(), **auth)
    again = _post(Client(), "/api/v1/cases/referrals", _referral(), **auth)
    assert first.status_code == 201 and again.status_code in (200, 201)
    assert again.json()["number"] == first.json()["number"]
    assert Case.objects.filter(referral_org=police).count() == 1
    assert _post(Client(), "/api/v1/cases/referrals", _referral(ref="桐公乌（2026）89号"), **auth).status_code == 201
    assert Case.objects.count() == 2


def test_the_database_keeps_one_case_per_department_and_referral_ref(tongxiang):
    from django.db import IntegrityError, transaction

    police, _token = _police_token()
    case = new_case()
    Case.objects.filter(pk=case.pk).update(referral_org=police, referral_ref="桐公乌（2026）90号")
    other = new_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=other.pk).update(referral_org=police, referral_ref="桐公乌（2026）90号")
    Case.objects.filter(pk=other.pk).update(referral_org=police, referral_ref="")  # no number: no constraint
    Case.objects.filter(pk=new_case().pk).update(referral_org=police, referral_ref="")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_case(mediator):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent requests")

    routing.ensure_reference_data()  # a transactional test flushed what the data migration seeded
    barrier = threading.Barrier(3)
    responses = []

    def work():
        client = mediator.client()
        barrier.wait()
        responses.append(_post(client, "/api/v1/cases/", _intake(), key="at-once"))

    run_in_threads(work, 3)
    assert Case.objects.count() == 1
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert len({r.content for r in responses}) == 1
