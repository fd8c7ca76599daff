"""Media in an S3-compatible bucket, as a county configures it: the settings (XIANGZHI_MEDIA_STORAGE=s3 and the
XIANGZHI_S3_* values; refused at start without bucket or keys), ``check --deploy`` (the bucket reachable, not
public), and ``xiangzhi backup`` / ``restore`` copying the objects through the storage API (moto's server over HTTP,
the commands in subprocesses)."""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

import pytest
from django.db import connection

from tests.cli import clean_env, run_python, run_xiangzhi
from tests.core.test_backup import (
    BUILD,
    PASSPHRASE,
    _assert_untouched,
    _facts,
    _ok,
    scratch_postgres_databases,
)
from tests.s3 import ACCESS_KEY, REGION, SECRET_KEY, Bucket, client, free_port, s3_bucket, s3_endpoint, use_s3  # noqa: F401

SHOW = """
import django, json; django.setup()
from django.conf import settings
print(json.dumps({alias: settings.STORAGES[alias] for alias in ("outreach", "villages")}))
"""


def _s3_env(bucket: Bucket) -> dict[str, str]:
    return {"XIANGZHI_MEDIA_STORAGE": "s3", "XIANGZHI_S3_ENDPOINT_URL": bucket.endpoint,
            "XIANGZHI_S3_BUCKET": bucket.name, "XIANGZHI_S3_ACCESS_KEY": ACCESS_KEY,
            "XIANGZHI_S3_SECRET_KEY": SECRET_KEY, "XIANGZHI_S3_REGION": REGION}


def _new_bucket(endpoint: str) -> Bucket:
    name = f"xz-{secrets.token_hex(6)}"
    client(endpoint).create_bucket(Bucket=name)
    return Bucket(endpoint, name)


# ----------------------------------------------------------------------------------------------------------------
# Settings
# ----------------------------------------------------------------------------------------------------------------
def test_s3_puts_both_stores_in_the_bucket_privately_under_their_prefixes(tmp_path):
    bucket = Bucket("https://minio.county.example:9000", "xiangzhi-media")
    stores = json.loads(_ok(run_python(SHOW, env=clean_env(tmp_path, **_s3_env(bucket)))))
    for alias in ("outreach", "villages"):
        store = stores[alias]
        assert store["BACKEND"] == "storages.backends.s3.S3Storage"
        options = store["OPTIONS"]
        assert options["location"] == alias and options["bucket_name"] == "xiangzhi-media"
        assert options["endpoint_url"] == bucket.endpoint and options["access_key"] == ACCESS_KEY
        assert options["default_acl"] == "private" and options["file_overwrite"] is False
        assert options["addressing_style"] == "path"
    local = json.loads(_ok(run_python(SHOW, env=clean_env(tmp_path))))
    assert local["outreach"] == {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                 "OPTIONS": {"location": str(tmp_path / "outreach-media")}}


def test_the_secret_key_may_come_from_a_file_and_a_store_may_name_its_own_backend(tmp_path):
    secret = tmp_path / "s3_secret_key"
    secret.write_text("from-a-file\n", encoding="utf-8")
    env = {**_s3_env(Bucket("http://minio:9000", "media")), "XIANGZHI_S3_SECRET_KEY": "",
           "XIANGZHI_S3_SECRET_KEY_FILE": str(secret),
           "XIANGZHI_VILLAGES_STORAGE_BACKEND": "django.core.files.storage.FileSystemStorage"}
    del env["XIANGZHI_S3_SECRET_KEY"]
    stores = json.loads(_ok(run_python(SHOW, env=clean_env(tmp_path, **env))))
    assert stores["outreach"]["OPTIONS"]["secret_key"] == "from-a-file"
    assert stores["villages"]["BACKEND"].endswith("FileSystemStorage")


@pytest.mark.parametrize(("missing", "value"), [("XIANGZHI_S3_BUCKET", ""), ("XIANGZHI_S3_ACCESS_KEY", ""),
                                                 ("XIANGZHI_S3_SECRET_KEY", "")])
def test_s3_without_bucket_or_keys_refuses_to_start(tmp_path, missing, value):
    env = {**_s3_env(Bucket("http://minio:9000", "media")), missing: value}
    result = run_xiangzhi("check", env=clean_env(tmp_path, **env))
    assert result.returncode != 0
    assert f"Media files are stored in S3 but {missing} is not set" in result.stderr
    assert f"媒体文件使用对象存储，但未设置 {missing}" in result.stderr


def test_an_unknown_media_storage_is_refused(tmp_path):
    result = run_xiangzhi("check", env=clean_env(tmp_path, XIANGZHI_MEDIA_STORAGE="nfs"))
    assert result.returncode != 0 and "XIANGZHI_MEDIA_STORAGE='nfs' is neither 'local' nor 's3'" in result.stderr


