"""一村一法律顾问: the coverage (page and API) equals direct counts; uncovered villages are flagged; the lists are
scoped to the caller's jurisdiction and paginated."""

import pytest

from tests.conftest import CHONGFU, WUZHEN
from tests.network.conftest import make_adviser, make_site, make_terminal, villages_of

pytestmark = pytest.mark.django_db


def _cover_all_but(town_code: str, left_out: int):
    """Every village of the county gets an adviser (three advisers, several villages each) except the last
    ``left_out`` of ``town_code``."""
    from xiangzhi.core.models import Region
    from xiangzhi.network.services import directory

    advisers = [make_adviser(f"顾问{i}", mobile=f"1391234567{i}") for i in range(3)]
    skipped = {v.pk for v in villages_of(town_code)[-left_out:]} if left_out else set()
    for n, village in enumerate(Region.objects.filter(level="village", is_active=True).order_by("code")):
        if village.pk not in skipped:
            directory.assign_adviser(village, advisers[n % 3], actor=None)
    return advisers, skipped


def test_the_county_coverage_equals_direct_counts(county_admin):
    from xiangzhi.core.models import Organisation, Region
    from xiangzhi.network.models import Assignment

    _advisers, skipped = _cover_all_but(CHONGFU, 2)
    make_site("330483")
    make_site(CHONGFU)
    make_terminal(villages_of(CHONGFU)[0].code)
    body = county_admin.client().get("/api/v1/network/coverage").json()
    villages = Region.objects.filter(level="village", is_active=True)
    assert len(body["villages"]) == villages.count() == body["totals"]["villages"]
    assert "items" not in body and "next" not in body  # all villages in one response, by design
    assert body["totals"]["covered"] == Assignment.objects.count() == villages.count() - 2
    assert body["totals"]["uncovered"] == 2
    assert body["totals"]["advisers"] == Assignment.objects.values("adviser").distinct().count() == 3
    assert (body["totals"]["sites_county"], body["totals"]["sites_town"], body["totals"]["sites_village"]) == (1, 1, 0)
    assert body["totals"]["terminals"] == 1
    assert body["totals"]["coverage_rate"] == round((villages.count() - 2) / villages.count(), 4)
    flagged = {row["code"] for row in body["villages"] if not row["covered"]}
    assert flagged == {v.code for v in villages.filter(pk__in=skipped)}
    assert all(row["adviser"] is None for row in body["villages"] if not row["covered"])
    row = next(r for r in body["villages"] if r["covered"])
    assert row["adviser"]["mobile"].startswith("139****") and row["adviser"]["work_phone"] == "0573-88012348"
    assert row["titles"] == []
    committees = Organisation.objects.filter(region__code=row["code"], kind="village_committee").count()
    assert len(row["mediation_committees"]) == committees


def test_a_town_supervisor_sees_only_the_villages_of_their_town(town_staff):
    _cover_all_but(WUZHEN, 1)
    body = town_staff.client().get("/api/v1/network/coverage").json()
    assert {r["code"][:9] for r in body["villages"]} == {WUZHEN}
    assert body["totals"]["villages"] == len(villages_of(WUZHEN))
    assert body["totals"]["uncovered"] == 1


def test_the_coverage_page_flags_uncovered_villages(county_admin):
    _cover_all_but(CHONGFU, 3)
    page = county_admin.client().get("/network/staff/?uncovered=1").content.decode()
    assert page.count('class="uncovered"') == 3
    assert '<strong id="uncovered-count">3</strong>' in page
    for village in villages_of(CHONGFU)[-3:]:
        assert village.code in page


def test_the_coverage_needs_a_fixed_number_of_queries(county_admin, django_assert_max_num_queries):
    _cover_all_but(CHONGFU, 1)
    client = county_admin.client()
    client.get("/api/v1/network/coverage")
    with django_assert_max_num_queries(16):
        assert client.get("/api/v1/network/coverage").status_code == 200


def test_lists_are_scoped_and_paginated(county_admin, other_mediator, mediator, adviser):
    from xiangzhi.network.services import directory

    chongfu_village = villages_of(CHONGFU)[0]
    directory.assign_adviser(chongfu_village, adviser, actor=None)
    make_site(chongfu_village.code)
    directory.create_team(chongfu_village, name="崇福法律服务团", members=[("judge", "法官甲", "桐乡法院崇福法庭"),
                                                                      ("lawyer", "律师乙", "")], actor=None)
    make_terminal(chongfu_village.code)
    admin = county_admin.client()
    for path in ("sites", "advisers", "teams", "terminals"):
        body = admin.get(f"/api/v1/network/{path}", {"limit": 1}).json()
        assert body["count"] == 1 and len(body["items"]) == 1, path
        assert admin.get(f"/api/v1/network/{path}", {"limit": 100000}).status_code == 422
        # the 乌镇镇 mediator sees nothing of 崇福镇
        assert mediator.client().get(f"/api/v1/network/{path}").json()["count"] == 0, path
        assert other_mediator.client().get(f"/api/v1/network/{path}").json()["count"] == 1, path
    from django.utils import timezone

    from xiangzhi.network.models import Team

    t = Team.objects.get()
    directory.set_duty(t, t.members.get(kind="judge"), timezone.localdate(), actor=None)
    team = admin.get("/api/v1/network/teams").json()["items"][0]
    assert [m["kind_label"] for m in team["members"]] == ["法官", "律师"]
    assert [(s["member"], s["kind_label"]) for s in team["roster"]] == [("法官甲", "法官")]
    assert admin.get("/api/v1/network/advisers").json()["items"][0]["mobile"] == "139****5678"


def test_roles_outside_the_network_get_nothing(bank_officer, liaison, villager_a):
    for client in (bank_officer.client(), liaison.client()):
        assert client.get("/api/v1/network/coverage").json()["villages"] == []
        assert client.get("/network/staff/").status_code == 404
    _user, citizen = villager_a
    assert citizen.get("/api/v1/network/coverage").json()["villages"] == []


def test_anonymous_callers_are_refused(client, tongxiang):
    assert client.get("/api/v1/network/coverage").status_code == 401
    assert client.get("/api/v1/network/terminals").status_code == 401
