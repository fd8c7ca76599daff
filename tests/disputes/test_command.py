"""``xiangzhi case qr`` and ``xiangzhi case list --json``; the QR images decode to the case's public URL."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import zxingcpp
from django.core.management import CommandError, call_command
from PIL import Image

from tests.disputes.conftest import new_case


def decode_png(data: bytes) -> list[str]:
    image = Image.open(io.BytesIO(data)).convert("L")
    return [b.text for b in zxingcpp.read_barcodes(np.asarray(image))]


def test_case_qr_writes_a_png_that_decodes_to_the_public_url(tongxiang, tmp_path):
    case = new_case()
    out = tmp_path / "case.png"
    call_command("case", "qr", case.number, "-o", str(out), stdout=io.StringIO())
    assert decode_png(out.read_bytes()) == [case.public_url]
    image = Image.open(out).convert("RGB")
    assert image.getpixel((0, 0)) == (255, 255, 255)  # white quiet zone


def test_case_qr_accepts_the_archive_number_and_writes_svg(tongxiang, tmp_path):
    case = new_case()
    out = tmp_path / "case.svg"
    call_command("case", "qr", case.archive_number, "-o", str(out), stdout=io.StringIO())
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<svg") and "#fff" in text.lower()


def test_case_qr_unknown_number_fails(tongxiang, tmp_path):
    with pytest.raises(CommandError):
        call_command("case", "qr", "桐解〔1999〕99999号", "-o", str(tmp_path / "x.png"))


def test_case_list_json_shape(tongxiang):
    cases = [new_case(applicant_phone=f"1380000100{i}") for i in range(3)]
    buf = io.StringIO()
    call_command("case", "list", "--json", "--limit", "2", stdout=buf)
    rows = json.loads(buf.getvalue())
    assert isinstance(rows, list) and len(rows) == 2
    assert all(set(r) == {"number", "stage", "colour", "public_url"} for r in rows)
    assert rows[0] == {"number": cases[-1].number, "stage": "reported", "colour": "blue",
                       "public_url": cases[-1].public_url}


def test_the_qr_endpoints_serve_png_and_svg(client, tongxiang):
    case = new_case()
    png = client.get(f"/cases/s/{case.token}/qr.png")
    assert png["Content-Type"] == "image/png" and decode_png(png.content) == [case.public_url]
    svg = client.get(f"/cases/s/{case.token}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    slip = client.get(f"/cases/s/{case.token}/slip/").content.decode()
    assert case.number in slip and "<svg" in slip and "张三" not in slip
