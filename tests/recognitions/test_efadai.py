"""e法贷: a bank officer checks a villager's eligibility only with the villager's one-time consent code, learns only
eligible-or-not, title, valid until and the masked name, and every check shows on the villager's page; banks record
loans, see only their own, and the county sees the totals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import make_citizen
from tests.recognitions.conftest import days_later, nominate, register, revoke

PHONE = "13800000001"  # villager_a's


def _token_client(persona, scopes=("recognitions:write",)) -> Client:  # noqa: ANN001
    from xiangzhi.core import services

    raw = services.issue_api_token(persona.user, name="银行e法贷接口", actor=None, scopes=list(scopes))
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _consent(citizen_client) -> str:  # noqa: ANN001
    page = citizen_client.post("/recognitions/me/")
    assert page.status_code == 200
    return page.context["code"]


@pytest.fixture
def villager_holder(mediator, town_staff, county_admin, villager_a):
    rec = register(nominate(mediator.user, phone=PHONE), town_staff, county_admin)
    return rec, villager_a[1]


def _check(client, code):  # noqa: ANN001
    return client.post("/api/v1/recognitions/efadai/check", {"code": code}, content_type="application/json")


def test_a_bank_checks_with_the_villagers_consent_code_and_learns_only_the_answer(villager_holder, bank_a):
    rec, villager = villager_holder
    code = _consent(villager)
    response = _check(_token_client(bank_a), code.lower())  # case and separators do not matter
    assert response.status_code == 200, response.content
    assert response.json() == {"check_id": response.json()["check_id"], "eligible": True, "title": "understander",
                               "title_label": "法律明白人", "valid_until": rec.valid_until.isoformat(),
                               "masked_name": "张**", "outcome": "eligible", "outcome_label": "符合条件"}
    page = villager.get("/recognitions/me/").content.decode()
    assert "浙江桐乡农村商业银行" in page or bank_a.organisation.name in page
    assert "符合（法律明白人）" in page


def test_a_check_without_a_valid_consent_code_reveals_nothing(villager_holder, bank_a):
    from xiangzhi.recognitions.models import BankCheck, ConsentCode

    rec, villager = villager_holder
    bank = _token_client(bank_a)
    code = _consent(villager)
    assert _check(bank, code).status_code == 200
    used = _check(bank, code)  # single use
    expired_code = _consent(villager)
    with days_later(1):
        expired = _check(bank, expired_code)
    guessed = _check(bank, "ABCDEFGH")
    for response in (used, expired, guessed):
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "CONSENT_INVALID" and body["detail"] is None
        assert "张" not in response.content.decode() and rec.serial not in response.content.decode()
    assert BankCheck.objects.count() == 1
    from xiangzhi.core.models import AuditLog

    assert AuditLog.objects.filter(action="recognitions.check_refused", actor=bank_a.user).count() == 3
    assert ConsentCode.objects.filter(used_at__isnull=True).count() == 1  # the expired one, never used
    assert not ConsentCode.objects.filter(code_hash__contains=code).exists()  # only a keyed hash is kept


def test_only_a_bank_officer_checks(villager_holder, county_admin, mediator):
    _rec, villager = villager_holder
    code = _consent(villager)
    for persona in (county_admin, mediator):
        response = _check(persona.client(), code)
        assert response.status_code in (403, 404)
    assert _check(Client(), code).status_code == 401


def test_a_token_without_the_recognitions_scope_is_refused(villager_holder, bank_a):
    _rec, villager = villager_holder
    response = _check(_token_client(bank_a, scopes=("cases:write",)), _consent(villager))
    assert response.status_code == 403 and response.json()["code"] == "TOKEN_SCOPE"


def test_a_revoked_holder_is_not_eligible(villager_holder, bank_a, town_staff, county_admin):
    rec, villager = villager_holder
    revoke(rec, town_staff, county_admin)
    body = _check(_token_client(bank_a), _consent(villager)).json()
    assert body["eligible"] is False and body["title"] is None and body["valid_until"] is None
    assert body["masked_name"] == "张**" and body["outcome"] == "revoked"
    assert body["outcome_label"] == "不符合：称号已撤销"


def test_a_villager_without_a_recognition_gets_no_code(villager_b):
    page = villager_b[1].post("/recognitions/me/")
    assert page.status_code == 200 and page.context["code"] is None
    assert "没有找到" in page.content.decode()


def _loan(client, check_id, amount="300000.00", discount="1.50", on=None):  # noqa: ANN001
    return client.post("/api/v1/recognitions/efadai/loans",
                       {"check_id": check_id, "amount": amount, "rate_discount": discount,
                        "granted_on": (on or timezone.localdate()).isoformat()}, content_type="application/json")


def test_bank_a_never_sees_bank_b_loans(villager_holder, bank_a, bank_b, county_admin, mediator, town_staff, villager_b):
    _rec, villager = villager_holder
    register(nominate(mediator.user, n=7, name="钱七", phone="13900000002"), town_staff, county_admin)
    a, b = _token_client(bank_a), _token_client(bank_b)
    check_a = _check(a, _consent(villager)).json()["check_id"]
    check_b = _check(b, _consent(villager_b[1])).json()["check_id"]
    assert _loan(a, check_a).status_code == 200
    assert _loan(b, check_b, amount="500000", discount="2").status_code == 200

    # bank B cannot record a loan on bank A's check, nor see bank A's loans or totals
    assert _loan(b, check_a).status_code == 404
    seen_by_b = b.get("/api/v1/recognitions/efadai/loans").json()
    assert seen_by_b["count"] == 1 and seen_by_b["items"][0]["check_id"] == check_b
    assert [t["bank"] for t in b.get("/api/v1/recognitions/efadai/totals").json()["items"]] == ["桐乡测试银行"]
    seen_by_a = a.get("/api/v1/recognitions/efadai/loans").json()
    assert [i["check_id"] for i in seen_by_a["items"]] == [check_a]

    # the county sees the totals of every bank
    totals = county_admin.client().get("/api/v1/recognitions/efadai/totals").json()["items"]
    assert sorted((t["count"], float(t["amount"])) for t in totals) == [(1, 300000.0), (1, 500000.0)]
    assert county_admin.client().get("/api/v1/recognitions/efadai/loans").status_code == 404
    page = county_admin.client().get("/recognitions/staff/").content.decode()
    assert "e法贷放款" in page and "桐乡测试银行" in page


def test_a_loan_needs_an_eligible_check_and_is_recorded_once(villager_holder, bank_a, mediator, villager_b):
    _rec, villager = villager_holder
    nominate(mediator.user, n=8, name="孙八", phone="13900000002")  # nominated only: not eligible
    a = _token_client(bank_a)
    check_id = _check(a, _consent(villager)).json()["check_id"]
    assert _loan(a, check_id, amount="0").status_code == 422
    assert _loan(a, check_id, on=timezone.localdate() + dt.timedelta(days=1)).json()["code"] == "INVALID_DATE"
    assert _loan(a, check_id).status_code == 200
    assert _loan(a, check_id).json()["code"] == "ALREADY_RECORDED"
    not_eligible = _check(a, _consent(villager_b[1])).json()
    assert not_eligible["eligible"] is False and not_eligible["outcome"] == "none"
    assert _loan(a, not_eligible["check_id"]).json()["code"] == "NOT_ELIGIBLE"


def test_the_consent_page_needs_a_signed_in_villager(client, bank_a):
    assert client.get("/recognitions/me/").status_code == 302
    assert bank_a.client().post("/recognitions/me/").status_code == 302
    assert make_citizen("13700000003")[1].get("/recognitions/me/").status_code == 200


def test_expired_unused_codes_are_pruned_and_used_ones_kept(villager_holder, bank_a):
    from xiangzhi.recognitions.models import ConsentCode
    from xiangzhi.recognitions.services import efadai

    _rec, villager = villager_holder
    _check(_token_client(bank_a), _consent(villager))
    _consent(villager)
    assert efadai.prune_consent_codes() == 0
    assert efadai.prune_consent_codes(now=timezone.now() + dt.timedelta(days=2)) == 1
    assert ConsentCode.objects.filter(used_at__isnull=False).count() == 1
