"""Benchmark: 抢单 under contention — ``--claimers`` lawyers (threads, each on its own database connection) claim
the same 求助 at once, ``--rounds`` times; every round must have exactly one winner and ``claimers - 1`` refusals
(ALREADY_CLAIMED), and one ``claimed`` event.

Run with ``python bench/outreach_claims.py --database-url postgres://…/scratch_db [--rounds 1000] [--claimers 50]``
(without it, a fresh SQLite database in a temporary directory: one writer at a time, so the same invariant is
checked but nothing runs in parallel). Prints the rounds with exactly one winner, the mean and p95 time of a
contended round and its ratio to the floor measured in the same run: one uncontended claim by a single lawyer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _scratch import setup_scratch  # noqa: E402 - beside this file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--database-url", help="scratch database (will be migrated and written to)")
    args = parser.parse_args()
    setup_scratch(args.database_url, tempfile.mkdtemp(prefix="xiangzhi-bench-"))

    from django.db import connection, connections

    from xiangzhi.core import services as core
    from xiangzhi.core.enums import Role
    from xiangzhi.core.errors import Conflict
    from xiangzhi.core.models import Region, User
    from xiangzhi.outreach.enums import EventKind
    from xiangzhi.outreach.models import Alert, AlertEvent, AlertRule
    from xiangzhi.outreach.services.claims import claim

    county = Region.objects.filter(code="330483").first() or Region.objects.create(
        code="330483", name="桐乡市", level="county", kind="county")
    lawyers = []
    for i in range(args.claimers):
        user = User.objects.filter(username=f"bench_lawyer_{i}").first()
        if user is None:
            user = core.create_staff_user(username=f"bench_lawyer_{i}", password="Bench-Pass-2026-x",
                                          display_name=f"律师{i}", actor=None)
            core.add_membership(user, role=Role.LAWYER, region=county, organisation=None, actor=None)
        lawyers.append(user)
    rule = AlertRule.objects.create(name=f"bench {time.time()}", threshold=1, release_level=0)

    def new_alert(i: int) -> Alert:
        return Alert.objects.create(rule=rule, topic=f"bench-{rule.pk}-{i}", region=county)

    # the floor: one uncontended claim
    floor = []
    for i in range(min(50, args.rounds)):
        a = new_alert(-i - 1)
        t = time.perf_counter()
        claim(a, actor=lawyers[0])
        floor.append(time.perf_counter() - t)

    alerts = [new_alert(i) for i in range(args.rounds)]
    start = threading.Barrier(args.claimers + 1)
    done = threading.Barrier(args.claimers + 1)
    current: dict = {}
    outcomes: list = [None] * args.claimers

    def worker(k: int) -> None:
        for _ in range(args.rounds):
            start.wait()
            try:
                outcomes[k] = claim(Alert.objects.select_related("rule", "region").get(pk=current["pk"]),
                                    actor=lawyers[k])
            except Conflict as exc:
                outcomes[k] = exc
            except Exception as exc:  # noqa: BLE001
                outcomes[k] = exc
            done.wait()
        connections.close_all()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(args.claimers)]
    for t in threads:
        t.start()
    times, good, refused, errors = [], 0, 0, 0
    for a in alerts:
        current["pk"] = a.pk
        t = time.perf_counter()
        start.wait()
        done.wait()
        times.append(time.perf_counter() - t)
        winners = sum(isinstance(o, Alert) for o in outcomes)
        lost = [o for o in outcomes if isinstance(o, Conflict) and o.code == "ALREADY_CLAIMED"]
        errors += sum(not isinstance(o, Alert | Conflict) for o in outcomes)
        refused += len(lost)
        good += winners == 1 and len(lost) == args.claimers - 1
    events = AlertEvent.objects.filter(alert__in=alerts, kind=EventKind.CLAIMED).count()
    p95 = sorted(times)[int(0.95 * (len(times) - 1))]
    base = statistics.mean(floor)
    print(f"database: {connection.vendor}; {args.claimers} claimers × {args.rounds} rounds")
    print(f"rounds with exactly one winner: {good}/{args.rounds}; refusals (ALREADY_CLAIMED): {refused} "
          f"(expected {(args.claimers - 1) * args.rounds}); other errors: {errors}; claimed events: {events}")
    print(f"uncontended claim (floor): {base * 1000:.2f} ms")
    print(f"contended round: mean {statistics.mean(times) * 1000:.1f} ms (×{statistics.mean(times) / base:.1f} floor), "
          f"p95 {p95 * 1000:.1f} ms (×{p95 / base:.1f} floor)")
    if good != args.rounds or events != args.rounds or errors:
        sys.exit("FAILED: a round without exactly one winner")


if __name__ == "__main__":
    main()
