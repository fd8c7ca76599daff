"""Background work through Django's tasks API with the database backend: enqueue on commit, a worker delivers."""

import pytest
from django.core.management import call_command

from xiangzhi.core import services
from xiangzhi.core.models import Notification


@pytest.mark.django_db(transaction=True)
def test_an_sms_is_enqueued_on_commit_and_delivered_by_the_worker(sms_outbox):
    from django_tasks_db.models import DBTaskResult

    services.enqueue_sms("13812345678", "您的调解申请已收到")
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_notifications").exists()
    assert sms_outbox == []
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload")
    assert [m["text"] for m in sms_outbox] == ["您的调解申请已收到"]
    assert Notification.objects.get().status == "sent"
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").exists()
