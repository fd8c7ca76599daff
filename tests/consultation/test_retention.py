"""Retention of 智能咨询 visit records (XIANGZHI_CONSULT_RETENTION_DAYS): old visit events are deleted, idle
conversations are no longer tied to a person, open hand-offs are left alone, and runperiodic does it daily."""

from __future__ import annotations

import datetime as dt
import runpy
import secrets
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import WUZHEN, first_village
from xiangzhi.consultation import services
from xiangzhi.consultation.models import Conversation, Event, Handoff, HandoffStatus, Question
from xiangzhi.core.enums import NotificationStatus
from xiangzhi.core.models import AuditLog, Notification

pytestmark = pytest.mark.django_db

RETENTION = 730
MASKED = "我家宅基地被邻居占了，我的电话是138****0001，怎么办？"
ANSWER = "您的问题可能属于“房屋宅基地”方面。以下法律规定与您的问题最相关。"


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.XIANGZHI_CONSULT_RETENTION_DAYS = RETENTION


def _ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def _conversation(visitor_id: str, *, citizen=None, region=None, text: str = MASKED) -> tuple[Conversation, Question]:
    """A conversation with one answered question and its question/answer visit events (as services.ask leaves)."""
    conv = Conversation.objects.create(token=secrets.token_urlsafe(12), visitor_id=visitor_id, citizen=citizen,
                                       region=region)
    q = Question.objects.create(conversation=conv, text=text, answer=ANSWER, topic="房屋宅基地")
    services.record_event(Event.Kind.QUESTION, conversation=conv, question=q)
    services.record_event(Event.Kind.ANSWER, conversation=conv, question=q, value=q.kind)
    return conv, q


def _age(conv: Conversation, days: float) -> None:
    """Move everything of a conversation ``days`` into the past."""
    when = _ago(days)
    Conversation.objects.filter(pk=conv.pk).update(created_at=when)
    Question.objects.filter(conversation=conv).update(created_at=when)
    Event.objects.filter(question__conversation=conv).update(at=when)
    Handoff.objects.filter(conversation=conv).update(created_at=when)
    Handoff.objects.filter(conversation=conv, claimed_at__isnull=False).update(claimed_at=when)
    Handoff.objects.filter(conversation=conv, replied_at__isnull=False).update(replied_at=when)


def _purge_audits():
    return AuditLog.objects.filter(action="consultation.purge_expired")


def test_old_visit_events_are_deleted_in_batches_and_recent_ones_kept():
    visitor = services.Visitor(visitor_id="v-events")
    old = [services.record_event(Event.Kind.ARTICLE, visitor=visitor, article_key=f"民法典-{n}") for n in (1, 2, 3)]
    Event.objects.filter(pk__in=[e.pk for e in old]).update(at=_ago(RETENTION + 1))
    recent = services.record_event(Event.Kind.ARTICLE, visitor=visitor, article_key="民法典-4")
    almost = services.record_event(Event.Kind.ARTICLE, visitor=visitor, article_key="民法典-5")
    Event.objects.filter(pk=almost.pk).update(at=_ago(RETENTION - 1))

    counts = services.purge_expired(batch_size=2)  # three old rows: two batches

    assert counts["events_deleted"] == 3
    assert set(Event.objects.values_list("pk", flat=True)) == {recent.pk, almost.pk}


def test_an_idle_conversation_is_no_longer_tied_to_its_visitor_or_citizen_but_keeps_its_question(
        tongxiang, villager_a, other_town_staff):
    citizen, _client = villager_a
    conv, q = _conversation("v-old", citizen=citizen, region=first_village(WUZHEN))
    handoff = services.request_handoff(q, phone="13812345678")
    services.claim_handoff(handoff, actor=other_town_staff.user)
    services.reply_handoff(handoff, text="可以先找村委会调解。", actor=other_town_staff.user)
    _age(conv, RETENTION + 10)
    fresh, fresh_q = _conversation("v-new", citizen=citizen)

    counts = services.purge_expired()

    conv.refresh_from_db()
    assert (conv.visitor_id, conv.citizen_id) == ("", None)
    q.refresh_from_db()
    assert (q.text, q.answer, q.topic) == (MASKED, ANSWER, "房屋宅基地")  # FAQ editors still see the question
    handoff.refresh_from_db()
    assert handoff.phone == "" and handoff.reply == "可以先找村委会调解。"
    assert handoff.status == HandoffStatus.ANSWERED
    assert not Event.objects.filter(question=q).exists()  # its visit events were old too
    fresh.refresh_from_db()
    assert (fresh.visitor_id, fresh.citizen_id) == ("v-new", citizen.pk)
    assert Event.objects.filter(question=fresh_q, visitor_id="v-new", citizen=citizen).count() == 2
    assert counts["conversations_anonymised"] == 1 and counts["handoffs_anonymised"] == 1
    audit = _purge_audits().get()
    assert audit.after["conversations_anonymised"] == 1 and audit.after["events_deleted"] == counts["events_deleted"]


