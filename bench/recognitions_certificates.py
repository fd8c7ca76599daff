"""Benchmark: signing and verifying certificate statements, and drawing certificates, against floors measured in the
same run.

Usage::

    python bench/recognitions_certificates.py [--n N]

1. verify: ``signatures.verify`` (split, base64url, Ed25519, JSON) of N certificate tokens, against the floor of a
   bare Ed25519 verification of the same bytes;
2. sign: ``signatures.sign`` of N statements (key loaded once per file version), against a bare Ed25519 signature;
3. QR: the certificate URL as a PNG QR code (``certificates.qr_png``), against segno encoding the same text alone;
4. certificate: the whole certificate as PNG and as PDF, against the QR code (its largest part).

Runs without a database (the holder is built in memory) in a throwaway data dir; prints figures and ratios, asserts
nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def per_call(fn, n: int) -> float:  # noqa: ANN001
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6  # microseconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n
    os.environ.setdefault("XIANGZHI_DATA_DIR", tempfile.mkdtemp(prefix="xz-bench-recognitions-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiangzhi.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    import io

    import segno

    from xiangzhi.core.models import Person, Region
    from xiangzhi.recognitions import certificates, signatures
    from xiangzhi.recognitions.models import Recognition

    town = Region(code="330483100", name="乌镇镇", level="town", kind="town")
    village = Region(code="330483100002", name="东苑社区", level="village", kind="community", parent=town)
    rec = Recognition(person=Person(name="张小明"), title="understander", year=2026, region=village, serial="2026M000001",
                      valid_until=dt.date(2028, 12, 31), registered_at=dt.datetime(2026, 12, 5, tzinfo=dt.UTC))
    statement = certificates.statement_of(rec)
    token = signatures.sign(statement)
    raw = signatures.compact(statement)
    key = signatures.private_key()
    public = key.public_key()
    signature = key.sign(raw)

    rows = []
    floor = per_call(lambda: public.verify(signature, raw), n)
    rows.append(("verify a certificate token", per_call(lambda: signatures.verify(token), n), "bare Ed25519 verify",
                 floor))
    floor = per_call(lambda: key.sign(raw), n)
    rows.append(("sign a statement", per_call(lambda: signatures.sign(statement), n), "bare Ed25519 sign", floor))
    url = certificates.certificate_url(rec)

    def bare_qr() -> None:
        segno.make(url, error="m").save(io.BytesIO(), kind="png", scale=6, border=4)

    m = max(20, n // 50)
    qr_floor = per_call(bare_qr, m)
    rows.append(("QR code PNG of a certificate", per_call(lambda: certificates.qr_png(rec), m), "segno alone", qr_floor))
    k = max(5, n // 200)
    rows.append(("certificate PNG", per_call(lambda: certificates.certificate_png(rec), k), "segno alone", qr_floor))
    rows.append(("certificate PDF", per_call(lambda: certificates.certificate_pdf(rec), k), "segno alone", qr_floor))
    print(f"token length {len(token)} characters, URL {len(url)} characters")
    for name, value, floor_name, floor_value in rows:
        print(f"{name:<30} {value:>10.1f} µs   floor ({floor_name}) {floor_value:>9.1f} µs   ratio {value / floor_value:6.2f}")


if __name__ == "__main__":
    main()
