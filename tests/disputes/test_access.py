"""Who sees what: a mediator of another town gets 404 on every case page and API endpoint; the status page shows an
outsider only the stage and never unmasked personal data; handlers reach cases only through access_case."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import valid_id_number
from tests.disputes.conftest import new_case, walk
from xiangzhi.disputes.enums import CaseStage

SRC = Path(__file__).resolve().parents[2] / "src" / "xiangzhi" / "disputes"


def staff_urls(pk: int) -> list[tuple[str, str]]:
    return [
        ("get", f"/cases/workbench/{pk}/"), ("get", f"/cases/workbench/{pk}/slip/"),
        ("post", f"/cases/workbench/{pk}/act/"),
        ("get", f"/api/v1/cases/{pk}"), ("post", f"/api/v1/cases/{pk}/transitions"),
        ("post", f"/api/v1/cases/{pk}/confirm"), ("post", f"/api/v1/cases/{pk}/triage"),
        ("get", f"/api/v1/cases/{pk}/attachments"), ("post", f"/api/v1/cases/{pk}/attachments"),
        ("get", f"/api/v1/cases/{pk}/sessions"), ("post", f"/api/v1/cases/{pk}/sessions"),
        ("post", f"/api/v1/cases/{pk}/signatures"), ("post", f"/api/v1/cases/{pk}/seal"),
    ]


def _call(client, method, url):
    if method == "get":
        return client.get(url)
    if url.endswith("/attachments"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post(url, {"file": SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)})
    if url.startswith("/api/"):
        body = {"to": "accepted"} if url.endswith("transitions") else (
            {"type_code": "other"} if url.endswith("triage") else (
                {"held_at": "2026-11-29T10:00:00+08:00", "place": "x", "attendees": "x", "summary": "xxxx"}
                if url.endswith("sessions") else {}))
        return client.post(url, json.dumps(body), content_type="application/json")
    return client.post(url, {"action": "transition", "to": "accepted"})


@pytest.mark.parametrize("persona", ["other_mediator", "other_town_staff", "lawyer", "bank_officer"])
def test_outsiders_get_404_on_every_case_page_and_endpoint(request, persona, mediator):
    case = walk(new_case(), CaseStage.IN_MEDIATION, mediator.user)
    outsider = request.getfixturevalue(persona).client()
    for method, url in staff_urls(case.pk):
        r = _call(outsider, method, url)
        assert r.status_code == 404, (persona, method, url, r.status_code)
    listing = outsider.get("/api/v1/cases/")
    assert listing.status_code == 404 or listing.json()["items"] == []
    page = outsider.get("/cases/workbench/")
    assert page.status_code == 404 or case.number not in page.content.decode()
    case.refresh_from_db()
    assert case.stage == CaseStage.IN_MEDIATION


def test_the_other_towns_mediator_sees_an_empty_workbench(other_mediator, mediator):
    case = new_case()
    r = other_mediator.client().get("/cases/workbench/")
    assert r.status_code == 200 and case.number not in r.content.decode()
    assert other_mediator.client().get("/api/v1/cases/").json()["items"] == []


def test_handlers_see_their_cases(mediator, town_staff, centre_staff, auditor):
    case = new_case()
    for persona in (mediator, town_staff, centre_staff, auditor):
        assert persona.client().get(f"/cases/workbench/{case.pk}/").status_code == 200
        assert persona.client().get(f"/api/v1/cases/{case.pk}").json()["number"] == case.number


def test_anonymous_status_page_shows_only_the_stage_and_no_personal_data(client, tongxiang):
    rid = valid_id_number("33048319850505123")
    case = new_case(applicant_id=valid_id_number("33048319700101001"), respondent_id=rid)
    body = client.get(f"/cases/s/{case.token}/").content.decode()
    assert "已申报" in body
    for secret in ("张三", "李四", "13800000001", rid, "1380000", "围墙", case.number):
        assert secret not in body, secret
    assert client.get(f"/api/v1/cases/public/{case.token}").json() == {"stage": "reported", "stage_label": "已申报"}
    assert client.get("/cases/s/not-a-real-token-but-long-enough/").status_code == 404


def test_the_party_sees_masked_names_only(villager_a, tongxiang):
    user, c = villager_a
    case = new_case(actor=user)
    body = c.get(f"/cases/s/{case.token}/").content.decode()
    assert case.number in body and "张*" in body and "李*" in body
    assert "张三" not in body and "13800000001" not in body


def test_a_party_identified_by_verified_phone_sees_the_case(villager_b, tongxiang):
    user, c = villager_b  # 13900000002
    from tests.disputes.conftest import intake_data
    from xiangzhi.disputes.services import intake
    from xiangzhi.disputes.services.intake import PartyIn

    data = intake_data()
    data.respondents = [PartyIn(name="李四", phone="13900000002")]
    case = intake.create_case(data, actor=None, channel="online")
    body = c.get(f"/cases/s/{case.token}/").content.decode()
    assert "是否同意调解" in body
    r = c.post(f"/cases/s/{case.token}/act/", {"action": "refuse"})
    assert r.status_code == 302
    assert case.parties.get(role="respondent").consent == "refused"


def test_staff_who_scan_the_code_go_to_the_workbench_case(mediator, other_mediator):
    case = new_case()
    r = mediator.client().get(f"/cases/s/{case.token}/")
    assert r.status_code == 302 and r["Location"] == f"/cases/workbench/{case.pk}/"
    r = other_mediator.client().get(f"/cases/s/{case.token}/")
    assert r.status_code == 200 and "张三" not in r.content.decode()


def test_the_applicant_withdraws(villager_a, tongxiang):
    user, c = villager_a
    case = new_case(actor=user)
    c.post(f"/cases/s/{case.token}/act/", {"action": "withdraw", "reason": "已私下和解"})
    case.refresh_from_db()
    assert case.stage == CaseStage.TERMINATED and case.outcome_reason == "withdrawn"


def test_no_view_or_api_function_reaches_for_case_objects_get():
    offenders = []
    for path in [SRC / "api.py", *sorted((SRC / "views").glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"Case\.objects\.(get|filter)\(", text):
            offenders.append(path.name)
    assert offenders == [], "views and API must use selectors.access_case / case_for_token"


def _patterns(resolver, prefix=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def test_every_disputes_page_declares_an_access_rule():
    pages = [(route, p) for route, p in _patterns(get_resolver()) if route.startswith("cases/")]
    assert len(pages) >= 12
    missing = [route for route, p in pages if not getattr(p.callback, "access_rule", None)]
    assert missing == []


def test_every_cases_api_operation_requires_auth_unless_marked_public():
    from xiangzhi.api import api

    schema = api.get_openapi_schema()
    for path, ops in schema["paths"].items():
        if not path.startswith("/api/v1/cases"):
            continue
        for method, op in ops.items():
            assert op.get("security") or op.get("x-public"), (method, path)


def test_the_case_page_assigns_a_party_chosen_mediator_and_says_so(mediator):
    """人民调解法 Art. 19: parties may choose their mediator; the workbench records that choice at assignment."""
    case = walk(new_case(), CaseStage.ACCEPTED, mediator.user)
    client = mediator.client()
    page = client.get(f"/cases/workbench/{case.pk}/").content.decode()
    assert 'name="chosen_by_party"' in page and "由当事人选定" in page
    r = client.post(f"/cases/workbench/{case.pk}/act/", {"action": "transition", "to": "assigned",
                                                         "mediator": mediator.user.pk, "chosen_by_party": "1"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.stage == CaseStage.ASSIGNED and case.mediator_id == mediator.user.pk and case.mediator_chosen_by_party
    assert "（当事人选定）" in client.get(f"/cases/workbench/{case.pk}/").content.decode()
