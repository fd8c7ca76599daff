"""Benchmark: the time bank's balances, leaderboards and books at volume.

Part 1 — one volunteer account with ``--movements`` movements (default 100,000) among ``--volunteers`` volunteers of
the 11 towns: the time to read its balance (the cached column; the derived Σ over the two indexed sides of its
transfers; Σ over the movement view), its latest statement page, the county leaderboard and a town leaderboard, each
against a floor measured in the same run: a plain ``SELECT SUM(amount)`` over a plain indexed table holding the
same signed amounts (for the balance) or the same credit rows (for the leaderboards).

Part 2 — ``--transfers`` (default 10,000) random transfers through ``post_transfer`` (locks, minimum check, audit
row, ledger leaf, the database triggers), refused ones counted, then ``verify_books``; against a floor of the same
number of single-row INSERTs into a plain table, one transaction each, and a plain SUM over all movements.

Run with ``python bench/timebank_balance.py [--database-url postgres://…/scratch_db]`` (default: a fresh SQLite
database in a temporary directory). Prints the figures and their ratios to the floors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _scratch import setup_scratch  # noqa: E402 - beside this file


def _best(fn, repeat: int = 7) -> float:  # noqa: ANN001
    """Median seconds of ``repeat`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.3f} ms"


def _regions():  # noqa: ANN202
    import json

    from xiangzhi.core import services as core
    from xiangzhi.core.models import Region

    if not Region.objects.filter(code="330483").exists():
        tree = json.loads((Path(__file__).resolve().parents[1] / "src/xiangzhi/core/data/tongxiang.json")
                          .read_text(encoding="utf-8"))
        core.load_regions(tree, actor=None, source="bench")
    return list(Region.objects.filter(level="village").order_by("code"))


def _volunteers(n: int, villages: list, rng: random.Random) -> list:
    """``n`` volunteers in bulk (the bench measures reads, not registration)."""
    from xiangzhi.core.models import Organisation, Person, Region
    from xiangzhi.timebank.models import Account, Volunteer

    org = Organisation.objects.first() or Organisation.objects.create(
        name="bench 司法所", kind="justice_office", region=Region.objects.get(code="330483"))
    people = Person.objects.bulk_create([Person(name=f"志愿者{i}") for i in range(n)])
    accounts = Account.objects.bulk_create([Account(label=f"bench {i}", min_balance=0) for i in range(n)])
    vols = [Volunteer(person=p, kind="resident", organisation=org, region=rng.choice(villages), account=a,
                      public_consent=True) for p, a in zip(people, accounts, strict=True)]
    return Volunteer.objects.bulk_create(vols)


def part_balance(args, rng: random.Random) -> None:  # noqa: ANN001
    from django.db import connection
    from django.db.models import Sum
    from django.utils import timezone

    from xiangzhi.core.models import Region
    from xiangzhi.timebank import selectors
    from xiangzhi.timebank.models import Account, Movement, Transfer
    from xiangzhi.timebank.services.books import balance_of, issuance_account

    villages = _regions()
    vols = _volunteers(args.volunteers, villages, rng)
    county, target = issuance_account(), vols[0]
    now = timezone.now()
    started = time.perf_counter()
    rows = []
    # the target: alternating credits (2 minutes) and donations out (1 minute): never below its minimum
    for i in range(args.movements):
        if i % 2 == 0:
            rows.append(Transfer(kind="credit", from_account_id=county.pk, to_account_id=target.account_id, amount=2,
                                 created_at=now))
        else:
            rows.append(Transfer(kind="donation", from_account_id=target.account_id,
                                 to_account_id=rng.choice(vols[1:]).account_id, amount=1, created_at=now))
    # every other volunteer: a few credits (the leaderboards' rows)
    for v in vols[1:]:
        for _ in range(rng.randint(1, 8)):
            rows.append(Transfer(kind="credit", from_account_id=county.pk, to_account_id=v.account_id,
                                 amount=rng.choice([30, 60, 90, 120]), created_at=now))
    # one transaction per 1,000 rows: PostgreSQL cannot prune the row versions of a balance its own still-open
    # transaction keeps updating, so one transaction for all would make each trigger update walk a longer chain
    for i in range(0, len(rows), 1000):
        Transfer.objects.bulk_create(rows[i:i + 1000])
    moves = Movement.objects.filter(account_id=target.account_id).count()
    print(f"part 1: {Transfer.objects.count()} transfers written in {time.perf_counter() - started:.1f} s; "
          f"target account has {moves} movements ({connection.vendor})")

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_plain_movement (account_id bigint NOT NULL, amount bigint NOT NULL)")
        cur.execute("CREATE INDEX bench_plain_movement_account ON bench_plain_movement (account_id)")
        cur.execute("INSERT INTO bench_plain_movement SELECT account_id, amount FROM timebank_movement")
        cur.execute("CREATE TABLE bench_plain_credit (account_id bigint NOT NULL, amount bigint NOT NULL)")
        cur.execute("INSERT INTO bench_plain_credit SELECT to_account_id, amount FROM timebank_transfer "
                    "WHERE kind = 'credit'")
        if connection.vendor == "postgresql":
            cur.execute("ANALYZE")

    def plain_sum() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT SUM(amount) FROM bench_plain_movement WHERE account_id = %s", [target.account_id])
            return cur.fetchone()[0]

    def plain_credits() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT account_id, SUM(amount) FROM bench_plain_credit GROUP BY account_id")
            return len(cur.fetchall())

    expected = plain_sum()
    assert expected == balance_of(target.account) == Account.objects.get(pk=target.account_id).balance
    floor = _best(plain_sum)
    floor_lb = _best(plain_credits)
    year = dt.date(timezone.localdate().year, 1, 1)
    town = Region.objects.get(code=target.region.code[:9])
    target.account.refresh_from_db()
    figures = [
        ("cached balance (Account.balance)", _best(lambda: Account.objects.get(pk=target.account_id).balance), floor),
        ("derived balance (balance_of: Σ two sides)", _best(lambda: balance_of(target.account)), floor),
        ("Σ over the movement view", _best(lambda: Movement.objects.filter(account_id=target.account_id)
                                            .aggregate(s=Sum("amount"))["s"]), floor),
        ("statement, latest 100 lines", _best(lambda: selectors.statement(target, limit=100)), floor),
        ("county leaderboard (11 towns)", _best(lambda: selectors.county_leaderboard(since=year)), floor_lb),
        ("town leaderboard (top 20)", _best(lambda: selectors.leaderboard(town, since=year)), floor_lb),
    ]
    print(f"  floor: plain SUM over {moves} plain rows      {_ms(floor)}")
    print(f"  floor: plain SUM … GROUP BY over the credits {_ms(floor_lb)}")
    for label, seconds, base in figures:
        print(f"  {label:<44}{_ms(seconds)}   ratio {seconds / base:7.2f}")


def part_transfers(args, rng: random.Random) -> None:  # noqa: ANN001
    from django.db import connection, transaction
    from django.db.models import Sum

    from xiangzhi.core.errors import Conflict, ValidationFailed
    from xiangzhi.timebank.enums import TransferKind
    from xiangzhi.timebank.models import Movement
    from xiangzhi.timebank.services.books import issuance_account, open_account, post_transfer, verify_books

    county = issuance_account()
    accounts = [open_account(f"bench2 {i}") for i in range(200)]
    refused = 0
    started = time.perf_counter()
    for _ in range(args.transfers):
        if rng.random() < 0.5:
            src, dst = county, rng.choice(accounts)
        else:
            src, dst = rng.sample(accounts, 2)
        try:
            post_transfer(TransferKind.DONATION if src is not county else TransferKind.CREDIT, from_account=src,
                          to_account=dst, amount=rng.randint(1, 120), actor=None)
        except (Conflict, ValidationFailed):
            refused += 1
    elapsed = time.perf_counter() - started

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_plain_insert (a bigint NOT NULL, b bigint NOT NULL, amount bigint NOT NULL)")
    started = time.perf_counter()
    for i in range(args.transfers):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("INSERT INTO bench_plain_insert (a, b, amount) VALUES (%s, %s, %s)", [i, i + 1, 5])
    floor = time.perf_counter() - started
    t = time.perf_counter()
    report = verify_books()
    verify = time.perf_counter() - t
    floor_sum = _best(lambda: Movement.objects.values("account_id").annotate(s=Sum("amount")).count(), repeat=3)
    print(f"part 2: {args.transfers} random transfers through post_transfer, {refused} refused (below minimum)")
    print(f"  post_transfer   {elapsed:8.2f} s  ({elapsed / args.transfers * 1000:.2f} ms each)   "
          f"floor {floor:6.2f} s of plain single-row INSERT transactions   ratio {elapsed / floor:6.2f}")
    print(f"  verify_books    {verify:8.2f} s  on {report.transfers} transfers / {report.accounts} accounts: "
          f"{'OK' if report.ok else 'FAULTS ' + str(report.faults[:3])}   floor {floor_sum:.3f} s "
          f"(plain Σ per account over the movements)   ratio {verify / floor_sum:6.2f}")
    if not report.ok:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=100_000)
    parser.add_argument("--volunteers", type=int, default=2_000)
    parser.add_argument("--transfers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", help="scratch database (will be migrated and written to)")
    args = parser.parse_args()
    setup_scratch(args.database_url, tempfile.mkdtemp(prefix="xiangzhi-bench-"))
    rng = random.Random(args.seed)
    part_balance(args, rng)
    part_transfers(args, rng)


if __name__ == "__main__":
    main()
