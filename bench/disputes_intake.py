"""Benchmark: intake through the service layer (validation, number counter, persons with encryption and blind
indexes, triage, routing, repeat check, audit, timeline, SMS outbox) against a floor of bulk_create of the same case,
party and person rows, measured in the same run. Also SQL queries per intake (goal ≤ 25, pinned by
tests/disputes/test_intake_queries.py) and cases/s (goal ≥ 150), printed next to the floor.

Run: ``.venv/bin/python bench/disputes_intake.py [--n 300] [--database-url postgres://…/empty_db]``
"""

from __future__ import annotations

import argparse
import secrets
import time

from disputes_setup import setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    env = setup("intake", args.database_url)
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from xiangzhi.core.models import Person, Region
    from xiangzhi.disputes import triage
    from xiangzhi.disputes.models import Case, DisputeType, Party
    from xiangzhi.disputes.services import intake

    villages = list(Region.objects.filter(level="village").order_by("code"))
    examples = triage.load_examples()
    triage.model()  # train once, outside the timing

    def data(i: int) -> intake.IntakeIn:
        return intake.IntakeIn(
            applicant=intake.PartyIn(name=f"申请人{i}", phone=f"136{i:08d}"),
            respondents=[intake.PartyIn(name=f"被申请人{i}")], region_code=villages[i % len(villages)].code,
            description=examples[i % len(examples)]["text"], request="请求调解", consent=True)

    intake.create_case(data(0), actor=None, channel="online")  # the year's first intake creates its counter row
    with CaptureQueriesContext(connection) as ctx:
        intake.create_case(data(args.n + 1), actor=None, channel="online")
    per_intake = len(ctx.captured_queries)

    started = time.perf_counter()
    for i in range(1, args.n + 1):
        intake.create_case(data(i), actor=None, channel="online")
    service_s = time.perf_counter() - started
    service_rate = args.n / service_s

    # Floor: the same rows (case, 2 parties, 2 persons), bulk-inserted in one transaction.
    dtype = DisputeType.objects.get(code="neighbour")
    org = env["org"]
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        base = 100000
        cases = Case.objects.bulk_create([
            Case(year=1999, seq=base + i, number=f"bench{i}", archive_number=f"bench-a{i}",
                 token=secrets.token_urlsafe(24), channel="online", source="application", dispute_type=dtype,
                 region=villages[i % len(villages)], region_code=villages[i % len(villages)].code,
                 organisation=org, description=examples[i % len(examples)]["text"], request="请求调解",
                 created_at=now, stage_changed_at=now) for i in range(args.n)], batch_size=500)
        people = Person.objects.bulk_create(
            [Person(name=f"甲{i}") for i in range(args.n)] + [Person(name=f"乙{i}") for i in range(args.n)],
            batch_size=500)
        Party.objects.bulk_create(
            [Party(case=c, role="applicant", person=people[i]) for i, c in enumerate(cases)]
            + [Party(case=c, role="respondent", person=people[args.n + i]) for i, c in enumerate(cases)],
            batch_size=500)
    floor_s = time.perf_counter() - started
    floor_rate = args.n / floor_s

    print(f"disputes intake ({connection.vendor}, n={args.n})")
    print(f"  service layer : {service_rate:8.1f} cases/s  ({1000 / service_rate:.2f} ms/case; goal ≥ 150)"
          f"  SQL queries per intake : {per_intake} (goal ≤ 25)")
    print(f"  bulk_create   : {floor_rate:8.1f} cases/s  (floor: case + 2 parties + 2 persons, same run)")
    print(f"  ratio floor/service : {floor_rate / service_rate:.1f}x")

if __name__ == "__main__":
    main()
