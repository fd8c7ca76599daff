"""`xiangzhi demo --no-serve` end to end in a fresh data dir: Tongxiang loaded, idempotent, no plaintext
身份证号 or phone number anywhere in the SQLite file or a PostgreSQL dump."""

import os
import re
import shutil
import subprocess
import sys
import uuid

import pytest
from django.db import connection

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _env(tmp_path, database_url=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XIANGZHI_", "DATABASE_URL"))}
    env["XIANGZHI_DATA_DIR"] = str(tmp_path / "data")
    env["XIANGZHI_ENV"] = "development"
    env["XIANGZHI_SMS_BACKEND"] = "xiangzhi.core.sms.FileBackend"
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _demo(env):
    result = subprocess.run([sys.executable, "-m", "xiangzhi", "demo", "--no-serve", "--seed", "7", "--cases", "40"], env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def _secrets(env):
    """Every 身份证号 and phone the demo stored, read back (decrypted) through the application."""
    code = (
        "import django, json; django.setup()\n"
        "from xiangzhi.core.models import Person, User\n"
        "vals = [v for p in Person.objects.all() for v in (p.id_number, p.phone) if v]\n"
        "vals += [u.phone for u in User.objects.all() if u.phone]\n"
        "print(json.dumps(vals))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "xiangzhi.settings"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout)


def _counts(env):
    code = (
        "import django; django.setup()\n"
        "from xiangzhi.core.models import Region, Organisation, User, AuditLog\n"
        "from django.apps import apps\n"
        "print({m._meta.label: m.objects.count() for m in apps.get_models() "
        "if m._meta.app_label in ('core','disputes','ledger') and m._meta.model_name not in "
        "('auditlog','ratecounter','periodicjob','notification','onetimecode','leaf','node','checkpoint')})\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "xiangzhi.settings"},
                            capture_output=True, text=True, timeout=120)
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
