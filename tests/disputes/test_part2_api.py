"""The part-2 API beside the part-1 router on /api/v1/cases."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.disputes.conftest import new_case

pytestmark = pytest.mark.django_db


def test_both_routers_answer_on_the_same_prefix(mediator):
    case = new_case()
    c = mediator.client()
    assert c.get(f"/api/v1/cases/{case.pk}").status_code == 200
    clock = c.get(f"/api/v1/cases/{case.pk}/clock").json()
    assert clock["colour"] in ("blue", "orange") and clock["colour_label"].endswith("色") and clock["countdown"]


def test_risk_joint_tasks_documents_and_case_file_through_the_api(mediator, liaison, town_staff):
    from django.utils import timezone

    case = new_case()
    c = mediator.client()
    r = c.post(f"/api/v1/cases/{case.pk}/risk", {"level": "major", "reason": "扬言报复"}, content_type="application/json")
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


def test_a_case_whose_timeline_holds_part_two_events_is_served(mediator):
    """Found by schemathesis: the detail's event kinds are not only EventKind's (risk_raised, joint…)."""
    from tests.disputes.conftest import new_case

    case = new_case()
    c = mediator.client()
    r = c.post(f"/api/v1/cases/{case.pk}/risk", {"level": "major", "reason": "双方情绪激动"},
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