# ----------------------------------------------------------------------------------------------------------------
# check --deploy
# ----------------------------------------------------------------------------------------------------------------
def _storage_errors() -> set[str]:
    from xiangzhi.core.checks import check_media_storage

    return {e.id for e in check_media_storage(None)}


def test_a_reachable_bucket_that_anyone_may_list_is_refused(settings, s3_bucket):  # noqa: F811
    # moto's buckets answer unsigned requests: to the check, a public bucket (E007) that is otherwise reachable
    use_s3(settings, s3_bucket, "outreach", "villages")
    assert _storage_errors() == {"xiangzhi.E007"}


def test_a_missing_bucket_or_an_unreachable_store_is_refused(settings, s3_endpoint):  # noqa: F811
    use_s3(settings, Bucket(s3_endpoint, "no-such-bucket"), "outreach")
    assert _storage_errors() == {"xiangzhi.E006"}
    use_s3(settings, Bucket(f"http://127.0.0.1:{free_port()}", "media"), "outreach")
    from xiangzhi.core.checks import check_media_storage

    (error,) = check_media_storage(None)
    assert error.id == "xiangzhi.E006" and "XIANGZHI_S3_BUCKET" in error.hint


def test_local_stores_need_no_check(settings):
    assert settings.STORAGES["outreach"]["BACKEND"].endswith("FileSystemStorage")
    assert _storage_errors() == set()


# ----------------------------------------------------------------------------------------------------------------
# Backup and restore
# ----------------------------------------------------------------------------------------------------------------
AUDIO = bytes(range(256)) * 40  # what BUILD saves in the outreach store
EVIDENCE = "村规民约修订会议记录".encode() * 50
BUILD_S3 = BUILD + f"""
storages["villages"].save("evidence/2026/12/minutes.txt", ContentFile({EVIDENCE!r}))
"""


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return clean_env(data_dir, XIANGZHI_ENV="development", XIANGZHI_BACKUP_PASSPHRASE=PASSPHRASE, **extra)


@pytest.fixture(scope="module")
def s3_source(tmp_path_factory, s3_endpoint):  # noqa: F811
    if connection.vendor != "sqlite":
        pytest.skip("the backup commands run on SQLite here; test_backup covers PostgreSQL's dump")
    root = tmp_path_factory.mktemp("s3backup")
    bucket = _new_bucket(s3_endpoint)
    env = _env(root / "source", **_s3_env(bucket))
    _ok(run_xiangzhi("migrate", "-v", "0", env=env, timeout=300))
    _ok(run_python(BUILD_S3, env=env))
    result = run_xiangzhi("backup", "-o", str(root / "backup"), env=env)
    return env, root, bucket, result


