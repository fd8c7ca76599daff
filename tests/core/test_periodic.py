"""runperiodic: each due job runs once per period, even when two copies overlap."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from xiangzhi.core import periodic
from xiangzhi.core.models import PeriodicJob

pytestmark = pytest.mark.django_db


def test_a_due_job_runs_once_and_then_waits_for_its_period(monkeypatch):
    calls = []
    job = periodic.Job("test.job", dt.timedelta(minutes=5), lambda: calls.append(1))
    monkeypatch.setattr(periodic, "discover_jobs", lambda: [job])
    now = timezone.now()
    assert periodic.run_due(now=now) == {"test.job": "ok"}
    assert periodic.run_due(now=now + dt.timedelta(minutes=1)) == {}
    assert periodic.run_due(now=now + dt.timedelta(minutes=6)) == {"test.job": "ok"}
    assert len(calls) == 2


def test_an_overlapping_copy_does_not_take_a_held_lease():
    job = periodic.Job("test.lease", dt.timedelta(minutes=1), lambda: None)
    now = timezone.now()
    assert periodic.try_lease(job, now=now) is True
    assert periodic.try_lease(job, now=now + dt.timedelta(minutes=2)) is False  # still leased by the first copy
    periodic.release(job, "ok")
    assert periodic.try_lease(job, now=now + dt.timedelta(minutes=2)) is True


def test_a_crashed_runner_s_lease_expires():
    job = periodic.Job("test.crash", dt.timedelta(minutes=1), lambda: None, lease=dt.timedelta(minutes=10))
    now = timezone.now()
    assert periodic.try_lease(job, now=now)
    assert not periodic.try_lease(job, now=now + dt.timedelta(minutes=5))
    assert periodic.try_lease(job, now=now + dt.timedelta(minutes=11))


def test_a_failing_job_does_not_stop_the_others(monkeypatch):
    ran = []

    def boom():
        raise ValueError("坏了")

    monkeypatch.setattr(periodic, "discover_jobs", lambda: [
        periodic.Job("a", dt.timedelta(minutes=1), boom),
        periodic.Job("b", dt.timedelta(minutes=1), lambda: ran.append("b")),
    ])
    results = periodic.run_due()
    assert results["a"].startswith("error ValueError") and results["b"] == "ok" and ran == ["b"]
    assert PeriodicJob.objects.get(name="a").leased_until is None


def test_the_command_runs_and_lists_jobs(capsys):
    call_command("runperiodic", "--list")
    assert "core.deliver_notifications" in capsys.readouterr().out
    call_command("runperiodic")
    out = capsys.readouterr().out
    assert "core.deliver_notifications: ok" in out
    call_command("runperiodic")
    assert "没有到期的任务" in capsys.readouterr().out


def test_runperiodic_every_refuses_less_than_a_second():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="至少 1 秒"):
        call_command("runperiodic", "--every", "0.5")
