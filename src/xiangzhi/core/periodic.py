"""Periodic jobs. ``xiangzhi runperiodic`` runs every due job once and exits: safe under cron every minute and
safe when two copies overlap, because a job is taken with a guarded UPDATE on its row (a lease), so only one
process runs it per period, on SQLite and on PostgreSQL alike.

An app declares jobs in ``<app>/periodic.py`` as ``JOBS = [Job(name, every, func), …]``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import PeriodicJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    func: Callable[[], object]
    lease: dt.timedelta = field(default=dt.timedelta(minutes=30))


def discover_jobs() -> list[Job]:
    jobs: list[Job] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("xiangzhi."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.periodic")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.periodic":
                raise
            continue
        jobs.extend(getattr(module, "JOBS", []))
    names = [j.name for j in jobs]
    if len(names) != len(set(names)):
        raise RuntimeError(f"duplicate periodic job names: {names}")
    return jobs


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def try_lease(job: Job, *, now: dt.datetime | None = None, force: bool = False) -> bool:
    """Take the job's lease if it is due and nobody holds it. Exactly one of any number of racers wins."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            PeriodicJob.objects.get_or_create(name=job.name)
    except IntegrityError:
        pass
    due = Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - job.every)
    if force:
        due = Q()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    won = PeriodicJob.objects.filter(due & free, name=job.name).update(
        leased_until=now + job.lease, leased_by=_worker_id(), last_started_at=now
    )
    return won == 1


def release(job: Job, status: str) -> None:
    PeriodicJob.objects.filter(name=job.name).update(
        leased_until=None, leased_by="", last_finished_at=timezone.now(), last_status=status[:200]
    )


def run_due(*, only: set[str] | None = None, force: bool = False, now: dt.datetime | None = None) -> dict[str, str]:
    """Run every due job once. Returns {job name: status} for the jobs this process ran."""
    results: dict[str, str] = {}
    for job in discover_jobs():
        if only and job.name not in only:
            continue
        if not try_lease(job, now=now, force=force):
            continue
        try:
            outcome = job.func()
            status = f"ok {outcome}" if outcome is not None else "ok"
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
            logger.error("periodic job %s failed:\n%s", job.name, traceback.format_exc())
            status = f"error {type(exc).__name__}: {exc}"
        release(job, status)
        results[job.name] = status
    return results


def _deliver() -> object:
    from .services import deliver_notifications

    return deliver_notifications(worker="runperiodic")


def _prune() -> object:
    from .services import prune_rate_counters

    return prune_rate_counters()


def _prune_idempotency_keys() -> object:
    from .services import prune_idempotency_keys

    return prune_idempotency_keys()


JOBS = [
    Job("core.deliver_notifications", dt.timedelta(minutes=1), _deliver),
    Job("core.prune_rate_counters", dt.timedelta(hours=6), _prune),
    Job("core.prune_idempotency_keys", dt.timedelta(hours=1), _prune_idempotency_keys),
]
