"""``core.create_persons`` and ``core.enqueue_sms_once``: the batch forms the intake uses (issue 16, speed) — the
same persons, rows and audit rows as one ``create_person`` / ``enqueue_sms`` at a time, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import valid_id_number
from xiangzhi.core import services
from xiangzhi.core.models import AuditLog, Notification, Person

pytestmark = pytest.mark.django_db
ID = valid_id_number("33048319800101004")


def test_a_batch_creates_the_persons_encrypted_with_one_audit_row_each_in_order():
    before = AuditLog.objects.count()
    people = services.create_persons([services.PersonIn(name="张三", id_number=ID, phone="13800000001"),
                                      services.PersonIn(name="李四")], actor=None)
    assert [p.name for p in people] == ["张三", "李四"] and people[0].pk < people[1].pk
    stored = Person.objects.get(pk=people[0].pk)
    assert stored.id_number == ID and stored.phone == "13800000001"
    assert stored.id_number_index == services.find_people_by_id_number(ID).get().id_number_index
    rows = list(AuditLog.objects.order_by("pk")[before:])
    assert [(r.action, r.object_id) for r in rows] == [("person.created", str(p.pk)) for p in people]
    assert rows[0].after == {"name": stored.masked_name, "id_number": stored.masked_id_number,
                             "phone": stored.masked_phone}


def test_a_known_id_number_is_the_same_person_with_the_missing_phone_filled_in():
    known = services.create_person(name="张三", id_number=ID, actor=None)
    before = AuditLog.objects.count()
    people = services.create_persons([services.PersonIn(name="张三", id_number=ID, phone="13800000002"),
                                      services.PersonIn(name="张三", id_number=ID)], actor=None)
    assert [p.pk for p in people] == [known.pk, known.pk]
    assert Person.objects.get(pk=known.pk).phone == "13800000002"
    assert AuditLog.objects.count() == before  # no person created, no audit row


def test_the_same_id_number_twice_in_a_batch_is_one_person():
    people = services.create_persons([services.PersonIn(name="张三", id_number=ID),
                                      services.PersonIn(name="张三", id_number=ID, phone="13800000003")], actor=None)
    assert people[0] is people[1] and Person.objects.filter(id_number_index=people[0].id_number_index).count() == 1
    assert people[0].phone == "13800000003"


def test_sms_are_queued_once_per_key_with_one_select_and_one_insert():
    msgs = [services.Sms("13800000001", "甲", "/s/1", "k:1"), services.Sms("13800000002", "乙", "/s/2", "k:2")]
    with CaptureQueriesContext(connection) as ctx:
        assert services.enqueue_sms_once(msgs) == {"k:1", "k:2"}
    assert len([q for q in ctx.captured_queries if "core_notification" in q["sql"]]) == 2
    assert services.enqueue_sms_once(msgs) == set()
    rows = list(Notification.objects.filter(dedupe_key__in=["k:1", "k:2"]).order_by("pk"))
    assert [(n.recipient_phone, n.body, n.channel, n.status) for n in rows] == [
        ("13800000001", "甲", "sms", "queued"), ("13800000002", "乙", "sms", "queued")]
    assert rows[0].link == services.absolute_link("/s/1")
