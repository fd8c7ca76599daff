"""``xiangzhi runperiodic``: run every due periodic job once and exit (cron every minute; overlap-safe).

``--every SECONDS`` keeps running and looks for due jobs that often (the demo's periodic process, or a machine without
cron or systemd timers); SIGTERM or SIGINT ends it after the job in hand, so no lease is left held.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from xiangzhi.core.periodic import discover_jobs, run_due


class Command(BaseCommand):
    help = "执行到期的定时任务一次后退出；可由 cron 每分钟调用，多个副本同时运行也安全。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--only", action="append", help="run only this job (repeatable)")
        parser.add_argument("--force", action="store_true", help="run even if not due (still one runner at a time)")
        parser.add_argument("--list", action="store_true", help="list the jobs and exit")
        parser.add_argument("--every", type=float, metavar="SECONDS",
                            help="keep running: look for due jobs every SECONDS until SIGTERM/SIGINT")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        if options["list"]:
            for job in discover_jobs():
                self.stdout.write(f"{job.name}\tevery {job.every}")
            return
        only = set(options["only"] or []) or None
        if options["every"] is None:
            self.run_once(only, options["force"])
            return
        if options["every"] < 1:
            raise CommandError("--every 至少 1 秒。")
        stop = threading.Event()

        def finish(signum, frame) -> None:  # noqa: ANN001, ARG001
            stop.set()

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        while not stop.is_set():
            try:
                run_due(only=only, force=options["force"])
            finally:
                close_old_connections()
            stop.wait(options["every"])

    def run_once(self, only: set[str] | None, force: bool) -> None:
        results = run_due(only=only, force=force)
        for name, status in results.items():
            self.stdout.write(f"{name}: {status}")
        if not results:
            self.stdout.write("没有到期的任务。")
