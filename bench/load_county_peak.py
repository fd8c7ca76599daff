"""Benchmark: a county's peak against gunicorn + PostgreSQL, then the same mix pushed until the machine gives way.

Usage::

    python bench/load_county_peak.py [--users 200] [--duration 30] [--ramp 10,50,100,200,400] [--ramp-duration 20]
                                     [--think 1.0] [--reuse --data-dir DIR] [--json out.json]

Steps (nothing is asserted; figures are printed, see bench/LOAD.md for a run written down):

1. a fresh PostgreSQL database (``XIANGZHI_LOAD_DB``, default ``xiangzhi_load``; DROP/CREATE with psql on
   ``XIANGZHI_LOAD_PG``, default ``postgres://postgres@127.0.0.1:5432``) and a temporary data dir; ``xiangzhi demo
   --no-serve --cases N`` migrates and loads Tongxiang's demo (several minutes). ``--reuse`` keeps a database and data
   dir (``--data-dir``) that an earlier run prepared.
2. gunicorn with ``deploy/gunicorn.conf.py`` (gthread; workers/threads from the same env variables as production) on a
   free port, ``DEBUG`` off, ``XIANGZHI_TRUSTED_PROXY_COUNT=1``: every virtual user sends its own
   ``X-Forwarded-For`` address, as nginx would for 200 villagers on 200 phones, so the per-address limits see 200
   addresses and not one. The per-token API budget is raised (one token serves every simulated window clerk).
3. the floor: ``/healthz`` (one ``SELECT 1`` through the whole middleware stack) with the same users and think time;
4. the county mix with ``--users`` users for ``--duration`` seconds; each user loops: think (uniform 0.5–1.5 ×
   ``--think`` s), then one of
     status 35 %  — the public status page by token (``/cases/s/<token>/``) or the number lookup (``/cases/lookup/``)
     robot 25 %   — 法律咨询机器人: POST a question to ``/consult/`` (the answer is computed in the POST)
     workbench 30 % — a signed-in mediator's ``/cases/workbench/`` or a case page ``/cases/workbench/<pk>/``
     intake 10 %  — ``POST /api/v1/cases/`` with a staff bearer token (窗口登记: a new case, ledger leaf, SMS queued)
   p50/p95/p99 latency, error rate (an unexpected status, or a transport error: code 0) and throughput (requests
   completed within the phase / its seconds) per endpoint and overall, each with its ratio to the floor, and the
   CPU milliseconds gunicorn and PostgreSQL spent per request (a figure that survives a busy machine);
5. the ramp: the same mix at each user count of ``--ramp``; per step the throughput, p95, errors and the CPU of
   gunicorn (master + workers), of this database's PostgreSQL backends, of the load generator itself and of the
   whole machine (psutil, sampled every second), plus the peak of PostgreSQL connections to the database; transport
   errors are counted by kind, and gunicorn's log (at INFO, ``<data dir>/gunicorn.log``) by worker restarts.

The load generator is Python threads in this process, on the same 2 cores as the server: its own CPU is printed so
that a reader can tell when the client, and not the server, is the bottleneck.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
QUESTIONS = ["邻居家的树根把我家院墙顶裂了怎么办", "老板拖欠工资三个月了怎么办", "我想离婚孩子归谁", "借钱不还怎么办",
             "在工地上干活摔伤了老板不管", "宅基地被邻居占了怎么办", "土地承包到期了还能续包吗",
             "父亲去世没有遗嘱房子怎么分", "被狗咬了找谁赔", "买到假货商家不退怎么办"]
DESCRIPTIONS = ["隔壁邻居把围墙砌到我家院子里来了，占了一米多", "邻居装修把我家墙面震裂了，协商不成",
                "承包的鱼塘被上游排水污染，鱼死了一半", "借给同村人三万元，到期不还", "养的狗咬伤了路过的老人，医药费谈不拢"]
MIX = [("status", 35), ("robot", 25), ("workbench", 30), ("intake", 10)]
STAFF = "wuzhen_mediator"
SEED = 1

SEED_SNIPPET = """
import json
from xiangzhi.core.demo import demo_password
from xiangzhi.core.models import Membership
from xiangzhi.disputes.models import Case
from xiangzhi.disputes.selectors import cases_visible_to
m = Membership.objects.filter(user__username=%r, is_active=True).select_related("region").first()
cases = list(cases_visible_to(m.user).values_list("pk", "token", "number"))
every = list(Case.objects.values_list("token", "number")[:500])
print(json.dumps({"region": m.region.code, "own": cases, "all": every, "password": demo_password(%r, %d)}))
"""


# --- setup ---------------------------------------------------------------------------------------------------------
def psql(pg: str, sql: str) -> None:
    subprocess.run(["psql", f"{pg}/postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True)


def xz(env: dict[str, str], *args: str, capture: bool = False) -> str:
    out = subprocess.run([PY, "-m", "xiangzhi", *args], env=env, check=True, text=True,
                         stdout=subprocess.PIPE if capture else None)
    return out.stdout or ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(args: argparse.Namespace, env: dict[str, str]) -> None:
    if args.reuse:
        print(f"reusing database {args.db} and data dir {env['XIANGZHI_DATA_DIR']}")
        return
    psql(args.pg, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    psql(args.pg, f'CREATE DATABASE "{args.db}"')
    t0 = time.monotonic()
    xz(env, "demo", "--no-serve", "--cases", str(args.cases), "--seed", str(SEED), "-v", "0")
    print(f"seed: migrate + demo --cases {args.cases} in {time.monotonic() - t0:.0f} s")


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """gunicorn at INFO (its worker restarts show) into ``log``; Django's own log level stays at WARNING."""
    genv = {**env, "XIANGZHI_GUNICORN_BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([PY, "-m", "gunicorn", "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
                             "--log-level", "info"], env=genv, cwd=str(ROOT), stderr=log.open("ab"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("gunicorn did not answer /healthz (exited, or not within 60 s)")


def staff_session(base: str, username: str, password: str, address: str) -> requests.Session:
    s = requests.Session()
    s.headers["X-Forwarded-For"] = address
    s.get(f"{base}/login/", timeout=30)
    r = s.post(f"{base}/login/", data={"username": username, "password": password,
                                        "csrfmiddlewaretoken": s.cookies.get("csrftoken", "")},
               allow_redirects=False, timeout=30)
    if r.status_code != 302 or "login" in r.headers.get("Location", ""):
        raise SystemExit(f"staff sign-in as {username} failed ({r.status_code})")
    return s


# --- the load ------------------------------------------------------------------------------------------------------
@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    codes: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    done_by_stop: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # completed before the stop
    stop_at: float = float("inf")
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # transport errors by kind
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float, status: int, ok: bool) -> None:
        with self.lock:
            self.latencies[name].append(seconds)
            self.codes[name][status] += 1
            if time.monotonic() <= self.stop_at:
                self.done_by_stop[name] += 1
            if not ok:
                self.errors[name] += 1


