"""The workbench pages, the volunteer's own page and /api/v1/timebank, tried by the named personas."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import CHONGFU
from tests.timebank.conftest import credit, register
from xiangzhi.timebank.models import Account, Activity, Redemption

pytestmark = pytest.mark.django_db
API = "/api/v1/timebank"


def test_the_workbench_is_for_time_bank_staff(town_staff, mediator, client):
    assert town_staff.client().get(reverse("timebank:workbench")).status_code == 200
    assert mediator.client().get(reverse("timebank:workbench")).status_code == 404
    assert client.get(reverse("timebank:workbench")).status_code == 302


def test_record_on_the_workbench_and_verify_by_someone_else(volunteer, town_staff, second_town_staff):
    c = town_staff.client()
    r = c.post(reverse("timebank:record"), {"member": volunteer.pk, "kind": "talk", "title": "村民法治讲座",
                                            "occurred_on": "2026-11-20", "minutes": "90", "link": ""})
    assert r.status_code == 302
    a = Activity.objects.get()
    c.post(reverse("timebank:verify", args=[a.pk]))  # the recorder: refused
    assert Activity.objects.get().state == "proposed"
    page = second_town_staff.client().get(reverse("timebank:workbench")).content.decode()
    assert "核验入账" in page and "村民法治讲座" in page
    second_town_staff.client().post(reverse("timebank:verify", args=[a.pk]))
    assert Activity.objects.get().state == "verified"
    assert Account.objects.get(pk=volunteer.account_id).balance == 90


def test_api_members_are_paginated_and_contacts_stay_in_the_registering_organisation(volunteer, volunteer_b,
                                                                                     town_staff, county_admin):
    body = town_staff.client().get(f"{API}/members?limit=1").json()
    assert body["count"] == 2 and len(body["items"]) == 1 and body["next"]
    assert body["items"][0]["contact"] == "138****0001"
    assert "13800000001" not in town_staff.client().get(f"{API}/members").content.decode()
    county = county_admin.client().get(f"{API}/members/{volunteer.pk}").json()
    assert county["contact"] is None and county["name"] == volunteer.person.masked_name


def test_a_town_sees_nothing_of_another_town(volunteer, other_town_staff, town_staff):
    c = other_town_staff.client()
    assert c.get(f"{API}/members/{volunteer.pk}").status_code == 404
    assert c.get(reverse("timebank:member", args=[volunteer.pk])).status_code == 404
    assert c.get(f"{API}/members").json()["count"] == 0
    chongfu = register(5, registrar=other_town_staff.user, town=CHONGFU)
    assert town_staff.client().get(f"{API}/members/{chongfu.pk}/statement").status_code == 404


def test_api_record_verify_and_the_second_person_rule(volunteer, town_staff, second_town_staff):
    r = town_staff.client().post(f"{API}/activities", {"member_id": volunteer.pk, "kind": "consultation",
                                                       "title": "法律咨询值班", "occurred_on": "2026-11-02",
                                                       "minutes": 120}, content_type="application/json")
    assert r.status_code == 200, r.content
    aid = r.json()["id"]
    refused = town_staff.client().post(f"{API}/activities/{aid}/verify")
    assert refused.status_code == 403 and refused.json()["code"] == "SECOND_PERSON_REQUIRED"
    ok = second_town_staff.client().post(f"{API}/activities/{aid}/verify").json()
    assert ok["state"] == "verified" and ok["transfer_id"]
    again = second_town_staff.client().post(f"{API}/activities/{aid}/verify")
    assert again.status_code == 409 and again.json()["code"] == "NOT_PROPOSED"
    assert town_staff.client().get(f"{API}/activities?state=verified").json()["count"] == 1


def test_the_statement_says_what_earned_each_credit(volunteer, town_staff, second_town_staff, county_item,
                                                    villager_a):
    credit(volunteer, 100, town_staff.user, second_town_staff.user, title="协助调解宅基地纠纷")
    user, c = villager_a
    r = c.post(f"{API}/redemptions", {"member_id": volunteer.pk, "item_id": county_item.pk},
               content_type="application/json")
    assert r.status_code == 200, r.content
    lines = c.get(f"{API}/members/{volunteer.pk}/statement").json()["items"]
    assert [(line["amount"], line["balance"], line["what"]) for line in lines] == [
        (-60, 40, "优先法律咨询一次"), (100, 100, "协助调解宅基地纠纷")]
    assert lines[1]["category"] == "协助调解"
    second = c.get(f"{API}/members/{volunteer.pk}/statement?limit=1&offset=1").json()
    assert second["count"] == 2 and second["next"] is None and second["items"] == lines[1:]
    assert c.get(f"{API}/members/{volunteer.pk}/statement?limit=1").json()["next"]
    over = c.post(f"{API}/redemptions", {"member_id": volunteer.pk, "item_id": county_item.pk},
                  content_type="application/json")
    assert over.status_code == 409 and over.json()["code"] == "INSUFFICIENT_MINUTES"
    assert c.get(f"{API}/me").json()["balance"] == 40


def test_a_donation_through_the_api_only_from_ones_own_account(volunteer, volunteer_b, villager_a, villager_b,
                                                               town_staff, second_town_staff):
    credit(volunteer, 30, town_staff.user, second_town_staff.user)
    body = {"from_member_id": volunteer.pk, "to_member_id": volunteer_b.pk, "minutes": 10}
    assert villager_b[1].post(f"{API}/donations", body, content_type="application/json").status_code == 404
    r = villager_a[1].post(f"{API}/donations", body, content_type="application/json")
    assert r.status_code == 200 and r.json()["kind"] == "donation"
    assert Account.objects.get(pk=volunteer_b.account_id).balance == 10


def test_a_reversal_through_the_api_is_for_the_county(volunteer, town_staff, second_town_staff, county_admin):
    a = credit(volunteer, 30, town_staff.user, second_town_staff.user)
    url = f"{API}/transfers/{a.transfer_id}/reverse"
    assert town_staff.client().post(url, {"reason": "错录"}, content_type="application/json").status_code == 403
    r = county_admin.client().post(url, {"reason": "错录"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["reverses_id"] == a.transfer_id
    assert Account.objects.get(pk=volunteer.account_id).balance == 0


def test_the_volunteers_own_page(volunteer, villager_a, villager_b, town_staff, second_town_staff, county_item,
                                 client):
    credit(volunteer, 75, town_staff.user, second_town_staff.user)
    user, c = villager_a
    page = c.get(reverse("timebank:me")).content.decode()
    assert "75" in page and "优先法律咨询一次" in page and "协助调解邻里纠纷" in page
    c.post(reverse("timebank:redeem", args=[county_item.pk]))
    assert Redemption.objects.filter(volunteer=volunteer).count() == 1
    c.post(reverse("timebank:consent"), {})
    volunteer.refresh_from_db()
    assert volunteer.public_consent is False
    assert "还不是登记的法律志愿者" in villager_b[1].get(reverse("timebank:me")).content.decode()
    assert villager_b[1].post(reverse("timebank:redeem", args=[county_item.pk])).status_code == 404
    assert client.get(reverse("timebank:me")).status_code == 302


def test_leaderboards_show_only_those_who_consented(volunteer, volunteer_b, town_staff, second_town_staff):
    from xiangzhi.timebank.models import Volunteer

    credit(volunteer, 50, town_staff.user, second_town_staff.user)
    credit(volunteer_b, 80, town_staff.user, second_town_staff.user)
    Volunteer.objects.filter(pk=volunteer_b.pk).update(public_consent=False)
    year = dt.date.today().year
    rows = town_staff.client().get(f"{API}/leaderboard?town=330483100&year={year}").json()["items"]
    assert [(r["member_id"], r["minutes"]) for r in rows] == [(volunteer.pk, 50)]
    towns = town_staff.client().get(f"{API}/leaderboard/towns?year={year}").json()["items"]
    assert towns[0]["code"] == "330483100" and towns[0]["minutes"] == 130
    assert [t["code"] for t in towns] == ["330483100"]  # a town's staff: their own town only
    page = town_staff.client().get(reverse("timebank:leaderboard")).content.decode()
    assert volunteer.person.masked_name in page and "志愿者2" not in page


def test_xlsx_reports_carry_categories_links_and_text_as_text(volunteer, town_staff, second_town_staff):
    from xiangzhi.timebank.services.activities import record_activity, verify_activity

    a = record_activity(volunteer, kind="alert_answer", title="=HYPERLINK(\"http://x\")", occurred_on=dt.date.today(),
                        minutes=40, organisation=volunteer.organisation, link="/outreach/staff/7/",
                        actor=town_staff.user)
    verify_activity(a, actor=second_town_staff.user)
    wb = load_workbook(io.BytesIO(town_staff.client().get(reverse("timebank:report_xlsx")).content))
    rows = list(wb["服务记录"].iter_rows(values_only=True))
    assert rows[1][4] == "答复普法求助" and rows[1][5] == "=HYPERLINK(\"http://x\")"
    assert wb["服务记录"].cell(row=2, column=6).data_type == "s"
    assert rows[1][11].endswith("/outreach/staff/7/")
    assert list(wb["按类别汇总"].iter_rows(values_only=True))[1][:3] == ("答复普法求助", 1, 40)
    stmt = load_workbook(io.BytesIO(town_staff.client().get(
        reverse("timebank:member_xlsx", args=[volunteer.pk])).content))["对账单"]
    blob = str(list(stmt.iter_rows(values_only=True)))
    assert "答复普法求助" in blob and "13800000001" not in blob


def test_the_catalogue_is_kept_by_the_town(town_staff, other_town_staff, tongxiang):
    from xiangzhi.core.models import Organisation

    org = Organisation.objects.get(region__code="330483100", kind="justice_office")
    body = {"category": "community", "name": "水电维修一次", "cost_minutes": 90, "region_code": "330483100",
            "organisation_id": org.pk}
    r = town_staff.client().post(f"{API}/catalogue", body, content_type="application/json")
    assert r.status_code == 200, r.content
    item = r.json()["id"]
    assert other_town_staff.client().post(f"{API}/catalogue/{item}", body,
                                          content_type="application/json").status_code == 404
    off = town_staff.client().post(f"{API}/catalogue/{item}", {**body, "is_active": False},
                                   content_type="application/json").json()
    assert off["is_active"] is False
    assert town_staff.client().get(reverse("timebank:catalogue")).status_code == 200


def test_register_a_volunteer_on_the_workbench(town_staff, tongxiang):
    from tests.conftest import first_village
    from xiangzhi.core.models import Organisation
    from xiangzhi.timebank.models import Volunteer

    village = first_village("330483100")
    org = Organisation.objects.get(region__code="330483100", kind="justice_office")
    c = town_staff.client()
    assert village.display_name in c.get(reverse("timebank:workbench")).content.decode()
    c.post(reverse("timebank:register"), {"name": "沈建国", "phone": "13612345678", "kind": "legal_literate",
                                          "region": village.code, "organisation": org.pk, "public": "on"})
    v = Volunteer.objects.get()
    assert v.region == village and v.public_consent and v.account.min_balance == 0
    assert v.person.phone_index and "13612345678" not in str(Volunteer.objects.values().get())


def test_list_endpoints_make_a_fixed_number_of_queries(town_staff, second_town_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts() -> list[int]:
        c = town_staff.client()
        out = []
        for url in (f"{API}/members", f"{API}/activities", f"{API}/transfers", reverse("timebank:workbench")):
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    for i in range(2):
        credit(register(10 + i, registrar=town_staff.user), 30, town_staff.user, second_town_staff.user)
    few = counts()
    for i in range(6):
        credit(register(20 + i, registrar=town_staff.user), 30, town_staff.user, second_town_staff.user)
    assert counts() == few


def test_ids_of_chongfu_in_a_request_body_answer_404_to_wuzhen_town_staff(town_staff, clear_books_before_flush):
    """The URL sweep (tests/core/test_jurisdiction.py) cannot see ids carried in a body or a form: 乌镇's town staff
    naming a 崇福 volunteer, item, organisation or region get 404 and nothing is written."""
    from tests.timebank.jurisdiction import chongfu_item, chongfu_volunteer
    from xiangzhi.core.models import Organisation
    from xiangzhi.timebank.models import CatalogueItem, Volunteer

    v, item = chongfu_volunteer(), chongfu_item()
    cf_org = Organisation.objects.filter(region__code=CHONGFU, kind="justice_office").first()
    client = town_staff.client()
    before = (Activity.objects.count(), Redemption.objects.count(), CatalogueItem.objects.count(),
              Volunteer.objects.count())
    bodies = {
        "/api/v1/timebank/activities": {"member_id": v.pk, "kind": "talk", "title": "外镇录入",
                                         "occurred_on": "2026-11-01", "minutes": 60},
        "/api/v1/timebank/redemptions": {"member_id": v.pk, "item_id": item.pk},
        "/api/v1/timebank/catalogue": {"organisation_id": cf_org.pk, "region_code": CHONGFU, "category": "community",
                                        "name": "外镇项目", "cost_minutes": 60},
        f"/api/v1/timebank/catalogue/{item.pk}": {"organisation_id": cf_org.pk, "region_code": CHONGFU,
                                                   "category": "community", "name": "改名", "cost_minutes": 1},
        "/api/v1/timebank/members": {"name": "外镇登记", "kind": "resident", "organisation_id": cf_org.pk,
                                      "region_code": CHONGFU},
    }
    for url, body in bodies.items():
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 404, f"{url} → {response.status_code} {response.content[:200]}"
    assert client.post(reverse("timebank:record"), {"member": v.pk, "kind": "talk", "title": "外镇录入",
                                                    "minutes": "60"}).status_code == 404
    assert (Activity.objects.count(), Redemption.objects.count(), CatalogueItem.objects.count(),
            Volunteer.objects.count()) == before
    item.refresh_from_db()
    assert item.name == "家电维修一次"
