"""``xiangzhi worker`` serves every queue the platform uses; notification links are absolute; case SMS read well."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks.base import Task

import xiangzhi
from tests.conftest import REPO
from xiangzhi.core import services
from xiangzhi.core.management.commands.worker import platform_queues
from xiangzhi.core.models import Notification


def _platform_tasks() -> list[Task]:
    found = []
    for mod in pkgutil.walk_packages(xiangzhi.__path__, "xiangzhi."):
        if mod.name.endswith(".tasks"):
            module = importlib.import_module(mod.name)
            found += [v for v in vars(module).values() if isinstance(v, Task)]
    return found


def test_the_worker_serves_the_queue_of_every_task_the_platform_defines():
    tasks = _platform_tasks()
    assert {t.queue_name for t in tasks} >= {"default", "notifications"}
    assert {t.queue_name for t in tasks} <= set(platform_queues().split(","))


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_as_the_readme_runs_it_sends_a_queued_login_code(sms_outbox):
    services.enqueue_sms("13812345678", "【乡治】您的登录验证码为123456。")
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload")
    assert [m["text"] for m in sms_outbox] == ["【乡治】您的登录验证码为123456。"]
    assert Notification.objects.get().status == "sent"


@pytest.mark.django_db(transaction=True)
def test_the_plain_db_worker_leaves_notifications_queued_which_is_why_the_platform_has_its_own(sms_outbox):
    services.enqueue_sms("13812345678", "您的调解申请已收到")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    assert sms_outbox == []


def test_the_readme_and_the_demo_start_the_platform_worker():
    from xiangzhi.core.management.commands import demo

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "xiangzhi worker" in readme and "xiangzhi db_worker" not in readme
    assert demo.WORKER_ARGS[-2:] == ["worker", "--no-reload"]


@override_settings(XIANGZHI_PUBLIC_URL="https://xz.example.gov.cn")
def test_notification_links_are_absolute_in_the_outbox_and_in_the_sms(db, villager_a, sms_outbox):
    user, _ = villager_a
    note = services.notify_user(user, subject="答复", body="您的问题已有答复。", link="/consult/c/abc/")
    assert note.link == "https://xz.example.gov.cn/consult/c/abc/"
    services.enqueue_sms("13812345678", "请查看。", link="/cases/s/tok/")
    services.notify_users_once([services.Message(user=user, subject="提醒", body="请查看。", link="/x/",
                                                 dedupe_key="t:1")])
    assert set(Notification.objects.values_list("link", flat=True)) == {
        "https://xz.example.gov.cn/consult/c/abc/", "https://xz.example.gov.cn/cases/s/tok/",
        "https://xz.example.gov.cn/x/"}
    services.deliver_notifications()
    assert all("https://xz.example.gov.cn/" in m["text"] for m in sms_outbox)
    assert services.absolute_link("https://other.example/x") == "https://other.example/x"
    assert services.absolute_link("") == ""
