"""Benchmark: ``xiangzhi backup`` and ``xiangzhi restore`` of a large bulk-built SQLite installation, against floors
measured in the same run.

Run with ``python bench/backup_restore.py [--persons 200000] [--leaves 100000] [--files 300] [--file-kb 128]``.
A fresh data dir is created in a temporary directory, migrated and filled in bulk: ``--persons`` people (phone and
address encrypted, as the application stores them), ``--leaves`` ledger leaves (with their Merkle nodes, through
``ledger.services.append_entries``) and ``--files`` uploaded files of ``--file-kb`` KiB of random bytes split between
the default and the outreach storage. Then, in the same run:

* floor: a plain copy of the same database file and the same files (``shutil.copyfile`` / ``copytree``), no hashing;
* backup: ``backup`` in this process (SQLite online backup API in a read snapshot, row counts of every table, the
  ledger root, SHA-256 of every file, scrypt + AES-GCM of the keys, the manifest);
* restore: ``python -m xiangzhi restore`` in a subprocess into a fresh data dir (SHA-256 of every file, scrypt, copy to
  a staging place, row counts and ledger root of the staged copy, move into place); its floors are the plain copy
  plus the start of a Python process that sets Django up (``django.setup()``) in the same environment;
* check_keys: decrypting every encrypted value, against a plain read of the same raw columns.

The bench checks that the restore reproduced the row counts and the ledger root.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

PASSPHRASE = "bench passphrase"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XIANGZHI_", "DATABASE_URL", "DJANGO_"))}
    env.update(XIANGZHI_DATA_DIR=str(data_dir), XIANGZHI_ENV="development", XIANGZHI_BACKUP_PASSPHRASE=PASSPHRASE,
               PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    for name in ("XIANGZHI_SHARED_DIR", "XIANGZHI_NODE_MODULES"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _setup(data_dir: Path) -> None:
    os.environ.update({k: v for k, v in _env(data_dir).items() if k.startswith("XIANGZHI_")})
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "xiangzhi.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _build(persons: int, leaves: int, files: int, file_kb: int) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages
    from django.db import transaction

    from xiangzhi.core.models import Person
    from xiangzhi.ledger import services as ledger

    batch = 5000
    for start in range(0, persons, batch):
        Person.objects.bulk_create([
            Person(name=f"测试{i}", phone=f"13{i:09d}", address=f"桐乡市崇福镇测试路{i}号")
            for i in range(start, min(persons, start + batch))
        ])
    for start in range(0, leaves, batch):
        with transaction.atomic():
            ledger.append_entries([ledger.Entry("bench.item", {"n": i, "text": "调解记录" * 8})
                                   for i in range(start, min(leaves, start + batch))])
    for i in range(files):
        storage = storages["default" if i % 2 else "outreach"]
        storage.save(f"bench/{i // 100:03d}/file-{i}.bin", ContentFile(os.urandom(file_kb * 1024)))
    ledger.make_checkpoint(force=True)


def _time(func) -> float:  # noqa: ANN001
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--leaves", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--file-kb", type=int, default=128)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="xiangzhi-bench-backup-"))
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> None:
    source = tmp / "source"
    _setup(source)
    t = _time(lambda: _build(args.persons, args.leaves, args.files, args.file_kb))
    print(f"built {args.persons} people, {args.leaves} ledger leaves, {args.files} files of {args.file_kb} KiB "
          f"in {t:.1f}s")

    from django.conf import settings
    from django.db import connection

    from xiangzhi.core.backup import app_state, backup, table_counts
    from xiangzhi.core.keycheck import check_encrypted_values, encrypted_fields

    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = Path(settings.DATABASES["default"]["NAME"])
    media, outreach = Path(settings.MEDIA_ROOT), Path(settings.XIANGZHI_OUTREACH_MEDIA_DIR)
    db_mb, files_mb = db.stat().st_size / 2**20, (_size(media) + _size(outreach)) / 2**20
    rows = sum(table_counts().values())
    print(f"database {db_mb:.1f} MiB ({rows} rows), files {files_mb:.1f} MiB")

    copy = tmp / "copy"
    copy.mkdir()

    def plain_copy() -> None:
        shutil.copyfile(db, copy / "db.sqlite3")
        shutil.copytree(media, copy / "media")
        shutil.copytree(outreach, copy / "outreach")

    floor = _time(plain_copy)
    shutil.rmtree(copy)
    out = tmp / "backup"
    t_backup = _time(lambda: backup(out, passphrase=PASSPHRASE))
    expected = {"counts": table_counts(), "state": app_state()}

    target = tmp / "restored"
    env = _env(target)
    startup = _time(lambda: subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                                           env={**env, "DJANGO_SETTINGS_MODULE": "xiangzhi.settings"}, check=True))
    shutil.rmtree(target)
    result = None

    def do_restore() -> None:
        nonlocal result
        result = subprocess.run([sys.executable, "-m", "xiangzhi", "restore", str(out)], env=env,
                                capture_output=True, text=True, check=False)

    t_restore = _time(do_restore)
    if result.returncode != 0:
        sys.exit(f"restore failed: {result.stderr[-2000:]}")
    code = ("import django, json; django.setup()\n"
            "from xiangzhi.core.backup import app_state, table_counts\n"
            "print(json.dumps({'counts': table_counts(), 'state': app_state()}))\n")
    import json

    got = subprocess.run([sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "xiangzhi.settings"},
                         capture_output=True, text=True, check=True).stdout
    if json.loads(got) != json.loads(json.dumps(expected)):
        sys.exit("the restored copy differs from the source (row counts or ledger root)")

    mb = db_mb + files_mb
    print(f"plain copy (floor)       {floor:7.2f}s  {mb / floor:8.1f} MiB/s")
    print(f"backup                   {t_backup:7.2f}s  {mb / t_backup:8.1f} MiB/s  ratio {t_backup / floor:5.2f}x floor")
    print(f"process start (django)   {startup:7.2f}s")
    print(f"restore (subprocess)     {t_restore:7.2f}s  {mb / t_restore:8.1f} MiB/s  ratio {t_restore / floor:5.2f}x "
          f"floor, {t_restore / (floor + startup):5.2f}x (floor + process start)")

    # check_keys against a plain read of the same raw columns
    def raw_read() -> None:
        qn = connection.ops.quote_name
        for model, fields in encrypted_fields():
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {qn(model._meta.pk.column)}, {', '.join(qn(f.column) for f in fields)} "  # noqa: S608
                               f"FROM {qn(model._meta.db_table)} ORDER BY {qn(model._meta.pk.column)}")
                cursor.fetchall()

    t_raw = _time(raw_read)
    reports = []
    t_check = _time(lambda: reports.extend(check_encrypted_values()))
    values = sum(r.values for r in reports)
    assert values == 2 * args.persons and all(r.ok for r in reports)
    print(f"raw read of {values} encrypted values (floor) {t_raw:6.2f}s")
    print(f"check_keys               {t_check:7.2f}s  {values / t_check:8.0f} values/s  ratio {t_check / t_raw:5.2f}x floor")


if __name__ == "__main__":
    main()
