"""A villager asks the robot on a 360-px phone, opens a cited article, rates the answer and asks for a human."""

import pytest

from tests.browser.conftest import assert_fits_width, login_staff, phone_context, screenshot
from tests.conftest import PASSWORD, WUZHEN, first_village
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


def test_a_legal_worker_claims_and_answers_on_a_phone_and_the_villager_sees_the_reply(
        live_server, browser, phone_page, request, settings, tmp_path, lawyer):
    from xiangzhi.consultation import services
    from xiangzhi.consultation.models import Handoff
    from xiangzhi.core.models import Notification

    services.load_laws(request.getfixturevalue("subset_gz"), actor=None)
    settings.XIANGZHI_PUBLIC_URL = live_server.url  # the base of the links in SMS
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    services.set_engine(request.getfixturevalue("subset_engine"))
    village = first_village(WUZHEN)  # the villager scanned their village's code
    villager = phone_page
    villager.goto(f"{live_server.url}/consult/?v={village.code}")
    villager.fill("#question", "我在厂里干了三个月，老板一直拖欠工资不给，还说我是试用期")
    villager.get_by_role("button", name="提问").click()
    villager.wait_for_selector(".cites a")
    villager.fill(".actions .phone", "13812345678")
    villager.get_by_role("button", name="转人工").first.click()
    villager.wait_for_selector("text=并短信通知您")

    context, worker = phone_context(browser)
    login_staff(worker, live_server.url, lawyer.user.username, PASSWORD)
    worker.goto(f"{live_server.url}/consult/workbench/")
    worker.get_by_role("link", name="拖欠工资").first.click()
    worker.get_by_role("button", name="认领").click()
    worker.wait_for_selector("text=已认领")
    # the worker sees what the robot cited, with the start of each article, before answering
    assert worker.locator(".cites a").count() >= 1 and worker.get_by_text("机器人引用").is_visible()
    worker.fill("#text", "试用期也应足额支付工资，且不得低于最低工资标准。可先与老板协商，协商不成可向劳动监察部门投诉或申请劳动仲裁。")
    assert_fits_width(worker)
    screenshot(worker, "consult-worker-handoff-360")
    worker.get_by_role("button", name="发送答复").click()
    worker.wait_for_selector("text=已答复，群众会收到通知")
    context.close()

    handoff = Handoff.objects.get()
    assert handoff.status == "answered" and handoff.region == village
    sms = Notification.objects.get(dedupe_key=f"consult-reply:{handoff.pk}")
    assert sms.recipient_phone == "13812345678" and f"/consult/c/{handoff.conversation.token}/" in sms.link
    assert sms.link == f"{live_server.url}/consult/c/{handoff.conversation.token}/"
    villager.goto(sms.link)  # the link in the SMS, as the villager's phone opens it
    villager.wait_for_selector("text=工作人员答复")
    assert villager.get_by_text("劳动仲裁").is_visible()
    assert_fits_width(villager)
    screenshot(villager, "consult-reply-seen-360")
    services.set_engine(None)


def test_the_kiosk_of_a_service_terminal_asks_in_large_type(live_server, browser, request, settings, tmp_path):
    from xiangzhi.consultation import services
    from xiangzhi.consultation.models import Event

    services.load_laws(request.getfixturevalue("subset_gz"), actor=None)
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    services.set_engine(request.getfixturevalue("subset_engine"))
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN", has_touch=True)
    page = context.new_page()  # a portrait touch-screen terminal in a village service hall
    page.goto(f"{live_server.url}/consult/?kiosk=1")
    page.fill("#question", "离婚后孩子归谁抚养")
    page.get_by_role("button", name="提问").click()
    page.wait_for_selector(".cites a")
    assert "kiosk=1" in page.url  # still in kiosk mode after the answer
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.bubble.reply p')).fontSize)")
    button = page.get_by_role("button", name="提问").bounding_box()
    assert size >= 20 and button["height"] >= 48  # large type, buttons a finger can hit
    assert_fits_width(page)
    screenshot(page, "consult-kiosk")
    assert Event.objects.filter(kind="question", channel="terminal").exists()
    assert page.get_by_role("link", name="群众登录").count() == 0  # nobody logs in on a shared screen
    page.locator(".cites a").first.click()  # an article opened at the terminal stays in large type
    page.wait_for_selector("text=版本日期")
    assert "kiosk" in page.evaluate("document.body.className")
    page.get_by_role("link", name="返回咨询").click()
    page.get_by_role("button", name="结束咨询").click()  # the villager leaves: the screen is cleared for the next
    page.wait_for_selector("text=您好！请问遇到了什么法律问题")
    assert page.get_by_text("离婚后孩子归谁抚养").count() == 0
    settings.XIANGZHI_KIOSK_IDLE_SECONDS = 2  # and if they just walk away, the terminal clears itself
    page.fill("#question", "老板拖欠工资怎么办")
    page.get_by_role("button", name="提问").click()
    page.wait_for_selector(".cites a")
    page.wait_for_selector("text=您好！请问遇到了什么法律问题", timeout=15_000)
    assert page.get_by_text("老板拖欠工资").count() == 0 and "kiosk=1" in page.url
    context.close()
    services.set_engine(None)