@dataclass
class World:
    base: str
    token: str
    region: str
    own: list  # (pk, token, number) of the mediator's cases
    every: list  # (token, number)
    staff_cookies: list  # cookie jars of signed-in mediator sessions


class User(threading.Thread):
    def __init__(self, n: int, world: World, stats: Stats, stop: threading.Event, think: float, only: str | None):
        super().__init__(daemon=True)
        self.n, self.world, self.stats, self.stop, self.think, self.only = n, world, stats, stop, think, only
        self.rng = random.Random(n)
        self.http = requests.Session()
        self.http.headers["X-Forwarded-For"] = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255 or 1}"
        self.staff = requests.Session()
        self.staff.headers["X-Forwarded-For"] = f"10.200.{(n >> 8) & 255}.{n & 255 or 1}"
        self.staff.cookies.update(world.staff_cookies[n % len(world.staff_cookies)])
        self.api = requests.Session()
        self.api.headers.update({"Authorization": f"Bearer {world.token}", "X-Forwarded-For": self.staff.headers[
            "X-Forwarded-For"]})

    def timed(self, name: str, http: requests.Session, method: str, url: str, ok_codes=(200,), **kw) -> None:  # noqa: ANN001, ANN003
        t0 = time.perf_counter()
        try:
            status = http.request(method, url, timeout=60, allow_redirects=False, **kw).status_code
        except requests.RequestException as exc:
            status = 0
            with self.stats.lock:
                self.stats.failures[type(exc).__name__] += 1
        self.stats.add(name, time.perf_counter() - t0, status, status in ok_codes)

    def run(self) -> None:
        w, rng = self.world, self.rng
        names, weights = zip(*MIX, strict=True)
        time.sleep(rng.uniform(0, self.think))  # users arrive spread over one think time
        while not self.stop.is_set():
            kind = self.only or rng.choices(names, weights)[0]
            if kind == "healthz":
                self.timed("healthz", self.http, "GET", f"{w.base}/healthz")
            elif kind == "status":
                token, number = rng.choice(w.every)
                if rng.random() < 0.7:
                    self.timed("status page", self.http, "GET", f"{w.base}/cases/s/{token}/")
                else:
                    self.timed("status lookup", self.http, "GET", f"{w.base}/cases/lookup/", params={"number": number})
            elif kind == "robot":
                if "csrftoken" not in self.http.cookies:
                    self.timed("robot page", self.http, "GET", f"{w.base}/consult/")
                else:
                    data = {"question": rng.choice(QUESTIONS), "action": "ask",
                            "csrfmiddlewaretoken": self.http.cookies["csrftoken"]}
                    self.timed("robot ask", self.http, "POST", f"{w.base}/consult/", ok_codes=(302,), data=data)
            elif kind == "workbench":
                if rng.random() < 0.5 or not w.own:
                    self.timed("workbench list", self.staff, "GET", f"{w.base}/cases/workbench/")
                else:
                    pk = rng.choice(w.own)[0]
                    self.timed("workbench case", self.staff, "GET", f"{w.base}/cases/workbench/{pk}/")
            elif kind == "intake":
                body = {"applicant": {"name": f"压测{self.n}", "phone": f"138{rng.randrange(10**8):08d}"},
                        "respondents": [{"name": "李四"}], "region_code": w.region,
                        "description": rng.choice(DESCRIPTIONS), "channel": "window"}
                self.timed("intake (API)", self.api, "POST", f"{w.base}/api/v1/cases/", ok_codes=(201,), json=body)
            self.stop.wait(rng.uniform(0.5, 1.5) * self.think)


