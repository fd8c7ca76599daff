"""Running ``xiangzhi`` in a subprocess with a clean environment, as an operator on a fresh machine would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# What a test process may carry that a deployment would not have: our settings, a database, secrets, and the browser
# tests' DJANGO_ALLOW_ASYNC_UNSAFE.
_DROP = ("XIANGZHI_", "DATABASE_URL", "SECRET_KEY", "DJANGO_")


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any of our settings, with ``XIANGZHI_DATA_DIR=data_dir`` and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP)}
    env["XIANGZHI_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def run_xiangzhi(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """``python -m xiangzhi ARGS`` (the console command) in ``env``; never raises on a non-zero exit."""
    return subprocess.run([sys.executable, "-m", "xiangzhi", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def run_python(code: str, *, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """``python -c CODE`` with Django set up from ``env`` (the code calls ``django.setup()`` itself)."""
    return subprocess.run([sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "xiangzhi.settings"},
                          capture_output=True, text=True, timeout=timeout, check=False)
