"""The periodic colour/deadline pass (五色管理) over N open cases (default 1,000,000): seconds per run, rows/s, and
the Python heap peak (tracemalloc), shown flat against a pass over N/10 cases.

    .venv/bin/python bench/disputes_colours.py [--n 1000000]

Cases are inserted with bulk_create (not through the services: this measures the pass, not intake). The first run
creates every CaseClock row; the second run finds nothing changed (the steady state every 10 minutes); the third
is the second again under tracemalloc, for the heap peak.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
import tracemalloc

from disputes_part2_setup import setup


def insert(n: int, start: int = 0) -> None:
    from django.db import transaction

    from xiangzhi.core.models import Region
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.models import Case, DisputeType

    rng = random.Random(42)
    villages = list(Region.objects.filter(level="village").values_list("id", "code"))
    types = list(DisputeType.objects.values_list("id", flat=True))
    stages = [S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.IN_MEDIATION, S.ESCALATED,
              S.AGREEMENT_WRITTEN]
    # most cases changed stage in the last week (on time); 1 in 50 is older (overdue → red, reminders queued)
    base = dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC)
    batch = []
    for i in range(start, start + n):
        vid, code = villages[i % len(villages)]
        at = base + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 7)) + dt.timedelta(
            days=0 if i % 50 else -40)
        batch.append(Case(year=2026, seq=i + 1, number=f"B{i}", archive_number=f"A{i}", token=f"t{i:040d}",
                          stage=stages[i % len(stages)], stage_changed_at=at, channel="window", source="application",
                          dispute_type_id=types[i % len(types)], risk_level="major" if i % 97 == 0 else "normal",
                          region_id=vid, region_code=code, level="village", description="bench", created_at=at,
                          confirm_due=at + dt.timedelta(days=4) if stages[i % len(stages)] == S.ASSIGNED else None))
        if len(batch) == 20_000:
            with transaction.atomic():
                Case.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            Case.objects.bulk_create(batch)


def run(now: dt.datetime, *, traced: bool = False) -> tuple[float, int, object]:
    from xiangzhi.disputes.deadlines import colour_pass

    if traced:
        tracemalloc.start()
    t0 = time.perf_counter()
    stats = colour_pass(now=now)
    seconds = time.perf_counter() - t0
    peak = 0
    if traced:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return seconds, peak, stats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    setup("colours")
    from django.db import connection

    small = max(args.n // 10, 1000)
    t0 = time.perf_counter()
    insert(small)
    now = dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC)
    s_small, peak_small, _ = run(now, traced=True)
    insert(args.n - small, start=small)
    insert_s = time.perf_counter() - t0
    print(f"database: {connection.vendor}; inserted {args.n:,} open cases in {insert_s:.0f} s (bulk_create)")
    first, _, st1 = run(now)
    second, _, st2 = run(now + dt.timedelta(minutes=10))
    third, peak_full, st3 = run(now + dt.timedelta(minutes=20), traced=True)
    print(f"pass 1 (creates every clock row): {first:.1f} s  ({args.n / first:,.0f} cases/s)  {st1}")
    print(f"pass 2 (steady state, nothing changed): {second:.1f} s  ({args.n / second:,.0f} cases/s)")
    print(f"pass 3 (steady state, traced): {third:.1f} s  {st3}")
    print(f"python heap peak: {peak_full / 2**20:.1f} MiB for {args.n:,} cases vs {peak_small / 2**20:.1f} MiB for "
          f"{small:,} (ratio {peak_full / max(peak_small, 1):.2f}; flat ≈ 1, linear would be "
          f"{args.n / small:.0f})")


if __name__ == "__main__":
    main()
