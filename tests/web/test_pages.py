"""Server-rendered pages: the public site shows Tongxiang; the staff shell navigates by role."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_tongxiang_and_its_11_towns(tongxiang):
    html = Client().get("/").content.decode()
    assert "桐乡市" in html
    for town in ("梧桐街道", "凤鸣街道", "高桥街道", "乌镇镇", "濮院镇", "屠甸镇", "石门镇", "河山镇", "洲泉镇", "大麻镇",
                 "崇福镇"):
        assert town in html
    for entry in ("申请调解", "查询案件", "法律咨询", "找法律顾问"):
        assert entry in html
    assert 'name="viewport"' in html and 'lang="zh-Hans"' in html


def test_no_page_loads_anything_from_outside(tongxiang):
    html = Client().get("/").content.decode()
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    assert "/static/vendor/htmx/htmx.min.js" in html


def test_the_advisers_page_leads_to_the_village_page_with_its_committee_and_town_justice_office(tongxiang):
    from tests.conftest import WUZHEN, first_village

    village = first_village(WUZHEN)
    listing = Client().get("/advisers/", {"town": WUZHEN}).content.decode()
    assert f"/network/v/{village.code}/" in listing and village.display_name in listing
    html = Client().get(f"/network/v/{village.code}/").content.decode()
    assert f"{village.display_name}人民调解委员会" in html and "乌镇镇司法所" in html
    assert Client().get("/network/v/330483999999/").status_code == 404


def test_the_workbench_requires_sign_in_and_shows_the_role(mediator):
    assert Client().get(reverse("web:workbench")).status_code == 302
    html = mediator.client().get(reverse("web:workbench")).content.decode()
    assert "人民调解员" in html and mediator.region.display_name in html


def test_citizens_cannot_open_the_workbench(villager_a):
    _user, client = villager_a
    assert client.get(reverse("web:workbench")).status_code == 404


def test_the_audit_menu_shows_only_for_auditors(auditor, mediator):
    assert "审计日志" in auditor.client().get(reverse("web:workbench")).content.decode()
    assert "审计日志" not in mediator.client().get(reverse("web:workbench")).content.decode()


def test_the_region_switcher_changes_the_current_region(tongxiang):
    from tests.conftest import make_staff

    p = make_staff("two_towns", "town_staff", "330483100")
    from xiangzhi.core import services
    from xiangzhi.core.models import Region

    services.add_membership(p.user, role="town_staff", region=Region.objects.get(code="330483107"), actor=None)
    client = p.client()
    assert "<select" in client.get(reverse("web:workbench")).content.decode()
    client.post(reverse("web:switch_region"), {"region": "330483107", "next": "/workbench/"})
    assert client.session["xz_region"] == "330483107"
    client.post(reverse("web:switch_region"), {"region": "330483001", "next": "/workbench/"})  # not theirs
    assert client.session["xz_region"] == "330483107"


def test_a_town_supervisor_adds_a_grid_from_the_village_page(town_staff, mediator):
    client = town_staff.client()
    response = client.post(f"/workbench/regions/{mediator.region.code}/", {"name": "东片网格"}, follow=True)
    assert "网格已添加" in response.content.decode()
    assert mediator.region.children.filter(name="东片网格").exists()
    # a village mediator may not add grids: the form is not offered and a POST changes nothing
    mediator.client().post(f"/workbench/regions/{mediator.region.code}/", {"name": "私建网格"})
    assert not mediator.region.children.filter(name="私建网格").exists()


def test_a_notification_whose_text_repeats_its_subject_shows_the_subject_once(mediator):
    """A new case's notice is "新纠纷案件 X 待受理" with the text "新纠纷案件 X 待受理：邻里，东苑社区。" (whole, for the
    SMS); the notifications page read "新纠纷案件 X 待受理 新纠纷案件 X 待受理：邻里，东苑社区。"."""
    from xiangzhi.core.services import notify_user

    notify_user(mediator.user, subject="新纠纷案件 桐解〔2026〕00019号 待受理",
                body="新纠纷案件 桐解〔2026〕00019号 待受理：邻里，东苑社区。", link="/cases/workbench/1/")
    notify_user(mediator.user, subject="案件 桐解〔2026〕00025号 指派给您", body="请在3个工作日内确认接案。")
    page = mediator.client().get("/workbench/notifications/").content.decode()
    assert page.count("桐解〔2026〕00019号") == 1 and "待受理</strong> 邻里，东苑社区。" in page
    assert "指派给您</strong> 请在3个工作日内确认接案。" in page


def test_password_change_enforces_the_policy(mediator):
    client = mediator.client()
    weak = client.post(reverse("web:password_change"), {"old_password": PASSWORD, "new_password": "abc"})
    assert "密码不符合要求" in weak.content.decode()
    ok = client.post(reverse("web:password_change"), {"old_password": PASSWORD, "new_password": "New-Pass-2026x"})
    assert ok.status_code == 302


def test_errors_are_friendly_chinese_pages(db, settings):
    settings.DEBUG = False
    response = Client().get("/no/such/page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_the_health_endpoints_answer(db):
    assert Client().get("/healthz").json() == {"status": "ok"}
    assert Client().get("/api/v1/health").json() == {"status": "ok"}
