"""Benchmark: 民主法治村 — registering the county's 408 titles through the services (lock, ladder check, title, audit
row, archive event, ledger leaves; one ledger append for the batch, as the demo does), and the dashboard over them.

Run with ``python bench/villages_dashboard.py [--database-url postgres://…/scratch_db] [--runs 50]`` (without it, a
fresh SQLite database in a temporary directory). Prints the time per registered title and its ratio to the floor
measured in the same run (one bare audit row per title, in the same kind of transaction), and the dashboard's mean
time and its ratio to its floor (one COUNT of the held titles).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _scratch import setup_scratch  # noqa: E402 - beside this file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", help="scratch database (will be migrated and written to)")
    args = parser.parse_args()
    setup_scratch(args.database_url, tempfile.mkdtemp(prefix="xiangzhi-bench-"))

    import json

    from django.db import transaction

    from xiangzhi.core import services as core
    from xiangzhi.core.demo import DIVISIONS, DemoContext
    from xiangzhi.core.models import Region, User
    from xiangzhi.villages import demo, selectors
    from xiangzhi.villages.models import Title

    if not Region.objects.filter(code="330483").exists():
        core.load_regions(json.loads(DIVISIONS.read_text(encoding="utf-8")), actor=None, source="bench")
    admin = User.objects.filter(username="admin").first() or core.create_staff_user(
        username="admin", password="Bench-Pass-2026-x", display_name="司法局", actor=None)
    core.add_membership(admin, role="county_admin", region=Region.objects.get(code="330483"), actor=None)
    if Title.objects.exists():
        sys.exit("the scratch database already holds titles: use an empty one")
    ctx = DemoContext(seed=1, rng=random.Random(1))

    demo._build_standards(ctx, admin)
    start = time.perf_counter()
    demo._build_titles(ctx, admin)
    register = time.perf_counter() - start
    titles = Title.objects.count()
    start = time.perf_counter()
    with transaction.atomic():
        for i in range(titles):
            core.audit("bench.floor", actor=admin, object_type="bench", object_id=str(i), after={"i": i})
    floor = time.perf_counter() - start
    print(f"registered titles: {titles} in {register:.2f} s = {1000 * register / titles:.2f} ms each; "
          f"floor (one audit row each): {1000 * floor / titles:.2f} ms; ratio {register / floor:.1f}")

    admin = User.objects.get(pk=admin.pk)
    d = selectors.dashboard(admin)
    print("figures:", d.by_level, f"villages {d.villages}, county-level coverage {d.coverage}%")
    dash, base = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        selectors.dashboard(admin)
        dash.append(time.perf_counter() - start)
        start = time.perf_counter()
        Title.objects.filter(state="held").count()
        base.append(time.perf_counter() - start)
    mean, floor_mean = statistics.mean(dash), statistics.mean(base)
    print(f"dashboard: mean {1000 * mean:.2f} ms over {args.runs} runs; floor (one COUNT): {1000 * floor_mean:.2f} ms; "
          f"ratio {mean / floor_mean:.1f}")


if __name__ == "__main__":
    main()
