"""The bank officer's e法贷 pages: the consent code typed at the counter, the result, the loan recorded through the
same services as the API, the bank's own loans. Only a bank officer opens them; bank A never sees bank B's checks or
loans; a GET changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.recognitions.conftest import days_later, nominate, register, revoke

PHONE = "13800000001"  # villager_a's


@pytest.fixture
def holder_and_villager(mediator, town_staff, county_admin, villager_a):
    rec = register(nominate(mediator.user, phone=PHONE), town_staff, county_admin)
    return rec, villager_a[1]


def _consent(villager: Client) -> str:
    return villager.post("/recognitions/me/").context["code"]


def _check(officer: Client, code: str):  # noqa: ANN202
    return officer.post("/recognitions/bank/check/", {"code": code})


def _state() -> tuple:
    from xiangzhi.core.models import AuditLog
    from xiangzhi.recognitions.models import BankCheck, ConsentCode, Loan

    return (AuditLog.objects.count(), BankCheck.objects.count(), Loan.objects.count(),
            ConsentCode.objects.filter(used_at__isnull=False).count())


def test_the_officer_checks_a_code_and_reads_the_result(holder_and_villager, bank_a):
    from xiangzhi.recognitions.models import BankCheck

    rec, villager = holder_and_villager
    officer = bank_a.client()
    desk = officer.get("/recognitions/bank/")
    assert desk.status_code == 200 and "输入授权码" in desk.content.decode()
    code = _consent(villager)
    response = _check(officer, f"{code[:4].lower()}-{code[4:]}")  # case and separators do not matter
    check = BankCheck.objects.get()
    assert response.status_code == 302 and response.url == f"/recognitions/bank/checks/{check.pk}/"
    page = officer.get(response.url).content.decode()
    assert "符合条件" in page and "张**" in page and "法律明白人" in page
    assert f"{rec.valid_until.year}年{rec.valid_until.month}月{rec.valid_until.day}日" in page
    assert "登记放款" in page and "张小明" not in page and rec.serial not in page
    # the villager sees the check on their own page
    assert "符合（法律明白人）" in villager.get("/recognitions/me/").content.decode()


def test_a_wrong_used_or_expired_code_reads_a_clear_message(holder_and_villager, bank_a):
    from xiangzhi.recognitions.models import BankCheck

    _rec, villager = holder_and_villager
    officer = bank_a.client()
    code = _consent(villager)
    assert _check(officer, code).status_code == 302
    used = _check(officer, code)
    wrong = _check(officer, "ABCDEFGH")
    expired_code = _consent(villager)
    with days_later(2 / 24):  # past the code's minutes, within the officer's session
        expired = _check(officer, expired_code)
    empty = _check(officer, "")
    for response in (used, wrong, expired, empty):
        assert response.status_code == 422
        html = response.content.decode()
        assert "授权码无效、已使用或已过期，请村民在手机上重新生成。" in html
        assert "张**" not in html
    assert 'value="ABCDEFGH"' in wrong.content.decode()  # the typed code stays in the field
    assert BankCheck.objects.count() == 1


def test_a_revoked_title_reads_revoked(holder_and_villager, bank_a, town_staff, county_admin):
    rec, villager = holder_and_villager
    revoke(rec, town_staff, county_admin)
    officer = bank_a.client()
    page = officer.get(_check(officer, _consent(villager)).url).content.decode()
    assert "不符合：称号已撤销" in page and "张**" in page
    assert "登记放款" not in page and "有效期至" not in page


def test_a_lapsed_title_reads_lapsed(holder_and_villager, bank_a):
    from xiangzhi.recognitions.models import Recognition

    rec, villager = holder_and_villager
    Recognition.objects.filter(pk=rec.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    officer = bank_a.client()
    page = officer.get(_check(officer, _consent(villager)).url).content.decode()
    assert "不符合：称号已过有效期" in page and "登记放款" not in page


def test_a_villager_with_only_a_nomination_reads_no_title(mediator, villager_b, bank_a):
    nominate(mediator.user, n=8, name="孙八", phone="13900000002")
    officer = bank_a.client()
    page = officer.get(_check(officer, _consent(villager_b[1])).url).content.decode()
    assert "不符合：没有在册的法律明白人、法治带头人或学法用法示范户称号" in page and "孙*" in page


def test_the_officer_records_the_loan_once_through_the_service(holder_and_villager, bank_a):
    from xiangzhi.core.models import AuditLog
    from xiangzhi.recognitions.models import BankCheck, Loan

    _rec, villager = holder_and_villager
    officer = bank_a.client()
    result = _check(officer, _consent(villager)).url
    check = BankCheck.objects.get()
    loan_url = f"/recognitions/bank/checks/{check.pk}/loan/"
    today = timezone.localdate().isoformat()

    refused = officer.post(loan_url, {"amount": "0", "rate_discount": "1", "granted_on": today}, follow=True)
    assert "金额应大于 0" in refused.content.decode() and not Loan.objects.exists()
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    refused = officer.post(loan_url, {"amount": "1000", "rate_discount": "1", "granted_on": future}, follow=True)
    assert "放款日期应在核验之后、不晚于今天。" in refused.content.decode()
    refused = officer.post(loan_url, {"amount": "1000", "rate_discount": "1", "granted_on": ""}, follow=True)
    assert "请填写放款日期。" in refused.content.decode() and not Loan.objects.exists()

    done = officer.post(loan_url, {"amount": "300000.00", "rate_discount": "1.50", "granted_on": today})
    assert done.status_code == 302 and done.url == "/recognitions/bank/"
    loan = Loan.objects.get()
    assert (loan.amount, str(loan.rate_discount), loan.bank, loan.recorded_by) == (
        300000, "1.50", bank_a.organisation, bank_a.user)
    assert AuditLog.objects.filter(action="recognitions.loan_recorded", actor=bank_a.user).count() == 1
    desk = officer.get("/recognitions/bank/").content.decode()
    assert "300000.00" in desk and "张**" in desk
    again = officer.post(loan_url, {"amount": "5", "rate_discount": "0", "granted_on": today}, follow=True)
    assert "该次核验已登记过放款。" in again.content.decode() and Loan.objects.count() == 1
    page = officer.get(result).content.decode()
    assert "已登记放款" in page and "<form method=\"post\" action=\"" + loan_url not in page


def test_no_loan_on_an_ineligible_check(holder_and_villager, bank_a, town_staff, county_admin):
    from xiangzhi.recognitions.models import BankCheck, Loan

    rec, villager = holder_and_villager
    revoke(rec, town_staff, county_admin)
    officer = bank_a.client()
    _check(officer, _consent(villager))
    response = officer.post(f"/recognitions/bank/checks/{BankCheck.objects.get().pk}/loan/",
                            {"amount": "1000", "rate_discount": "0", "granted_on": timezone.localdate().isoformat()},
                            follow=True)
    assert "该次核验结果为不符合条件，不能登记e法贷。" in response.content.decode() and not Loan.objects.exists()


def test_bank_b_never_sees_bank_a_checks_or_loans(holder_and_villager, bank_a, bank_b):
    from xiangzhi.recognitions.models import BankCheck, Loan

    _rec, villager = holder_and_villager
    a, b = bank_a.client(), bank_b.client()
    _check(a, _consent(villager))
    check = BankCheck.objects.get()
    today = timezone.localdate().isoformat()
    a.post(f"/recognitions/bank/checks/{check.pk}/loan/", {"amount": "300000", "rate_discount": "1", "granted_on": today})
    assert Loan.objects.count() == 1

    assert b.get(f"/recognitions/bank/checks/{check.pk}/").status_code == 404
    assert b.post(f"/recognitions/bank/checks/{check.pk}/loan/",
                  {"amount": "1", "rate_discount": "0", "granted_on": today}).status_code == 404
    desk_b = b.get("/recognitions/bank/").content.decode()
    assert "300000" not in desk_b and "张**" not in desk_b and "本行尚未登记e法贷。" in desk_b
    assert "300000" in a.get("/recognitions/bank/").content.decode()


@pytest.mark.parametrize("persona", ["county_admin", "mediator", "town_staff", "auditor", "lawyer", "liaison"])
def test_other_roles_cannot_open_the_desk(request, persona, holder_and_villager, bank_a):
    from xiangzhi.recognitions.models import BankCheck

    _rec, villager = holder_and_villager
    _check(bank_a.client(), _consent(villager))
    pk = BankCheck.objects.get().pk
    code = _consent(villager)
    client = request.getfixturevalue(persona).client()
    before = _state()
    assert client.get("/recognitions/bank/").status_code == 404
    assert client.get(f"/recognitions/bank/checks/{pk}/").status_code == 404
    assert _check(client, code).status_code == 404
    assert client.post(f"/recognitions/bank/checks/{pk}/loan/", {"amount": "1", "rate_discount": "0",
                                                                "granted_on": timezone.localdate().isoformat()}
                       ).status_code == 404
    assert _state() == before  # the unused code stays unused


def test_villagers_and_anonymous_visitors_are_sent_away(villager_a, client):
    assert villager_a[1].get("/recognitions/bank/").status_code == 404
    response = client.get("/recognitions/bank/")
    assert response.status_code == 302 and "/login" in response.url
    assert client.post("/recognitions/bank/check/", {"code": "ABCDEFGH"}).status_code == 302


def test_a_get_changes_nothing(holder_and_villager, bank_a):
    _rec, villager = holder_and_villager
    officer = bank_a.client()
    result = _check(officer, _consent(villager)).url
    before = _state()
    assert officer.get(result).status_code == 200
    assert officer.get("/recognitions/bank/").status_code == 200
    assert officer.get("/recognitions/bank/check/").status_code == 405
    assert officer.get(result + "loan/").status_code == 405
    assert _state() == before


def test_the_loans_list_is_paginated(monkeypatch, holder_and_villager, bank_a, mediator, town_staff, county_admin,
                                     villager_b):
    from xiangzhi.recognitions.models import BankCheck
    from xiangzhi.recognitions.views import bank

    monkeypatch.setattr(bank, "PAGE_SIZE", 1)
    _rec, villager = holder_and_villager
    register(nominate(mediator.user, n=7, name="钱七", phone="13900000002"), town_staff, county_admin)
    officer = bank_a.client()
    today = timezone.localdate().isoformat()
    for citizen, amount in ((villager, "1111"), (villager_b[1], "2222")):
        _check(officer, _consent(citizen))
        check = BankCheck.objects.order_by("-pk").first()
        officer.post(f"/recognitions/bank/checks/{check.pk}/loan/",
                     {"amount": amount, "rate_discount": "0", "granted_on": today})
    first = officer.get("/recognitions/bank/").content.decode()
    second = officer.get("/recognitions/bank/?page=2").content.decode()
    assert "第 1 / 2 页" in first and "第 2 / 2 页" in second
    assert ("2222.00" in first) != ("2222.00" in second) and ("1111.00" in first) != ("1111.00" in second)


def test_the_menu_entry_is_the_bank_officers_alone(bank_a, county_admin):
    assert '<a href="/recognitions/bank/"' in bank_a.client().get("/workbench/").content.decode()
    assert "/recognitions/bank/" not in county_admin.client().get("/workbench/").content.decode()


def test_the_loans_list_costs_the_same_queries_for_one_loan_or_two(holder_and_villager, bank_a, mediator, town_staff,
                                                                   county_admin, villager_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xiangzhi.recognitions.models import BankCheck

    _rec, villager = holder_and_villager
    register(nominate(mediator.user, n=7, name="钱七", phone="13900000002"), town_staff, county_admin)
    officer = bank_a.client()
    today = timezone.localdate().isoformat()
    counts = []
    for citizen in (villager, villager_b[1]):
        _check(officer, _consent(citizen))
        check = BankCheck.objects.order_by("-pk").first()
        officer.post(f"/recognitions/bank/checks/{check.pk}/loan/",
                     {"amount": "1000", "rate_discount": "0", "granted_on": today})
        with CaptureQueriesContext(connection) as queries:
            assert officer.get("/recognitions/bank/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
