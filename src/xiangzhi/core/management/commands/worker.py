"""``xiangzhi worker``: the background-task worker for every queue the platform uses (SMS, imports, ledger, reports).

The database backend's own ``db_worker`` serves only the ``default`` queue unless told otherwise, so SMS (login codes
included) queued on ``notifications`` waited for ``runperiodic``'s fallback. This command is ``db_worker`` with the
queues taken from ``settings.TASKS`` (``--queue-name`` still narrows it, e.g. a worker machine for ``reports``). At the
default verbosity its task log follows ``LOG_LEVEL`` (INFO: a line as each task starts and ends; the demo's worker runs
with WARNING, so that its console is not filled by the tasks delivering the demo data's SMS).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django_tasks_db.management.commands.db_worker import TASKS_LOGGER
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import logger as worker_logger


def platform_queues() -> str:
    """Every queue named in ``settings.TASKS`` (all backends), comma-separated, as ``--queue-name`` takes them."""
    names: list[str] = []
    for backend in settings.TASKS.values():
        names += [q for q in backend.get("QUEUES", ["default"]) if q not in names]
    return ",".join(names)


class Command(DbWorkerCommand):
    help = "后台任务处理进程：处理平台全部队列（短信、导入、存证、报表）。可在多台机器上同时运行多个。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        super().add_arguments(parser)
        parser.set_defaults(queue_name=platform_queues())

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        if verbosity == 1:
            # settings.LOGGING gives the root logger LOG_LEVEL; db_worker would force INFO on its two loggers.
            level = max(logging.getLogger().getEffectiveLevel(), logging.INFO)
            for log in (logging.getLogger(TASKS_LOGGER), worker_logger):
                log.setLevel(level)
