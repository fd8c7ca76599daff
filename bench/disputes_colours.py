"""The periodic colour/deadline pass of ``runperiodic`` (五色管理) over N open cases (default 1,000,000): seconds per
run, cases per second, queries per run, and the peak memory of a steady-state run — the growth of the resident set
during the pass, in a fresh process of its own (Linux VmHWM, reset just before the pass) — shown flat against the
same run over N/10 cases: the pass never holds all cases in memory, only one keyset-paginated chunk of value rows.

    .venv/bin/python bench/disputes_colours.py [--n 1000000]

Cases are inserted with bulk_create (not through the services: this measures the pass, not intake): stages spread
over the open ones, a stage change within the last two days for most, one case in 50 forty days old (overdue: red,
escalation offer), one in 97 of major risk; mediators assigned to the cases in mediation; a supervisor in every town
and at the county centre, so the reminders really fire. The first run creates every CaseClock row and queues the
reminders; the next ones (10 minutes apart, as runperiodic schedules it) are the steady state: little changed,
nothing sent twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from disputes_setup import fresh_database, staff_for_reminders


def insert(n: int, start: int, mediators: list[int], base: dt.datetime) -> None:
    from django.db import transaction

    from xiangzhi.core.models import Region
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.models import Case, DisputeType

    rng = random.Random(42 + start)
    villages = list(Region.objects.filter(level="village").values_list("id", "code"))
    types = list(DisputeType.objects.values_list("id", flat=True))
    stages = [S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.IN_MEDIATION, S.ESCALATED,
              S.AGREEMENT_WRITTEN]
    batch = []
    for i in range(start, start + n):
        vid, code = villages[i % len(villages)]
        stage = stages[i % len(stages)]
        at = base - dt.timedelta(minutes=rng.randrange(0, 60 * 48)) - dt.timedelta(days=0 if i % 50 else 40)
        batch.append(Case(year=2026, seq=i + 1, number=f"B{i}", archive_number=f"A{i}", token=f"t{i:040d}",
                          stage=stage, stage_changed_at=at, channel="window", source="application",
                          dispute_type_id=types[i % len(types)], risk_level="major" if i % 97 == 0 else "normal",
                          region_id=vid, region_code=code, level="village", description="bench", created_at=at,
                          mediator_id=mediators[i % len(mediators)] if stage not in (S.REPORTED, S.ACCEPTED) else None,
                          confirm_due=at + dt.timedelta(days=2) if stage == S.ASSIGNED else None))
        if len(batch) == 20_000:
            with transaction.atomic():
                Case.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            Case.objects.bulk_create(batch)


def run(now: dt.datetime) -> tuple[float, int, object]:
    """One pass in this process: seconds, queries, stats."""
    from django.db import connection

    from xiangzhi.disputes.services.deadlines import colour_pass

    queries = 0

    def count(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    t0, c0 = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        stats = colour_pass(now=now)
    seconds = time.perf_counter() - t0
    print(f"  (process CPU time {time.process_time() - c0:.1f} s of {seconds:.1f} s wall)", file=sys.stderr, flush=True)
    return seconds, queries, stats


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def measured_pass(now: dt.datetime) -> dict:
    """A steady-state pass in a fresh process on the same database (the environment set by ``setup`` is inherited):
    seconds and the growth of the resident set during the pass (VmHWM reset through /proc/self/clear_refs just before
    it), so nothing allocated before — the inserts — can hide or inflate what the pass itself needs."""
    proc = subprocess.run([sys.executable, __file__, "--measure", now.isoformat()], capture_output=True, text=True,
                          check=False, env=os.environ.copy())
    if proc.returncode:
        sys.exit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _measure_child(now: dt.datetime) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from xiangzhi.core import workdays
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services import deadlines  # noqa: F401 (load the modules the pass uses)

    Case.objects.exists()  # connect, load the modules the pass uses
    workdays.calendar()
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    base = _kib("VmRSS")
    c0 = time.process_time()
    seconds, queries, stats = run(now)
    return {"seconds": seconds, "cpu": time.process_time() - c0, "queries": queries,
            "peak_kib": _kib("VmHWM") - base, "stats": str(stats)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure_child(dt.datetime.fromisoformat(args.measure))))
        return
    fresh_database("colours")
    from django.db import connection

    mediators = staff_for_reminders()
    small = max(args.n // 10, 10_000)
    now = dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC)
    t0 = time.perf_counter()
    insert(small, 0, mediators, now)
    inserting = time.perf_counter() - t0
    s1, q1, st1 = run(now)
    m_small = measured_pass(now + dt.timedelta(minutes=10))
    print(f"database: {connection.vendor}; {small:,} open cases: pass 1 {s1:.1f} s ({q1:,} queries) {st1}; "
          f"steady pass (own process) {m_small['seconds']:.1f} s (process CPU {m_small['cpu']:.1f} s), "
          f"{m_small['queries']:,} queries, "
          f"peak +{m_small['peak_kib'] / 1024:.1f} MiB", flush=True)
    t1 = time.perf_counter()
    insert(args.n - small, small, mediators, now)
    inserting += time.perf_counter() - t1
    print(f"inserted {args.n:,} open cases in {inserting:.0f} s (bulk_create)", flush=True)
    for k, label in enumerate(["pass 1 (creates the new clock rows, queues reminders)",
                               "pass 2 (steady state, 10 minutes later)"]):
        seconds, queries, stats = run(now + dt.timedelta(minutes=20 + 10 * k))
        print(f"{label}: {seconds:.1f} s ({args.n / seconds:,.0f} cases/s), {queries:,} queries  {stats}", flush=True)
    m_big = measured_pass(now + dt.timedelta(minutes=40))
    print(f"pass 3 (steady state, own process): {m_big['seconds']:.1f} s ({args.n / m_big['seconds']:,.0f} cases/s; "
          f"process CPU {m_big['cpu']:.1f} s), {m_big['queries']:,} queries  {m_big['stats']}")
    print(f"peak memory growth of a steady pass: {m_big['peak_kib'] / 1024:.1f} MiB for {args.n:,} cases vs "
          f"{m_small['peak_kib'] / 1024:.1f} MiB for {small:,} (ratio "
          f"{m_big['peak_kib'] / max(m_small['peak_kib'], 1):.2f}; flat ≈ 1, linear would be {args.n / small:.0f})")


if __name__ == "__main__":
    main()
