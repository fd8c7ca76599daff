"""The outbox: messages are written with the change and delivered once, with retries and back-off."""

import threading

import pytest
from django.conf import settings
from django.db import connection, transaction

from tests.conftest import run_in_threads
from xiangzhi.core import services
from xiangzhi.core.models import Notification
from xiangzhi.core.sms import LocmemBackend

pytestmark = pytest.mark.django_db


def test_a_queued_message_is_delivered_once(sms_outbox):
    services.enqueue_sms("13812345678", "您的案件已受理")
    assert services.deliver_notifications() == {"sent": 1, "failed": 0}
    assert services.deliver_notifications() == {"sent": 0, "failed": 0}
    assert [m["text"] for m in sms_outbox] == ["您的案件已受理"]
    assert Notification.objects.get().status == "sent"


def test_a_message_is_not_sent_if_the_change_rolls_back(sms_outbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.enqueue_sms("13812345678", "不应发送")
        raise RuntimeError
    services.deliver_notifications()
    assert sms_outbox == []


def test_failures_retry_with_back_off_then_give_up(sms_outbox, settings):
    settings.XIANGZHI_NOTIFY_MAX_ATTEMPTS = 3
    note = services.enqueue_sms("13812345678", "重试")
    LocmemBackend.fail_next = 10
    assert services.deliver_notifications()["failed"] == 1
    note.refresh_from_db()
    first_delay = note.next_attempt_at - note.created_at
    assert note.status == "queued" and note.attempts == 1 and first_delay.total_seconds() >= 29
    assert services.deliver_notifications()["failed"] == 0  # not due yet
    for _ in range(2):
        Notification.objects.filter(pk=note.pk).update(next_attempt_at=note.created_at)
        services.deliver_notifications()
    note.refresh_from_db()
    assert note.status == "failed" and note.attempts == 3 and "simulated" in note.last_error


def test_a_dedupe_key_sends_at_most_once():
    assert services.enqueue_sms("13812345678", "提醒", dedupe_key="reminder:1") is not None
    assert services.enqueue_sms("13812345678", "提醒", dedupe_key="reminder:1") is None
    assert Notification.objects.count() == 1


def test_the_phone_is_encrypted_in_the_outbox():
    services.enqueue_sms("13812345678", "x")
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient_phone FROM core_notification")
        assert cursor.fetchone()[0].startswith("v1:")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_message_once(sms_outbox):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent writers")
    for i in range(40):
        services.enqueue_sms("13812345678", f"消息{i}")
    barrier = threading.Barrier(2)

    def work():
        barrier.wait()
        services.deliver_notifications(worker=threading.current_thread().name)

    run_in_threads(work, 2)
    texts = sorted(m["text"] for m in sms_outbox)
    assert texts == sorted(f"消息{i}" for i in range(40))


def test_many_messages_at_once_each_once_by_key(sms_outbox, django_capture_on_commit_callbacks):
    with_phone = services.create_staff_user(username="med1", password="Bench-Pass-2026", display_name="调解员甲",
                                            phone="13812345678", actor=None)
    inbox_only = services.create_staff_user(username="sfs1", password="Bench-Pass-2026", display_name="司法所乙",
                                            actor=None)
    services.notify_user(inbox_only, subject="旧", body="旧", dedupe_key="case:1:red:sfs1")

    def msg(user, key):
        return services.Message(user, f"案件 {key}", "请督办。", "/cases/workbench/1/", key)

    with django_capture_on_commit_callbacks(execute=True):
        queued = services.notify_users_once(
            [msg(with_phone, "case:1:due:med1"), msg(inbox_only, "case:1:red:sfs1"),  # that key was used before
             msg(inbox_only, "case:2:red:sfs1"), msg(inbox_only, "case:2:red:sfs1")],  # twice in one call
            batch=2)
    assert queued == {"case:1:due:med1", "case:2:red:sfs1"}
    assert Notification.objects.count() == 3
    sms = Notification.objects.get(dedupe_key="case:1:due:med1")
    assert (sms.channel, sms.status, sms.recipient_phone, sms.recipient_user) == ("sms", "queued", "13812345678",
                                                                                   with_phone)
    inbox = Notification.objects.get(dedupe_key="case:2:red:sfs1")
    assert (inbox.channel, inbox.status, inbox.sent_at is not None) == ("inbox", "sent", True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient_phone FROM core_notification WHERE dedupe_key = %s", ["case:1:due:med1"])
        assert cursor.fetchone()[0].startswith("v1:")
    assert services.notify_users_once([msg(with_phone, "case:1:due:med1")]) == set()
    services.deliver_notifications()
    assert [(m["to"], m["text"]) for m in sms_outbox] == [
        ("13812345678", f"请督办。 {settings.XIANGZHI_PUBLIC_URL}/cases/workbench/1/")]
