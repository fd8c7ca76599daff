"""The kiosk of a village all-in-one machine on its portrait 1080 × 1920 touch screen, and 找法律顾问 on a phone."""

import pytest

from tests.browser.conftest import assert_fits_width, screenshot
from tests.conftest import WUZHEN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kiosk_page(browser):
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, device_scale_factor=1, locale="zh-CN",
                                  has_touch=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def _served_village_with_terminal():
    from tests.network.conftest import make_adviser, make_site, make_terminal, villages_of
    from xiangzhi.network.services import directory

    village = villages_of(WUZHEN)[0]
    directory.assign_adviser(village, make_adviser(), actor=None)
    make_site(WUZHEN)
    _terminal, raw = make_terminal(village.code, "T-WZ-001")
    return village, raw


def test_the_kiosk_is_bound_by_token_and_shows_big_buttons_on_a_1080x1920_screen(live_server, kiosk_page, tongxiang):
    from xiangzhi.network.models import TerminalVisit

    village, raw = _served_village_with_terminal()
    page = kiosk_page
    page.goto(f"{live_server.url}/network/kiosk/")
    page.fill("#token", raw[:-1] + "0" if raw[-1] != "0" else raw[:-1] + "1")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("终端令牌无效")
    page.fill("#token", raw)
    page.click("button[type=submit]")
    page.wait_for_selector(".kbtn")
    # the buttons are in the DOM before the stylesheet has been applied on a loaded machine (CI measured one 17 px
    # high): measure once the page has loaded
    page.wait_for_load_state("load")
    buttons = page.locator(".kbtn")
    assert buttons.count() == 3
    for i, label in enumerate(("问法律机器人", "申请调解", "找法律顾问")):
        button = buttons.nth(i)
        assert label in button.inner_text()
        box = button.bounding_box()
        assert box["height"] >= 240 and box["width"] >= 900, (label, box)  # large touch targets
    heading = page.locator(".kiosk-head h1").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert heading >= 64
    assert "沈律师" in page.inner_text("main")
    assert_fits_width(page)
    assert page.evaluate("document.documentElement.scrollHeight") <= 1920  # one screen, no scrolling
    assert page.errors == []
    screenshot(page, "network-kiosk-1080x1920")
    assert TerminalVisit.objects.get().count == 1
    page.click("text=找法律顾问")
    page.wait_for_url(f"**/network/v/{village.code}/")
    assert page.get_by_text("沈律师").first.is_visible()


def test_a_villager_finds_their_village_adviser_on_a_360px_phone(live_server, phone_page, tongxiang):
    village, _raw = _served_village_with_terminal()
    page = phone_page
    page.goto(live_server.url + "/advisers/")
    page.select_option("#town", WUZHEN)
    page.wait_for_selector(".village-list a")
    page.click(f"a[href='/network/v/{village.code}/']")
    page.wait_for_selector(".adviser")
    assert page.get_by_text("沈律师").is_visible()
    assert page.get_by_text("139****5678").is_visible()
    page.click("#reveal")
    page.wait_for_selector("#adviser-mobile")
    assert page.inner_text("#adviser-mobile") == "13912345678"
    assert_fits_width(page)
    screenshot(page, "network-village-360")
