"""研判 over many cases (default 1,000,000, inserted with bulk_create): the county dashboard (selector and the whole
page) and the annual mediation report — server time, SQL queries, and the ratio to a floor measured in the same run:
one hand-written GROUP BY over the raw case table (``SELECT dispute_type_id, COUNT(*) FROM disputes_case … GROUP
BY``). The dashboard reads the 研判 summary (insights/summary.py); its rebuild after the bulk load and the cost of
a read right after 100 case changes (the fold included) are printed too, and once the same dashboard computed from
the cases (``source="cases"``), for comparison.

    .venv/bin/python bench/insights_dashboard.py [--n 1000000] [--repeat 3] [--profile]
        [--database-url postgres://postgres@127.0.0.1:5432/xiangzhi_bench_ins]

Without ``--database-url``: SQLite in a temporary data dir (tmpfs when there is one), like the other benchmarks.
With it: that PostgreSQL database is created (dropped first if it exists) and dropped at exit.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from urllib.parse import urlparse

import disputes_setup


def _admin_connect(url: str):  # noqa: ANN202
    import psycopg

    parts = urlparse(url)
    return psycopg.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=parts.username or "postgres",
                           password=parts.password or None, dbname="postgres", autocommit=True)


def setup(database_url: str | None) -> dict:
    """The set-up of disputes_setup.setup (regions, organisations, staff), on SQLite in tmpfs or on a fresh
    PostgreSQL database."""
    if not database_url:
        return disputes_setup.setup("insights")
    name = urlparse(database_url).path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"bad database name: {name!r}")
    with _admin_connect(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with _admin_connect(database_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    data_dir = tempfile.mkdtemp(prefix="xz-bench-insights-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    sys.path.insert(0, str(disputes_setup.ROOT / "src"))
    os.environ.update({"XIANGZHI_DATA_DIR": data_dir, "DATABASE_URL": database_url, "XIANGZHI_ENV": "test",
                       "XIANGZHI_SMS_BACKEND": "xiangzhi.core.sms.LocmemBackend",
                       "DJANGO_SETTINGS_MODULE": "xiangzhi.settings",
                       "XIANGZHI_TASK_BACKEND": "django_tasks.backends.dummy.DummyBackend"})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from xiangzhi.core import services
    from xiangzhi.core.demo import DIVISIONS, DemoContext, build_organisations
    from xiangzhi.core.models import Organisation, Region

    services.load_regions(json.loads(DIVISIONS.read_text(encoding="utf-8")), actor=None, source="bench")
    build_organisations(DemoContext(seed=1, rng=random.Random(1)))
    centre = services.create_staff_user(username="bench_centre", password="Bench-Pass-2026",
                                        display_name="bench_centre", actor=None)
    services.add_membership(centre, role="centre_staff", region=Region.objects.get(code="330483"),
                            organisation=Organisation.objects.get(kind="county_centre"), actor=None)
    return {"centre": centre}


def insert(n: int) -> float:
    from django.db import transaction

    from xiangzhi.core.models import Organisation, Region
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.models import Case, DisputeType
    from xiangzhi.disputes.services.routing import ensure_reference_data

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


def changes(n: int) -> int:
    """Change ``n`` cases the way the workflow does (stage, close time, risk) so that the next read folds them."""
    from django.db import transaction

    from xiangzhi.disputes.models import Case

    ids = list(Case.objects.filter(stage="in_mediation").order_by("id").values_list("id", flat=True)[:n])
    with transaction.atomic():
        for i, pk in enumerate(ids):
            Case.objects.filter(pk=pk).update(stage="closed", closed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                                              risk_level="major" if i % 2 else "normal")
    return len(ids)


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
    parser.add_argument("--database-url", help="a PostgreSQL database to create, fill and drop (default: SQLite)")
    args = parser.parse_args()
    env = setup(args.database_url)
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    seconds = insert(args.n)
    print(f"inserted {args.n:,} cases in {seconds:.1f} s (bulk_create, dirty-marking triggers on)")

    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from xiangzhi.insights import selectors, summary

    t0 = time.perf_counter()
    folded = summary.sync()
    print(f"summary built from the case table: {folded:,} cases in {time.perf_counter() - t0:.1f} s "
          f"({summary.SummaryCell.objects.count():,} cells)")

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
    changed = changes(100)
    t0 = time.perf_counter()
    board()
    after_changes = time.perf_counter() - t0
    t0 = time.perf_counter()
    selectors.dashboard(user, region=county, period=period, link_base="/insights/cases/", source="cases")
    raw = time.perf_counter() - t0
    print(f"floor: one GROUP BY over {args.n:,} cases          {f * 1000:8.1f} ms")
    print(f"county dashboard (selector)  {b * 1000:8.1f} ms  ratio {b / f:5.2f}  SQL queries {queries}")
    print(f"county dashboard (page)      {p * 1000:8.1f} ms  ratio {p / f:5.2f}  SQL queries {page_queries}")
    print(f"annual mediation report      {r * 1000:8.1f} ms  ratio {r / f:5.2f}")
    print(f"dashboard right after {changed} case changes (fold included) {after_changes * 1000:8.1f} ms  "
          f"ratio {after_changes / f:5.2f}")
    print(f"for comparison, the dashboard from the cases (5 GROUP BY passes, once) {raw * 1000:8.1f} ms  "
          f"ratio {raw / f:5.2f}")


if __name__ == "__main__":
    main()
