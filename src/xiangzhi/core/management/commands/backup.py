"""``xiangzhi backup -o DIR``: the database, the files and the passphrase-encrypted keys, with a manifest."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from xiangzhi.core.backup import BackupError, backup, passphrase_from


def ask_passphrase(*, confirm: bool):  # noqa: ANN201
    """A function asking for the passphrase on the terminal, or None when there is no terminal."""
    if not sys.stdin.isatty():
        return None

    def ask() -> str:
        value = getpass.getpass("备份口令：")
        if confirm and value != getpass.getpass("再次输入备份口令："):
            raise BackupError("BACKUP_NO_PASSPHRASE", "两次输入的备份口令不一致。")
        return value

    return ask


class Command(BaseCommand):
    help = ("备份：数据库（SQLite 在线备份 / PostgreSQL pg_dump）、上传的文件、用口令加密的密钥，以及带 SHA-256 的清单 "
            "manifest.json。口令取自 XIANGZHI_BACKUP_PASSPHRASE，未设置时在终端询问。")

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("-o", "--output", required=True, help="备份目录（不存在或为空）")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        try:
            passphrase = passphrase_from(configured=settings.XIANGZHI_BACKUP_PASSPHRASE,
                                         ask=ask_passphrase(confirm=True))
            report = backup(Path(options["output"]), passphrase=passphrase)
        except BackupError as exc:
            raise CommandError(f"{exc.message} {exc.detail or ''}".strip()) from None
        m = report.manifest
        self.stdout.write(f"备份完成：{report.path}")
        self.stdout.write(f"  数据库（{m['engine']}）：{len(m['database']['tables'])} 张表，{report.row_count} 行")
        self.stdout.write(f"  文件：{report.file_count} 个")
        for label in m["object_stores"]:
            count = sum(1 for name in m["files"] if name.startswith(f"files/{label}/"))
            self.stdout.write(f"  其中对象存储 {label.removeprefix('storage-')}：{count} 个对象，已通过存储接口下载进备份")
        ledger = m["state"].get("ledger")
        if ledger:
            self.stdout.write(f"  区块链存证：{ledger['tree_size']} 个叶子，根哈希 {ledger['root']}")
        self.stdout.write("  密钥：已用口令加密保存在 keys.enc（请另行妥善保管口令）")
        for alias in m["external_storages"]:
            self.stderr.write(f"注意：文件存储 {alias} 不在本机文件系统（如对象存储），未包含在备份中，请另行备份。")
