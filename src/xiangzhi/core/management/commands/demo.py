"""``xiangzhi demo``: migrate, load Tongxiang's demo data through the services, and serve it.

Starts the web server on http://127.0.0.1:8000, the task worker of every queue (``xiangzhi worker``) and the periodic jobs. ``--no-serve``
prepares the data and exits. Idempotent: a second run duplicates nothing. ``--seed`` makes it reproducible.
"""

from __future__ import annotations

import importlib
import random
import subprocess
import sys
import threading
import time

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand

from xiangzhi.core.demo import DemoContext

# The background worker the demo runs beside the web server: every queue (SMS and login codes included).
WORKER_ARGS = ["-m", "xiangzhi", "worker", "--no-reload"]


def demo_builders() -> list:
    builders = []
    for config in apps.get_app_configs():
        if not config.name.startswith("xiangzhi."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        if hasattr(module, "build"):
            builders.append((config.label, module.build))
    return builders


class Command(BaseCommand):
    help = "演示：迁移数据库、载入桐乡市演示数据、启动网站、任务进程和定时任务（http://127.0.0.1:8000）。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--seed", type=int, default=42, help="random seed (reproducible demo)")
        parser.add_argument("--no-serve", action="store_true", help="prepare the data and exit")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
        parser.add_argument("--cases", type=int, default=None, help="number of demo cases (where supported)")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("数据库已迁移。")
        ctx = DemoContext(seed=options["seed"], rng=random.Random(options["seed"]), stdout=self.stdout,
                          options={"cases": options["cases"]})
        for label, build in demo_builders():
            ctx.rng = random.Random(f"{options['seed']}:{label}")
            build(ctx)
        self.stdout.write(f"演示数据已就绪（{time.monotonic() - started:.1f} 秒）。")
        self.stdout.write("")
        self.stdout.write("演示账号（用户名 / 密码 / 角色）：")
        for username, password, role in ctx.accounts:
            self.stdout.write(f"  {username:<18} {password:<16} {role}")
        self.stdout.write("群众登录：任意手机号，验证码显示在本控制台。")
        if options["no_serve"]:
            return
        self.serve(options["addr"])

    def serve(self, addr: str) -> None:
        worker = subprocess.Popen([sys.executable, *WORKER_ARGS])  # noqa: S603
        stop = threading.Event()

        def periodic_loop() -> None:
            from django.db import close_old_connections

            from xiangzhi.core.periodic import run_due

            while not stop.is_set():
                try:
                    run_due()
                finally:
                    close_old_connections()
                stop.wait(60)

        thread = threading.Thread(target=periodic_loop, name="runperiodic", daemon=True)
        thread.start()
        self.stdout.write(f"网站：http://{addr}/   工作台：http://{addr}/workbench/   接口文档：http://{addr}/api/v1/docs")
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            stop.set()
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
