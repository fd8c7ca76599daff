"""API parity: every action of the case pages, the joint-task page, the public status page and every other disputes
page has an API operation, backed by the same service; and each operation added for it works end to end."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from tests.conftest import make_citizen
from tests.disputes.conftest import TZ, intake_data, new_case, session, walk
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case
from xiangzhi.disputes.services import intake, routing, transitions
from xiangzhi.disputes.views import staff

pytestmark = pytest.mark.django_db
VIEWS = Path(__file__).resolve().parents[2] / "src" / "xiangzhi" / "disputes" / "views"
C = "/api/v1/cases"

# The case page's actions (views.staff.ACTIONS) → the API operation doing the same.
CASE_PAGE = {
    "transition": ("post", "/{case_id}/transitions"), "confirm": ("post", "/{case_id}/confirm"),
    "session": ("post", "/{case_id}/sessions"), "sign": ("post", "/{case_id}/signatures"),
    "seal": ("post", "/{case_id}/seal"), "retriage": ("post", "/{case_id}/triage"),
    "material": ("post", "/{case_id}/attachments"), "risk": ("post", "/{case_id}/risk"),
    "report": ("post", "/{case_id}/risk-reports"), "extend": ("post", "/{case_id}/extension"),
    "invite": ("post", "/{case_id}/joint-tasks"), "handover": ("post", "/{case_id}/handovers"),
    "judicial_apply": ("post", "/{case_id}/judicial"), "judicial_step": ("post", "/{case_id}/judicial/steps"),
    "visit": ("post", "/{case_id}/visits"), "investigation": ("post", "/{case_id}/investigations"),
    "revise_agreement": ("put", "/{case_id}/agreement"),
    "party_details": ("post", "/{case_id}/parties/{party_id}/details"), "file": ("post", "/{case_id}/file"),
    "consent": ("post", "/{case_id}/consents"), "notice": ("post", "/{case_id}/notices"),
    "rights": ("post", "/{case_id}/rights-notices"), "conflict": ("post", "/{case_id}/conflicts"),
    "recusal_request": ("post", "/{case_id}/recusal-requests"),
    "recusal_decision": ("post", "/{case_id}/recusal-requests/decision"),
}
# The public status and feedback pages' actions (views.public) → the party's API operation.
PARTY_PAGE = {
    "withdraw": ("post", "/party/{token}/withdraw"), "agree": ("post", "/party/{token}/consent"),
    "refuse": ("post", "/party/{token}/consent"), "sign": ("post", "/party/{token}/signature"),
    "material": ("post", "/party/{token}/attachments"), "rate": ("post", "/party/{token}/rating"),
    "not_performed": ("post", "/party/{token}/not-performed"),
    "recusal": ("post", "/party/{token}/recusal-request"),
}
# The joint-task page's actions (views.joint).
JOINT_PAGE = {"reply": ("post", "/joint-tasks/{task_id}/replies"), "return": ("post", "/joint-tasks/{task_id}/hand-back")}
# Every disputes page (URL name) → the API operation giving the same.
PAGES = {
    "apply": ("post", "/"), "lookup": ("get", "/lookup"), "status": ("get", "/public/{token}"),
    "party_action": ("post", "/party/{token}/consent"), "feedback": ("post", "/party/{token}/rating"),
    "qr_png": ("get", "/public/{token}/qr.png"), "qr_svg": ("get", "/public/{token}/qr.svg"),
    "slip": ("get", "/public/{token}/slip"), "grid_new": ("post", "/"), "workbench": ("get", "/todo"),
    "new": ("post", "/"), "case": ("get", "/{case_id}"), "case_action": ("post", "/{case_id}/transitions"),
    "staff_slip": ("get", "/{case_id}/slip"), "document": ("get", "/{case_id}/documents/{kind}"),
    "casefile": ("get", "/{case_id}/casefile"), "export": ("get", "/export.xlsx"),
    "joint_list": ("get", "/joint-tasks"), "joint_task": ("get", "/joint-tasks/{task_id}"),
    "import": ("post", "/imports/jobs"), "import_template": ("get", "/imports/template.xlsx"),
    "import_status": ("get", "/imports/jobs/{job_id}"),
}


@pytest.fixture
def operations(client):
    spec = client.get("/api/v1/openapi.json").json()
    return {(method, path.removeprefix(C)) for path, ops in spec["paths"].items() for method in ops}


def _actions_named(source: str) -> set[str]:
    """The action names a page view compares its POSTed ``action`` with (``action == "x"``, ``in ("x", "y")``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and len(node.comparators) == 1:
            left = ast.unparse(node.left)
            if "action" in left:
                found |= {n.value for n in ast.walk(node.comparators[0])
                          if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return found


def test_every_case_page_action_has_an_api_operation(operations):
    assert set(staff.ACTIONS) == set(CASE_PAGE)
    assert set(CASE_PAGE.values()) <= operations, set(CASE_PAGE.values()) - operations


def test_every_party_action_has_an_api_operation(operations):
    assert _actions_named((VIEWS / "public.py").read_text(encoding="utf-8")) == set(PARTY_PAGE)
    assert set(PARTY_PAGE.values()) <= operations, set(PARTY_PAGE.values()) - operations


def test_every_joint_task_action_has_an_api_operation(operations):
    assert _actions_named((VIEWS / "joint.py").read_text(encoding="utf-8")) == set(JOINT_PAGE)
    assert set(JOINT_PAGE.values()) <= operations


def test_every_disputes_page_has_an_api_operation(operations):
    from xiangzhi.disputes.urls import urlpatterns

    assert {p.name for p in urlpatterns} == set(PAGES)
    assert set(PAGES.values()) <= operations, set(PAGES.values()) - operations


# --- end to end ----------------------------------------------------------------------------------------------
def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def test_extension_through_the_api(mediator, other_mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    now = timezone.now()
    body = {"consents": [{"party_id": p.pk, "method": "phone", "consented_at": _iso(now)} for p in case.parties.all()],
            "reason": "双方同意延长"}
    assert _post(other_mediator.client(), f"{C}/{case.pk}/extension", body).status_code == 404
    r = _post(mediator.client(), f"{C}/{case.pk}/extension", body)
    assert r.status_code == 201 and r.json()["months"] == 1
    assert case.extension.reason == "双方同意延长"
    again = _post(mediator.client(), f"{C}/{case.pk}/extension", body)
    assert again.status_code in (409, 422) and set(again.json()) == {"code", "message", "detail"}


def test_handovers_through_the_api(mediator):
    case = new_case()
    c = mediator.client()
    r = _post(c, f"{C}/{case.pk}/handovers", {"direction": "out", "counterpart": "桐乡市人民法院", "reference": "R1"})
    assert r.status_code == 201, r.content
    assert c.get(f"{C}/{case.pk}/handovers").json()["items"][0]["counterpart"] == "桐乡市人民法院"
    assert _post(c, f"{C}/{case.pk}/handovers", {"direction": "sideways", "counterpart": "x"}).status_code == 422


def test_judicial_steps_and_visits_through_the_api(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    session(case, mediator.user)
    case = transitions.transition(case, S.AGREEMENT_ORAL, actor=mediator.user, reason="口头协议",
                                  details=transitions.Agree("李四于月底前拆除围墙"))
    c = mediator.client()
    assert _post(c, f"{C}/{case.pk}/judicial", {"court": "桐乡市人民法院"}).status_code == 201
    r = _post(c, f"{C}/{case.pk}/judicial/steps", {"status": "accepted", "court_case_number": "(2026)浙0483民特1号"})
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["accepted_at"]
    assert _post(c, f"{C}/{case.pk}/judicial/steps", {"status": "nonsense"}).status_code == 422
    r = _post(c, f"{C}/{case.pk}/visits", {"performed": True, "satisfaction": 5, "note": "已拆除"})
    assert r.status_code == 201 and r.json()["satisfaction"] == 5
    assert c.get(f"{C}/{case.pk}/visits").json()["items"][0]["note"] == "已拆除"
    assert _post(c, f"{C}/{case.pk}/visits", {"performed": True, "satisfaction": 9}).status_code == 422


def test_the_department_inbox_task_and_hand_back_through_the_api(mediator, liaison):
    from xiangzhi.disputes.services import joint

    case = new_case()
    task = joint.invite(case, actor=mediator.user, organisation_id=liaison.organisation.pk, task="核实出警记录",
                        due_at=dt.datetime.now(TZ) + dt.timedelta(days=3), contact_name="王警官")
    c = liaison.client()
    inbox = c.get(f"{C}/joint-tasks").json()
    assert [(i["id"], i["case_number"]) for i in inbox["items"]] == [(task.pk, case.number)]
    assert mediator.client().get(f"{C}/joint-tasks").status_code == 404  # not a department's liaison
    assert c.get(f"{C}/joint-tasks/{task.pk}").json()["task"] == "核实出警记录"
    assert _post(c, f"{C}/joint-tasks/{task.pk}/hand-back", {"reason": "x"}).status_code == 422
    r = _post(c, f"{C}/joint-tasks/{task.pk}/hand-back", {"reason": "不属于本部门职责"})
    assert r.status_code == 200 and r.json()["status"] == "returned"
    assert _post(c, f"{C}/joint-tasks/{task.pk}/hand-back", {"reason": "再退一次"}).status_code == 409


def test_export_template_lookup_qr_and_slip_through_the_api(mediator, town_staff, villager_a, client):
    import io

    from openpyxl import load_workbook

    case = new_case()
    r = mediator.client().get(f"{C}/export.xlsx", {"scope": "all"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert case.number in [c.value for row in sheet.iter_rows() for c in row]
    assert mediator.client().get(f"{C}/imports/template.xlsx").status_code == 404  # importers only
    assert town_staff.client().get(f"{C}/imports/template.xlsx").content[:2] == b"PK"
    found = client.get(f"{C}/lookup", {"number": f"{case.year}-{case.seq}"}).json()
    assert found == {"number": case.number, "stage": "reported", "stage_label": "已申报", "token": None}
    assert villager_a[1].get(f"{C}/lookup", {"number": str(case.seq)}).json()["token"] == case.token
    missing = client.get(f"{C}/lookup", {"number": "99999"})
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    for base, c in ((f"{C}/{case.pk}", mediator.client()), (f"{C}/public/{case.token}", client)):
        assert b"<svg" in c.get(base + "/qr.svg").content
        assert c.get(base + "/qr.png").content[:4] == b"\x89PNG"
        slip = c.get(base + "/slip").json()
        assert slip["number"] == case.number and slip["public_url"] == case.public_url
    assert client.get(f"{C}/public/{'x' * 30}/slip").status_code == 404


def test_todo_and_contacts_through_the_api(mediator, town_staff):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    r = mediator.client().get(f"{C}/{case.pk}/contacts")
    assert r.status_code == 200 and {p["phone"] for p in r.json()["items"]} >= {"13800000001"}
    denied = town_staff.client().get(f"{C}/{case.pk}/contacts")
    assert denied.status_code == 403 and denied.json()["code"] == "FORBIDDEN"
    todo = town_staff.client().get(f"{C}/todo").json()
    assert [g["key"] for g in todo["groups"]] == ["overdue", "confirm", "accept", "assign", "due_soon", "notice",
                                                 "waiting"]


@pytest.fixture
def two_party_case(db):
    """A case whose respondent has a phone too (she answers, not the applicant)."""
    routing.ensure_reference_data()
    data = intake_data(applicant_phone="13800000001")
    data.respondents[0].phone = "13900000002"
    return intake.create_case(data, actor=None, channel="online")


def test_the_parties_act_through_the_api(two_party_case, mediator, villager_a, villager_b):
    case = two_party_case
    _, applicant = villager_a
    _, respondent = villager_b
    base = f"{C}/party/{case.token}"
    assert _post(applicant, base + "/consent", {"agree": True}).status_code == 409  # the applicant applied
    r = _post(respondent, base + "/consent", {"agree": True})
    assert r.status_code == 200 and r.json()["consent"] == "agreed"
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xiangzhi.disputes import qr
    from xiangzhi.disputes.models import Attachment

    png = SimpleUploadedFile("现场.png", qr.png_bytes("https://example.org/"), content_type="image/png")
    up = respondent.post(base + "/attachments", {"file": png})
    assert up.status_code == 201, up.content
    assert Attachment.objects.get(pk=up.json()["id"], case=case).original_name == "现场.png"
    outsider = make_citizen("13700000123")[1]
    assert _post(outsider, base + "/withdraw", {"reason": "不调了"}).status_code == 404
    r = _post(applicant, base + "/withdraw", {"reason": "已私下和解"})
    assert r.status_code == 200 and r.json()["stage"] == "terminated"


def test_a_party_rates_and_reports_not_performed_through_the_api(mediator, villager_a):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    session(case, mediator.user)
    case = transitions.transition(case, S.AGREEMENT_ORAL, actor=mediator.user, reason="口头协议",
                                  details=transitions.Agree("李四于月底前拆除围墙"))
    case = transitions.transition(case, S.CLOSED, actor=mediator.user, reason="已履行")
    _, c = villager_a
    base = f"{C}/party/{case.token}"
    assert _post(c, base + "/rating", {"rating": 6}).status_code == 422
    r = _post(c, base + "/rating", {"rating": 5, "comment": "调解员很耐心"})
    assert r.status_code == 201
    assert _post(c, base + "/rating", {"rating": 4}).status_code == 409
    r = _post(c, base + "/not-performed", {"note": "围墙至今未拆"})
    assert r.status_code == 200 and r.json()["stage"] == "assigned"
    assert Case.objects.get(pk=case.pk).stage == S.ASSIGNED