@pytest.mark.parametrize("claimed", [False, True], ids=["open", "claimed"])
def test_a_conversation_whose_handoff_is_not_finished_is_left_alone(tongxiang, villager_a, other_town_staff, claimed):
    citizen, _client = villager_a
    waiting, q = _conversation("v-waiting", citizen=citizen, region=first_village(WUZHEN))
    handoff = services.request_handoff(q, phone="13812345678")
    if claimed:
        services.claim_handoff(handoff, actor=other_town_staff.user)
    _age(waiting, RETENTION + 10)
    idle, _q = _conversation("v-idle", citizen=citizen)
    _age(idle, RETENTION + 10)

    counts = services.purge_expired()

    waiting.refresh_from_db()
    assert (waiting.visitor_id, waiting.citizen_id) == ("v-waiting", citizen.pk)
    assert Handoff.objects.get(pk=handoff.pk).phone == "13812345678"  # the worker can still call back
    idle.refresh_from_db()
    assert (idle.visitor_id, idle.citizen_id) == ("", None)  # the purge did run
    assert counts["conversations_anonymised"] == 1


@pytest.mark.parametrize("activity", ["question", "rating", "reply"])
def test_recent_activity_keeps_an_old_conversation(tongxiang, other_town_staff, activity):
    conv, q = _conversation("v-back", region=first_village(WUZHEN))
    handoff = services.request_handoff(q) if activity == "reply" else None
    if handoff is not None:
        services.claim_handoff(handoff, actor=other_town_staff.user)
    _age(conv, RETENTION + 10)
    if activity == "question":
        Question.objects.create(conversation=conv, text="工资被拖欠了怎么办？", answer=ANSWER)
    elif activity == "rating":
        services.rate_answer(q, useful=True)
    else:
        services.reply_handoff(Handoff.objects.get(pk=handoff.pk), text="请带上劳动合同来司法所。",
                               actor=other_town_staff.user)

    counts = services.purge_expired()

    conv.refresh_from_db()
    assert conv.visitor_id == "v-back"
    assert counts["conversations_anonymised"] == 0 and counts["events_deleted"] >= 2  # the old events did go


def test_zero_retention_keeps_everything(settings, villager_a):
    settings.XIANGZHI_CONSULT_RETENTION_DAYS = 0
    citizen, _client = villager_a
    conv, _q = _conversation("v-forever", citizen=citizen)
    _age(conv, 100 * 365)
    events = Event.objects.count()

    counts = services.purge_expired()

    assert counts["events_deleted"] == counts["conversations_anonymised"] == 0
    assert Event.objects.count() == events == 2
    conv.refresh_from_db()
    assert (conv.visitor_id, conv.citizen_id) == ("v-forever", citizen.pk)
    assert not _purge_audits().exists()


def test_running_twice_changes_nothing_the_second_time(villager_a):
    citizen, _client = villager_a
    conv, q = _conversation("v-twice", citizen=citizen)
    _age(conv, RETENTION + 1)
    kept, _kq = _conversation("v-kept")

    first = services.purge_expired()
    second = services.purge_expired()

    assert (first["events_deleted"], first["conversations_anonymised"]) == (2, 1)
    assert (second["events_deleted"], second["conversations_anonymised"], second["handoffs_anonymised"]) == (0, 0, 0)
    assert _purge_audits().count() == 1  # a run that changed nothing writes no audit row
    assert Question.objects.get(pk=q.pk).text == MASKED
    assert Conversation.objects.get(pk=kept.pk).visitor_id == "v-kept" and Event.objects.count() == 2


