"""The API (/api/v1/villages/…) and the workbench pages: the flow through HTTP, 409 for a title without the lower one,
403 for a score by someone not assigned, 404 for another town's village, and the pages the staff use."""

from __future__ import annotations

import pytest

from tests.villages.conftest import cultivate, full_marks, png_bytes, upload

pytestmark = pytest.mark.django_db


def test_the_flow_through_the_api(standards, county_admin, town_staff, wz_village, assessor):
    admin, office, judge = county_admin.client(), town_staff.client(), assessor.client()
    cultivate(wz_village, town_staff.user)
    r = office.post(f"/api/v1/villages/records/{wz_village.code}/applications", {"level": "city"},
                    content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "LOWER_TITLE_REQUIRED"
    r = office.post(f"/api/v1/villages/records/{wz_village.code}/applications", {"level": "county"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    app_id = r.json()["id"]
    r = judge.post(f"/api/v1/villages/applications/{app_id}/scores", {"lines": [{"indicator_id": 1}]},
                   content_type="application/json")
    assert r.status_code == 404  # not assigned: the lawyer does not even see it
    r = admin.post(f"/api/v1/villages/applications/{app_id}/assessors", {"user_ids": [assessor.user.pk]},
                   content_type="application/json")
    assert r.status_code == 200 and r.json()["assessors"] == 1
    from xiangzhi.villages.models import Application

    lines = [{"indicator_id": pk, "score": str(line.score), "veto_hit": line.veto_hit}
             for pk, line in full_marks(Application.objects.get(pk=app_id)).items()]
    r = admin.post(f"/api/v1/villages/applications/{app_id}/scores", {"lines": lines}, content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "NOT_ASSESSOR"
    r = judge.post(f"/api/v1/villages/applications/{app_id}/scores", {"lines": lines}, content_type="application/json")
    assert r.status_code == 201 and r.json()["application"]["state"] == "passed", r.content
    r = office.post(f"/api/v1/villages/applications/{app_id}/name", {"named_on": "2026-11-01"},
                    content_type="application/json")
    assert r.status_code == 404  # naming is the bureau's
    r = admin.post(f"/api/v1/villages/applications/{app_id}/name", {"named_on": "2026-11-01", "document_no": "桐司1号"},
                   content_type="application/json")
    assert r.status_code == 201 and r.json()["level"] == "county"
    title_id = r.json()["id"]
    body = office.get(f"/api/v1/villages/records/{wz_village.code}").json()
    assert body["highest_level"] == "county" and body["titles"][0]["id"] == title_id
    assert body["applications"][0]["score"] == "100.0"
    archive = office.get(f"/api/v1/villages/records/{wz_village.code}/archive", {"limit": 3}).json()
    assert archive["count"] == 9 and len(archive["items"]) == 3 and archive["next"]
    assert archive["items"][0]["kind"] == "planned"
    r = admin.post(f"/api/v1/villages/titles/{title_id}/review", {"outcome": "cancel", "reviewed_on": "2026-11-02"},
                   content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "REASON_REQUIRED"
    r = admin.post(f"/api/v1/villages/titles/{title_id}/review",
                   {"outcome": "cancel", "reviewed_on": "2026-11-02", "note": "村撤并"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["title"]["state"] == "cancelled"
    records = office.get("/api/v1/villages/records").json()
    assert records["count"] == 1 and records["items"][0]["code"] == wz_village.code


def test_another_towns_village_answers_404(standards, town_staff, other_town_staff, cf_village, wz_village):
    cultivate(cf_village, other_town_staff.user)
    c = town_staff.client()
    assert c.get(f"/api/v1/villages/records/{cf_village.code}").status_code == 404
    assert c.get(f"/api/v1/villages/records/{cf_village.code}/archive").status_code == 404
    r = c.post(f"/api/v1/villages/records/{cf_village.code}/applications", {"level": "county"},
               content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    assert c.get(f"/villages/staff/{cf_village.code}/").status_code == 404
    assert c.get("/api/v1/villages/records").json()["count"] == 0
    assert c.get(f"/api/v1/villages/records/{wz_village.code}").status_code == 200  # its own: a village without a record


def test_roles_without_the_programme_see_nothing(standards, mediator, lawyer, wz_village, villager_a):
    for c in (mediator.client(), lawyer.client()):
        assert c.get(f"/api/v1/villages/records/{wz_village.code}").status_code == 404
        assert c.get("/api/v1/villages/dashboard").status_code == 404
        assert c.get("/villages/staff/dashboard/").status_code == 404
    assert villager_a[1].get("/api/v1/villages/records").status_code in (401, 404)


def test_the_workbench_pages_carry_the_flow(standards, county_admin, town_staff, wz_village, assessor):
    from xiangzhi.villages.models import Application, CreationRecord, Evidence

    office = town_staff.client()
    page = office.get("/villages/staff/")
    assert page.status_code == 200 and wz_village.name in page.content.decode()
    url = f"/villages/staff/{wz_village.code}/"
    r = office.post(url, {"action": "plan", "target_level": "county", "year_from": 2026, "year_to": 2027,
                          "targets": "村规民约修订\n民主议事规范"})
    assert r.status_code == 302
    office.post(url, {"action": "task", "title": "修订村规民约"})
    rec = CreationRecord.objects.get(region=wz_village)
    task = rec.plans.get().tasks.get()
    office.post(url, {"action": "evidence", "task": task.pk, "file": upload("照片.png", png_bytes(), "image/png")})
    office.post(url, {"action": "done", "task": task.pk})
    office.post(url, {"action": "apply", "level": "county"})
    app = Application.objects.get(record=rec)
    body = office.get(url).content.decode()
    assert "修订村规民约" in body and "已申报" in body
    ev = Evidence.objects.get()
    r = office.get(f"/villages/staff/evidence/{ev.pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "image/png" and b"".join(r.streaming_content) == png_bytes()
    admin = county_admin.client()
    admin.post(f"/villages/staff/applications/{app.pk}/", {"action": "assessors", "usernames": assessor.user.username})
    judge = assessor.client()
    assert "待我考核" in judge.get("/villages/staff/").content.decode()
    form = {"action": "score"}
    for ind in app.standard.indicators.all():
        if not ind.is_veto:
            form[f"score_{ind.pk}"] = str(ind.max_score)
    judge.post(f"/villages/staff/applications/{app.pk}/", form)
    admin.post(f"/villages/staff/applications/{app.pk}/", {"action": "name", "named_on": "2026-11-01"})
    rec.refresh_from_db()
    assert rec.highest_level == "county"
    archive = office.get(f"/villages/staff/{wz_village.code}/archive/").content.decode()
    assert "命名" in archive and "考核结论" in archive
    assert admin.get("/villages/staff/standards/").status_code == 200
    assert "县级称号覆盖率" in admin.get("/villages/staff/dashboard/").content.decode()


def test_the_bureau_edits_the_checklist_on_its_page(county_admin, town_staff):
    from xiangzhi.villages.models import Standard

    lines = "民主|四议两公开|60\n法治|法治宣传|40\n否决|村霸问题|否决"
    assert town_staff.client().post("/villages/staff/standards/", {"name": "x", "level": "county", "pass_mark": "80",
                                                                  "indicators": lines}).status_code == 404
    county_admin.client().post("/villages/staff/standards/", {"name": "县级标准2026", "level": "county",
                                                              "pass_mark": "80", "indicators": lines})
    std = Standard.objects.get(is_active=True, level="county")
    assert std.name == "县级标准2026" and std.indicators.filter(is_veto=True).count() == 1
    assert std.indicators.count() == 3


def test_an_api_token_needs_a_villages_scope(county_admin):
    from django.test import Client

    from xiangzhi.core import services

    def get(token):  # noqa: ANN001, ANN202
        return Client().get("/api/v1/villages/dashboard", HTTP_AUTHORIZATION=f"Bearer {token}")

    read = services.issue_api_token(county_admin.user, name="看板", actor=None, scopes=["villages:read"])
    assert get(read).status_code == 200
    other = services.issue_api_token(county_admin.user, name="普法", actor=None, scopes=["outreach:read"])
    r = get(other)
    assert r.status_code == 403 and r.json()["code"] == "TOKEN_SCOPE"
    r = Client().post("/api/v1/villages/titles/1/review", {"outcome": "keep", "reviewed_on": "2026-01-01"},
                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {read}")
    assert r.status_code == 403 and r.json()["code"] == "TOKEN_SCOPE"


def test_a_refused_application_leaves_nothing_behind(standards, town_staff, wz_village):
    from xiangzhi.villages.models import CreationRecord

    r = town_staff.client().post(f"/api/v1/villages/records/{wz_village.code}/applications", {"level": "county"},
                                 content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "NOT_READY"
    assert not CreationRecord.objects.filter(region=wz_village).exists()
