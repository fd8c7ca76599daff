"""普法资源库, 为你推荐 and the 以案释法 Top 10 on a 360-px phone: the villager reaches the library from the home page,
filters it, opens an item (a read: it drops to the end of their feed), sees their feed ranked by the topic they
asked about, signs in with their phone and votes once for a case of the Top 10."""

import pytest

from tests.browser.conftest import assert_fits_width, screenshot, sms_code
from tests.conftest import WUZHEN, first_village
from tests.outreach.conftest import library_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_library_feed_and_top_ten_vote_on_a_phone(live_server, phone_page, settings, tmp_path, tongxiang,
                                                  county_admin):
    from xiangzhi.consultation.models import Conversation, Event, Question
    from xiangzhi.outreach.models import ItemRead, Vote
    from xiangzhi.outreach.services import topten

    settings.STORAGES = {**settings.STORAGES, "outreach": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    from django.core.files.storage import storages

    storages._storages.pop("outreach", None)
    admin = county_admin.user
    wage = library_item(admin, title="农民工讨薪指南", topics=("劳动争议",), audiences=("migrants",))
    library_item(admin, title="离婚冷静期怎么算", topics=("婚姻家庭",), audiences=("women_children",))
    library_item(admin, title="宅基地能不能继承", topics=("房屋宅基地",), audiences=("farmers", "elderly"))
    case = library_item(admin, kind="case", title="包工头拖欠工资案", topics=("劳动争议",), audiences=("migrants",))
    other = library_item(admin, kind="case", title="邻里通行纠纷案", topics=("邻里",), audiences=("farmers",))
    for item, score in ((case, 88), (other, 75)):
        topten.set_jury_score(topten.nominate(item, 2026, actor=admin), score, actor=admin)

    page = phone_page
    village = first_village(WUZHEN)
    page.goto(f"{live_server.url}/?v={village.code}")
    assert_fits_width(page)
    screenshot(page, "home-with-outreach-entries-360")
    page.get_by_role("link", name="普法资源库").click()
    page.wait_for_selector("h1:has-text('普法资源库')")
    page.get_by_role("link", name="外出务工人员").click()
    page.wait_for_selector("h1:has-text('外出务工人员普法清单')")
    assert page.locator("article.library-item h2").all_inner_texts() == ["包工头拖欠工资案", "农民工讨薪指南"]
    assert_fits_width(page)
    screenshot(page, "outreach-library-360")
    page.get_by_role("link", name="农民工讨薪指南").click()
    page.wait_for_selector("h1:has-text('农民工讨薪指南')")
    read = ItemRead.objects.get()
    assert read.item == wage and read.visitor_id

    # the same phone asked the robot about a marriage matter: its feed puts that topic first, the read item last
    conv = Conversation.objects.create(token="feed-browser-token", visitor_id=read.visitor_id, region=village)
    q = Question.objects.create(conversation=conv, text="离婚后孩子归谁", topic="婚姻家庭", topics=["婚姻家庭"])
    Event.objects.create(kind=Event.Kind.QUESTION, visitor_id=read.visitor_id, town_code=WUZHEN,
                         village_code=village.code, topic="婚姻家庭", question=q)
    page.goto(f"{live_server.url}/outreach/library/")
    page.get_by_role("link", name="为你推荐").first.click()
    page.wait_for_selector("h1:has-text('为你推荐')")
    titles = page.locator("article.feed-entry h2").all_inner_texts()
    assert titles[0] == "离婚冷静期怎么算" and titles[-1] == "农民工讨薪指南"
    assert "已看过" in page.locator("article.feed-entry").last.inner_text()
    assert_fits_width(page)
    screenshot(page, "outreach-feed-360")

    # the Top 10: sign in with the phone, vote once; a second vote for the same case is refused
    page.goto(f"{live_server.url}/outreach/top-ten/2026/")
    page.get_by_role("link", name="用手机号和验证码登录").click()
    page.fill("#id_phone", "13800000001")
    page.get_by_role("button", name="获取验证码").click()
    page.fill("#id_code", sms_code())
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/outreach/top-ten/2026/")
    first = page.locator("ol.ranked li").first
    assert "包工头拖欠工资案" in first.inner_text()
    first.get_by_role("button", name="投一票").click()
    page.wait_for_selector("text=投票成功")
    assert "公众投票 1 票" in page.locator("ol.ranked li").first.inner_text()
    page.locator("ol.ranked li").first.get_by_role("button", name="投一票").click()
    page.wait_for_selector("text=每个手机号每个案例只能投一票")
    assert Vote.objects.count() == 1
    assert_fits_width(page)
    screenshot(page, "outreach-top-ten-360")
