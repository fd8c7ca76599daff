"""Nobody's question waits unseen: unclaimed hand-offs are brought to the nearest legal workers, then to the county;
a claimed one left unanswered reminds its claimer; each reminder once."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import CHONGFU, WUZHEN, first_village
from xiangzhi.consultation import services
from xiangzhi.consultation.models import Conversation, Handoff, Question
from xiangzhi.core.models import Notification, Region

pytestmark = pytest.mark.django_db


def _handoff(region, text: str, hours_ago: float) -> Handoff:
    conv = Conversation.objects.create(token=secrets.token_urlsafe(12), visitor_id=secrets.token_hex(8), region=region)
    q = Question.objects.create(conversation=conv, text=text, topic="劳动争议")
    h = services.request_handoff(q)
    Handoff.objects.filter(pk=h.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours_ago))
    return Handoff.objects.get(pk=h.pk)


def _told(handoff: Handoff) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, username in Notification.objects.filter(dedupe_key__startswith=f"consult-handoff:{handoff.pk}:") \
            .values_list("dedupe_key", "recipient_user__username"):
        out.setdefault(key.split(":")[2], set()).add(username)
    return out


def test_waiting_questions_go_to_the_nearest_workers_then_the_county(town_staff, other_town_staff, lawyer,
                                                                     county_admin, centre_staff):
    puyuan = Region.objects.get(level="town", name__startswith="濮院")  # no 司法所 account in this test
    wuzhen = _handoff(first_village(WUZHEN), "老板拖欠工资三个月", hours_ago=3)
    chongfu = _handoff(first_village(CHONGFU), "工伤没人管", hours_ago=30)
    nobody_local = _handoff(first_village(puyuan.code), "加班费怎么算", hours_ago=3)
    fresh = _handoff(first_village(WUZHEN), "刚刚问的", hours_ago=1)
    claimed = _handoff(first_village(WUZHEN), "认领了没答", hours_ago=40)
    services.claim_handoff(claimed, actor=lawyer.user)
    Handoff.objects.filter(pk=claimed.pk).update(claimed_at=timezone.now() - dt.timedelta(hours=30))

    stats = services.remind_waiting_handoffs()

    assert _told(wuzhen) == {"waiting": {"sfs_wz"}}  # its own 司法所, not every lawyer of the county
    assert _told(chongfu) == {"waiting": {"sfs_cf"}, "overdue": {"county_admin", "centre"}}
    assert _told(nobody_local) == {"waiting": {"lawyer", "county_admin", "centre"}}  # no one nearer: the county
    assert _told(fresh) == {}
    assert _told(claimed) == {"unanswered": {"lawyer"}}
    assert stats == {"waiting": 5, "overdue": 2, "unanswered": 1}
    note = Notification.objects.get(dedupe_key=f"consult-handoff:{chongfu.pk}:waiting:{other_town_staff.user.pk}")
    assert note.subject.startswith("转人工咨询已等待 30 小时") and f"/consult/workbench/handoff/{chongfu.pk}/" in note.link
    assert services.remind_waiting_handoffs() == {"waiting": 0, "overdue": 0, "unanswered": 0}  # once each
    queue = town_staff.client().get(reverse("consultation:workbench")).content.decode()
    assert "老板拖欠工资三个月" in queue and "已等待 3\xa0小时" in queue  # how long each has waited


def test_the_reminders_run_every_ten_minutes_from_runperiodic(town_staff, capsys):
    from xiangzhi.core.periodic import discover_jobs

    job = {j.name: j for j in discover_jobs()}["consultation.handoff_reminders"]
    assert job.every == dt.timedelta(minutes=10)
    h = _handoff(first_village(WUZHEN), "老板拖欠工资三个月", hours_ago=5)
    call_command("runperiodic", "--only", "consultation.handoff_reminders")
    assert "consultation.handoff_reminders: ok" in capsys.readouterr().out
    assert _told(h) == {"waiting": {"sfs_wz"}}
