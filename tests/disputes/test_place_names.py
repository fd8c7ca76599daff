"""Places by name, not by a 12-digit code: the workbench filters by town and village chosen by name, and warnings
name the place as people read it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import CHONGFU, WUZHEN, first_village
from tests.disputes.conftest import new_case
from xiangzhi.core import selectors as core_selectors
from xiangzhi.core.models import Region
from xiangzhi.disputes import selectors

pytestmark = pytest.mark.django_db


def test_the_place_filter_offers_names_grouped_by_town_within_the_jurisdiction(town_staff, mediator):
    groups = dict(selectors.place_choices(town_staff.user))
    wuzhen = Region.objects.get(code=WUZHEN)
    assert list(groups) == [wuzhen.display_name]
    entries = dict(groups[wuzhen.display_name])
    village = first_village(WUZHEN)
    assert entries[WUZHEN] == f"{wuzhen.display_name}（全部）" and entries[village.code] == village.display_name
    assert not any(code.startswith(CHONGFU) for code in entries)
    assert dict(dict(selectors.place_choices(mediator.user))[wuzhen.display_name]) == {village.code: village.display_name}


def test_the_workbench_shows_place_names_and_filters_by_the_chosen_one(town_staff):
    village = first_village(WUZHEN)
    other = Region.objects.filter(code__startswith=WUZHEN, level="village").exclude(pk=village.pk).order_by("code")[0]
    here = new_case(region_code=village.code, applicant_phone="13800000011")
    there = new_case(region_code=other.code, applicant_phone="13800000012")
    c = town_staff.client()
    html = c.get("/cases/workbench/", {"scope": "all"}).content.decode()
    assert f'<option value="{village.code}" >{village.display_name}</option>' in html
    assert "区划代码" not in html
    filtered = c.get("/cases/workbench/", {"scope": "all", "region": village.code}).content.decode()
    assert here.number in filtered and there.number not in filtered


def test_place_names_name_the_town_and_village(tongxiang):
    village = first_village(WUZHEN)
    town = Region.objects.get(code=WUZHEN)
    names = core_selectors.place_names([village.code, WUZHEN, village.code[:10], "330483", "999999"])
    assert names[village.code] == town.display_name + village.display_name
    assert names[WUZHEN] == town.display_name
    assert names[village.code[:10]] == town.display_name  # a common prefix: the nearest region holding it
    assert names["330483"] == Region.objects.get(code="330483").display_name
    assert names["999999"] == "999999"


def test_warnings_name_the_place_not_its_code(town_staff):
    from xiangzhi.insights.services import run_warnings

    village = first_village(WUZHEN)
    new_case(region_code=village.code, risk_level="major")
    run_warnings(now=dt.datetime.now(dt.UTC))
    html = town_staff.client().get("/insights/warnings/").content.decode()
    assert "重大风险案件" in html
    assert f"地点 {Region.objects.get(code=WUZHEN).display_name}{village.display_name}" in html
    assert village.code not in html