class Sampler(threading.Thread):
    """CPU seconds per second of gunicorn, this database's PostgreSQL backends, this process, and the machine."""

    def __init__(self, gunicorn_pid: int, db: str, pg: str):
        super().__init__(daemon=True)
        self.gpid, self.db, self.pg = gunicorn_pid, db, pg
        self.stop = threading.Event()
        self.samples: list[dict[str, float]] = []
        self.conns = 0

    def _cpu(self, procs: list[psutil.Process]) -> float:
        total = 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def _groups(self) -> dict[str, list[psutil.Process]]:
        try:
            g = psutil.Process(self.gpid)
            gun = [g, *g.children(recursive=True)]
        except psutil.Error:
            gun = []
        pg = []
        for p in psutil.process_iter(["cmdline"]):
            cmd = " ".join(p.info["cmdline"] or [])
            if cmd.startswith("postgres: ") and f" {self.db} " in cmd:
                pg.append(p)
        return {"gunicorn": gun, "postgres": pg, "client": [psutil.Process()]}

    def run(self) -> None:
        import psycopg

        conn = psycopg.connect(f"{self.pg}/{self.db}", autocommit=True)
        psutil.cpu_percent()
        groups = self._groups()
        before = {k: self._cpu(v) for k, v in groups.items()}
        t_before = time.monotonic()
        while not self.stop.wait(1.0):
            groups = self._groups()  # new backends / recycled workers appear
            now = {k: self._cpu(v) for k, v in groups.items()}
            dt = time.monotonic() - t_before
            sample = {k: max(now[k] - before[k], 0.0) / dt for k in now}
            sample["machine"] = psutil.cpu_percent() / 100 * (psutil.cpu_count() or 1)
            self.samples.append(sample)
            before, t_before = now, time.monotonic()
            n = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.db,)).fetchone()[0]
            self.conns = max(self.conns, n)
        conn.close()

    def mean(self) -> dict[str, float]:
        if not self.samples:
            return {}
        return {k: statistics.fmean(s[k] for s in self.samples) for k in self.samples[0]}