def test_the_daily_job_is_registered_and_runperiodic_runs_it(capsys):
    from xiangzhi.core.periodic import discover_jobs

    job = {j.name: j for j in discover_jobs()}["consultation.purge_expired"]
    assert job.every == dt.timedelta(hours=24)
    conv, _q = _conversation("v-cron")
    _age(conv, RETENTION + 1)

    call_command("runperiodic", "--only", "consultation.purge_expired")

    assert "consultation.purge_expired: ok" in capsys.readouterr().out
    assert Conversation.objects.get(pk=conv.pk).visitor_id == "" and not Event.objects.exists()
    call_command("runperiodic", "--only", "consultation.purge_expired")
    assert "没有到期的任务" in capsys.readouterr().out  # once a day


SETTINGS_PY = Path(__file__).resolve().parents[2] / "src/xiangzhi/settings.py"


def _load_settings(monkeypatch, tmp_path, value: str | None) -> dict:
    """Execute settings.py afresh (the way start-up does) with the variable set, data kept under tmp_path."""
    monkeypatch.setenv("XIANGZHI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STATIC_ROOT", raising=False)
    monkeypatch.delenv("XIANGZHI_CONSULT_RETENTION_DAYS_FILE", raising=False)
    if value is None:
        monkeypatch.delenv("XIANGZHI_CONSULT_RETENTION_DAYS", raising=False)
    else:
        monkeypatch.setenv("XIANGZHI_CONSULT_RETENTION_DAYS", value)
    return runpy.run_path(str(SETTINGS_PY))


@pytest.mark.parametrize(("value", "days"), [(None, 730), ("", 730), ("0", 0), ("90", 90)])
def test_the_retention_setting_is_read_from_the_environment(monkeypatch, tmp_path, value, days):
    assert _load_settings(monkeypatch, tmp_path, value)["XIANGZHI_CONSULT_RETENTION_DAYS"] == days


@pytest.mark.parametrize("value", ["两年", "-1", "1.5", "40000"])
def test_a_bad_retention_setting_stops_start_up_with_a_message(monkeypatch, tmp_path, value):
    with pytest.raises(ImproperlyConfigured, match="XIANGZHI_CONSULT_RETENTION_DAYS"):
        _load_settings(monkeypatch, tmp_path, value)


@pytest.mark.parametrize("with_citizen", [False, True], ids=["sms", "in-app"])
def test_the_sent_reply_notice_goes_with_the_link_to_the_person(tongxiang, villager_a, other_town_staff, with_citizen):
    citizen, _client = villager_a
    conv, q = _conversation("v-notice", citizen=citizen if with_citizen else None, region=first_village(WUZHEN))
    handoff = services.request_handoff(q, phone="13812345678")
    services.claim_handoff(handoff, actor=other_town_staff.user)
    services.reply_handoff(handoff, text="可以先找村委会调解。", actor=other_town_staff.user)
    notice = Notification.objects.get(dedupe_key=f"consult-reply:{handoff.pk}")
    assert notice.recipient_user_id == (citizen.pk if with_citizen else None)
    assert notice.recipient_phone  # the call-back phone, or the citizen's own
    _age(conv, RETENTION + 10)

    assert services.purge_expired()["notifications_deleted"] == 0  # still queued: the outbox may yet send it
    assert Notification.objects.filter(pk=notice.pk).exists()
    Notification.objects.filter(pk=notice.pk).update(status=NotificationStatus.SENT, sent_at=_ago(RETENTION))
    other = Notification.objects.create(recipient_phone="13900000000", body="其他通知", status=NotificationStatus.SENT,
                                        dedupe_key="case-notice:1")
    Conversation.objects.filter(pk=conv.pk).update(visitor_id="v-notice")  # as before the first purge

    counts = services.purge_expired()

    assert counts["notifications_deleted"] == 1
    assert not Notification.objects.filter(pk=notice.pk).exists()
    assert Notification.objects.filter(pk=other.pk).exists()
    assert _purge_audits().order_by("pk").last().after["notifications_deleted"] == 1
