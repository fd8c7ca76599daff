"""Import of historical cases from .xlsx: 100,000 rows (default) — rows/s, the ratio to a bulk_create floor of the
same rows (the rows already parsed and validated, written by the same chunk writer), and the Python heap peak
(tracemalloc, in separate traced runs) against a file a tenth the size (at least two write chunks): flat memory means
the peak does not grow with the file.

    .venv/bin/python bench/disputes_import.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

from disputes_part2_setup import setup


def write_xlsx(path: Path, n: int, villages: list[str]) -> None:
    from openpyxl import Workbook

    from xiangzhi.disputes.importer import COLUMNS

    rng = random.Random(7)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("历史案件")
    ws.append(COLUMNS)
    types = ["邻里", "婚姻家庭", "房屋宅基地", "合同", "损害赔偿"]
    for i in range(n):
        ws.append([f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", types[i % 5], villages[i % len(villages)], f"张{i % 997}",
                   f"13{rng.randrange(10**9):09d}", f"李{i % 991}", f"第{i}号：邻居翻建房屋围墙占地约一米，双方多次争吵",
                   "调解成功", "拆除占地部分围墙，赔偿损失", str(rng.randrange(0, 5000)), f"2024-12-{1 + i % 28:02d}"])
    wb.save(path)


def timed_import(path: Path, *, traced: bool) -> tuple[float, int, int]:
    from xiangzhi.disputes import importer

    if traced:
        tracemalloc.start()
    t0 = time.perf_counter()
    job, report = importer.import_file(path, actor=None)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    assert job.status == "done", job.errors[:3]
    return seconds, peak, report.imported


def floor(path: Path) -> float:
    """The same rows, parsed and validated beforehand (not timed), written by the chunk writer: the database floor."""
    from django.db import transaction

    from xiangzhi.disputes import importer

    v = importer.Validator()
    rows = [v.check(n, cells)[0] for n, cells in importer.read_rows(path)]
    t0 = time.perf_counter()
    with transaction.atomic():
        for i in range(0, len(rows), importer.CHUNK):
            importer._write_chunk(rows[i:i + importer.CHUNK], None)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    setup("import")
    from django.db import connection

    from xiangzhi.core.models import Region

    villages = list(Region.objects.filter(level="village").values_list("code", flat=True))
    tmp = Path(tempfile.mkdtemp())
    from xiangzhi.disputes.importer import CHUNK

    small_n = max(args.rows // 10, 2 * CHUNK)  # above the write chunk, so the comparison is about the file size
    small, big = tmp / "small.xlsx", tmp / "big.xlsx"
    write_xlsx(small, small_n, villages)
    write_xlsx(big, args.rows, villages)
    print(f"database: {connection.vendor}; files: {small_n:,} rows ({small.stat().st_size / 2**20:.1f} MiB), "
          f"{args.rows:,} rows ({big.stat().st_size / 2**20:.1f} MiB)")
    _, peak_small, _ = timed_import(small, traced=True)
    _, peak_big, _ = timed_import(big, traced=True)
    s_big, _, n = timed_import(big, traced=False)
    f = floor(big)
    print(f"import {args.rows:,} rows: {s_big:.1f} s = {n / s_big:,.0f} rows/s (validate pass + write pass)")
    print(f"bulk_create floor of the same rows: {f:.1f} s = {n / f:,.0f} rows/s; import/floor = {s_big / f:.2f}")
    print(f"python heap peak: {peak_big / 2**20:.1f} MiB for {args.rows:,} rows vs {peak_small / 2**20:.1f} MiB for "
          f"{small_n:,} rows (ratio {peak_big / peak_small:.2f}; linear would be {args.rows / small_n:.0f})")


if __name__ == "__main__":
    main()