@pytest.mark.slow
def test_backup_copies_the_objects_of_the_bucket_with_their_hashes(s3_source):
    env, root, bucket, result = s3_source
    out = _ok(result)
    assert "其中对象存储 outreach：1 个对象，已通过存储接口下载进备份" in out
    assert "其中对象存储 villages：1 个对象" in out and "未包含在备份中" not in result.stderr
    assert {k.split("/")[0] for k in bucket.objects()} == {"outreach", "villages"}  # each store under its prefix
    answer_key = next(k for k in bucket.objects() if k.startswith("outreach/answers/"))
    assert bucket.get(answer_key) == AUDIO
    manifest = json.loads((root / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["object_stores"] == ["storage-outreach", "storage-villages"]
    assert manifest["external_storages"] == []
    stored = manifest["files"]["files/storage-outreach/answers/audio.bin"]
    assert stored == {"sha256": hashlib.sha256(AUDIO).hexdigest(), "size": len(AUDIO)}
    assert (root / "backup" / "files/storage-outreach/answers/audio.bin").read_bytes() == AUDIO
    evidence = manifest["files"]["files/storage-villages/evidence/2026/12/minutes.txt"]
    assert evidence["sha256"] == hashlib.sha256(EVIDENCE).hexdigest()
    # the source kept them in the bucket only: nothing of the stores under its data dir
    assert not (root / "source" / "outreach-media").exists() and not (root / "source" / "villages-evidence").exists()


@pytest.mark.slow
def test_restore_puts_the_objects_into_an_empty_bucket_and_refuses_a_used_one(s3_source, s3_endpoint, tmp_path):  # noqa: F811
    env, root, _bucket, _ = s3_source
    target = _new_bucket(s3_endpoint)
    target_env = _env(tmp_path / "restored", **_s3_env(target))
    out = _ok(run_xiangzhi("restore", str(root / "backup"), env=target_env))
    assert "恢复完成" in out and "4 个文件" in out  # two objects, the default store's file and the data dir's
    assert target.objects() == ["outreach/answers/audio.bin", "villages/evidence/2026/12/minutes.txt"]
    assert target.get("outreach/answers/audio.bin") == AUDIO and target.public_grants("outreach/answers/audio.bin") == []
    assert _facts(target_env)["counts"] == _facts(env)["counts"]
    assert not (tmp_path / "restored" / "outreach-media").exists()
    # the same bucket again, with an empty database and data dir: refused before anything is written
    again_env = _env(tmp_path / "again", **_s3_env(target))
    again = run_xiangzhi("restore", str(root / "backup"), env=again_env)
    assert again.returncode == 1 and "对象存储 storage-outreach 中已有文件" in again.stderr
    assert _facts(again_env)["counts"] == {}
    assert target.objects() == ["outreach/answers/audio.bin", "villages/evidence/2026/12/minutes.txt"]


RESTORE_FAILING_UPLOAD = """
import django, sys; django.setup()
from pathlib import Path
from django.core.files.storage import storages
from xiangzhi.core import backup

def unreachable(*args, **kwargs):
    raise OSError("the object store went away")

storages["villages"].save = unreachable  # the second store's upload fails, after the first store's went in
try:
    backup.restore(Path(sys.argv[1]), passphrase=lambda: %r)
except OSError as exc:
    print("failed:", exc)
"""


@pytest.mark.slow
def test_a_restore_that_fails_uploading_takes_its_objects_back_out(s3_source, s3_endpoint, tmp_path):  # noqa: F811
    _env_source, root, _bucket, _ = s3_source
    target = _new_bucket(s3_endpoint)
    target_env = _env(tmp_path / "restored", **_s3_env(target))
    code = RESTORE_FAILING_UPLOAD.replace("sys.argv[1]", repr(str(root / "backup"))) % PASSPHRASE
    assert "failed: the object store went away" in _ok(run_python(code, env=target_env))
    assert target.objects() == []  # the outreach object that did go in was deleted again
    _assert_untouched(tmp_path / "restored", target_env)


@pytest.mark.slow
def test_a_bucket_backup_restores_into_local_directories(s3_source, tmp_path):
    _env_source, root, _bucket, _ = s3_source
    target_env = _env(tmp_path / "restored")
    _ok(run_xiangzhi("restore", str(root / "backup"), env=target_env))
    assert (tmp_path / "restored" / "outreach-media" / "answers" / "audio.bin").read_bytes() == AUDIO
    assert (tmp_path / "restored" / "villages-evidence" / "evidence/2026/12/minutes.txt").read_bytes() == EVIDENCE


@pytest.mark.slow
def test_a_local_backup_moves_into_a_bucket(s3_endpoint, tmp_path):  # noqa: F811
    """The way from local directories to object storage: back up, configure s3, restore into an empty bucket."""
    if connection.vendor != "sqlite":
        pytest.skip("the backup commands run on SQLite here")
    env = _env(tmp_path / "local")
    _ok(run_xiangzhi("migrate", "-v", "0", env=env, timeout=300))
    _ok(run_python(BUILD_S3, env=env))
    _ok(run_xiangzhi("backup", "-o", str(tmp_path / "backup"), env=env))
    bucket = _new_bucket(s3_endpoint)
    _ok(run_xiangzhi("restore", str(tmp_path / "backup"), env=_env(tmp_path / "moved", **_s3_env(bucket))))
    assert bucket.objects() == ["outreach/answers/audio.bin", "villages/evidence/2026/12/minutes.txt"]
    assert bucket.get("outreach/answers/audio.bin") == AUDIO


@pytest.mark.slow
def test_bucket_backup_round_trip_on_postgresql(s3_endpoint, tmp_path):  # noqa: F811
    """The same on PostgreSQL (pg_dump / pg_restore): the objects come back into an empty bucket, and a restore whose
    upload fails empties the restored database again and takes its objects back out."""
    with scratch_postgres_databases("xz_s3backup", 3) as (source_url, failed_url, target_url):
        env = _env(tmp_path / "source", DATABASE_URL=source_url, **_s3_env(_new_bucket(s3_endpoint)))
        _ok(run_xiangzhi("migrate", "-v", "0", env=env, timeout=300))
        _ok(run_python(BUILD_S3, env=env))
        _ok(run_xiangzhi("backup", "-o", str(tmp_path / "backup"), env=env))

        failing = _new_bucket(s3_endpoint)
        failed_env = _env(tmp_path / "failed", DATABASE_URL=failed_url, **_s3_env(failing))
        code = RESTORE_FAILING_UPLOAD.replace("sys.argv[1]", repr(str(tmp_path / "backup"))) % PASSPHRASE
        assert "failed: the object store went away" in _ok(run_python(code, env=failed_env))
        assert failing.objects() == [] and _facts(failed_env)["counts"] == {}

        target = _new_bucket(s3_endpoint)
        target_env = _env(tmp_path / "restored", DATABASE_URL=target_url, **_s3_env(target))
        _ok(run_xiangzhi("restore", str(tmp_path / "backup"), env=target_env))
        assert target.objects() == ["outreach/answers/audio.bin", "villages/evidence/2026/12/minutes.txt"]
        assert target.get("outreach/answers/audio.bin") == AUDIO
        assert _facts(target_env)["counts"] == _facts(env)["counts"]
