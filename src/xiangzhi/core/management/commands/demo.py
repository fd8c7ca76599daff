"""``xiangzhi demo``: migrate, load Tongxiang's demo data through the services, and serve it.

Starts the web server on http://127.0.0.1:8000, the task worker of every queue (``xiangzhi worker``) and the periodic
jobs (``xiangzhi runperiodic --every 60``) as child processes. ``--no-serve`` prepares the data and exits. Idempotent: a
second run duplicates nothing. ``--seed`` makes it reproducible.

While it serves, the console shows the sign-in codes and nothing of the hundreds of SMS the demo data queues for its
made-up villagers: unless ``XIANGZHI_SMS_BACKEND`` is set, the children send through
``xiangzhi.core.sms.DemoConsoleBackend`` (every message to ``XIANGZHI_SMS_FILE_DIR/outbox.jsonl``, codes also to the
console). Ctrl-C or SIGTERM stops the server and both children; on Linux a child also ends if the demo is killed.
"""

from __future__ import annotations

import importlib
import os
import random
import signal
import subprocess
import sys
import time

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from xiangzhi.core.demo import DemoContext

# The background processes the demo runs beside the web server: the worker of every queue (SMS and sign-in codes
# included) and the periodic jobs.
WORKER_ARGS = ["-m", "xiangzhi", "worker", "--no-reload"]
PERIODIC_ARGS = ["-m", "xiangzhi", "runperiodic", "--every", "60"]
SMS_SETTING = "XIANGZHI_SMS_BACKEND"
DEMO_SMS_BACKEND = "xiangzhi.core.sms.DemoConsoleBackend"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _end_with_parent() -> None:
    """Run in a child before it executes (Linux): the kernel sends the child SIGTERM when the demo process dies, even
    by SIGKILL, so no worker outlives its demo."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the demo's own clean-up still stops the children
        pass


def _interrupt(signum, frame) -> None:  # noqa: ANN001, ARG001
    """SIGTERM as Ctrl-C: runserver stops on KeyboardInterrupt, and the demo's clean-up stops its children."""
    raise KeyboardInterrupt


def start_children(env: dict[str, str]) -> list[subprocess.Popen]:
    pre = _end_with_parent if sys.platform.startswith("linux") else None
    return [subprocess.Popen([sys.executable, *args], env=env, preexec_fn=pre)
            for args in (WORKER_ARGS, PERIODIC_ARGS)]


def stop_children(children: list[subprocess.Popen], *, timeout: float = 10) -> None:
    """SIGTERM to each child (the worker finishes the task in hand, runperiodic the job in hand), then SIGKILL."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


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
        env = dict(os.environ)
        if SMS_SETTING not in env and f"{SMS_SETTING}_FILE" not in env:  # unless the visitor chose a backend
            env[SMS_SETTING] = DEMO_SMS_BACKEND
            outbox = os.path.join(settings.XIANGZHI_SMS_FILE_DIR, "outbox.jsonl")
            self.stdout.write(f"短信：登录验证码显示在本控制台；其余短信（演示数据产生的通知等）写入 {outbox}")
        # The children log warnings and errors only: not two lines for each task delivering the demo data's SMS.
        env.setdefault("LOG_LEVEL", "WARNING")
        self.stdout.write(f"网站：http://{addr}/   工作台：http://{addr}/workbench/   接口文档：http://{addr}/api/v1/docs")
        self.stdout.write("按 Ctrl-C 停止（网站、任务进程和定时任务一同停止）。")
        children = start_children(env)
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            call_command("runserver", addr, use_reloader=False)
        except KeyboardInterrupt:  # before runserver had its own handler in place
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            stop_children(children)
