"""The workbench menu of every role offers only pages that role may open: each entry answers 200, and the pages the
role may not open are not in its menu."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

ROLES = ["mediator", "grid_worker", "town_staff", "centre_staff", "county_admin", "liaison", "lawyer", "auditor",
         "bank_officer"]


def menu(client) -> dict[str, str]:  # noqa: ANN001
    html = client.get("/workbench/").content.decode()
    nav = re.search(r'<nav class="staffnav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return {label.strip(): href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)}


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_entry_opens(request, role):
    client = request.getfixturevalue(role).client()
    entries = menu(client)
    assert "工作台" in entries and "通知" in entries
    for label, href in entries.items():
        assert client.get(href).status_code == 200, (role, label, href)


@pytest.mark.parametrize(("role", "absent"), [
    ("bank_officer", {"纠纷案件", "研判分析", "咨询工作台", "联动协办", "审计日志", "接口令牌"}),
    ("liaison", {"纠纷案件", "研判分析", "咨询工作台", "审计日志", "e法贷核验"}),
    ("lawyer", {"纠纷案件", "研判分析", "联动协办", "审计日志", "e法贷核验"}),
    ("mediator", {"咨询工作台", "联动协办", "审计日志", "接口令牌", "e法贷核验"}),
    ("grid_worker", {"咨询工作台", "联动协办", "合法性审查", "审计日志", "e法贷核验"}),
    ("auditor", {"咨询工作台", "联动协办", "接口令牌", "e法贷核验"}),
    ("county_admin", {"e法贷核验"}),
])
def test_pages_a_role_may_not_open_are_not_in_its_menu(request, role, absent):
    entries = menu(request.getfixturevalue(role).client())
    assert not absent & set(entries), (role, entries)
    assert {"联动协办"} <= set(menu(request.getfixturevalue("liaison").client()))


def test_the_bank_officer_has_the_efadai_desk(bank_officer):
    entries = menu(bank_officer.client())
    assert entries.get("e法贷核验") == "/recognitions/bank/", entries


def test_one_entry_is_current(auditor):
    html = auditor.client().get("/workbench/audit/").content.decode()
    nav = re.search(r'<nav class="staffnav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', nav) == ["/workbench/audit/"]
