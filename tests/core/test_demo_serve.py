"""``xiangzhi demo`` while it serves, as a newcomer meets it: the console shows sign-in codes but not the SMS the demo
data queues (those go to the file outbox), and stopping the demo — Ctrl-C, SIGTERM, even SIGKILL — stops its worker
and periodic processes too.

The demo's serving part (``Command.serve``, everything after the data is built) runs in a subprocess against a small
data dir migrated once for the module: building the whole demo takes minutes (tests/core/test_demo.py does that)."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.cli import clean_env, run_python, run_xiangzhi

REPO = Path(__file__).resolve().parents[2]

SERVE = ("import sys, django; django.setup()\n"
         "from xiangzhi.core.management.commands.demo import Command\n"
         "Command().serve(sys.argv[1])\n")
QUEUE_SMS = ("import django; django.setup()\n"
             "from xiangzhi.core import services\n"
             "services.enqueue_sms('13900000002', '【乡治】演示数据的调解通知，请勿打印到控制台。')\n"
             "services.request_login_code('13800000001')\n")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("demo-serve") / "data"
    result = run_xiangzhi("migrate", "-v", "0", env=_env(data), timeout=600)
    assert result.returncode == 0, result.stderr
    return data


def _env(data: Path) -> dict[str, str]:
    env = clean_env(data, XIANGZHI_ENV="development", DJANGO_SETTINGS_MODULE="xiangzhi.settings")
    env.pop("LOG_LEVEL", None)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _start(data: Path, tmp_path: Path) -> tuple[subprocess.Popen, list[psutil.Process], int, Path, Path]:
    port = _free_port()
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("w") as o, err.open("w") as e:
        demo = subprocess.Popen([sys.executable, "-c", SERVE, f"127.0.0.1:{port}"], env=_env(data), stdout=o,
                                stderr=e)
    _wait_for(lambda: _answers(port) or demo.poll() is not None, 120, "the demo's web server")
    assert demo.poll() is None, err.read_text()
    _wait_for(lambda: len(psutil.Process(demo.pid).children(recursive=True)) >= 2, 30, "the demo's children")
    children = psutil.Process(demo.pid).children(recursive=True)
    commands = sorted(" ".join(c.cmdline()[3:5]) for c in children)
    assert commands == ["runperiodic --every", "worker --no-reload"]
    return demo, children, port, out, err


def _gone(children: list[psutil.Process]) -> bool:
    for child in children:
        try:
            if child.is_running() and child.status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            continue
    return True


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stopping_the_demo_stops_its_worker_and_periodic_processes(data_dir, tmp_path, signum):
    demo, children, _port, out, err = _start(data_dir, tmp_path)
    try:
        demo.send_signal(signum)
        assert demo.wait(timeout=40) == 0, err.read_text()
        _wait_for(lambda: _gone(children), 15, "the children to end")
    finally:
        if demo.poll() is None:
            demo.kill()
        for child in children:
            if child.is_running():
                child.kill()
    assert "按 Ctrl-C 停止" in out.read_text()


@pytest.mark.slow
def test_a_killed_demo_takes_its_children_with_it(data_dir, tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("the parent-death signal is Linux's")
    demo, children, _port, _out, _err = _start(data_dir, tmp_path)
    try:
        demo.kill()
        demo.wait(timeout=10)
        _wait_for(lambda: _gone(children), 30, "the orphaned children to end")
    finally:
        for child in children:
            if child.is_running():
                child.kill()


@pytest.mark.slow
def test_the_console_shows_sign_in_codes_and_the_outbox_file_has_every_sms(data_dir, tmp_path):
    demo, children, _port, out, err = _start(data_dir, tmp_path)
    outbox = data_dir / "sms" / "outbox.jsonl"
    before = outbox.read_text(encoding="utf-8").splitlines() if outbox.exists() else []
    try:
        queued = run_python(QUEUE_SMS, env=_env(data_dir))
        assert queued.returncode == 0, queued.stderr
        _wait_for(lambda: outbox.exists() and len(outbox.read_text(encoding="utf-8").splitlines()) >= len(before) + 2,
                  60, "the worker to send both messages")
        _wait_for(lambda: "您的登录验证码为" in err.read_text(encoding="utf-8"), 10, "the code on the console")
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=40)
        _wait_for(lambda: _gone(children), 15, "the children to end")
    sent = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()[len(before):]]
    assert sorted(m["to"] for m in sent) == ["13800000001", "13900000002"]
    console = err.read_text(encoding="utf-8")
    (code_line,) = [line for line in console.splitlines() if "您的登录验证码为" in line]
    assert code_line.startswith("[短信 → 138****0001] 【乡治】您的登录验证码为")
    assert "演示数据的调解通知" not in console and "13900000002" not in console
    # no task log lines (two a task at INFO) around the code
    assert "state=" not in console and "Task id=" not in console
    assert "登录验证码显示在本控制台" in out.read_text(encoding="utf-8")


def test_make_demo_takes_the_port_and_the_readme_says_so():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo: install\n\t\$\(BIN\)/xiangzhi demo --addr \$\(HOST\):\$\(PORT\) \$\(DEMO_ARGS\)$", makefile,
                     flags=re.MULTILINE)
    assert re.search(r"^PORT\s+\?= 8000$", makefile, flags=re.MULTILINE)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make demo PORT=8001" in readme and "data/sms/outbox.jsonl" in readme
