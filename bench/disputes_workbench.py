"""Benchmark: the workbench list (three jurisdictions, first page, a later keyset page, a stage filter) and the public
status page, with a small and a large case table; server time per request (in-process Django test client, median of
repeats), the ratio large/small (goal ≤ 1.3) and SQL queries per page, all measured in the same run.

Run: ``.venv/bin/python bench/disputes_workbench.py [--small 10000] [--large 1000000]``
Rows are bulk-inserted in batches (the service layer is measured by bench/disputes_intake.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import statistics
import time

from disputes_setup import setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    env = setup("workbench")
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from xiangzhi.core.models import Organisation, Person, Region
    from xiangzhi.disputes import services
    from xiangzhi.disputes.enums import CaseStage
    from xiangzhi.disputes.models import Case, DisputeType

    villages = list(Region.objects.filter(level="village").order_by("code"))
    orgs = dict(Organisation.objects.filter(kind="village_committee").values_list("region_id", "id"))
    types = list(DisputeType.objects.all())
    stages = list(CaseStage.values)
    # a real case with parties for the status page, made through the services
    party_phone = "13600000001"
    real = services.create_case(services.IntakeIn(
        applicant=services.PartyIn(name="张三", phone=party_phone), respondents=[services.PartyIn(name="李四")],
        region_code=env["village"].code, description="隔壁邻居把围墙砌到我家院子里来了", request="拆除", consent=True),
        actor=None, channel="online")
    from xiangzhi.core.models import User

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
                v = villages[k % len(villages)]
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
            cur.execute("ANALYZE")
        return time.perf_counter() - started

    clients = {}
    for name in ("mediator", "town_staff", "centre"):
        c = Client()
        c.force_login(env[name], backend="xiangzhi.core.security.LockoutBackend")
        clients[name] = c
    party = Client()
    party.force_login(citizen, backend="xiangzhi.core.security.LockoutBackend")
    anon = Client()

    def pages() -> dict[str, tuple[Client, str]]:
        first = clients["mediator"].get("/api/v1/cases/?limit=50").json()
        after = first["next_after"] or 0
        return {
            "list mediator (village)": (clients["mediator"], "/cases/workbench/"),
            "list mediator page 2": (clients["mediator"], f"/cases/workbench/?after={after}"),
            "list town staff": (clients["town_staff"], "/cases/workbench/"),
            "list county centre": (clients["centre"], "/cases/workbench/"),
            "list centre stage=in_mediation": (clients["centre"], "/cases/workbench/?stage=in_mediation"),
            "API list mediator": (clients["mediator"], "/api/v1/cases/?limit=50"),
            "status page (party)": (party, f"/cases/s/{real.token}/"),
            "status page (anonymous)": (anon, f"/cases/s/{real.token}/"),
        }

    def measure() -> dict[str, tuple[float, int]]:
        out = {}
        for label, (client, url) in pages().items():
            client.get(url)  # warm
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                r = client.get(url)
                times.append(time.perf_counter() - t)
                assert r.status_code == 200, (label, r.status_code)
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            out[label] = (statistics.median(times) * 1000, len(ctx.captured_queries))
        return out

    t_small = grow(args.small)
    small = measure()
    t_large = grow(args.large)
    large = measure()
    print(f"disputes workbench and status page (SQLite; {args.small:,} vs {args.large:,} cases)")
    print(f"  insert: {args.small:,} rows in {t_small:.1f}s, then to {args.large:,} in {t_large:.1f}s "
          f"({(args.large - args.small) / t_large:,.0f} rows/s)")
    print(f"  {'page':34s} {'small ms':>9s} {'large ms':>9s} {'ratio':>6s} {'queries':>8s}")
    for label in small:
        s_ms, s_q = small[label]
        l_ms, l_q = large[label]
        print(f"  {label:34s} {s_ms:9.2f} {l_ms:9.2f} {l_ms / s_ms:6.2f} {s_q:>4d}/{l_q:<3d}")


if __name__ == "__main__":
    main()
