"""精准普法 fixtures: questions in the visit log (as consultation.ask stores them: masked text, a question event with
the topic and town), an alert rule of the bureau, two articles to cite, and lawyers of two towns."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from tests.conftest import CHONGFU, COUNTY, WUZHEN, first_village, make_staff


def add_questions(topic: str, n: int, *, at: dt.datetime, town: str = WUZHEN, spread: dt.timedelta | None = None,
                  citizen=None, phone: str = "", prefix: str = "v") -> list:  # noqa: ANN001
    """``n`` questions on ``topic`` from ``n`` visitors of a village of ``town``, spread over ``spread`` before
    ``at``; ``phone``: each visitor left it with a hand-off."""
    from xiangzhi.consultation.models import Conversation, Event, Handoff, Question

    village = first_village(town)
    out = []
    for i in range(n):
        when = at - (spread * i / max(1, n) if spread else dt.timedelta(0))
        conv = Conversation.objects.create(token=secrets.token_urlsafe(16), visitor_id=f"{prefix}-{secrets.token_hex(6)}",
                                           citizen=citizen, region=village, created_at=when)
        q = Question.objects.create(conversation=conv, text=f"关于{topic}的问题第{i}个，电话138****0001", topic=topic,
                                    created_at=when)
        Event.objects.create(kind=Event.Kind.QUESTION, visitor_id=conv.visitor_id, citizen=citizen,
                             town_code=village.code[:9], village_code=village.code[:12], topic=topic, question=q, at=when)
        if phone:
            Handoff.objects.create(question=q, conversation=conv, region=village, topic=topic, phone=phone)
        out.append(conv)
    return out


@pytest.fixture
def rule(db, county_admin):
    from xiangzhi.outreach.services.alerts import save_rule

    return save_rule(None, {"name": "婚姻家庭热点", "topic": "婚姻家庭", "per_town": False, "window_hours": 24,
                            "threshold": 10, "release_level": 5, "baseline_days": 28, "burst_p": 0.01,
                            "pending_minutes": 30, "keep_firing_minutes": 120, "claim_hours": 48,
                            "needs_review": False, "is_active": True}, actor=county_admin.user)


@pytest.fixture
def articles(db):
    from xiangzhi.consultation.models import Article, Law

    law = Law.objects.create(title="中华人民共和国民法典", short="民法典")
    for n, text in ((1079, "夫妻一方要求离婚的，可以由有关组织进行调解或者直接向人民法院提起离婚诉讼。"),
                    (1087, "离婚时，夫妻的共同财产由双方协议处理。")):
        Article.objects.create(key=f"民法典-{n}", law=law, label=f"第{n}条", number=n, text=text)
    return ["民法典-1079", "民法典-1087"]


@pytest.fixture
def lawyer_wz(tongxiang):
    return make_staff("lawyer_wz", "lawyer", WUZHEN, {"kind": "law_firm"})


@pytest.fixture
def lawyer_cf(tongxiang):
    return make_staff("lawyer_cf", "lawyer", CHONGFU, {"kind": "law_firm"})


@pytest.fixture
def lawyer_county(tongxiang):
    return make_staff("lawyer_county", "lawyer", COUNTY, {"kind": "law_firm"})


def fire(rule, *, now: dt.datetime, n: int = 12, town: str = WUZHEN, phone: str = ""):  # noqa: ANN001
    """Questions enough to trigger ``rule``, evaluated past its pending period: the fired alert."""
    from xiangzhi.outreach.models import Alert
    from xiangzhi.outreach.services.alerts import evaluate

    add_questions(rule.topic, n, at=now, town=town, spread=dt.timedelta(hours=6), phone=phone)
    evaluate(now=now)
    evaluate(now=now + dt.timedelta(minutes=rule.pending_minutes))
    return Alert.objects.get(topic=rule.topic, scope="")


@pytest.fixture
def outreach_media(settings, tmp_path):
    """The outreach storage in a temporary folder (its files listed by the test)."""
    settings.STORAGES = {**settings.STORAGES, "outreach": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    from django.core.files.storage import storages

    storages._storages.pop("outreach", None)
    yield tmp_path / "media"
    storages._storages.pop("outreach", None)


def library_item(actor, *, kind: str = "article", audiences=("farmers",), topics=("婚姻家庭",), publish: bool = True,
                 title: str = "离婚冷静期怎么算"):  # noqa: ANN001
    from xiangzhi.outreach.services import library

    draft = library.ItemDraft(kind=kind, title=title, body="正文：离婚冷静期为三十日。", topics=list(topics),
                              audiences=list(audiences),
                              lessons=[("第一课", "内容一"), ("第二课", "内容二")] if kind == "class" else [])
    item = library.create_item(draft, actor=actor)
    return library.set_published(item, actor=actor, published=True) if publish else item