def phase(world: World, users: int, seconds: float, think: float, only: str | None, gpid: int,
          args: argparse.Namespace) -> dict:
    stats, stop = Stats(), threading.Event()
    sampler = Sampler(gpid, args.db, args.pg)
    sampler.start()
    crowd = [User(i + 1, world, stats, stop, think, only) for i in range(users)]
    t0 = time.monotonic()
    for u in crowd:
        u.start()
    time.sleep(seconds)
    stats.stop_at = time.monotonic()
    stop.set()
    for u in crowd:
        u.join(timeout=65)
    wall = time.monotonic() - t0
    sampler.stop.set()
    sampler.join()
    return {"users": users, "seconds": stats.stop_at - t0, "wall": wall, "stats": stats, "cpu": sampler.mean(), "pg_conns": sampler.conns}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(result: dict) -> dict[str, dict]:
    stats: Stats = result["stats"]
    rows = {}
    every: list[float] = []
    errors = 0
    for name, lat in sorted(stats.latencies.items()):
        every += lat
        errors += stats.errors[name]
        rows[name] = {"n": len(lat), "rps": stats.done_by_stop[name] / result["seconds"], "p50": pct(lat, 0.5), "p95": pct(lat, 0.95),
                      "p99": pct(lat, 0.99), "errors": stats.errors[name],
                      "codes": dict(stats.codes[name])}
    rows["ALL"] = {"n": len(every), "rps": sum(stats.done_by_stop.values()) / result["seconds"], "p50": pct(every, 0.5),
                   "p95": pct(every, 0.95), "p99": pct(every, 0.99), "errors": errors, "codes": {}}
    return rows


def print_table(title: str, rows: dict[str, dict], floor: dict | None) -> None:
    print(f"\n{title}")
    head = f"{'endpoint':16} {'n':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'err %':>6}"
    if floor:
        head += f" {'p50/fl':>7} {'p95/fl':>7} {'rps/fl':>7}"
    print(head)
    for name, r in rows.items():
        err = 100 * r["errors"] / r["n"] if r["n"] else 0
        line = (f"{name:16} {r['n']:6d} {r['rps']:7.1f} {r['p50'] * 1000:8.1f} {r['p95'] * 1000:8.1f} "
                f"{r['p99'] * 1000:8.1f} {err:6.2f}")
        if floor:
            line += (f" {r['p50'] / floor['p50']:7.1f} {r['p95'] / floor['p95']:7.1f} "
                     f"{r['rps'] / floor['rps']:7.2f}")
        bad = {c: k for c, k in r["codes"].items() if c not in (200, 201, 302)}  # 0: transport error
        if bad:
            line += f"  codes {bad}"
        print(line)


def cpu_ms(result: dict, who: str) -> float:
    """CPU milliseconds that ``who`` spent per completed request (a figure that survives a busy machine)."""
    done = sum(result["stats"].done_by_stop.values())
    return 1000 * result["cpu"].get(who, 0) * result["seconds"] / done if done else float("nan")