def test_without_any_law_loaded_a_villagers_question_goes_to_a_person(live_server, phone_page, settings, tmp_path,
                                                                      tongxiang):
    """A bare installation: the question is kept and handed over with plain words, and a phone can be left."""
    from xiangzhi.consultation import services
    from xiangzhi.consultation.models import Handoff

    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    services.set_engine(None)
    page = phone_page
    page.goto(live_server.url + "/consult/")
    page.fill("#question", "我在工地上摔伤了，老板不给医药费怎么办")
    page.get_by_role("button", name="提问").click()
    page.wait_for_selector("text=您的问题已转给法律工作者")
    assert page.get_by_text("已转人工").is_visible()
    assert "load_laws" not in page.content() and "知识库" not in page.content()
    page.fill(".actions .phone", "13812345678")
    page.get_by_role("button", name="留下手机号").click()
    page.wait_for_selector("text=并短信通知您")
    assert_fits_width(page)
    screenshot(page, "consult-no-law-360")
    assert Handoff.objects.get().phone == "13812345678"
    services.set_engine(None)


def test_a_worksite_injury_answer_guides_the_villager_on_a_phone(live_server, phone_page, request, settings, tmp_path,
                                                                 tongxiang):
    """Kind (labour and injury) → what to do next, with the one-tap mediation link → time limits and evidence → the
    articles, readable at 360 px."""
    from tests.consultation.conftest import ensure_guidance
    from xiangzhi.consultation import services
    from xiangzhi.disputes.services import routing

    ensure_guidance()  # a transactional test flushed what the data migrations seeded
    routing.ensure_reference_data()
    services.load_laws(request.getfixturevalue("subset_gz"), actor=None)
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    engine = request.getfixturevalue("subset_engine")
    real = engine.answer

    def answer(text, **kw):  # the engine names both kinds of a worksite injury (the ``topics`` it gives)
        ans = real(text, **kw)
        ans.topics, ans.topic, ans.handoff, ans.ambiguous = ["劳动争议", "损害赔偿"], "劳动争议", False, False
        return ans

    engine.answer = answer
    services.set_engine(engine)
    try:
        page = phone_page
        page.goto(f"{live_server.url}/consult/?v={first_village(WUZHEN).code}")
        page.fill("#question", "在工地上干活摔伤了，老板不给工伤赔偿也不给工资")
        page.get_by_role("button", name="提问").click()
        page.wait_for_selector(".steps")
        latest = page.locator("#latest")
        assert latest.locator(".kind").all_inner_texts() == ["劳动争议", "损害赔偿"]
        assert latest.get_by_text("您可以这样做").is_visible() and latest.get_by_text("申请劳动仲裁", exact=True).is_visible()
        assert latest.locator(".limits").get_by_text("工伤保险条例第17条").is_visible()
        assert latest.locator(".evidence li").count() >= 5 and latest.locator(".cites a").count() >= 1
        tap = latest.locator("a.tap")
        assert tap.count() == 1 and tap.bounding_box()["height"] >= 40  # a finger can hit it
        tops = [latest.locator(sel).first.bounding_box()["y"] for sel in (".kinds", ".steps", ".limits", ".evidence",
                                                                          ".cites")]
        assert tops == sorted(tops)
        assert_fits_width(page)
        screenshot(page, "consult-guide-360")
        tap.click()  # one tap to the application for mediation (the villager signs in with the phone first)
        page.wait_for_url("**/cases/apply/**")
        assert "type=labour" in page.url
    finally:
        engine.answer = real
        services.set_engine(None)
