"""Import of historical cases from .xlsx through the real import path (importing.import_file: the job, the streamed
validation pass, the write transaction, the ledger attestation and the audit row — what the background task runs).

Prints, for 100,000 rows (default): rows per second; the ratio to a floor measured in the same run, in a process of
its own on a fresh database like the import's: ``bulk_create`` of the same rows (parsed and validated beforehand,
untimed, written by the importer's chunk writer: cases, persons with encrypted phones, parties, timeline rows); and
the peak memory of the import at two
file sizes (20,000 and 100,000 rows by default), each in its own process: the growth of the resident set during
the import (Linux VmHWM, reset just before the import through /proc/self/clear_refs). Flat memory means the peak
does not grow with the file.

The files are written the way Excel and WPS write them: every text in the shared-string table, dates as serial
numbers with a date format, a <dimension> element — so the shared-string table (which an .xlsx keeps whole) counts.

    .venv/bin/python bench/disputes_import.py [--rows 100000] [--small 20000]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/xiangzhi_bench .venv/bin/python bench/disputes_import.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
TYPES = ["邻里", "婚姻家庭", "房屋宅基地", "合同", "损害赔偿"]


def _col(i: int) -> str:
    return chr(65 + i)


def write_xlsx(path: Path, n: int, villages: list[str]) -> None:
    """An .xlsx as Excel writes it (shared strings, date serials with numFmt 14, dimension), streamed to the zip."""
    from xiangzhi.disputes.import_format import COLUMNS

    rng = random.Random(7)
    strings: dict[str, int] = {}

    def s(text: str) -> str:
        return str(strings.setdefault(text, len(strings)))

    epoch = dt.date(1899, 12, 30)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
                     b'openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:K%d"/><sheetData>' % (n + 1))
            fh.write(('<row r="1">' + "".join(f'<c r="{_col(i)}1" t="s"><v>{s(h)}</v></c>'
                                             for i, h in enumerate(COLUMNS)) + "</row>").encode())
            for i in range(n):
                r = i + 2
                created = (dt.date(2024, 1 + i % 12, 1 + i % 28) - epoch).days
                closed = (dt.date(2024, 12, 1 + i % 28) - epoch).days
                texts = [TYPES[i % 5], villages[i % len(villages)], f"张{i % 997}", f"13{rng.randrange(10**9):09d}",
                         f"李{i % 991}", f"第{i}号：邻居翻建房屋围墙占地约一米，双方多次争吵", "调解成功", "拆除占地部分围墙，赔偿损失"]
                cells = [f'<c r="A{r}" s="1"><v>{created}</v></c>']
                cells += [f'<c r="{_col(j + 1)}{r}" t="s"><v>{s(t)}</v></c>' for j, t in enumerate(texts)]
                cells += [f'<c r="J{r}"><v>{rng.randrange(0, 5000)}</v></c>', f'<c r="K{r}" s="1"><v>{closed}</v></c>']
                fh.write(f'<row r="{r}">{"".join(cells)}</row>'.encode())
            fh.write(b"</sheetData></worksheet>")
        with zf.open("xl/sharedStrings.xml", "w") as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
                     b'openxmlformats.org/spreadsheetml/2006/main" uniqueCount="%d">' % len(strings))
            for text in strings:
                fh.write(f"<si><t>{escape(text)}</t></si>".encode())
            fh.write(b"</sst>")
        main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
        zf.writestr("xl/workbook.xml", f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="历史案件" '
                                       f'sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/'
                    f'worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" '
                    f'Target="sharedStrings.xml"/><Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/>'
                    f"</Relationships>")
        zf.writestr("xl/styles.xml", f'<styleSheet xmlns="{main}"><cellXfs count="2"><xf numFmtId="0"/>'
                                     f'<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>')
        zf.writestr("_rels/.rels", f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                                   f'Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                    '</Types>')


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def child(path: Path, rows: int, what: str) -> dict:
    """One process on a fresh database: ``import`` (timed, peak RSS growth) or ``floor`` (the same rows parsed and
    validated untimed, then bulk-created by the chunk writer, timed; and one bare parse of the file, timed)."""
    sys.path.insert(0, str(HERE))
    from disputes_setup import fresh_database

    fresh_database("import")
    import gc

    from django.db import connection, transaction

    from xiangzhi.disputes import import_format
    from xiangzhi.disputes.services import importing

    out: dict = {"vendor": connection.vendor, "rows": rows}
    if what == "import":
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak resident set (VmHWM) to the current one
        base = _kib("VmRSS")
        t0, c0 = time.perf_counter(), time.process_time()
        job, report = importing.import_file(path, actor=None)
        out["seconds"], out["cpu"] = time.perf_counter() - t0, time.process_time() - c0
        out["peak_kib"] = _kib("VmHWM") - base
        out["phases"] = report.seconds
        assert job.status == "done" and report.imported == rows, (job.status, job.errors[:3])
        return out
    t0 = time.perf_counter()
    assert sum(1 for _ in import_format.read_rows(path)) == rows
    out["parse"] = time.perf_counter() - t0
    v = import_format.Validator()
    parsed = [v.check(n, cells)[0] for n, cells in import_format.read_rows(path)]
    t0, c0 = time.perf_counter(), time.process_time()
    with transaction.atomic():
        for i in range(0, len(parsed), import_format.CHUNK):
            importing._write_chunk(parsed[i:i + import_format.CHUNK], None)
    out["floor"], out["floor_cpu"] = time.perf_counter() - t0, time.process_time() - c0
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--child", nargs=3, metavar=("PATH", "ROWS", "WHAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, rows, what = args.child
        print(json.dumps(child(Path(path), int(rows), what)))
        return
    sys.path.insert(0, str(HERE.parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiangzhi.settings")
    import django

    django.setup()
    tmp = Path(tempfile.mkdtemp(prefix="xz-bench-import-"))
    from xiangzhi.core.demo import DIVISIONS

    villages: list[str] = []

    def walk(node: dict) -> None:  # the county's villages and communities (12-digit codes)
        if node.get("level") == "village":
            villages.append(str(node["code"]))
        for c in node.get("children", []):
            walk(c)

    walk(json.loads(DIVISIONS.read_text(encoding="utf-8")))
    assert villages, "no villages in the bundled division tree"
    results = []
    try:
        for n, runs in ((args.small, ["import"]), (args.rows, ["import", "floor"])):
            path = tmp / f"history-{n}.xlsx"
            t0 = time.perf_counter()
            write_xlsx(path, n, villages)
            print(f"wrote {n:,} rows ({path.stat().st_size / 2**20:.1f} MiB .xlsx) in {time.perf_counter() - t0:.0f} s",
                  flush=True)
            for what in runs:
                proc = subprocess.run([sys.executable, __file__, "--child", str(path), str(n), what],
                                      capture_output=True, text=True, check=False)
                if proc.returncode:
                    sys.exit(proc.stderr[-3000:])
                results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            path.unlink()
    finally:
        for p in tmp.glob("*"):
            p.unlink()
        tmp.rmdir()
    small, big, floor = results
    big.update(parse=floor["parse"], floor=floor["floor"], floor_cpu=floor["floor_cpu"])
    ph = big["phases"]
    print(f"database: {big['vendor']}")
    print(f"import {big['rows']:,} rows: {big['seconds']:.1f} s = {big['rows'] / big['seconds']:,.0f} rows/s "
          f"(validate pass {ph['validate']:.1f} s, write pass {ph['write']:.1f} s, ledger attestation "
          f"{ph['attest']:.1f} s); one parse of the file alone: {big['parse']:.1f} s")
    print(f"floor, bulk_create of the same rows: {big['floor']:.1f} s = {big['rows'] / big['floor']:,.0f} rows/s; "
          f"import/floor = {big['seconds'] / big['floor']:.2f}")
    print(f"process CPU time (steadier than wall time on a shared machine; with SQLite all the database work is in "
          f"the process): import {big['cpu']:.1f} s = {big['rows'] / big['cpu']:,.0f} rows/s, floor "
          f"{big['floor_cpu']:.1f} s; import/floor = {big['cpu'] / big['floor_cpu']:.2f}")
    print(f"peak memory growth during the import: {big['peak_kib'] / 1024:.1f} MiB for {big['rows']:,} rows vs "
          f"{small['peak_kib'] / 1024:.1f} MiB for {small['rows']:,} rows (ratio "
          f"{big['peak_kib'] / max(small['peak_kib'], 1):.2f}; flat ≈ 1, linear would be "
          f"{big['rows'] / small['rows']:.0f})")


if __name__ == "__main__":
    main()
