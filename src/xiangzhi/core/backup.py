"""Backup and restore of one installation (``xiangzhi backup`` / ``xiangzhi restore``).

A backup is a directory:

* ``database.sqlite3`` (SQLite's online backup API, consistent while the site runs) or ``database.pgdump``
  (``pg_dump`` custom format, taken in the same exported snapshot the row counts and ledger root were read in);
* ``files/<root>/…``: every file of every file-system storage the settings declare and the rest of the data dir
  (not the keys, not the database, not what is rebuilt: collected static files and the consultation index cache),
  and every object of every storage kept elsewhere (an S3-compatible bucket), copied through the storage API under
  the same ``storage-<alias>`` root — so a backup restores into either kind of storage, whichever it came from;
* ``keys.enc``: the secrets (SECRET_KEY, the encryption keyring, the blind-index key, the ledger signing key),
  encrypted with a passphrase (scrypt → AES-256-GCM), never stored in the clear beside the data they protect;
* ``manifest.json``: the SHA-256 and size of every file, the row count of every table, the state the apps registered
  (the ledger's tree size and root), the versions (application, migration heads) and the engine; authenticated with
  an HMAC under a key derived from the same passphrase.

A restore checks every SHA-256 first, then the passphrase, then the manifest's HMAC, refuses a target data dir or
database that is not empty, writes everything in a staging place, checks the row counts and the registered state
against the manifest, and only then moves it into place.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

import xiangzhi

from .errors import XiangzhiError

FORMAT = 1
MANIFEST = "manifest.json"
KEYS_FILE = "keys.enc"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# The secrets a backup carries, and the file each one has under the data dir's keys/ (settings._dev_secret).
KEY_FILES = {
    "SECRET_KEY": "secret_key",
    "XIANGZHI_ENCRYPTION_KEYS": "encryption_keys",
    "XIANGZHI_BLIND_INDEX_KEY": "blind_index_key",
    "XIANGZHI_SIGNING_KEY": "signing_key",
}
# Key files an app makes itself on first use, named by a setting holding their path (the 法律明白人 certificates'
# Ed25519 seed): carried when present, so that certificates issued before a restore still verify after it.
KEY_PATH_SETTINGS = ("XIANGZHI_RECOGNITIONS_KEY_FILE",)
KEYS_AAD = b"xiangzhi-backup-keys-v1"
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
CHUNK = 1 << 20


class BackupError(XiangzhiError):
    """A refused backup or restore; ``message`` says why in Chinese."""


# ----------------------------------------------------------------------------------------------------------------
# State the apps contribute to the manifest (a lower app cannot import a higher one: the ledger registers its root)
# ----------------------------------------------------------------------------------------------------------------
_state_providers: dict[str, Callable[[], dict[str, Any]]] = {}


def register_state(name: str, provider: Callable[[], dict[str, Any]]) -> None:
    """``provider()`` returns JSON-able facts about the database (read-only) that a restored copy must reproduce."""
    _state_providers[name] = provider


def app_state() -> dict[str, dict[str, Any]]:
    return {name: provider() for name, provider in sorted(_state_providers.items())}


def table_counts() -> dict[str, int]:
    """Rows per table of the default database (every table, Django's own included)."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (a table name)
            counts[table] = cursor.fetchone()[0]
    return counts


def migration_heads() -> list[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.graph.leaf_nodes())


def known_migrations() -> set[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.graph.nodes}


# ----------------------------------------------------------------------------------------------------------------
# Passphrase encryption of the keys and authentication of the manifest
# ----------------------------------------------------------------------------------------------------------------
def _derive(passphrase: str, salt: bytes, params: dict[str, int]) -> tuple[bytes, bytes]:
    """(AES-256 key for keys.enc, HMAC key for the manifest) from the passphrase."""
    raw = Scrypt(salt=salt, length=64, n=params["n"], r=params["r"], p=params["p"]).derive(passphrase.encode("utf-8"))
    return raw[:32], raw[32:]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def seal_keys(values: dict[str, str], passphrase: str) -> tuple[bytes, bytes]:
    """(the keys.enc document, the manifest's HMAC key)."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    aes_key, mac_key = _derive(passphrase, salt, SCRYPT)
    sealed = AESGCM(aes_key).encrypt(nonce, json.dumps(values, sort_keys=True).encode(), KEYS_AAD)
    doc = {"format": FORMAT, "kdf": "scrypt", **SCRYPT, "salt": _b64(salt), "cipher": "AES-256-GCM",
           "nonce": _b64(nonce), "ciphertext": _b64(sealed)}
    return (json.dumps(doc, indent=2) + "\n").encode(), mac_key


def open_keys(blob: bytes, passphrase: str) -> tuple[dict[str, str], bytes]:
    """(the secrets, the manifest's HMAC key); a wrong passphrase is refused."""
    try:
        doc = json.loads(blob)
        params = {k: int(doc[k]) for k in ("n", "r", "p")}
        salt, nonce, sealed = (base64.b64decode(doc[k]) for k in ("salt", "nonce", "ciphertext"))
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError("BACKUP_KEYS_UNREADABLE", "备份中的密钥文件无法读取。", str(exc)) from None
    aes_key, mac_key = _derive(passphrase, salt, params)
    try:
        values = json.loads(AESGCM(aes_key).decrypt(nonce, sealed, KEYS_AAD))
    except InvalidTag:
        raise BackupError("BACKUP_WRONG_PASSPHRASE", "备份口令错误：无法解密备份中的密钥，未做任何恢复。") from None
    return values, mac_key


def _manifest_mac(manifest: dict[str, Any], mac_key: bytes) -> str:
    body = {k: v for k, v in manifest.items() if k != "mac"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(mac_key, canonical, hashlib.sha256).hexdigest()


def passphrase_from(*, configured: str, ask: Callable[[], str] | None) -> str:
    """The passphrase from ``XIANGZHI_BACKUP_PASSPHRASE``, else asked (``ask``: only when a terminal is there)."""
    if configured:
        return configured
    if ask is None:
        raise BackupError("BACKUP_NO_PASSPHRASE",
                          "未提供备份口令：请设置环境变量 XIANGZHI_BACKUP_PASSPHRASE，或在终端中运行本命令以输入口令。")
    value = ask()
    if not value:
        raise BackupError("BACKUP_NO_PASSPHRASE", "备份口令不能为空。")
    return value


# ----------------------------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class FileRoots:
    roots: dict[str, Path] = field(default_factory=dict)
    excluded: list[Path] = field(default_factory=list)
    objects: dict[str, Storage] = field(default_factory=dict)  # label → a storage elsewhere (an S3 bucket)
    external: list[str] = field(default_factory=list)  # storages whose files cannot be listed: not backed up


def _database_paths() -> list[Path]:
    if connection.vendor != "sqlite":
        return []
    name = Path(str(connection.settings_dict["NAME"])).resolve()
    return [name, *(name.with_name(name.name + suffix) for suffix in ("-wal", "-shm", "-journal"))]


def file_roots() -> FileRoots:
    """Where the installation keeps files: every file-system storage (not static files, which are collected from the
    code) and the data dir, minus the keys, the database and the caches that are rebuilt."""
    found = FileRoots()
    for alias in settings.STORAGES:
        if alias == "staticfiles":
            continue
        storage = storages[alias]
        if isinstance(storage, FileSystemStorage):
            found.roots[f"storage-{alias}"] = Path(storage.location).resolve()
        elif _listable(storage):
            found.objects[f"storage-{alias}"] = storage
        else:
            found.external.append(alias)
    data_dir = Path(settings.DATA_DIR).resolve()
    found.roots["data"] = data_dir
    consult_cache = Path(settings.CONSULT_CACHE_DIR or data_dir / "consult-cache").resolve()
    found.excluded = [Path(settings.KEY_DIR).resolve(), Path(settings.STATIC_ROOT).resolve(), consult_cache,
                      *_database_paths()]
    return found


def _listable(storage: Storage) -> bool:
    try:
        storage.listdir("")
    except NotImplementedError:
        return False
    return True


def walk_objects(storage: Storage, folder: str = "") -> Iterator[str]:
    """The name of every file of a storage kept elsewhere (an S3 bucket under its prefix), through its own API."""
    dirs, names = storage.listdir(folder)
    for name in sorted(names):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(dirs):
        yield from walk_objects(storage, f"{folder}/{sub}" if folder else sub)


def _copy_object(storage: Storage, name: str, dst: Path) -> tuple[str, int]:
    dst.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with storage.open(name, "rb") as fin, dst.open("wb") as fout:
        while block := fin.read(CHUNK):
            digest.update(block)
            fout.write(block)
            size += len(block)
    return digest.hexdigest(), size


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def walk_files(found: FileRoots, *, skip: tuple[Path, ...] = ()) -> Iterator[tuple[str, Path, str]]:
    """(root label, absolute path, path relative to the root) of every file to back up, each once."""
    others = list(found.roots.items())
    for label, root in others:
        if not root.is_dir():
            continue
        # a file belongs to the innermost root holding it (a storage inside the data dir is backed up as the storage)
        nested = [r for lbl, r in others if lbl != label and r != root and _inside(r, root)]
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not any(
                _inside(here / d, p) for p in (*found.excluded, *nested, *skip)) and not d.startswith(".restore-"))
            for name in sorted(filenames):
                path = here / name
                if path in found.excluded or path.is_symlink() or not path.is_file():
                    continue
                yield label, path, path.relative_to(root).as_posix()


def _copy_hashing(src: Path, dst: Path) -> tuple[str, int]:
    dst.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        while block := fin.read(CHUNK):
            digest.update(block)
            fout.write(block)
            size += len(block)
    shutil.copystat(src, dst)
    return digest.hexdigest(), size


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------------------------------------------
# Database snapshot
# ----------------------------------------------------------------------------------------------------------------
def pg_environment() -> dict[str, str]:
    """libpq's environment for the configured PostgreSQL database (the password never on a command line)."""
    conf = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD"),
                     ("PGDATABASE", "NAME")):
        if conf.get(key):
            env[var] = str(conf[key])
    options = conf.get("OPTIONS") or {}
    for var, key in (("PGSSLMODE", "sslmode"), ("PGSSLROOTCERT", "sslrootcert"), ("PGSSLCERT", "sslcert"),
                     ("PGSSLKEY", "sslkey")):
        if options.get(key):
            env[var] = str(options[key])
    return env


def _run_pg(args: list[str], what: str) -> None:
    if not shutil.which(args[0]):
        raise BackupError("BACKUP_PG_TOOL_MISSING", f"未找到 {args[0]}：请安装 PostgreSQL 客户端工具。")
    result = subprocess.run(args, env=pg_environment(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError("BACKUP_PG_FAILED", f"{what}失败。", result.stderr.strip()[-2000:])


@contextmanager
def _snapshot_sqlite() -> Iterator[None]:
    """One read transaction on Django's connection: the counts, the state and the backup API all see it."""
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("BEGIN DEFERRED")
    try:
        raw.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # takes the snapshot now
        yield
    finally:
        raw.execute("ROLLBACK")


def _dump_database(dest: Path) -> tuple[dict[str, int], dict[str, Any]]:
    """Write the database to ``dest``; returns the row counts and app state of exactly what was written."""
    if connection.in_atomic_block:
        raise BackupError("BACKUP_IN_TRANSACTION", "备份不能在事务中进行。")
    if connection.vendor == "sqlite":
        with _snapshot_sqlite():
            counts, state = table_counts(), app_state()
            target = sqlite3.connect(dest)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
        return counts, state
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            counts, state = table_counts(), app_state()
            # pg_dump reads in the exported snapshot while this transaction holds it open.
            _run_pg(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={dest}",
                     "--no-password"], "pg_dump 导出数据库")
        return counts, state
    raise BackupError("BACKUP_ENGINE", f"不支持备份数据库引擎 {connection.vendor}。")


# ----------------------------------------------------------------------------------------------------------------
# Backup
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class BackupReport:
    path: Path
    manifest: dict[str, Any]

    @property
    def file_count(self) -> int:
        return sum(1 for name in self.manifest["files"] if name.startswith("files/"))

    @property
    def row_count(self) -> int:
        return sum(self.manifest["database"]["tables"].values())


def current_keys() -> dict[str, str]:
    """The secrets to seal: each of KEY_FILES by its setting, and each existing file of KEY_PATH_SETTINGS as
    ``file:<setting>``."""
    keys = {name: str(getattr(settings, name)) for name in KEY_FILES}
    for name in KEY_PATH_SETTINGS:
        path = Path(getattr(settings, name))
        if path.is_file():
            keys[f"file:{name}"] = path.read_text(encoding="utf-8")
    return keys


def backup(output: Path, *, passphrase: str) -> BackupReport:
    """Write a backup into the directory ``output`` (absent or empty); it appears only when complete."""
    output = output.resolve()
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise BackupError("BACKUP_TARGET_NOT_EMPTY", f"备份目录 {output} 已存在且不为空，请指定一个新的目录。")
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.with_name(f".{output.name}.partial-{secrets.token_hex(4)}")
    staging.mkdir(mode=0o700)  # the database copy holds ciphertexts and blind indexes: for the operator only
    try:
        manifest = _write_backup(staging, passphrase, skip=(output, staging))
        if output.exists():
            output.rmdir()
        staging.replace(output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BackupReport(output, manifest)


def _write_backup(staging: Path, passphrase: str, *, skip: tuple[Path, ...]) -> dict[str, Any]:
    files: dict[str, dict[str, Any]] = {}
    engine = connection.vendor
    db_name = DATABASE_FILES.get(engine)
    if db_name is None:
        raise BackupError("BACKUP_ENGINE", f"不支持备份数据库引擎 {engine}。")
    counts, state = _dump_database(staging / db_name)
    found = file_roots()
    for label, path, rel in walk_files(found, skip=skip):
        digest, size = _copy_hashing(path, staging / "files" / label / rel)
        files[f"files/{label}/{rel}"] = {"sha256": digest, "size": size}
    for label, storage in found.objects.items():
        for name in walk_objects(storage):
            _check_object_name(label, name)
            digest, size = _copy_object(storage, name, staging / "files" / label / name)
            files[f"files/{label}/{name}"] = {"sha256": digest, "size": size}
    keys_blob, mac_key = seal_keys(current_keys(), passphrase)
    (staging / KEYS_FILE).write_bytes(keys_blob)
    (staging / KEYS_FILE).chmod(0o600)
    for name in (db_name, KEYS_FILE):
        files[name] = {"sha256": sha256_of(staging / name), "size": (staging / name).stat().st_size}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "app": {"name": "xiangzhi", "version": xiangzhi.__version__},
        "engine": engine,
        "migrations": migration_heads(),
        "database": {"file": db_name, "tables": counts},
        "state": state,
        "keys": {"file": KEYS_FILE, "names": sorted(current_keys())},
        "file_roots": sorted([*found.roots, *found.objects]),
        "object_stores": sorted(found.objects),
        "external_storages": found.external,
        "files": dict(sorted(files.items())),
    }
    manifest["mac"] = _manifest_mac(manifest, mac_key)
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


# ----------------------------------------------------------------------------------------------------------------
# Restore
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    files: int
    rows: int
    key_dir: Path
    env_keys_differ: list[str]


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError("BACKUP_NO_MANIFEST", f"{source} 中没有 {MANIFEST}，不是乡治备份目录。") from None
    except ValueError as exc:
        raise BackupError("BACKUP_BAD_MANIFEST", "备份清单 manifest.json 无法解析。", str(exc)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError("BACKUP_BAD_MANIFEST", "备份清单格式不受支持。")
    return manifest


def verify_files(source: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists is there with its SHA-256, and no other file is."""
    listed = manifest["files"]
    present = {p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()} - {MANIFEST}
    bad = sorted(present - set(listed))
    missing = sorted(set(listed) - present)
    changed = sorted(name for name in set(listed) & present if sha256_of(source / name) != listed[name]["sha256"])
    if bad or missing or changed:
        raise BackupError("BACKUP_TAMPERED", "备份文件校验失败（SHA-256 不符、缺失或多出文件），拒绝恢复。",
                          {"changed": changed[:20], "missing": missing[:20], "unexpected": bad[:20]})
    for required in (manifest.get("database", {}).get("file"), manifest.get("keys", {}).get("file")):
        if not required or required not in listed:
            raise BackupError("BACKUP_BAD_MANIFEST", "备份清单缺少数据库或密钥文件。")


def _check_object_name(label: str, name: str) -> None:
    parts = name.split("/")
    if not name or name.startswith("/") or any(part in {"", ".", ".."} for part in parts):
        raise BackupError("BACKUP_TAMPERED", "对象存储中有无法安全保存为文件的对象名，拒绝处理。", f"{label}/{name}")


def _target_problems(found: FileRoots) -> list[str]:
    problems = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if tables:
        problems.append(f"数据库已有 {len(tables)} 张表（请用新建的空数据库，恢复前不要运行 migrate）")
    files = [path for _, path, _ in walk_files(found)]
    if files:
        problems.append(f"数据目录中已有 {len(files)} 个文件（如 {files[0]}）")
    for label, storage in found.objects.items():
        first = next(walk_objects(storage), None)
        if first is not None:
            problems.append(f"对象存储 {label} 中已有文件（如 {first}；请换一个空的存储桶或前缀）")
    return problems


@contextmanager
def _database_at(path: Path) -> Iterator[None]:
    """Point the default SQLite connection at another file for a while."""
    connection.close()
    old = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = old


def _check_restored(manifest: dict[str, Any]) -> None:
    counts, state = table_counts(), app_state()
    expected = manifest["database"]["tables"]
    wrong = {t: {"manifest": expected.get(t), "restored": counts.get(t)}
             for t in sorted(set(expected) | set(counts)) if expected.get(t) != counts.get(t)}
    if wrong:
        raise BackupError("BACKUP_COUNTS_DIFFER", "恢复后的行数与备份清单不符，已撤销恢复。",
                          dict(list(wrong.items())[:20]))
    if state != manifest["state"]:
        raise BackupError("BACKUP_STATE_DIFFERS", "恢复后的区块链存证根哈希等状态与备份清单不符，已撤销恢复。",
                          {"manifest": manifest["state"], "restored": state})


def _keys_set_elsewhere(keys: dict[str, str], key_dir: Path) -> list[str]:
    """The secrets this process did not read from the key files (the environment sets them) and that differ from the
    restored ones: the operator must change them, or the restored data will not decrypt."""
    differ = []
    for name, filename in KEY_FILES.items():
        path = key_dir / filename
        from_file = path.is_file() and path.read_text(encoding="utf-8").strip() == str(getattr(settings, name))
        if not from_file and str(getattr(settings, name)) != keys[name]:
            differ.append(name)
    return differ


def _clear_postgresql() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")


def restore(source: Path, *, passphrase: Callable[[], str]) -> RestoreReport:
    """Restore the backup in ``source`` into this installation's (empty) database and data dir."""
    source = source.resolve()
    manifest = read_manifest(source)
    verify_files(source, manifest)
    keys, mac_key = open_keys((source / manifest["keys"]["file"]).read_bytes(), passphrase())
    if not hmac.compare_digest(str(manifest.get("mac", "")), _manifest_mac(manifest, mac_key)):
        raise BackupError("BACKUP_TAMPERED", "备份清单 manifest.json 的认证码不符（被改动过），拒绝恢复。")
    if manifest["engine"] != connection.vendor:
        raise BackupError("BACKUP_ENGINE", f"备份来自 {manifest['engine']} 数据库，当前配置的是 {connection.vendor}，"
                          "请配置相同类型的数据库。")
    unknown = sorted(set(manifest["migrations"]) - known_migrations())
    if unknown:
        raise BackupError("BACKUP_NEWER", "备份来自更新版本的乡治（有本版本不认识的数据库迁移），请先升级程序。",
                          unknown[:20])
    extra = set(keys) - set(KEY_FILES) - {f"file:{name}" for name in KEY_PATH_SETTINGS}
    if not set(KEY_FILES) <= set(keys) or extra:
        raise BackupError("BACKUP_KEYS_UNREADABLE", "备份中的密钥不完整。", sorted(keys))
    found = file_roots()
    problems = _target_problems(found)
    if problems:
        raise BackupError("BACKUP_TARGET_NOT_EMPTY",
                          "恢复目标不是空的：" + "；".join(problems) + "。只能恢复到空的数据目录和空数据库，未做任何改动。")
    has_files = {name.split("/")[1] for name in manifest["files"] if name.startswith("files/")}
    unplaced = sorted(has_files - set(found.roots) - set(found.objects))
    if unplaced:
        raise BackupError("BACKUP_NO_STORAGE", "当前配置缺少备份中的文件存储（本地目录或对象存储都未配置）。", unplaced)

    data_dir = Path(settings.DATA_DIR).resolve()
    staging = data_dir / f".restore-{secrets.token_hex(4)}"
    staging.mkdir(parents=True)
    moved_db = pg_restored = False
    uploaded: list[tuple[str, str]] = []
    try:
        # 1. the files and keys, staged beside their final place
        staged_files: list[tuple[Path, Path]] = []
        staged_objects: list[tuple[Path, str, str]] = []  # (staged file, label, object name)
        for name, meta in manifest["files"].items():
            if not name.startswith("files/"):
                continue
            _, label, rel = name.split("/", 2)
            if label in found.objects:
                _check_object_name(label, rel)
            elif not _inside((found.roots[label] / rel).resolve(), found.roots[label]):
                raise BackupError("BACKUP_TAMPERED", "备份中有指向数据目录之外的文件路径，拒绝恢复。", name)
            staged = staging / "files" / label / rel
            digest, _ = _copy_hashing(source / name, staged)
            if digest != meta["sha256"]:
                raise BackupError("BACKUP_TAMPERED", "复制过程中文件校验失败，拒绝恢复。", name)
            if label in found.objects:
                staged_objects.append((staged, label, rel))
            else:
                staged_files.append((staged, found.roots[label] / rel))
        key_dir = Path(settings.KEY_DIR).resolve()
        for setting_name, filename in KEY_FILES.items():
            path = staging / "keys" / filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(keys[setting_name], encoding="utf-8")
            path.chmod(0o600)
        key_paths = [(staging / "keyfiles" / name, Path(getattr(settings, name)))
                     for name in KEY_PATH_SETTINGS if f"file:{name}" in keys]
        for staged_key, _ in key_paths:
            staged_key.parent.mkdir(parents=True, exist_ok=True)
            staged_key.write_text(keys[f"file:{staged_key.name}"], encoding="utf-8")
            staged_key.chmod(0o600)

        # 2. the database, checked against the manifest before anything is moved
        db_source = source / manifest["database"]["file"]
        if connection.vendor == "sqlite":
            staged_db = staging / "database.sqlite3"
            shutil.copyfile(db_source, staged_db)
            with _database_at(staged_db):
                _check_restored(manifest)
        else:
            connection.close()
            _run_pg(["pg_restore", "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
                     "--no-password", f"--dbname={connection.settings_dict['NAME']}", str(db_source)],
                    "pg_restore 恢复数据库")
            pg_restored = True
            _check_restored(manifest)

        # 3. into place: the objects first (each under its own name, removed again if anything fails)
        for staged, label, rel in staged_objects:
            with staged.open("rb") as fh:
                saved = found.objects[label].save(rel, File(fh, name=rel))
            uploaded.append((label, saved))
            if saved != rel:
                raise BackupError("BACKUP_TARGET_NOT_EMPTY", f"对象存储 {label} 中已有同名对象，已撤销恢复。", rel)
        pg_restored = False  # a PostgreSQL database is emptied again only while nothing else has moved
        if connection.vendor == "sqlite":
            connection.close()
            final = Path(str(connection.settings_dict["NAME"])).resolve()
            for leftover in _database_paths():  # the empty database the checks above opened
                leftover.unlink(missing_ok=True)
            final.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staged_db, final)
            moved_db = True
        for staged, target in staged_files:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staged, target)
        key_dir.mkdir(parents=True, exist_ok=True)
        differ = _keys_set_elsewhere(keys, key_dir)
        for filename in KEY_FILES.values():
            os.replace(staging / "keys" / filename, key_dir / filename)
        for staged_key, target in key_paths:  # the backup's key replaces one an empty installation made on first use
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged_key, target)
            target.chmod(0o600)
    except BaseException:
        if moved_db:
            connection.close()
            for leftover in _database_paths():
                leftover.unlink(missing_ok=True)
        if pg_restored:
            _clear_postgresql()
        for label, saved in uploaded:
            found.objects[label].delete(saved)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreReport(manifest=manifest, files=len(staged_files) + len(staged_objects),
                         rows=sum(manifest["database"]["tables"].values()), key_dir=key_dir, env_keys_differ=differ)
