"""The 智能咨询 demand dashboard: rising topics (近 7 天对比前 4 周周均), top questions, scoping, the page."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import CHONGFU, WUZHEN
from xiangzhi.consultation import selectors
from xiangzhi.consultation.models import Conversation, Event, Question

# Days ago of one question in each of the 4 base weeks (all inside [now − 35 d, now − 7 d)).
BASE_DAYS = (10, 17, 24, 31)


def _ask(topic: str, days_ago: float, *, town: str = WUZHEN, n: int = 1, kind: str = Event.Kind.QUESTION,
         question: Question | None = None) -> None:
    at = timezone.now() - dt.timedelta(days=days_ago)
    Event.objects.bulk_create([Event(kind=kind, town_code=town, topic=topic, at=at, question=question)
                               for _ in range(n)])


def _weekly(topic: str, per_week: int, this_week: int, *, town: str = WUZHEN) -> None:
    """``per_week`` questions in each of the 4 base weeks, ``this_week`` in the last 7 days."""
    for days in BASE_DAYS:
        _ask(topic, days, town=town, n=per_week)
    _ask(topic, 1, town=town, n=this_week)


@pytest.fixture
def demand(tongxiang):
    """Questions in 乌镇镇, 崇福镇 and of unknown town, shaped so that the expected rising list is known."""
    _weekly("借贷纠纷", 4, 10)      # avg 4.0 → 10: +6.0 ×2.5 (largest absolute rise, smaller ratio)
    _weekly("劳动争议", 1, 6)       # avg 1.0 → 6: +5.0 ×6.0
    _ask("劳动争议", 40, n=10)      # older than the 4 base weeks: must not raise the average
    _ask("土地承包", 2, n=4)        # new this week with 4 → 新出现, +4.0
    _weekly("物业服务", 6, 9)       # avg 6.0 → 9: exactly ×1.5, +3.0 — rising (the bound is inclusive); more
                                    # questions than 劳动争议 and 土地承包 but a smaller rise, so it sorts after them
    _weekly("相邻关系", 3, 4)       # avg 3.0 → 4: ×1.33 — not enough
    _weekly("婚姻家庭", 3, 3)       # flat
    _ask("婚姻家庭", 1, n=20, kind=Event.Kind.ANSWER)  # other event kinds do not count as questions
    _ask("继承", 1, n=2)            # new but only 2 this week
    _weekly("赡养", 5, 1)           # falling
    _ask("", 1, n=8)                # no topic: not a topic at all
    _ask("医疗纠纷", 1, town=CHONGFU, n=9)  # another town: new and rising there
    _ask("交通事故", 1, town="", n=7)       # unknown town: only county users see it


WUZHEN_RISING = [
    {"topic": "借贷纠纷", "this_week": 10, "prev_avg": 4.0, "change": 6.0, "ratio": 2.5, "new": False},
    {"topic": "劳动争议", "this_week": 6, "prev_avg": 1.0, "change": 5.0, "ratio": 6.0, "new": False},
    {"topic": "土地承包", "this_week": 4, "prev_avg": 0.0, "change": 4.0, "ratio": None, "new": True},
    {"topic": "物业服务", "this_week": 9, "prev_avg": 6.0, "change": 3.0, "ratio": 1.5, "new": False},
]


def test_rising_topics_are_the_rising_ones_sorted_by_absolute_increase(demand, town_staff):
    assert selectors.demand_dashboard(town_staff.user)["rising"] == WUZHEN_RISING


def test_a_town_user_sees_only_their_towns_rising_topics(demand, town_staff, other_town_staff, county_admin):
    wuzhen = [r["topic"] for r in selectors.demand_dashboard(town_staff.user)["rising"]]
    assert "医疗纠纷" not in wuzhen and "交通事故" not in wuzhen
    assert selectors.demand_dashboard(other_town_staff.user)["rising"] == [
        {"topic": "医疗纠纷", "this_week": 9, "prev_avg": 0.0, "change": 9.0, "ratio": None, "new": True},
    ]
    county = [r["topic"] for r in selectors.demand_dashboard(county_admin.user)["rising"]]
    assert county == ["医疗纠纷", "交通事故", "借贷纠纷", "劳动争议", "土地承包", "物业服务"]


def test_rising_keeps_the_top_ten(tongxiang, county_admin):
    for i in range(12):
        _ask(f"主题{i:02d}", 1, n=3 + i)
    rising = selectors.demand_dashboard(county_admin.user)["rising"]
    assert [r["topic"] for r in rising] == [f"主题{i:02d}" for i in range(11, 1, -1)]


def test_the_base_weeks_count_even_when_the_dashboard_period_is_shorter(demand, town_staff):
    rising = selectors.demand_dashboard(town_staff.user, weeks=1)["rising"]
    assert rising == WUZHEN_RISING


def test_top_questions_are_grouped_by_text_in_the_users_regions(tongxiang, town_staff):
    conv = Conversation.objects.create(token=secrets.token_urlsafe(12), visitor_id="v-top")

    def asked(text: str, times: int, town: str = WUZHEN, days_ago: float = 1) -> None:
        for _ in range(times):
            q = Question.objects.create(conversation=conv, text=text, topic="劳动争议")
            _ask("劳动争议", days_ago, town=town, question=q)

    asked("试用期可以随便辞退吗", 3)  # most asked, though last in text order
    asked("公司拖欠工资怎么办", 1)
    asked("没有签劳动合同能要双倍工资吗", 2)
    asked("崇福的问题", 5, town=CHONGFU)
    asked("很久以前的问题", 4, days_ago=70)  # outside the 8-week period
    top = selectors.demand_dashboard(town_staff.user)["top_questions"]
    assert top == [("试用期可以随便辞退吗", 3), ("没有签劳动合同能要双倍工资吗", 2), ("公司拖欠工资怎么办", 1)]


def test_the_dashboard_query_count_does_not_grow_with_events(tongxiang, town_staff):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.demand_dashboard(town_staff.user)
        return len(ctx.captured_queries)

    _weekly("借贷纠纷", 1, 3)
    count()  # the user's jurisdiction codes are cached on the user after the first call
    first = count()
    _weekly("借贷纠纷", 10, 30)
    _weekly("劳动争议", 5, 20)
    assert count() == first


def test_the_dashboard_page_shows_rising_topics(demand, town_staff):
    page = town_staff.client().get(reverse("consultation:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "上升主题（近 7 天对比前 4 周周均）" in html
    section = html.split("上升主题（近 7 天对比前 4 周周均）", 1)[1].split("<h2>", 1)[0]
    for head in ("主题", "近7天", "前4周周均", "变化"):
        assert re.search(rf"<th[^>]*>{head}</th>", section), head
    assert 'class="table-wrap"' in section
    assert "暂无明显上升的主题" not in section
    assert '<td>借贷纠纷</td><td>10</td><td>4.0</td><td>+6.0 <span class="small muted">×2.5</span></td>' in section
    assert "<td>土地承包</td><td>4</td><td>0.0</td><td>新出现</td>" in section
    order = [section.index(f"<td>{t}</td>") for t in ("借贷纠纷", "劳动争议", "土地承包", "物业服务")]
    assert order == sorted(order)
    assert "婚姻家庭" not in section and "医疗纠纷" not in section


def test_the_dashboard_page_says_when_nothing_rises(tongxiang, town_staff):
    _weekly("婚姻家庭", 3, 3)
    html = town_staff.client().get(reverse("consultation:dashboard")).content.decode()
    section = html.split("上升主题（近 7 天对比前 4 周周均）", 1)[1].split("<h2>", 1)[0]
    assert "暂无明显上升的主题" in section
    assert "<table" not in section


def test_the_dashboard_is_not_for_a_mediator(demand, mediator):
    assert mediator.client().get(reverse("consultation:dashboard")).status_code == 404
