"""The ``xiangzhi recognitions`` commands, run as an operator would on a fresh machine (own data dir, SQLite): the
holders as JSON, a certificate's QR code written to a file, and the public key that verifies it."""

from __future__ import annotations

import base64
import json

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image

from tests.cli import clean_env, run_python, run_xiangzhi
from tests.conftest import REPO

SETUP = f"""
import datetime as dt, json
from unittest import mock
import django
django.setup()
from django.utils import timezone
from xiangzhi.core import services
from xiangzhi.core.models import Region
from xiangzhi.core.personal import id_check_digit
from xiangzhi.recognitions.services import selection

services.load_regions(json.loads(open({str(REPO / "src/xiangzhi/core/data/tongxiang.json")!r}, encoding="utf-8").read()),
                      actor=None, source="test")
village = Region.objects.filter(level="village", code__startswith="330483100").order_by("code").first()

def staff(name, role, region):
    user = services.create_staff_user(username=name, password="Persona-Pass-2026", display_name=name, actor=None)
    services.add_membership(user, role=role, region=region, organisation=None, actor=None)
    return user

village_staff = staff("cun", "mediator", village)
town = staff("zhen", "town_staff", village.parent)
county = staff("xian", "county_admin", Region.objects.get(code="330483"))
serials = []
for n, (name, title) in enumerate([("张小明", "understander"), ("李大华", "household"), ("王芳", "leader")], 1):
    first17 = f"33048319850101{{n:03d}}"
    rec = selection.nominate(selection.Nominee(name=name, id_number=first17 + id_check_digit(first17)), title=title,
                             year=timezone.localdate().year, region=village, reason="热心调解村里的纠纷。",
                             actor=village_staff)
    selection.transition(rec, "town_reviewed", actor=town)
    selection.transition(rec, "in_notice", actor=town)
    if n == 3:
        break  # still in its public notice: not a holder
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + dt.timedelta(days=8)):
        selection.transition(rec, "approved", actor=county)
    serials.append(selection.transition(rec, "registered", actor=county).serial)
print(json.dumps(serials))
"""


@pytest.fixture(scope="module")
def operator(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("recognitions-cli")
    env = clean_env(data_dir)
    migrated = run_xiangzhi("migrate", "-v0", env=env, timeout=600)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    made = run_python(SETUP, env=env, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    return env, data_dir, json.loads(made.stdout.strip().splitlines()[-1])


def test_list_json_prints_the_holders(operator):
    env, _data_dir, serials = operator
    done = run_xiangzhi("recognitions", "list", "--json", env=env)
    assert done.returncode == 0, done.stderr
    holders = json.loads(done.stdout)
    assert isinstance(holders, list) and sorted(h["serial"] for h in holders) == sorted(serials)
    for h in holders:
        assert {"serial", "title", "year", "certificate_url"} <= set(h)
        assert "/r/" in h["certificate_url"] and h["masked_name"].endswith("*")
    assert {h["title"] for h in holders} == {"understander", "household"}
    assert "张小明" not in done.stdout and "李大华" not in done.stdout


def test_the_qr_command_writes_a_code_the_public_key_alone_verifies(operator, tmp_path):
    env, data_dir, serials = operator
    out = tmp_path / "qr.png"
    done = run_xiangzhi("recognitions", "qr", serials[0], "-o", str(out), env=env)
    assert done.returncode == 0, done.stderr
    url = zxingcpp.read_barcodes(Image.open(out))[0].text
    listed = {h["serial"]: h["certificate_url"] for h in json.loads(
        run_xiangzhi("recognitions", "list", "--json", env=env).stdout)}
    assert url == listed[serials[0]]

    shown = run_xiangzhi("recognitions", "public-key", env=env)
    assert shown.returncode == 0, shown.stderr
    key = base64.b64decode(shown.stdout.strip().splitlines()[-1], validate=True)  # standard base64, last line
    assert len(key) == 32
    statement, signature = url.rsplit("/r/", 1)[1].split(".")

    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    Ed25519PublicKey.from_public_bytes(key).verify(unb64(signature), unb64(statement))
    assert json.loads(unb64(statement))["s"] == serials[0]
    key_file = data_dir / "keys" / "recognitions_ed25519"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_the_certificate_command_writes_a_pdf(operator, tmp_path):
    env, _data_dir, serials = operator
    out = tmp_path / "certificate.pdf"
    done = run_xiangzhi("recognitions", "certificate", serials[1], "-o", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF-")


def test_an_unknown_serial_is_an_error(operator, tmp_path):
    env, _data_dir, _serials = operator
    done = run_xiangzhi("recognitions", "qr", "1999X000000", "-o", str(tmp_path / "x.png"), env=env)
    assert done.returncode != 0 and "1999X000000" in done.stderr
    assert not (tmp_path / "x.png").exists()
