"""gunicorn settings for one 乡治 web machine (``gunicorn --config /etc/xiangzhi/gunicorn.conf.py xiangzhi.wsgi``).

Every value comes from the environment (``/etc/xiangzhi/xiangzhi.env`` through the unit's EnvironmentFile=), so one
file serves every machine of a province:

* ``XIANGZHI_GUNICORN_BIND``    — where nginx reaches this machine (default ``127.0.0.1:8001``; a comma-separated
  list binds several addresses, e.g. ``0.0.0.0:8001`` when nginx runs on another machine).
* ``XIANGZHI_GUNICORN_WORKERS`` — processes; default one per core, at least 2 and at most 4: a process holds about
  370 MB once the consultation index is loaded (README, 法规库), so memory, not CPU, bounds it.
* ``XIANGZHI_GUNICORN_THREADS`` — threads per process (default 4): requests wait on PostgreSQL more than on CPU.
* ``XIANGZHI_GUNICORN_TIMEOUT`` — seconds before a silent worker is restarted (default 120: imports and reports).
"""

from __future__ import annotations

import os


def _int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name}={raw!r} is not an integer.") from exc
    if value < minimum:
        raise SystemExit(f"{name}={value} is below the minimum {minimum}.")
    return value


def default_workers(cores: int | None) -> int:
    return max(2, min(cores or 1, 4))


wsgi_app = "xiangzhi.wsgi:application"
bind = [b.strip() for b in os.environ.get("XIANGZHI_GUNICORN_BIND", "127.0.0.1:8001").split(",") if b.strip()]
workers = _int("XIANGZHI_GUNICORN_WORKERS", default_workers(os.cpu_count()))
threads = _int("XIANGZHI_GUNICORN_THREADS", 4)
worker_class = "gthread"
timeout = _int("XIANGZHI_GUNICORN_TIMEOUT", 120)
graceful_timeout = 30
keepalive = 5
# Recycle a process now and then so that memory fragmentation never accumulates; jitter keeps them from all
# restarting at once.
max_requests = 5000
max_requests_jitter = 500
# nginx in front adds X-Forwarded-Proto; Django trusts it through XIANGZHI_BEHIND_PROXY (SECURE_PROXY_SSL_HEADER).
# gunicorn's own use of it (wsgi.url_scheme) is limited to the local proxy.
forwarded_allow_ips = os.environ.get("XIANGZHI_GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Errors go to stderr (the journal); nginx keeps the access log.
errorlog = "-"
accesslog = None
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "xiangzhi-web"
# Workers share no state; leave preloading off so every process opens its own database connections.
preload_app = False
