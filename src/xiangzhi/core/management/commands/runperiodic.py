"""``xiangzhi runperiodic``: run every due periodic job once and exit (cron every minute; overlap-safe)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from xiangzhi.core.periodic import discover_jobs, run_due


class Command(BaseCommand):
    help = "执行到期的定时任务一次后退出；可由 cron 每分钟调用，多个副本同时运行也安全。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--only", action="append", help="run only this job (repeatable)")
        parser.add_argument("--force", action="store_true", help="run even if not due (still one runner at a time)")
        parser.add_argument("--list", action="store_true", help="list the jobs and exit")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        if options["list"]:
            for job in discover_jobs():
                self.stdout.write(f"{job.name}\tevery {job.every}")
            return
        results = run_due(only=set(options["only"] or []) or None, force=options["force"])
        for name, status in results.items():
            self.stdout.write(f"{name}: {status}")
        if not results:
            self.stdout.write("没有到期的任务。")