def print_cpu(result: dict) -> None:
    cpu = result["cpu"]
    print(f"  CPU (cores busy): gunicorn {cpu.get('gunicorn', 0):.2f}, postgres {cpu.get('postgres', 0):.2f}, "
          f"load generator {cpu.get('client', 0):.2f}, machine {cpu.get('machine', 0):.2f} of "
          f"{psutil.cpu_count()}; peak PostgreSQL connections {result['pg_conns']}")
    if result["stats"].failures:
        print(f"  transport errors by kind: {dict(result['stats'].failures)}")
    print(f"  CPU per request: gunicorn {cpu_ms(result, 'gunicorn'):.1f} ms, postgres {cpu_ms(result, 'postgres'):.1f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=os.environ.get("XIANGZHI_LOAD_DB", "xiangzhi_load"))
    parser.add_argument("--pg", default=os.environ.get("XIANGZHI_LOAD_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--data-dir", default="", help="keep the data dir here (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="keep the database and --data-dir of an earlier run")
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between a user's requests (s)")
    parser.add_argument("--ramp", default="10,50,100,200,400")
    parser.add_argument("--ramp-duration", type=float, default=20)
    parser.add_argument("--sessions", type=int, default=8, help="signed-in mediator sessions shared by the users")
    parser.add_argument("--json", default="", help="write the figures here as JSON")
    args = parser.parse_args()
    if args.reuse and not args.data_dir:
        parser.error("--reuse needs --data-dir")

    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="xz-load-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": f"{args.pg}/{args.db}", "XIANGZHI_DATA_DIR": str(data_dir),
           "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""), "DEBUG": "false",
           "XIANGZHI_TRUSTED_PROXY_COUNT": "1", "XIANGZHI_RATE_LIMIT_TOKEN_PER_MINUTE": "1000000"}
    gunicorn = None
    try:
        prepare(args, env)
        seed = json.loads(xz(env, "shell", "-c", SEED_SNIPPET % (STAFF, STAFF, SEED), capture=True).strip().splitlines()[-1])
        token = xz(env, "issue_token", STAFF, "--name", "load test", capture=True).strip().splitlines()[-1]
        port = free_port()
        gunicorn_log = data_dir / "gunicorn.log"
        gunicorn = start_gunicorn(env, port, gunicorn_log)
        base = f"http://127.0.0.1:{port}"
        sessions = [staff_session(base, STAFF, seed["password"], f"10.250.0.{i + 1}").cookies
                    for i in range(args.sessions)]
        world = World(base, token, seed["region"], seed["own"], seed["all"], sessions)
        workers = psutil.Process(gunicorn.pid).children()
        print(f"gunicorn on {base}: {len(workers)} workers × {os.environ.get('XIANGZHI_GUNICORN_THREADS', '4')} "
              f"threads; {len(seed['all'])} cases, {len(seed['own'])} visible to {STAFF}; think {args.think} s")

        # warm every worker: imports, templates, the consultation index
        phase(world, 8, 8, 0.2, None, gunicorn.pid, args)

        floor = phase(world, args.users, args.duration, args.think, "healthz", gunicorn.pid, args)
        floor_rows = summary(floor)
        print_table(f"floor: /healthz, {args.users} users, {args.duration:.0f} s", floor_rows, None)
        print_cpu(floor)
        peak = phase(world, args.users, args.duration, args.think, None, gunicorn.pid, args)
        peak_rows = summary(peak)
        print_table(f"county peak: the mix, {args.users} users, {args.duration:.0f} s (ratios to the floor's ALL)",
                    peak_rows, floor_rows["ALL"])
        print_cpu(peak)

        ramp = []
        print(f"\nramp: the mix, {args.ramp_duration:.0f} s per step")
        print(f"{'users':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'err %':>6} {'gunicorn':>9} "
              f"{'postgres':>9} {'client':>7} {'machine':>8} {'pg conns':>9} {'web ms/req':>10} {'pg ms/req':>9} {'load':>5}")
        for users in [int(u) for u in args.ramp.split(",") if u.strip()]:
            step = phase(world, users, args.ramp_duration, args.think, None, gunicorn.pid, args)
            a = summary(step)["ALL"]
            cpu = step["cpu"]
            print(f"{users:6d} {a['rps']:7.1f} {a['p50'] * 1000:8.1f} {a['p95'] * 1000:8.1f} {a['p99'] * 1000:8.1f} "
                  f"{100 * a['errors'] / max(a['n'], 1):6.2f} {cpu.get('gunicorn', 0):9.2f} "
                  f"{cpu.get('postgres', 0):9.2f} {cpu.get('client', 0):7.2f} {cpu.get('machine', 0):8.2f} "
                  f"{step['pg_conns']:9d} {cpu_ms(step, 'gunicorn'):10.1f} {cpu_ms(step, 'postgres'):9.1f} "
                  f"{os.getloadavg()[0]:5.1f}", flush=True)
            if step["stats"].failures:
                print(f"       transport errors by kind: {dict(step['stats'].failures)}")
            ramp.append({"users": users, **a, "cpu": cpu, "pg_conns": step["pg_conns"],
                         "web_cpu_ms": cpu_ms(step, "gunicorn"), "pg_cpu_ms": cpu_ms(step, "postgres"),
                         "by_endpoint": {k: v for k, v in summary(step).items() if k != "ALL"}})
        text = gunicorn_log.read_text(errors="replace")
        print(f"\ngunicorn: {text.count('Autorestarting worker')} worker restarts by max_requests, "
              f"{text.count('Booting worker')} workers booted, {text.count('[CRITICAL] WORKER TIMEOUT')} timeouts "
              f"(log: {gunicorn_log})")
        if args.json:
            def clean(rows: dict) -> dict:
                return {k: {**v, "codes": {str(c): n for c, n in v["codes"].items()}} for k, v in rows.items()}

            Path(args.json).write_text(json.dumps({
                "floor": clean(floor_rows), "floor_cpu": floor["cpu"], "peak": clean(peak_rows),
                "peak_cpu": peak["cpu"], "peak_web_cpu_ms": cpu_ms(peak, "gunicorn"),
                "peak_pg_cpu_ms": cpu_ms(peak, "postgres"), "peak_pg_conns": peak["pg_conns"],
                "ramp": [{**r, "codes": {}, "by_endpoint": clean(r["by_endpoint"])} for r in ramp],
                "users": args.users, "think": args.think}, indent=1, ensure_ascii=False))
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
