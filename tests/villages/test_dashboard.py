"""The dashboard's figures equal direct counts of the titles held and the villages, in the whole county and per
town, for the bureau and for one town's office; its queries are pinned."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import CHONGFU, WUZHEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_titles(county_admin):
    from xiangzhi.core.models import Region
    from xiangzhi.villages.services import titles
    from xiangzhi.villages.services.records import record_of

    wz = list(Region.objects.filter(level="village", code__startswith=WUZHEN).order_by("code"))
    cf = list(Region.objects.filter(level="village", code__startswith=CHONGFU).order_by("code"))
    ladder = ["county", "city", "province", "national"]
    for i, village in enumerate(wz[:6] + cf[:3]):
        for level in ladder[: 1 + i % 4]:
            titles.register_title(record_of(village), actor=county_admin.user, level=level,
                                  named_on=dt.date(2015 + ladder.index(level), 1, 1))
    revoked = titles.register_title(record_of(wz[6]), actor=county_admin.user, level="county",
                                    named_on=dt.date(2015, 1, 1))
    titles.review(revoked, actor=county_admin.user, outcome="revoke", reviewed_on=dt.date(2020, 1, 1), note="否决情形")


def test_dashboard_figures_equal_direct_counts(some_titles, county_admin, town_staff, django_assert_max_num_queries):
    from xiangzhi.core.models import Region
    from xiangzhi.villages import selectors
    from xiangzhi.villages.models import Title

    d = selectors.dashboard(county_admin.user)
    for level in ("county", "city", "province", "national"):
        assert d.by_level[level] == Title.objects.filter(state="held", level=level).count()
    assert d.by_level == {"county": 9, "city": 6, "province": 4, "national": 2}
    assert d.villages == Region.objects.filter(level="village", is_active=True).count() == 217
    assert len(d.towns) == 11
    for t in d.towns:
        assert t.villages == Region.objects.filter(level="village", code__startswith=t.code).count()
        held = Title.objects.filter(state="held", level="county", record__region__code__startswith=t.code).count()
        assert t.titles["county"] == held
        assert t.coverage == round(100.0 * held / t.villages, 1)
    town = selectors.dashboard(town_staff.user)
    assert [t.code for t in town.towns] == [WUZHEN]
    assert town.by_level["county"] == 6
    assert town.villages == Region.objects.filter(level="village", code__startswith=WUZHEN).count()
    api = town_staff.client().get("/api/v1/villages/dashboard").json()
    assert api["by_level"] == town.by_level and api["towns"][0]["coverage"] == town.towns[0].coverage
    user = county_admin.user
    user.__dict__.pop("_xz_roles", None)
    with django_assert_max_num_queries(6):
        selectors.dashboard(user)


def test_the_records_list_pages_and_filters(some_titles, county_admin):
    c = county_admin.client()
    body = c.get("/api/v1/villages/records", {"limit": 4}).json()
    assert body["count"] == 10 and len(body["items"]) == 4 and body["next"]
    assert c.get("/api/v1/villages/records", {"level": "national"}).json()["count"] == 2
    assert c.get("/api/v1/villages/records", {"level": "none"}).json()["count"] == 1  # the revoked one
    assert c.get("/api/v1/villages/records", {"town": CHONGFU}).json()["count"] == 3
    assert c.get("/api/v1/villages/records", {"limit": 1000}).status_code == 422


def test_titles_of_lists_the_held_titles_lowest_first(some_titles):
    from xiangzhi.core.models import Region
    from xiangzhi.villages.selectors import titles_of

    villages = list(Region.objects.filter(level="village", code__startswith=WUZHEN).order_by("code"))
    assert [t.level for t in titles_of(villages[3].code)] == ["county", "city", "province", "national"]
    assert [t.label for t in titles_of(villages[1].code)] == ["县级（桐乡市级）", "嘉兴市级"]
    assert titles_of(villages[6].code) == []  # revoked
    assert titles_of("330483999999") == []


def test_the_records_list_costs_the_same_queries_for_one_row_or_ten(some_titles, county_admin,
                                                                    django_assert_max_num_queries):
    c = county_admin.client()
    c.get("/api/v1/villages/records", {"limit": 1})  # warm the session
    with django_assert_max_num_queries(8) as one:
        c.get("/api/v1/villages/records", {"limit": 1})
    with django_assert_max_num_queries(8) as ten:
        assert len(c.get("/api/v1/villages/records", {"limit": 10}).json()["items"]) == 10
    assert len(ten.captured_queries) == len(one.captured_queries)
