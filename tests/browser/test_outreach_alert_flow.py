"""精准普法 end to end on 360-px phones: questions on one topic arrive → the alert fires → two lawyers try to claim,
one wins and the other is told → the winner uploads an audio answer → a villager who asked sees it in the inbox and
plays it."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.conftest import assert_fits_width, login_staff, phone_context, screenshot
from tests.conftest import PASSWORD, WUZHEN, first_village
from tests.consultation.conftest import subset_engine, subset_gz  # noqa: F401 - fixtures
from tests.outreach.conftest import add_questions, lawyer_county, lawyer_wz  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_questions_fire_an_alert_one_lawyer_wins_and_the_villager_plays_the_answer(
        live_server, browser, phone_page, request, settings, tmp_path, tongxiang, county_admin, lawyer_wz,  # noqa: F811
        lawyer_county):  # noqa: F811
    from xiangzhi.consultation import services
    from xiangzhi.consultation.models import Question
    from xiangzhi.outreach import media
    from xiangzhi.outreach.enums import AlertState, DeliveryState
    from xiangzhi.outreach.models import Alert
    from xiangzhi.outreach.services.alerts import evaluate, save_rule

    services.load_laws(request.getfixturevalue("subset_gz"), actor=None)
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    settings.STORAGES = {**settings.STORAGES, "outreach": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    from django.core.files.storage import storages

    storages._storages.pop("outreach", None)
    services.set_engine(request.getfixturevalue("subset_engine"))

    # a villager asks the robot on their phone
    villager = phone_page
    villager.goto(f"{live_server.url}/consult/?v={first_village(WUZHEN).code}")
    villager.fill("#question", "我和丈夫感情破裂想离婚，孩子的抚养权归谁")
    villager.get_by_role("button", name="提问").click()
    villager.wait_for_selector(".cites a")
    topic = Question.objects.get().topic
    assert topic
    # … and many others ask about the same topic: the bureau's rule fires after its pending period
    now = timezone.now()
    add_questions(topic, 11, at=now, spread=dt.timedelta(hours=5))
    save_rule(None, {"name": "热点", "topic": topic, "window_hours": 24, "threshold": 10, "release_level": 5,
                     "baseline_days": 28, "burst_p": 0.001, "pending_minutes": 30, "keep_firing_minutes": 720,
                     "claim_hours": 48, "needs_review": False}, actor=county_admin.user)
    evaluate(now=now + dt.timedelta(minutes=1))
    evaluate(now=now + dt.timedelta(minutes=31))
    alert = Alert.objects.get()
    assert alert.deliveries.count() == 12

    # two lawyers open the 求助 on their phones; the first claims it, the second is told it is taken
    ctx_a, a = phone_context(browser)
    ctx_b, b = phone_context(browser)
    for page, who in ((a, lawyer_wz), (b, lawyer_county)):
        login_staff(page, live_server.url, who.user.username, PASSWORD)
        page.goto(f"{live_server.url}/outreach/staff/")
        page.get_by_role("link", name=topic).first.click()
        page.wait_for_selector("text=问题示例")
    a.get_by_role("button", name="抢单").click()
    a.wait_for_selector("text=抢单成功")
    b.get_by_role("button", name="抢单").click()
    b.wait_for_selector("text=已被其他律师抢先认领")
    assert_fits_width(b)
    screenshot(b, "outreach-claim-lost-360")

    # the winner answers with an audio file
    a.fill("textarea[name=text]", "离婚可以先协商或调解，协商不成可以起诉；孩子抚养以最有利于未成年子女为原则。")
    a.fill("input[name=citations]", "民法典-1079,民法典-1084")
    a.set_input_files("input[name=media]", files=[{"name": "解答.wav", "mimeType": "audio/wav",
                                                   "buffer": media.wav_tone(3.0)}])
    a.get_by_role("button", name="提交解答").click()
    a.wait_for_selector("text=已发布并推送")
    assert_fits_width(a)
    screenshot(a, "outreach-answer-published-360")
    ctx_a.close()
    ctx_b.close()
    alert.refresh_from_db()
    assert alert.state == AlertState.PUBLISHED and alert.claimed_by == lawyer_wz.user

    # the villager who asked finds it in the inbox and plays it
    villager.goto(f"{live_server.url}/outreach/inbox/")
    villager.wait_for_selector("article.answer audio")
    villager.locator("article.answer h2").click()
    duration = villager.evaluate("""async () => {
        const a = document.querySelector('article.answer audio');
        if (a.readyState < 1) await new Promise(r => a.addEventListener('loadedmetadata', r, {once: true}));
        await a.play();
        await new Promise(r => setTimeout(r, 300));
        a.pause();
        return a.duration;
    }""")
    assert duration == pytest.approx(3.0, abs=0.05)
    assert_fits_width(villager)
    screenshot(villager, "outreach-inbox-360")
    mine = alert.deliveries.get(visitor_id=Question.objects.filter(text__contains="感情破裂").get().conversation.visitor_id)
    for _ in range(20):
        mine.refresh_from_db()
        if mine.state == DeliveryState.OPENED:
            break
        villager.wait_for_timeout(100)
    assert mine.state == DeliveryState.OPENED
    services.set_engine(None)
