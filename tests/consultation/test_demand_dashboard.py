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
from xiangzhi.core.models import AuditLog

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
    assert mediator.client().get(reverse("consultation:dashboard_export")).status_code == 404


def _town(code: str) -> str:
    from xiangzhi.core.models import Region

    return Region.objects.get(code=code).name


COLUMNS = ["物业服务", "借贷纠纷", "赡养", "劳动争议", "相邻关系", "婚姻家庭", "医疗纠纷", "其他"]


def test_the_town_by_topic_table_names_the_most_asked_topics_and_adds_up_the_rest(demand, county_admin):
    # 8 weeks of questions: 物业服务 33, 借贷纠纷 26, 赡养 21, 劳动争议 20 (10 of them 40 days ago), 相邻关系 16,
    # 婚姻家庭 15 (answers do not count), 医疗纠纷 9 (崇福); the rest — 未分类 8, 交通事故 7 (unknown town),
    # 土地承包 4, 继承 2 — add up as 其他
    m = selectors.demand_dashboard(county_admin.user)["matrix"]
    assert m["topics"] == COLUMNS
    assert [(r["town"], r["total"]) for r in m["rows"]] == [(_town(WUZHEN), 145), (_town(CHONGFU), 9), ("未知", 7)]
    assert m["rows"][0]["cells"] == [(33, 4), (26, 4), (21, 3), (20, 3), (16, 2), (15, 2), (0, 0), (14, 2)]
    assert m["rows"][1]["cells"][6] == (9, 2) and m["rows"][2]["cells"][7] == (7, 1)
    assert m["totals"] == [33, 26, 21, 20, 16, 15, 9, 21] and sum(m["totals"]) == 161


def test_the_classifiers_own_topic_other_joins_the_other_column_once(tongxiang, town_staff):
    for i, topic in enumerate(["其他", "借贷纠纷", "劳动争议", "相邻关系", "婚姻家庭", "继承", "赡养", "物业服务", "医疗纠纷"]):
        _ask(topic, 2, n=20 - i)
    m = selectors.demand_dashboard(town_staff.user)["matrix"]
    assert m["topics"] == ["借贷纠纷", "劳动争议", "相邻关系", "婚姻家庭", "继承", "赡养", "物业服务", "其他"]
    assert m["rows"][0]["cells"][-1][0] == 20 + 12  # the topic 其他 and the folded 医疗纠纷


def test_a_town_user_sees_only_their_town_in_the_table(demand, other_town_staff):
    m = selectors.demand_dashboard(other_town_staff.user)["matrix"]
    assert m["topics"] == ["医疗纠纷"] and m["rows"] == [{"town": _town(CHONGFU), "total": 9, "cells": [(9, 4)]}]


def test_each_week_of_the_period_is_counted_by_topic_as_the_calendar_says(demand, county_admin):
    d = selectors.demand_dashboard(county_admin.user)
    weekly = d["weekly"]
    now = timezone.localtime()
    assert weekly["weeks"][-1] == now.date() - dt.timedelta(days=now.weekday())  # this week's Monday
    assert all(b - a == dt.timedelta(weeks=1) for a, b in zip(weekly["weeks"], weekly["weeks"][1:], strict=False))
    assert all(w.weekday() == 0 for w in weekly["weeks"]) and len(weekly["weeks"]) in (9, 10)
    expected: dict = {}
    since = timezone.now() - dt.timedelta(weeks=8)
    for at, topic in Event.objects.filter(kind="question", at__gte=since).values_list("at", "topic"):
        day = timezone.localtime(at).date()
        column = topic if topic in COLUMNS else "其他"
        key = (day - dt.timedelta(days=day.weekday()), column)
        expected[key] = expected.get(key, 0) + 1
    got = {(w, s["topic"]): n for s in weekly["series"] for w, n in zip(weekly["weeks"], s["values"], strict=True)
           if n}
    assert got == expected
    assert [r["total"] for r in weekly["rows"]] == [sum(s["values"][i] for s in weekly["series"])
                                                    for i in range(len(weekly["weeks"]))]
    assert sum(r["total"] for r in weekly["rows"]) == d["total"] == 161


def test_the_dashboard_page_draws_the_table_and_the_weekly_chart(demand, county_admin):
    html = county_admin.client().get(reverse("consultation:dashboard")).content.decode()
    table = html.split("<h2>各镇主题</h2>", 1)[1].split("<h2>", 1)[0]
    assert [re.sub(r"<[^>]+>", "", h) for h in re.findall(r'<th scope="col">(.*?)</th>', table)] == [
        "镇（街道）", *COLUMNS, "合计"]
    assert f'<th scope="row">{_town(WUZHEN)}</th><td class="heat-4">33</td>' in table
    assert 'id="demand-chart"' in html and "consultation/dashboard.js" in html and "vendor/echarts" in html
    assert reverse("consultation:dashboard_export") in html


def test_the_dashboard_exports_to_excel_with_typed_text_kept_as_text(demand, county_admin):
    import io

    from openpyxl import load_workbook

    conv = Conversation.objects.create(token=secrets.token_urlsafe(12), visitor_id="v-xl")
    q = Question.objects.create(conversation=conv, text='=HYPERLINK("http://example.com","点我")', topic="借贷纠纷")
    _ask("借贷纠纷", 1, question=q)
    r = county_admin.client().get(reverse("consultation:dashboard_export"))
    assert r.status_code == 200 and r["Content-Disposition"].startswith('attachment; filename="consult-demand-')
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["概览", "各镇主题", "按周", "上升主题", "热门问题"]
    rows = list(wb["各镇主题"].iter_rows(values_only=True))
    assert rows[0] == ("镇（街道）", *COLUMNS, "合计")
    assert rows[1] == (_town(WUZHEN), 33, 27, 21, 20, 16, 15, 0, 14, 146)
    assert rows[-1] == ("合计", 33, 27, 21, 20, 16, 15, 9, 21, 162)
    cell = next(c for c in wb["热门问题"]["A"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"  # stored as text: opening the file runs nothing a villager typed
    assert sum(row[-1] for row in list(wb["按周"].iter_rows(min_row=2, values_only=True))) == 162
    assert AuditLog.objects.filter(action="consultation.demand_exported", actor=county_admin.user).count() == 1


def test_the_excel_export_keeps_every_formula_like_question_as_text(demand, county_admin):
    import io

    from openpyxl import load_workbook

    from tests.core.test_xlsx import FORMULAS

    conv = Conversation.objects.create(token=secrets.token_urlsafe(12), visitor_id="v-formulas")
    for text in FORMULAS:
        _ask("借贷纠纷", 1, question=Question.objects.create(conversation=conv, text=text, topic="借贷纠纷"))
    r = county_admin.client().get(reverse("consultation:dashboard_export"))
    cells = {c.value: c.data_type for c in load_workbook(io.BytesIO(r.content))["热门问题"]["A"]}
    assert {text: cells.get(text) for text in FORMULAS} == dict.fromkeys(FORMULAS, "s")
