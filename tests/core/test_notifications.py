"""The outbox: messages are written with the change and delivered once, with retries and back-off."""

import threading

import pytest
from django.db import connection, transaction

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
        try:
            services.deliver_notifications(worker=threading.current_thread().name)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    texts = sorted(m["text"] for m in sms_outbox)
    assert texts == sorted(f"消息{i}" for i in range(40))
