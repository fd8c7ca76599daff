"""研判 over many cases (default 1,000,000, inserted with bulk_create): the county dashboard (selector and the whole
page) and the annual mediation report — server time, SQL queries, and the ratio to a floor measured in the same run:
one hand-written GROUP BY over the same table and rows (``SELECT dispute_type_id, COUNT(*) … GROUP BY``).

    .venv/bin/python bench/insights_dashboard.py [--n 1000000] [--repeat 3]

SQLite in a temporary data dir (tmpfs when there is one), like the other benchmarks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from disputes_setup import setup


def insert(n: int) -> float:
    from django.db import transaction

    from xiangzhi.core.models import Organisation, Region
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.models import Case, DisputeType
    from xiangzhi.disputes.services import ensure_reference_data

    ensure_reference_data()
    rng = random.Random(42)
    villages = list(Region.objects.filter(level="village").values_list("id", "code"))
    orgs = dict(Organisation.objects.filter(kind="village_committee").values_list("region__code", "id"))
    types = list(DisputeType.objects.values_list("id", flat=True))
    stages = [S.CLOSED] * 8 + [S.ARCHIVED, S.TERMINATED, S.IN_MEDIATION, S.ASSIGNED, S.ACCEPTED, S.REPORTED,
                                S.NOT_ACCEPTED, S.FOLLOW_UP, S.ESCALATED]
    levels = ["grid", "village", "village", "village", "town", "town", "county"]
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    t0 = time.perf_counter()
    batch = []
    for i in range(n):
        vid, code = villages[i % len(villages)]
        at = base + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 330))
        stage = stages[rng.randrange(len(stages))]
        done = stage in (S.CLOSED, S.ARCHIVED, S.FOLLOW_UP)
        batch.append(Case(
            year=2026, seq=i + 1, number=f"B{i}", archive_number=f"A{i}", token=f"t{i:040d}", stage=stage,
            stage_changed_at=at, channel="window", source="application", dispute_type_id=types[i % len(types)],
            risk_level="major" if i % 97 == 0 else "normal", region_id=vid, region_code=code,
            level=levels[i % len(levels)], organisation_id=orgs.get(code), description="bench", created_at=at,
            agreement_effective_at=at + dt.timedelta(days=5) if done else None,
            agreement_amount=1000 if done and i % 3 == 0 else None,
            closed_at=at + dt.timedelta(days=rng.randrange(0, 40)) if stage in (S.CLOSED, S.ARCHIVED) else None))
        if len(batch) == 20_000:
            with transaction.atomic():
                Case.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            Case.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return time.perf_counter() - t0


def timed(fn, repeat: int) -> float:  # noqa: ANN001
    fn()  # warm
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def profile(label: str, fn) -> None:  # noqa: ANN001
    """Each SQL query of one call with its own time (a query's time includes fetching its rows) and the Python time
    between queries."""
    from django.db import connection

    fn()  # warm
    times: list[tuple[float, str]] = []

    def wrapper(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            times.append((time.perf_counter() - t, sql))

    t0 = time.perf_counter()
    with connection.execute_wrapper(wrapper):
        fn()
    total = time.perf_counter() - t0
    print(f"-- {label}: {total * 1000:.1f} ms, {len(times)} queries, "
          f"{(total - sum(t for t, _ in times)) * 1000:.1f} ms outside SQL execution")
    for t, sql in sorted(times, reverse=True):
        print(f"   {t * 1000:8.1f} ms  {sql[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="time each SQL query of the dashboard and report")
    args = parser.parse_args()
    env = setup("insights")
    seconds = insert(args.n)
    print(f"inserted {args.n:,} cases in {seconds:.1f} s (bulk_create)")

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from xiangzhi.insights import selectors

    user = env["centre"]
    period = selectors.parse_period("2026")
    county = selectors.region_for("330483")

    def floor() -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT dispute_type_id, COUNT(*) FROM disputes_case WHERE region_code LIKE %s "
                        "AND created_at >= %s AND created_at < %s GROUP BY dispute_type_id",
                        ["330483%", period.start, period.end])
            cur.fetchall()

    def board() -> None:
        user.__dict__.pop("_xz_case_memberships", None)
        selectors.dashboard(user, region=county, period=period, link_base="/insights/cases/")

    def report() -> None:
        selectors.mediation_report(user, period=period, region_code="330483")

    client = Client()
    client.force_login(user, backend="xiangzhi.core.security.LockoutBackend")

    def page() -> None:
        assert client.get("/insights/", {"period": "2026"}).status_code == 200

    with CaptureQueriesContext(connection) as ctx:
        board()
    queries = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        page()
    page_queries = len(ctx.captured_queries)
    if args.profile:
        profile("county dashboard (selector)", board)
        profile("annual mediation report", report)
    f = timed(floor, args.repeat)
    b = timed(board, args.repeat)
    r = timed(report, args.repeat)
    p = timed(page, args.repeat)
    print(f"floor: one GROUP BY over {args.n:,} cases          {f * 1000:8.1f} ms")
    print(f"county dashboard (selector)  {b * 1000:8.1f} ms  ratio {b / f:5.2f}  SQL queries {queries}")
    print(f"county dashboard (page)      {p * 1000:8.1f} ms  ratio {p / f:5.2f}  SQL queries {page_queries}")
    print(f"annual mediation report      {r * 1000:8.1f} ms  ratio {r / f:5.2f}")
    print(f"dashboard ÷ number of GROUP BY passes ≈ {b / f / max(1, queries - 3):.2f} × floor per pass")


if __name__ == "__main__":
    main()
