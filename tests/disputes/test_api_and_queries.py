"""API parity (the whole mediation through /api/v1/cases), pinned query counts on the lists, and the deadline, risk,
joint-handling, judicial, document and case-file routes under the same /api/v1/cases."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.disputes.conftest import new_case, risk_report_json


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_a_mediation_through_the_api(mediator, sms_outbox):
    c = mediator.client()
    case = new_case()
    base = f"/api/v1/cases/{case.pk}"
    assert c.get(base).json()["allowed_transitions"] == ["accepted", "not_accepted", "terminated", "escalated"]
    assert post(c, base + "/transitions", {"to": "accepted"}).status_code == 200
    r = post(c, base + "/transitions", {"to": "accepted"})
    assert r.status_code == 409 and r.json()["code"] == "ALREADY_ACCEPTED" and r.json()["message"] == "该案件已被受理"
    assert post(c, base + "/transitions", {"to": "assigned", "mediator_id": mediator.user.pk}).status_code == 200
    r = post(c, base + "/transitions", {"to": "notice_served"})  # the rights notice not yet served on each party
    assert r.status_code == 409 and r.json()["code"] == "RIGHTS_NOT_SERVED"
    now = timezone.localtime().isoformat(timespec="seconds")
    ids = {p["role"]: p["id"] for p in c.get(base).json()["parties"]}
    r = post(c, base + "/notices", {"party_id": ids["respondent"], "method": "grid_worker", "by": "网格员王某",
                                    "at": now})
    assert r.status_code == 200 and r.json()["parties"][1]["notice_method"] == "grid_worker"
    r = post(c, base + "/consents", {"party_id": ids["respondent"], "agree": True, "method": "phone", "at": now})
    assert r.status_code == 200 and r.json()["parties"][1]["consent_method"] == "phone"
    r = post(c, base + "/rights-notices", {"party_ids": list(ids.values()), "method": "in_person", "at": now})
    assert r.status_code == 200 and all(p["rights_served_at"] for p in r.json()["parties"])
    assert post(c, base + "/transitions", {"to": "notice_served"}).status_code == 200
    assert post(c, base + "/transitions", {"to": "in_mediation"}).status_code == 200
    held = timezone.localtime().isoformat(timespec="seconds")  # a session is not before the case was registered
    r = post(c, base + "/sessions", {"held_at": held, "place": "村调解室",
                                     "attendees": "张三、李四、调解员", "summary": "双方陈述，李四同意拆除"})
    assert r.status_code == 201
    assert c.get(base + "/sessions").json()["count"] == 1
    r = post(c, base + "/transitions", {"to": "agreement_written", "agreement_text": "李四拆除围墙",
                                        "agreement_amount": "300.00"})
    assert r.json()["stage"] == "agreement_written"
    parties = r.json()["parties"]
    for p in parties:
        assert post(c, base + "/signatures", {"party_id": p["id"]}).status_code == 201
    assert post(c, base + "/signatures", {"as_mediator": True}).json()["agreement_effective"] is False
    detail = post(c, base + "/seal").json()
    assert detail["agreement_effective_at"] and detail["colour"] == "green"
    assert "达成协议" in detail["stage_label"]
    r = c.post(base + "/attachments", {"file": _file("协议.pdf", b"%PDF-1.4 x")})
    assert r.status_code == 201 and len(r.json()["sha256"]) == 64
    r = c.post(base + "/attachments", {"file": _file("x.gif", b"GIF89a")})
    assert r.status_code == 422 and r.json()["code"] == "FILE_TYPE_NOT_ALLOWED"
    kinds = [e["kind"] for e in c.get(base).json()["timeline"]]
    assert kinds.count("signature") == 3 and "seal" in kinds and "agreement_effective" in kinds


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_api_retriage_keeps_the_number(mediator):
    case = new_case(type_code="neighbour")
    r = post(mediator.client(), f"/api/v1/cases/{case.pk}/triage", {"type_code": "property"})
    assert r.json()["number"] == case.number and r.json()["dispute_type"] == "property"


def test_api_list_filters_and_keyset_pages(mediator):
    cases = [new_case(applicant_phone=f"1380000200{i}") for i in range(5)]
    c = mediator.client()
    first = c.get("/api/v1/cases/?limit=2").json()
    assert [i["number"] for i in first["items"]] == [cases[4].number, cases[3].number]
    second = c.get(f"/api/v1/cases/?limit=2&after={first['next_after']}").json()
    assert [i["number"] for i in second["items"]] == [cases[2].number, cases[1].number]
    assert c.get("/api/v1/cases/?stage=closed").json()["items"] == []
    assert len(c.get("/api/v1/cases/?colour=blue").json()["items"]) == 5
    assert c.get("/api/v1/cases/?stage=nonsense").status_code == 422


def test_a_citizen_applies_through_the_api(villager_a, tongxiang):
    from tests.conftest import first_village
    from tests.disputes.conftest import WUZHEN

    user, c = villager_a
    r = post(c, "/api/v1/cases/", {"applicant": {"name": "张三"}, "respondents": [{"name": "李四"}],
                                   "region_code": first_village(WUZHEN).code, "consent": True,
                                   "description": "邻居家空调外机对着我家窗户吹热风", "request": "移走外机"})
    assert r.status_code == 201 and r.json()["channel"] == "online"
    assert c.get("/api/v1/cases/").status_code == 404  # citizens have no case list


# Pinned query counts --------------------------------------------------------------------------------------------
WORKBENCH_MAX_QUERIES = 12
API_LIST_MAX_QUERIES = 8


@pytest.mark.parametrize("n", [3, 30])
def test_workbench_list_query_count_does_not_grow_with_rows(mediator, django_assert_max_num_queries, n):
    for i in range(n):
        new_case(applicant_phone=f"138{i:08d}")
    c = mediator.client()
    c.get("/cases/workbench/")  # warm the session
    with django_assert_max_num_queries(WORKBENCH_MAX_QUERIES):
        r = c.get("/cases/workbench/?stage=reported")
    assert r.status_code == 200


@pytest.mark.parametrize("n", [3, 30])
def test_api_list_query_count_does_not_grow_with_rows(mediator, django_assert_max_num_queries, n):
    for i in range(n):
        new_case(applicant_phone=f"139{i:08d}")
    c = mediator.client()
    c.get("/api/v1/cases/?limit=1")  # warm the session (the first request records the idle-timeout stamp)
    with django_assert_max_num_queries(API_LIST_MAX_QUERIES):
        r = c.get("/api/v1/cases/?limit=50")
    assert len(r.json()["items"]) == n


def test_deadline_joint_and_document_routes_answer_under_cases(mediator):
    case = new_case()
    c = mediator.client()
    assert c.get(f"/api/v1/cases/{case.pk}").status_code == 200
    clock = c.get(f"/api/v1/cases/{case.pk}/clock").json()
    assert clock["colour"] in ("blue", "orange") and clock["colour_label"].endswith("色") and clock["countdown"]


def test_risk_joint_tasks_documents_and_case_file_through_the_api(mediator, liaison, town_staff):
    from django.utils import timezone

    case = new_case()
    c = mediator.client()
    r = c.post(f"/api/v1/cases/{case.pk}/risk", {"level": "major", "reason": "扬言报复", "report": risk_report_json()},
               content_type="application/json")
    assert r.status_code == 200 and r.json()["colour"] == "red"
    due = (timezone.now() + dt.timedelta(days=2)).isoformat()
    r = c.post(f"/api/v1/cases/{case.pk}/joint-tasks", {"organisation_id": liaison.organisation.pk, "task": "核实出警记录",
                                                        "due_at": due, "contact_name": "王警官"},
               content_type="application/json")
    assert r.status_code == 201, r.content
    task_id = r.json()["id"]
    r = liaison.client().post(f"/api/v1/cases/joint-tasks/{task_id}/replies", {"text": "已核实"},
                              content_type="application/json")
    assert r.status_code == 201 and r.json()["status"] == "answered" and r.json()["replies"] == 1
    rows = c.get(f"/api/v1/cases/{case.pk}/joint-tasks").json()["items"]
    assert rows[0]["status"] == "answered"
    assert c.get(f"/api/v1/cases/{case.pk}/documents/register").content[:2] == b"PK"
    assert c.get(f"/api/v1/cases/{case.pk}/documents/nonsense").status_code == 422  # the schema lists the kinds
    assert c.get(f"/api/v1/cases/{case.pk}/casefile").content[:2] == b"PK"


def test_a_case_whose_timeline_holds_risk_and_joint_events_is_served(mediator):
    """Found by schemathesis: the detail's event kinds are not only EventKind's (risk_raised, joint…)."""
    case = new_case()
    c = mediator.client()
    r = c.post(f"/api/v1/cases/{case.pk}/risk", {"level": "major", "reason": "双方情绪激动", "report": risk_report_json()},
               content_type="application/json")
    assert r.status_code == 200, r.content
    r = c.get(f"/api/v1/cases/{case.pk}")
    assert r.status_code == 200 and "risk_raised" in [e["kind"] for e in r.json()["timeline"]]


def test_text_longer_than_its_column_is_refused_by_the_schema_not_the_database(mediator, liaison):
    """The schema's maxLength is the model's max_length: on PostgreSQL a longer value was a 500 (DataError)."""
    from django.utils import timezone

    from xiangzhi.disputes.models import JointTask

    case = new_case()
    due = (timezone.now() + dt.timedelta(days=2)).isoformat()
    r = mediator.client().post(f"/api/v1/cases/{case.pk}/joint-tasks", {
        "organisation_id": liaison.organisation.pk, "task": "核实" * 251, "due_at": due, "contact_name": "王警官"},
        content_type="application/json")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "task"
    assert JointTask.objects.count() == 0


def test_a_session_time_with_an_impossible_utc_offset_is_refused(mediator):
    """Found by schemathesis on PostgreSQL: "+21:02" passed the schema and failed in the database (a 500)."""
    from tests.disputes.conftest import walk

    case = walk(new_case(), "in_mediation", mediator.user)
    r = mediator.client().post(f"/api/v1/cases/{case.pk}/sessions", {
        "held_at": "2026-11-29T10:00:00+21:02", "place": "村调解室", "attendees": "张三、李四", "summary": "双方陈述"},
        content_type="application/json")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "held_at"
    assert case.sessions.count() == 0
