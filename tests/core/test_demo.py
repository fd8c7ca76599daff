"""`xiangzhi demo --no-serve` end to end in a fresh data dir: Tongxiang loaded, idempotent, no plaintext
身份证号 or phone number anywhere in the SQLite file or a PostgreSQL dump."""

import re
import shutil
import subprocess
import uuid

import pytest
from django.db import connection

from tests.cli import clean_env, run_python, run_xiangzhi
from tests.shared_data import shared_path

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _env(tmp_path, database_url=None):
    extra = {"DATABASE_URL": database_url} if database_url else {}
    return clean_env(tmp_path / "data", XIANGZHI_ENV="development",
                     XIANGZHI_SMS_BACKEND="xiangzhi.core.sms.FileBackend", **extra)


def _demo(env):
    result = run_xiangzhi("demo", "--no-serve", "--seed", "7", "--cases", "40", env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def _secrets(env):
    """Every 身份证号 and phone the demo stored, read back (decrypted) through the application."""
    code = (
        "import django, json; django.setup()\n"
        "from xiangzhi.core.models import Person, User\n"
        "vals = [v for p in Person.objects.all() for v in (p.id_number, p.phone) if v]\n"
        "vals += [u.phone for u in User.objects.all() if u.phone]\n"
        "from xiangzhi.network.models import Adviser\n"
        "vals += [a.mobile for a in Adviser.objects.all() if a.mobile]\n"
        "print(json.dumps(vals))\n"
    )
    result = run_python(code, env=env)
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout)


def _counts(env):
    code = (
        "import django; django.setup()\n"
        "from xiangzhi.core.models import Region, Organisation, User, AuditLog\n"
        "from django.apps import apps\n"
        "print({m._meta.label: m.objects.count() for m in apps.get_models() "
        "if m._meta.app_label in ('core','disputes','ledger','consultation') and m._meta.model_name not in "
        "('auditlog','ratecounter','periodicjob','notification','onetimecode','leaf','node','checkpoint')})\n"
    )
    result = run_python(code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _assert_no_plaintext(blob: bytes, secrets):
    assert secrets, "the demo should store some personal data to check"
    for value in secrets:
        assert value.encode() not in blob, f"plaintext {value[:3]}… found"
    # and no 11-digit mobile-looking number or 18-digit ID number in the clear at all
    text = blob.decode("utf-8", "ignore")
    leaks = re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{17}[\dX](?!\d)", text)
    assert not [x for x in leaks if x in secrets]


def test_demo_on_sqlite_is_idempotent_and_stores_no_plaintext(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL variant below runs in the PostgreSQL suite")
    env = _env(tmp_path)
    out = _demo(env)
    assert "人民调解组织 355 个" in out and "admin" in out
    if shared_path("data/laws/articles.jsonl.gz").exists() and shared_path("data/stard/train.jsonl").exists():
        # eight weeks of visits to the consultation robot, for the demand dashboard and the hand-off queue (the
        # 精准普法 demo's burst of questions on one topic is tested in tests/outreach/test_demo.py)
        assert re.search(r"法律咨询：演示 \d+ 次提问（近 8 周），转人工 \d+ 件、已答复 \d+ 件", out), out[-800:]
        code = ("import django; django.setup()\n"
                "from xiangzhi.consultation.models import Question, Handoff\n"
                "outreach = {'conversation__visitor_id__startswith': 'demo-outreach-'}\n"
                "handoffs = Handoff.objects.exclude(**{'question__' + k: v for k, v in outreach.items()})\n"
                "print(Question.objects.exclude(**outreach).count(), handoffs.filter(status='open').count(),"
                " handoffs.filter(status='answered').count())\n")
        asked, waiting, answered = map(int, run_python(code, env=env).stdout.split())
        assert asked == 260 and waiting == 3 and answered >= 1
    before = _counts(env)
    _demo(env)
    assert _counts(env) == before
    blob = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("xiangzhi.sqlite3*"))
    _assert_no_plaintext(blob, _secrets(env))


def test_demo_on_postgresql_dump_holds_no_plaintext(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL suite (DATABASE_URL=postgres://…)")
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump not installed")
    settings_dict = connection.settings_dict
    name = f"xz_demo_{uuid.uuid4().hex[:8]}"
    host, port, user = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or "5432", settings_dict["USER"]
    admin = ["psql", "-h", host, "-p", str(port), "-U", user, "-d", "postgres", "-c"]
    subprocess.run([*admin, f"CREATE DATABASE {name}"], check=True, capture_output=True)
    try:
        url = f"postgres://{user}@{host}:{port}/{name}"
        env = _env(tmp_path, url)
        _demo(env)
        dump = subprocess.run(["pg_dump", "-h", host, "-p", str(port), "-U", user, name], check=True,
                              capture_output=True).stdout
        _assert_no_plaintext(dump, _secrets(env))
    finally:
        subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)
