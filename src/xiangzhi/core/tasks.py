"""Background tasks of the core app (Django tasks API, database backend)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="notifications")
def deliver_notifications() -> dict[str, int]:
    from .services import deliver_notifications as deliver

    return deliver()
