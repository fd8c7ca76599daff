"""`xiangzhi backup` / `restore` / `check_keys` end to end, in subprocesses with fresh data dirs (SQLite, and
PostgreSQL into new databases): a round trip loses nothing; a non-empty target, a tampered backup and a wrong
passphrase are refused and leave the target untouched; check_keys fails when a key is missing."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection

from tests.cli import clean_env, run_python, run_xiangzhi

pytestmark = [pytest.mark.slow]

PASSPHRASE = "桐乡 backup passphrase 2026"

# A small dataset through the services: people with encrypted phone/address (each one a ledger leaf), an uploaded
# file in each storage and a file elsewhere under the data dir.
BUILD = """
import django; django.setup()
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from xiangzhi.core import services
for i in range(12):
    services.create_person(name=f"测试{i}", phone=f"138{i:08d}", address=f"崇福镇测试路{i}号", actor=None)
storages["default"].save("uploads/协议书.txt", ContentFile("调解协议".encode() * 100))
storages["outreach"].save("answers/audio.bin", ContentFile(bytes(range(256)) * 40))
run = settings.DATA_DIR / "run" / "imports"
run.mkdir(parents=True, exist_ok=True)
(run / "job-1.json").write_text('{"rows": 3}', encoding="utf-8")
"""

FACTS = """
import django, json; django.setup()
from xiangzhi.core.backup import app_state, table_counts
counts = table_counts()
print(json.dumps({"counts": counts, "state": app_state() if counts else {}}))
"""


def _env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    more = {"DATABASE_URL": database_url} if database_url else {}
    return clean_env(data_dir, **{"XIANGZHI_ENV": "development", "XIANGZHI_BACKUP_PASSPHRASE": PASSPHRASE, **more,
                                  **extra})


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def _facts(env: dict[str, str]) -> dict:
    return json.loads(_ok(run_python(FACTS, env=env)))


def _file_hashes(data_dir: Path) -> dict[str, str]:
    """SHA-256 of every file under the data dir that a backup carries (not keys, database, static files)."""
    skip = ("keys/", "static/", "xiangzhi.sqlite3")
    return {p.relative_to(data_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data_dir.rglob("*")) if p.is_file()
            and not p.relative_to(data_dir).as_posix().startswith(skip)}


def _build_source(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = _env(data_dir, database_url)
    _ok(run_xiangzhi("migrate", "-v", "0", env=env, timeout=300))
    _ok(run_python(BUILD, env=env))
    _ok(run_xiangzhi("ledger", "checkpoint", env=env))
    _ok(run_xiangzhi("recognitions", "public-key", env=env))  # the certificates' key, made on first use
    return env


def _assert_round_trip(source_env, source_dir, target_env, target_dir, backup_dir):
    out = _ok(run_xiangzhi("restore", str(backup_dir), env=target_env))
    assert "恢复完成" in out and "行数与清单一致" in out
    before, after = _facts(source_env), _facts(target_env)
    assert after["counts"] == before["counts"]
    assert before["counts"]["core_person"] == 12 and before["counts"]["ledger_leaf"] >= 12
    assert after["state"]["ledger"] == before["state"]["ledger"]
    assert before["state"]["ledger"]["tree_size"] >= 12 and before["state"]["ledger"]["checkpoint_size"] > 0
    hashes = _file_hashes(source_dir)
    assert {"media/uploads/协议书.txt", "outreach-media/answers/audio.bin", "run/imports/job-1.json"} <= set(hashes)
    assert _file_hashes(target_dir) == hashes
    # the keys came back: the same secrets, so the encrypted values decrypt and the checkpoints' signatures verify
    for name in ("encryption_keys", "blind_index_key", "signing_key", "secret_key", "recognitions_ed25519"):
        assert (target_dir / "keys" / name).read_text() == (source_dir / "keys" / name).read_text()
    # certificates issued before the backup still verify after the restore: the same public key
    public_key = _ok(run_xiangzhi("recognitions", "public-key", env=source_env)).strip().splitlines()[-1]
    assert _ok(run_xiangzhi("recognitions", "public-key", env=target_env)).strip().splitlines()[-1] == public_key
    assert "OK" in _ok(run_xiangzhi("ledger", "verify", env=target_env))
    checked = _ok(run_xiangzhi("check_keys", env=target_env))
    assert "core.person.phone: 12 个加密值，正常" in checked and "全部 24 个加密值均可解密" in checked
    assert "core.person.phone_index: 12 个盲索引，正常" in checked


def _assert_untouched(data_dir: Path, env: dict[str, str]) -> None:
    """A refused restore left no table and no file behind (the settings' fresh keys and static dir aside)."""
    assert _facts(env)["counts"] == {}
    assert _file_hashes(data_dir) == {}
    assert not list(data_dir.glob(".restore-*"))


# ----------------------------------------------------------------------------------------------------------------
# SQLite
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant runs in the SQLite suite; the PostgreSQL one is below")
    root = tmp_path_factory.mktemp("backup")
    source = root / "source"
    env = _build_source(source)
    backup_dir = root / "backup"
    out = _ok(run_xiangzhi("backup", "-o", str(backup_dir), env=env))
    assert "备份完成" in out and "文件：3 个" in out
    return env, source, backup_dir


def _copy_backup(backup_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(backup_dir, copy)
    return copy


def test_backup_holds_a_manifest_of_every_file_and_no_key_in_the_clear(sqlite_source):
    env, source, backup_dir = sqlite_source
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == "sqlite" and manifest["app"]["name"] == "xiangzhi"
    assert backup_dir.stat().st_mode & 0o077 == 0 and (backup_dir / "keys.enc").stat().st_mode & 0o077 == 0
    assert any(m.startswith("ledger.") for m in manifest["migrations"])
    assert manifest["database"]["tables"]["core_person"] == 12
    on_disk = {p.relative_to(backup_dir).as_posix() for p in backup_dir.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((backup_dir / name).read_bytes()).hexdigest() == meta["sha256"]
    # the database and the sealed keys beside the files; no key file and no database file among the files
    assert {n for n in on_disk if not n.startswith("files/")} == {"database.sqlite3", "keys.enc"}
    assert not [n for n in on_disk if "/keys/" in n or "sqlite3" in n.partition("/")[2]]
    blob = b"".join((backup_dir / n).read_bytes() for n in on_disk)
    for name in ("encryption_keys", "blind_index_key", "signing_key", "secret_key", "recognitions_ed25519"):
        secret = (source / "keys" / name).read_text().strip()
        assert secret.encode() not in blob
        assert secret.split(":")[-1].encode() not in blob
    # the database copy is a complete SQLite database
    assert (backup_dir / "database.sqlite3").read_bytes()[:16] == b"SQLite format 3\x00"


# A state provider that writes from another connection while the backup holds its snapshot: what the manifest counts
# and what the database copy holds must both be the state before that write (the site keeps running meanwhile).
WRITE_DURING_BACKUP = """
import django, json, sqlite3, sys; django.setup()
from collections.abc import Iterator
from pathlib import Path
from django.conf import settings
from django.db import connection
from xiangzhi.core import backup

def intruder():
    if connection.vendor == "sqlite":
        other = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=5)
    else:
        import psycopg
        conf = settings.DATABASES["default"]
        other = psycopg.connect(host=conf["HOST"], port=conf["PORT"], user=conf["USER"], dbname=conf["NAME"])
    other.execute("INSERT INTO core_person (name, id_number, phone, address, created_at) "
                  "VALUES ('备份中写入', '', '', '', '2026-12-05 00:00:00+00:00')")
    other.commit()
    other.close()
    return {"wrote": True}

backup.register_state("intruder", intruder)
report = backup.backup(Path(sys.argv[1]), passphrase="p")
from xiangzhi.core.models import Person
print(json.dumps({"manifest": report.manifest["database"]["tables"]["core_person"], "live": Person.objects.count()}))
"""


def test_backup_is_one_snapshot_while_the_site_writes(sqlite_source, tmp_path):
    _, source, _ = sqlite_source
    copy = tmp_path / "site"
    shutil.copytree(source, copy)
    out = tmp_path / "b"
    facts = json.loads(_ok(run_python(WRITE_DURING_BACKUP.replace("sys.argv[1]", repr(str(out))), env=_env(copy))))
    assert facts == {"manifest": 12, "live": 13}
    with sqlite3.connect(out / "database.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM core_person").fetchone()[0] == 12


def test_round_trip_loses_nothing(sqlite_source, tmp_path):
    env, source, backup_dir = sqlite_source
    target = tmp_path / "restored"
    _assert_round_trip(env, source, _env(target), target, backup_dir)


def test_restore_refuses_a_non_empty_target(sqlite_source):
    env, source, backup_dir = sqlite_source
    before = _facts(env)
    result = run_xiangzhi("restore", str(backup_dir), env=env)
    assert result.returncode == 1
    assert "恢复目标不是空的" in result.stderr and "数据库已有" in result.stderr
    assert _facts(env) == before


def test_restore_refuses_a_data_dir_with_files(sqlite_source, tmp_path):
    _, _, backup_dir = sqlite_source
    target = tmp_path / "target"
    (target / "media").mkdir(parents=True)
    (target / "media" / "old.jpg").write_bytes(b"x")
    result = run_xiangzhi("restore", str(backup_dir), env=_env(target))
    assert result.returncode == 1 and "数据目录中已有 1 个文件" in result.stderr
    assert not (target / "xiangzhi.sqlite3").exists() or _facts(_env(target))["counts"] == {}


@pytest.mark.parametrize("tamper", ["file", "database", "extra", "missing"])
def test_restore_refuses_a_tampered_backup(sqlite_source, tmp_path, tamper):
    _, _, backup_dir = sqlite_source
    copy = _copy_backup(backup_dir, tmp_path)
    if tamper == "file":
        path = copy / "files" / "storage-outreach" / "answers" / "audio.bin"
        raw = bytearray(path.read_bytes())
        raw[100] ^= 1
        path.write_bytes(bytes(raw))
    elif tamper == "database":
        with (copy / "database.sqlite3").open("ab") as f:
            f.write(b"\0")
    elif tamper == "extra":
        (copy / "files" / "storage-default" / "planted.html").write_text("<script>")
    else:
        (copy / "files" / "data" / "run" / "imports" / "job-1.json").unlink()
    target = tmp_path / "target"
    result = run_xiangzhi("restore", str(copy), env=_env(target))
    assert result.returncode == 1 and "备份文件校验失败" in result.stderr, result.stderr
    _assert_untouched(target, _env(target))


def test_restore_refuses_a_manifest_changed_with_matching_hashes(sqlite_source, tmp_path):
    """Whoever changes a file and writes its new SHA-256 into the manifest still lacks the passphrase's HMAC key."""
    _, _, backup_dir = sqlite_source
    copy = _copy_backup(backup_dir, tmp_path)
    path = copy / "files" / "storage-default" / "uploads" / "协议书.txt"
    path.write_text("改过的协议", encoding="utf-8")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["files/storage-default/uploads/协议书.txt"] = {
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "size": path.stat().st_size}
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    target = tmp_path / "target"
    result = run_xiangzhi("restore", str(copy), env=_env(target))
    assert result.returncode == 1 and "认证码不符" in result.stderr, result.stderr
    _assert_untouched(target, _env(target))


def test_restore_refuses_a_wrong_passphrase(sqlite_source, tmp_path):
    _, _, backup_dir = sqlite_source
    target = tmp_path / "target"
    env = _env(target, XIANGZHI_BACKUP_PASSPHRASE="not the passphrase")
    result = run_xiangzhi("restore", str(backup_dir), env=env)
    assert result.returncode == 1 and "备份口令错误" in result.stderr
    _assert_untouched(target, env)


def test_without_a_passphrase_and_no_terminal_the_commands_say_so(sqlite_source, tmp_path):
    env, _, backup_dir = sqlite_source
    bare = {k: v for k, v in env.items() if k != "XIANGZHI_BACKUP_PASSPHRASE"}
    result = subprocess.run([*_xiangzhi(), "backup", "-o", str(tmp_path / "b")], env=bare, capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 1 and "XIANGZHI_BACKUP_PASSPHRASE" in result.stderr
    assert not (tmp_path / "b").exists()
    target_env = {k: v for k, v in _env(tmp_path / "t").items() if k != "XIANGZHI_BACKUP_PASSPHRASE"}
    result = subprocess.run([*_xiangzhi(), "restore", str(backup_dir)], env=target_env, capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 1 and "未提供备份口令" in result.stderr


def _on_a_terminal(args: list[str], env: dict[str, str], answers: list[str]) -> tuple[int, str]:
    """Run ``xiangzhi ARGS`` with a pseudo-terminal as stdin/stdout/stderr, typing each answer after a prompt."""
    import os
    import pty
    import select
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen([*_xiangzhi(), *args], env=env, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    seen, answered, deadline = b"", 0, time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            # answer each prompt once it is shown (getpass flushes what was typed before it)
            if answered < len(answers) and seen.decode("utf-8", "ignore").count("口令：") > answered:
                os.write(master, answers[answered].encode() + b"\n")
                answered += 1
        elif proc.poll() is not None:
            break
    try:
        proc.wait(timeout=60)
    finally:
        proc.kill()
        os.close(master)
    return proc.returncode, seen.decode("utf-8", "ignore")


def test_the_passphrase_is_asked_on_a_terminal(sqlite_source, tmp_path):
    env, _, _ = sqlite_source
    bare = {k: v for k, v in env.items() if k != "XIANGZHI_BACKUP_PASSPHRASE"}
    code, out = _on_a_terminal(["backup", "-o", str(tmp_path / "b1")], bare, ["一个口令", "另一个口令"])
    assert code == 1 and "两次输入的备份口令不一致" in out and not (tmp_path / "b1").exists()
    code, out = _on_a_terminal(["backup", "-o", str(tmp_path / "b2")], bare, ["终端口令", "终端口令"])
    assert code == 0 and "备份完成" in out
    assert "终端口令" not in out  # not echoed
    target = tmp_path / "t"
    target_env = {k: v for k, v in _env(target).items() if k != "XIANGZHI_BACKUP_PASSPHRASE"}
    code, out = _on_a_terminal(["restore", str(tmp_path / "b2")], target_env, ["错的口令"])
    assert code == 1 and "备份口令错误" in out
    code, out = _on_a_terminal(["restore", str(tmp_path / "b2")], target_env, ["终端口令"])
    assert code == 0 and "恢复完成" in out


def test_backup_refuses_a_non_empty_output_dir(sqlite_source):
    env, _, backup_dir = sqlite_source
    before = (backup_dir / "manifest.json").read_bytes()
    result = run_xiangzhi("backup", "-o", str(backup_dir), env=env)
    assert result.returncode == 1 and "已存在且不为空" in result.stderr
    assert (backup_dir / "manifest.json").read_bytes() == before


def test_check_keys_fails_when_a_key_is_missing(sqlite_source):
    env, source, _ = sqlite_source
    assert "全部 24 个加密值均可解密" in _ok(run_xiangzhi("check_keys", env=env))
    old = (source / "keys" / "encryption_keys").read_text().strip()
    new = "k2:" + base64.b64encode(secrets.token_bytes(32)).decode()
    # a new first key with the old one still there: everything decrypts
    _ok(run_xiangzhi("check_keys", env={**env, "XIANGZHI_ENCRYPTION_KEYS": f"{new},{old}"}))
    # the old key removed: every value fails, exit 1
    result = run_xiangzhi("check_keys", env={**env, "XIANGZHI_ENCRYPTION_KEYS": new})
    assert result.returncode == 1
    assert "core.person.phone: 12 个加密值，失败 12 个" in result.stdout
    assert "24 / 24 个加密值无法用当前密钥解密" in result.stderr
    # a wrong key under the same id: the ciphertexts do not authenticate
    wrong = "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    result = run_xiangzhi("check_keys", env={**env, "XIANGZHI_ENCRYPTION_KEYS": wrong})
    assert result.returncode == 1 and "ciphertext does not authenticate" in result.stdout


def test_check_keys_fails_with_a_wrong_blind_index_key(sqlite_source):
    env, _, _ = sqlite_source
    other = base64.b64encode(secrets.token_bytes(32)).decode()
    result = run_xiangzhi("check_keys", env={**env, "XIANGZHI_BLIND_INDEX_KEY": other})
    assert result.returncode == 1
    assert "core.person.phone: 12 个加密值，正常" in result.stdout  # the encryption keys are right
    assert "core.person.phone_index: 12 个盲索引，不符 12 个" in result.stdout
    assert "12 / 12 个盲索引与当前 XIANGZHI_BLIND_INDEX_KEY 不符" in result.stderr


def _xiangzhi() -> list[str]:
    return [sys.executable, "-m", "xiangzhi"]


# ----------------------------------------------------------------------------------------------------------------
# PostgreSQL: the source and the target are new databases this test creates and drops
# ----------------------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def scratch_postgres_databases(prefix: str, count: int) -> Iterator[list[str]]:
    """``count`` new, empty PostgreSQL databases on the test server (their URLs), dropped afterwards; skips the test
    outside the PostgreSQL suite or without pg_dump / pg_restore."""
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL suite (DATABASE_URL=postgres://…)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore not installed")
    conf = connection.settings_dict
    host, port, user = conf["HOST"] or "127.0.0.1", conf["PORT"] or "5432", conf["USER"]
    admin = ["psql", "-h", host, "-p", str(port), "-U", user, "-d", "postgres", "-c"]
    names = [f"{prefix}_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    for name in names:
        subprocess.run([*admin, f"CREATE DATABASE {name}"], check=True, capture_output=True)
    try:
        yield [f"postgres://{user}@{host}:{port}/{name}" for name in names]
    finally:
        for name in names:
            subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


def test_round_trip_on_postgresql(tmp_path):
    with scratch_postgres_databases("xz_backup", 2) as (source_url, target_url):
        source = tmp_path / "source"
        env = _build_source(source, source_url)
        backup_dir = tmp_path / "backup"
        _ok(run_xiangzhi("backup", "-o", str(backup_dir), env=env))
        manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["engine"] == "postgresql" and (backup_dir / "database.pgdump").read_bytes()[:5] == b"PGDMP"
        target = tmp_path / "restored"
        target_env = _env(target, target_url)
        # a wrong passphrase first: refused, the new database stays empty
        wrong = run_xiangzhi("restore", str(backup_dir), env={**target_env, "XIANGZHI_BACKUP_PASSPHRASE": "nope"})
        assert wrong.returncode == 1 and "备份口令错误" in wrong.stderr
        _assert_untouched(target, target_env)
        _assert_round_trip(env, source, target_env, target, backup_dir)
        # and now the target is not empty any more
        again = run_xiangzhi("restore", str(backup_dir), env=target_env)
        assert again.returncode == 1 and "恢复目标不是空的" in again.stderr
        # pg_dump reads the snapshot the row counts were taken in, while the site writes
        out = tmp_path / "during"
        facts = json.loads(_ok(run_python(WRITE_DURING_BACKUP.replace("sys.argv[1]", repr(str(out))), env=env)))
        assert facts == {"manifest": 12, "live": 13}
        data = subprocess.run(["pg_restore", "--data-only", "--table=core_person", "--file=-",
                               str(out / "database.pgdump")], capture_output=True, text=True, check=True).stdout
        copied = data.split("COPY public.core_person", 1)[1].split("\n\\.\n", 1)[0].splitlines()[1:]
        assert len(copied) == 12 and "备份中写入" not in data


# ----------------------------------------------------------------------------------------------------------------
# In this process: the sealed keys and the PostgreSQL tools' environment
# ----------------------------------------------------------------------------------------------------------------
def test_sealed_keys_open_only_with_their_passphrase():
    from xiangzhi.core.backup import BackupError, open_keys, seal_keys

    values = {"XIANGZHI_SIGNING_KEY": "c2VlZA==", "SECRET_KEY": "s" * 50}
    blob, mac_key = seal_keys(values, "口令 one")
    assert b"c2VlZA==" not in blob and b"s" * 50 not in blob
    assert json.loads(blob)["kdf"] == "scrypt" and json.loads(blob)["cipher"] == "AES-256-GCM"
    assert open_keys(blob, "口令 one") == (values, mac_key)
    with pytest.raises(BackupError) as wrong:
        open_keys(blob, "口令 two")
    assert wrong.value.code == "BACKUP_WRONG_PASSPHRASE"
    doc = json.loads(blob)
    sealed = bytearray(base64.b64decode(doc["ciphertext"]))
    sealed[0] ^= 1
    doc["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    with pytest.raises(BackupError):
        open_keys(json.dumps(doc).encode(), "口令 one")
    # a fresh salt and nonce each time
    assert seal_keys(values, "口令 one")[0] != blob


def test_pg_tools_get_the_password_from_the_environment_not_the_command_line(monkeypatch):
    from xiangzhi.core import backup

    conf = {"HOST": "db.example", "PORT": "5433", "USER": "xz", "PASSWORD": "pa ss'word", "NAME": "xiangzhi",
            "OPTIONS": {"sslmode": "verify-full"}}
    monkeypatch.setattr(backup, "connection", SimpleNamespace(settings_dict=conf))  # not Django's own wrapper
    monkeypatch.setenv("PGPASSWORD", "from the shell")
    monkeypatch.setattr(backup.shutil, "which", lambda name: f"/usr/bin/{name}")
    calls = []

    def fake_run(args, *, env, **kwargs):  # noqa: ANN001, ANN003, ANN202
        calls.append((args, env))
        return subprocess.CompletedProcess(args, 1 if len(calls) > 1 else 0, "", "pg_dump: error: connection refused")

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    backup._run_pg(["pg_dump", "--format=custom", "--file=/tmp/x.pgdump", "--no-password"], "导出")
    args, env = calls[0]
    assert not [a for a in args if "pa ss" in a or "db.example" in a]
    assert env["PGPASSWORD"] == "pa ss'word" and env["PGHOST"] == "db.example" and env["PGPORT"] == "5433"
    assert env["PGUSER"] == "xz" and env["PGDATABASE"] == "xiangzhi" and env["PGSSLMODE"] == "verify-full"
    with pytest.raises(backup.BackupError) as failed:
        backup._run_pg(["pg_restore", "x"], "恢复")
    assert failed.value.message == "恢复失败。" and "connection refused" in failed.value.detail
