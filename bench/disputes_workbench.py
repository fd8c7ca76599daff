"""Benchmark: the workbench list (three jurisdictions, first page, a later keyset page, a stage and a colour filter),
the API list and the public status page, with a small and a large case table; server time per request (in-process
Django test client, median of repeats), the ratio large/small (goal ≤ 1.3) and SQL queries per page.

Both tables are kept (a copy of the database is taken at the small size) and measured in alternating rounds, so the
load of a shared machine falls on both sides of each ratio alike. Two times are printed: wall-clock, and the CPU
time of this process (on SQLite the database work runs in this process, so CPU time is the server's time without
the waits for a core that other programs cause; on PostgreSQL only the wall-clock time includes the database).

Run: ``.venv/bin/python bench/disputes_workbench.py [--small 10000] [--large 1000000] [--rounds 3]
[--database-url postgres://postgres@127.0.0.1:5432/xiangzhi_bench_wb]`` (the PostgreSQL database and its
``_small`` copy are created and dropped by the run). Rows are bulk-inserted in batches (the service layer is
measured by bench/disputes_intake.py).
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import gc
import secrets
import shutil
import statistics
import time
from pathlib import Path

from disputes_setup import setup


def _pg_admin(url: str, *statements: str) -> None:
    """Run statements on the server's maintenance database (CREATE/DROP DATABASE cannot run inside the target)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(url)
    info["dbname"] = "postgres"
    with psycopg.connect(make_conninfo(**info), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=11, help="requests per page and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating small/large measuring rounds")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL of a database to create and drop")
    parser.add_argument("--explain", action="store_true",
                        help="at the large size, print the plan of each page's slowest query (EXPLAIN ANALYZE on "
                        "PostgreSQL, EXPLAIN QUERY PLAN on SQLite)")
    args = parser.parse_args()
    pg_name = ""
    if args.database_url:
        pg_name = args.database_url.rsplit("/", 1)[1].split("?")[0]
        drop = (f'DROP DATABASE IF EXISTS "{pg_name}_small" WITH (FORCE)', f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        _pg_admin(args.database_url, *drop, f'CREATE DATABASE "{pg_name}"')
        atexit.register(_pg_admin, args.database_url, *drop)
    env = setup("workbench", database_url=args.database_url or None)
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from xiangzhi.core.models import Organisation, Person, Region, User
    from xiangzhi.disputes.enums import CaseStage
    from xiangzhi.disputes.models import Case, DisputeType
    from xiangzhi.disputes.services import intake

    villages = list(Region.objects.filter(level="village").order_by("code"))
    orgs = dict(Organisation.objects.filter(kind="village_committee").values_list("region_id", "id"))
    types = list(DisputeType.objects.all())
    stages = list(CaseStage.values)
    # a real case with parties for the status page, made through the services
    party_phone = "13600000001"
    real = intake.create_case(intake.IntakeIn(
        applicant=intake.PartyIn(name="张三", phone=party_phone), respondents=[intake.PartyIn(name="李四")],
        region_code=env["village"].code, description="隔壁邻居把围墙砌到我家院子里来了", request="拆除", consent=True),
        actor=None, channel="online")
    citizen = User.objects.create(username="bench_citizen", kind="citizen", phone=party_phone)
    Person.objects.filter(pk=real.parties.get(role="applicant").person_id).update(user=citizen)

    inserted = Case.objects.count()

    def grow(to: int) -> float:
        nonlocal inserted
        started = time.perf_counter()
        now = timezone.now()
        batch = 5000
        while inserted < to:
            n = min(batch, to - inserted)
            rows = []
            for k in range(inserted, inserted + n):
                # round robin over the villages, and one case in 40 in the mediator's (a big village), so that
                # even the small table fills two pages of that village and both sizes render the same rows
                v = env["village"] if k % 40 == 0 else villages[k % len(villages)]
                rows.append(Case(
                    year=2000 + k // 1_000_000, seq=k % 1_000_000 + 1, number=f"B{k}", archive_number=f"BA{k}",
                    token=secrets.token_urlsafe(24), stage=stages[k % len(stages)], channel="online",
                    source="application", dispute_type=types[k % len(types)], region=v, region_code=v.code,
                    organisation_id=orgs.get(v.id), description="批量插入的基准测试案件", created_at=now
                    - dt.timedelta(minutes=to - k), stage_changed_at=now))
            with transaction.atomic():
                Case.objects.bulk_create(rows, batch_size=1000)
            inserted += n
        with connection.cursor() as cur:
            # PostgreSQL: vacuum too, so that autovacuum does not start on the freshly filled table mid-measurement
            cur.execute("VACUUM (ANALYZE) disputes_case" if connection.vendor == "postgresql" else "ANALYZE")
        return time.perf_counter() - started

    clients = {}
    for name in ("mediator", "town_staff", "centre"):
        c = Client()
        c.force_login(env[name], backend="xiangzhi.core.security.LockoutBackend")
        clients[name] = c
    party = Client()
    party.force_login(citizen, backend="xiangzhi.core.security.LockoutBackend")
    anon = Client()

    t_small = grow(args.small)
    # keep the small table: a copy of the database, measured alternately with the large one
    if pg_name:
        connection.close()
        _pg_admin(args.database_url, f'CREATE DATABASE "{pg_name}_small" TEMPLATE "{pg_name}"')
        names = {"small": f"{pg_name}_small", "large": pg_name}
    else:
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        large_file = Path(connection.settings_dict["NAME"])
        small_file = large_file.with_name("small.sqlite3")
        shutil.copyfile(large_file, small_file)
        names = {"small": str(small_file), "large": str(large_file)}
    t_large = grow(args.large)

    def use(size: str) -> None:
        connection.close()
        connection.settings_dict["NAME"] = names[size]

    def pages() -> dict[str, tuple[Client, str]]:
        first = clients["mediator"].get("/api/v1/cases/?limit=50").json()
        after = first["next_after"]
        assert after, "the mediator's village needs two pages of cases"
        return {
            "list mediator (village)": (clients["mediator"], "/cases/workbench/"),
            "list mediator page 2": (clients["mediator"], f"/cases/workbench/?after={after}"),
            "list mediator colour=blue": (clients["mediator"], "/cases/workbench/?colour=blue"),
            "list town staff": (clients["town_staff"], "/cases/workbench/"),
            "list county centre": (clients["centre"], "/cases/workbench/"),
            "list centre stage=in_mediation": (clients["centre"], "/cases/workbench/?stage=in_mediation"),
            "API list mediator": (clients["mediator"], "/api/v1/cases/?limit=50"),
            "status page (party)": (party, f"/cases/s/{real.token}/"),
            "status page (anonymous)": (anon, f"/cases/s/{real.token}/"),
        }

    urls: dict[str, dict[str, tuple[Client, str]]] = {}
    queries: dict[str, dict[str, int]] = {"small": {}, "large": {}}
    wall: dict[str, dict[str, list[float]]] = {"small": {}, "large": {}}
    cpu: dict[str, dict[str, list[float]]] = {"small": {}, "large": {}}
    for size in ("small", "large"):
        use(size)
        urls[size] = pages()
        for label, (client, url) in urls[size].items():
            client.get(url)  # warm: session stamp, calendar cache
            with CaptureQueriesContext(connection) as ctx:
                r = client.get(url)
            assert r.status_code == 200, (label, r.status_code)
            queries[size][label] = len(ctx.captured_queries)
    for _ in range(args.rounds):
        for size in ("small", "large"):
            use(size)
            for label, (client, url) in urls[size].items():
                client.get(url)  # a fresh connection's first request is not measured
                gc.collect()
                for _ in range(args.repeat):
                    w, c = time.perf_counter(), time.process_time()
                    r = client.get(url)
                    cpu[size].setdefault(label, []).append(time.process_time() - c)
                    wall[size].setdefault(label, []).append(time.perf_counter() - w)
                    assert r.status_code == 200, (label, r.status_code)

    engine = "PostgreSQL" if pg_name else "SQLite"
    print(f"disputes workbench and status page ({engine}; {args.small:,} vs {args.large:,} cases; "
          f"{args.rounds} alternating rounds × {args.repeat} requests, medians)")
    print(f"  insert: {args.small:,} rows in {t_small:.1f}s, then to {args.large:,} in {t_large:.1f}s "
          f"({(args.large - args.small) / t_large:,.0f} rows/s)")
    print(f"  {'page':32s} {'wall small':>10s} {'large':>7s} {'ratio':>6s} {'cpu small':>10s} {'large':>7s} "
          f"{'ratio':>6s} {'queries':>8s}")
    for label in urls["small"]:
        ws, wl = (statistics.median(wall[s][label]) * 1000 for s in ("small", "large"))
        cs, cl = (statistics.median(cpu[s][label]) * 1000 for s in ("small", "large"))
        print(f"  {label:32s} {ws:8.2f}ms {wl:7.2f} {wl / ws:6.2f} {cs:8.2f}ms {cl:7.2f} {cl / cs:6.2f} "
              f"{queries['small'][label]:>4d}/{queries['large'][label]:<3d}")
    if args.explain:
        use("large")
        explain(urls["large"], pg=bool(pg_name))


def explain(urls: dict, *, pg: bool) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print("  slowest query of each page at the large size, and its plan:")
    for label, (client, url) in urls.items():
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        timed = []
        with connection.cursor() as cur:
            for q in ctx.captured_queries:
                if not q["sql"].lstrip().upper().startswith("SELECT"):
                    continue
                runs = []
                for _ in range(3):
                    t = time.perf_counter()
                    cur.execute(q["sql"])
                    cur.fetchall()
                    runs.append(time.perf_counter() - t)
                timed.append((min(runs), q["sql"]))
            ms, sql = max(timed)
            cur.execute(("EXPLAIN (ANALYZE, BUFFERS) " if pg else "EXPLAIN QUERY PLAN ") + sql)
            plan = [r[0] if pg else r[-1] for r in cur.fetchall()]
        print(f"  -- {label}: {ms * 1000:.2f} ms: {sql[:150]}…")
        for line in plan[:14]:
            print(f"       {line}")


if __name__ == "__main__":
    main()
