"""The public mobile site and the staff workbench shell, as a villager and a mediator see them."""

import pytest

from tests.browser.conftest import assert_fits_width, login_staff, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_villager_sees_the_four_service_entries_on_a_360px_phone(live_server, phone_page, tongxiang):
    page = phone_page
    page.goto(live_server.url + "/")
    for label in ("申请调解", "查询案件", "法律咨询", "找法律顾问"):
        assert page.get_by_text(label, exact=True).first.is_visible()
    assert page.get_by_text("桐乡市法治乡村服务").is_visible()
    assert page.locator(".chips li").count() == 11
    assert_fits_width(page)
    # Chinese glyphs must render with a real CJK font, not tofu boxes: a CJK string is wider than its ASCII length
    width = page.evaluate("""() => { const s = document.createElement('span'); s.textContent = '桐乡市法治乡村';
        document.body.appendChild(s); const w = s.getBoundingClientRect().width; s.remove(); return w; }""")
    assert width > 7 * 10
    screenshot(page, "home-360")


def test_a_villager_finds_the_mediation_committee_of_their_village(live_server, phone_page, tongxiang):
    page = phone_page
    page.goto(live_server.url + "/advisers/")
    page.select_option("#town", "330483100")
    page.wait_for_selector(".village-list a")
    page.locator(".village-list a").first.click()
    page.wait_for_selector(".adviser")
    assert page.get_by_text("人民调解委员会").first.is_visible()
    assert_fits_width(page)
    screenshot(page, "advisers-360")


def test_a_mediator_signs_in_and_sees_roles_and_menu(live_server, phone_page, mediator):
    page = phone_page
    login_staff(page, live_server.url, mediator.user.username, PASSWORD)
    assert page.get_by_role("heading", name="我的角色与管辖范围").is_visible()
    assert page.get_by_text("人民调解员").first.is_visible()
    assert page.locator(".staffnav a").count() >= 3
    assert_fits_width(page)
    screenshot(page, "workbench-360")


def test_the_workbench_header_stays_one_row_on_a_360px_phone(live_server, phone_page, grid_worker):
    """A grid worker's place is long ("东苑社区第1网格"): 退出 wrapped onto a second row of its own; the place gives way
    (cut with …, in full in its tooltip) and the header stays one row."""
    grid_worker.user.display_name = "网格员 朱丽"
    grid_worker.user.save(update_fields=["display_name"])
    page = phone_page
    login_staff(page, live_server.url, grid_worker.user.username, PASSWORD)
    brand = page.locator(".staffbar .brand").bounding_box()
    logout = page.locator(".staffbar form.inline button").bounding_box()
    assert abs((logout["y"] + logout["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 4, (brand, logout)
    label = page.locator(".staffbar .region-label")
    assert label.get_attribute("title") == grid_worker.region.display_name
    assert_fits_width(page)
    screenshot(page, "workbench-header-grid-360")
