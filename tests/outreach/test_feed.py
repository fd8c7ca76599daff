"""为你推荐 (千人千面): a visitor's feed is ranked from their own events (questions, reads, town, audience) with a
cold start on the town's, then the county's, most popular; what they read is not repeated at the top; reads are
logged when an item is opened and make the reader part of the audience of 求助 on its topic; a citizen gets only
their own feed, through the page and /api/v1/outreach/feed (paginated, the one error envelope)."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import CHONGFU, WUZHEN, first_village
from tests.outreach.conftest import add_questions, fire, library_item
from xiangzhi.consultation.views.public import COOKIE
from xiangzhi.outreach import feed as ranking
from xiangzhi.outreach.models import ItemRead
from xiangzhi.outreach.services import feed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outreach_media")]


def ask(topic: str, *, visitor_id: str = "", citizen=None, town: str = WUZHEN, at: dt.datetime | None = None,
        topics: tuple[str, ...] = ()) -> None:  # noqa: ANN001
    """One question of this visitor (as consultation.ask stores it)."""
    from xiangzhi.consultation.models import Conversation, Event, Question

    village = first_village(town)
    at = at or timezone.now() - dt.timedelta(hours=1)
    conv = Conversation.objects.create(token=secrets.token_urlsafe(16), visitor_id=visitor_id or "anon",
                                       citizen=citizen, region=village, created_at=at)
    q = Question.objects.create(conversation=conv, text=f"关于{topic}的问题", topic=topic,
                                topics=[topic, *topics], created_at=at)
    Event.objects.create(kind=Event.Kind.QUESTION, visitor_id=conv.visitor_id, citizen=citizen,
                         town_code=village.code[:9], village_code=village.code[:12], topic=topic, question=q, at=at)


@pytest.fixture
def shelf(county_admin):
    """Three published items on three topics (婚姻家庭 for farmers, 劳动争议 for migrants, 借贷 for farmers)."""
    actor = county_admin.user
    return {
        "marriage": library_item(actor, title="离婚冷静期怎么算", topics=("婚姻家庭",), audiences=("women_children",)),
        "labour": library_item(actor, title="农民工讨薪指南", topics=("劳动争议",), audiences=("migrants",)),
        "loan": library_item(actor, title="借条怎么写", topics=("借贷",), audiences=("farmers",)),
    }


def titles(entries) -> list[str]:  # noqa: ANN001
    return [e.title for e in entries]


def test_cold_start_is_the_towns_most_popular_then_the_countys(shelf):
    add_questions("劳动争议", 5, at=timezone.now(), town=WUZHEN, spread=dt.timedelta(days=3))
    add_questions("借贷", 8, at=timezone.now(), town=CHONGFU, spread=dt.timedelta(days=3))
    in_wuzhen = feed.feed_for(feed.Viewer(visitor_id="new-phone", town_code=WUZHEN))
    assert titles(in_wuzhen)[0] == "农民工讨薪指南" and in_wuzhen[0].reasons == ["本镇热门"]
    assert titles(feed.feed_for(feed.Viewer(visitor_id="new-phone", town_code=CHONGFU)))[0] == "借条怎么写"
    nowhere = feed.feed_for(feed.Viewer(visitor_id="new-phone"))  # town unknown: the county's most popular
    assert titles(nowhere)[:2] == ["借条怎么写", "农民工讨薪指南"] and nowhere[0].reasons == ["全县热门"]
    quiet_town = "330483103"  # a town without events: the county's
    assert titles(feed.feed_for(feed.Viewer(visitor_id="new-phone", town_code=quiet_town)))[0] == "借条怎么写"


def test_a_visitors_own_topics_rank_first_over_the_towns_popular(shelf):
    add_questions("劳动争议", 9, at=timezone.now(), town=WUZHEN, spread=dt.timedelta(days=3))
    ask("婚姻家庭", visitor_id="me", town=WUZHEN)
    mine = feed.feed_for(feed.Viewer(visitor_id="me"))  # the town comes from the visitor's own questions
    assert titles(mine)[:2] == ["离婚冷静期怎么算", "农民工讨薪指南"]
    assert "您关心“婚姻家庭”" in mine[0].reasons
    other = feed.feed_for(feed.Viewer(visitor_id="someone-else", town_code=WUZHEN))
    assert titles(other)[0] == "农民工讨薪指南"  # my questions do not shape anyone else's feed


def test_recent_topics_weigh_more(shelf):
    now = timezone.now()
    ask("借贷", visitor_id="me", at=now - dt.timedelta(days=120))
    ask("婚姻家庭", visitor_id="me", at=now - dt.timedelta(days=2))
    assert titles(feed.feed_for(feed.Viewer(visitor_id="me"), now=now))[:2] == ["离婚冷静期怎么算", "借条怎么写"]


def test_a_declared_audience_counts_when_nothing_else_is_known(shelf):
    declared = feed.feed_for(feed.Viewer(visitor_id="newcomer", audience="migrants"))
    assert titles(declared)[0] == "农民工讨薪指南" and "适合外出务工人员" in declared[0].reasons


def test_already_read_items_are_not_repeated_at_the_top(shelf, county_admin):
    second = library_item(county_admin.user, title="彩礼要不要退", topics=("婚姻家庭",))
    ask("婚姻家庭", visitor_id="me")
    assert feed.record_read(shelf["marriage"], feed.Viewer(visitor_id="me", town_code=WUZHEN)) is not None
    entries = feed.feed_for(feed.Viewer(visitor_id="me"))
    assert entries[0].obj == second and not entries[0].read
    assert entries[-1].obj == shelf["marriage"] and entries[-1].read  # still there, after every unread one


def test_what_a_visitor_reads_shapes_their_feed_like_what_they_ask(shelf, county_admin):
    from xiangzhi.outreach.models import LibraryItem

    more = library_item(county_admin.user, title="利息最高能约定多少", topics=("借贷",), audiences=("farmers",))
    LibraryItem.objects.filter(pk=more.pk).update(published_at=timezone.now() - dt.timedelta(days=30))  # the oldest
    add_questions("劳动争议", 4, at=timezone.now(), town=WUZHEN, spread=dt.timedelta(days=3))
    feed.record_read(shelf["loan"], feed.Viewer(visitor_id="reader", town_code=WUZHEN))
    cold = titles(feed.feed_for(feed.Viewer(visitor_id="stranger", town_code=WUZHEN)))
    assert cold[0] == "农民工讨薪指南" and cold[-1] == "利息最高能约定多少"
    entries = feed.feed_for(feed.Viewer(visitor_id="reader"))  # town: the one the read came from
    assert titles(entries) == ["农民工讨薪指南", "利息最高能约定多少", "离婚冷静期怎么算", "借条怎么写"]
    assert "您关心“借贷”" in entries[1].reasons and entries[-1].read


def test_opening_an_item_logs_one_read_per_visit_and_gives_a_visitor_id(shelf):
    c = Client()
    url = f"/outreach/library/{shelf['loan'].pk}/"
    first = c.get(url)
    assert first.status_code == 200 and COOKIE in first.cookies
    c.get(url)  # a reload within the dedupe time is the same read
    read = ItemRead.objects.get()
    assert read.item == shelf["loan"] and read.visitor_id == first.cookies[COOKIE].value and read.citizen is None
    assert feed.feed_for(feed.Viewer(visitor_id=read.visitor_id))[-1].title == "借条怎么写"  # read → last
    later = timezone.now() + feed.READ_DEDUPE + dt.timedelta(minutes=1)
    assert feed.record_read(shelf["loan"], feed.Viewer(visitor_id=read.visitor_id), now=later) is not None
    assert ItemRead.objects.count() == 2


def test_unpublished_items_are_neither_read_nor_recommended(shelf, county_admin):
    from xiangzhi.outreach.services import library

    library.set_published(shelf["loan"], actor=county_admin.user, published=False)
    assert feed.record_read(shelf["loan"], feed.Viewer(visitor_id="me")) is None
    assert "借条怎么写" not in titles(feed.feed_for(feed.Viewer(visitor_id="me")))
    assert Client().get(f"/outreach/library/{shelf['loan'].pk}/").status_code == 404
    assert not ItemRead.objects.exists()


def test_the_feed_page_shows_the_visitors_own_feed_and_keeps_a_declared_audience(shelf):
    ask("借贷", visitor_id="phone-1")
    mine = Client()
    mine.cookies[COOKIE] = "phone-1"
    page = mine.get("/outreach/feed/").content.decode()
    assert page.index("借条怎么写") < page.index("离婚冷静期怎么算") and "您关心“借贷”" in page
    stranger = Client()
    stranger.cookies[COOKIE] = "phone-2"
    assert "您关心“借贷”" not in stranger.get("/outreach/feed/").content.decode()
    declared = stranger.get("/outreach/feed/?audience=migrants")
    assert declared.cookies["xz_audience"].value == "migrants"
    assert "适合外出务工人员" in stranger.get("/outreach/feed/").content.decode()
    home = Client().get("/").content.decode()
    assert "/outreach/feed/" in home and "/outreach/library/" in home and "/outreach/top-ten/" in home
    assert "/outreach/feed/" in Client().get("/outreach/library/").content.decode()


def test_the_api_gives_a_citizen_their_own_feed_paginated(shelf, villager_a, villager_b, lawyer):
    user_a, client_a = villager_a
    ask("婚姻家庭", citizen=user_a, visitor_id="a-phone")
    add_questions("借贷", 6, at=timezone.now(), town=WUZHEN, spread=dt.timedelta(days=2))
    body = client_a.get("/api/v1/outreach/feed?limit=2").json()
    assert set(body) == {"items", "count", "next"} and body["count"] == 3 and "offset=2" in body["next"]
    first = body["items"][0]
    assert first["key"] == f"item:{shelf['marriage'].pk}" and first["kind"] == "item" and first["read"] is False
    assert first["url"] == f"/outreach/library/{shelf['marriage'].pk}/" and "您关心“婚姻家庭”" in first["reasons"]
    _, client_b = villager_b
    other = client_b.get(f"/api/v1/outreach/feed?citizen={user_a.pk}&visitor_id=a-phone").json()
    assert other["items"][0]["key"] == f"item:{shelf['loan'].pk}"  # B's own (cold) feed, whatever B passes
    assert all("婚姻家庭" not in " ".join(i["reasons"]) for i in other["items"])
    anonymous = Client().get("/api/v1/outreach/feed")
    assert anonymous.status_code == 401 and set(anonymous.json()) >= {"code", "message", "detail"}
    staff = lawyer.client().get("/api/v1/outreach/feed")
    assert staff.status_code == 403 and staff.json()["code"] == "CITIZEN_ONLY"
    bad = client_a.get("/api/v1/outreach/feed?audience=pirates")
    assert bad.status_code == 422 and set(bad.json()) >= {"code", "message", "detail"}


def test_readers_of_a_topic_join_the_audience_of_its_alert(rule, shelf, villager_a, county_admin):
    user_a, _ = villager_a
    now = timezone.now()
    feed.record_read(shelf["marriage"], feed.Viewer(citizen=user_a, visitor_id="a-phone", town_code=CHONGFU),
                     now=now - dt.timedelta(hours=2))
    feed.record_read(shelf["marriage"], feed.Viewer(visitor_id="reader-2", town_code=WUZHEN),
                     now=now - dt.timedelta(hours=3))
    feed.record_read(shelf["labour"], feed.Viewer(visitor_id="other-topic"), now=now - dt.timedelta(hours=1))
    feed.record_read(shelf["marriage"], feed.Viewer(visitor_id="too-early"), now=now - dt.timedelta(days=3))
    alert = fire(rule, now=now)
    keys = set(alert.deliveries.values_list("recipient_key", flat=True))
    assert {f"c:{user_a.pk}", "v:reader-2"} <= keys
    assert "v:other-topic" not in keys and "v:too-early" not in keys
    assert len(keys) == 12 + 2
    reader = alert.deliveries.get(recipient_key=f"c:{user_a.pk}")
    assert reader.citizen == user_a and reader.phone == "13800000001"


def test_a_published_answer_is_recommended_to_those_who_asked_its_topic(rule, shelf, lawyer_wz, articles):
    from xiangzhi.disputes.services.uploads import Upload
    from xiangzhi.outreach.media import wav_tone
    from xiangzhi.outreach.services.answers import submit_answer
    from xiangzhi.outreach.services.claims import claim

    alert = claim(fire(rule, now=timezone.now()), actor=lawyer_wz.user)
    alert = submit_answer(alert, actor=lawyer_wz.user, text="离婚可以先调解。", citations=articles,
                          upload=Upload(name="a.wav", content=wav_tone(1.0)))
    ask("婚姻家庭", visitor_id="asker")
    entries = feed.feed_for(feed.Viewer(visitor_id="asker"))
    assert {e.kind for e in entries[:2]} == {"item", "answer"}
    answer = next(e for e in entries if e.kind == "answer")
    assert answer.obj == alert and answer.url == f"/outreach/answers/{alert.pk}/"
    assert "离婚可以先调解" in Client().get(answer.url).content.decode()


def test_the_feed_costs_the_same_few_queries_however_much_there_is(shelf, county_admin, django_assert_max_num_queries):
    ask("婚姻家庭", visitor_id="me")
    feed.record_read(shelf["loan"], feed.Viewer(visitor_id="me", town_code=WUZHEN))
    with django_assert_max_num_queries(8):
        small = feed.feed_for(feed.Viewer(visitor_id="me"))
    for i in range(15):
        library_item(county_admin.user, title=f"资源{i}", topics=("合同",))
        ask("合同", visitor_id=f"other-{i}")
    with django_assert_max_num_queries(8):
        large = feed.feed_for(feed.Viewer(visitor_id="me"))
    assert len(small) == 3 and len(large) == 18


def test_ranking_is_pure_and_tiers_read_candidates_last():
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    pool = [ranking.Candidate("item:1", ("借贷",), (), now), ranking.Candidate("item:2", ("婚姻家庭",), (), now),
            ranking.Candidate("answer:3", ("婚姻家庭",), (), now, town="330483107")]
    profile = ranking.Profile(signals=[ranking.Signal("婚姻家庭", now, ranking.ASKED)], read={"item:2": now},
                              town="330483100")
    out = ranking.rank(pool, profile, town_popularity={}, county_popularity={"item:1": 5}, now=now)
    assert [r.candidate.key for r in out] == ["item:1", "item:2"]  # another town's answer left out; read one last
    assert ranking.precision_recall_at(["a", "b", "c"], {"b", "x"}, k=2) == (0.5, 0.5)
