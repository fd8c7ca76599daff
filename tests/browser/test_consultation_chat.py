"""A villager asks the robot on a 360-px phone, opens a cited article, rates the answer and asks for a human."""

import pytest

from tests.browser.conftest import assert_fits_width, screenshot
from tests.consultation.conftest import subset_engine, subset_gz  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_villager_asks_opens_an_article_rates_and_asks_for_a_human(live_server, phone_page, request, settings,
                                                                     tmp_path, tongxiang):
    from xiangzhi.consultation import services
    from xiangzhi.consultation.models import Handoff, Question

    services.load_laws(request.getfixturevalue("subset_gz"), actor=None)
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    services.set_engine(request.getfixturevalue("subset_engine"))
    page = phone_page
    page.goto(live_server.url + "/consult/")
    page.fill("#question", "邻居家的树根把我家院墙顶裂了怎么办")
    page.get_by_role("button", name="提问").click()
    page.wait_for_selector(".cites a")
    assert page.get_by_text("不是律师").first.is_visible()
    assert_fits_width(page)
    screenshot(page, "consult-chat-360")
    href = page.locator(".cites a").first.get_attribute("href")
    page.goto(live_server.url + href)
    assert page.get_by_text("版本日期").is_visible()
    assert_fits_width(page)
    screenshot(page, "consult-article-360")
    page.go_back()
    page.get_by_role("button", name="有用").first.click()
    page.wait_for_selector("text=已评价")
    page.get_by_role("button", name="转人工").first.click()
    page.wait_for_selector("text=已转人工")
    assert_fits_width(page)
    screenshot(page, "consult-handoff-360")
    q = Question.objects.latest("pk")
    assert q.rating == "useful" and Handoff.objects.filter(question=q).exists()
    services.set_engine(None)
