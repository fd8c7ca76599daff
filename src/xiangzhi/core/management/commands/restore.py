"""``xiangzhi restore DIR``: restore a backup into an empty data dir and an empty database."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from xiangzhi.core.backup import BackupError, passphrase_from, restore
from xiangzhi.core.management.commands.backup import ask_passphrase


class Command(BaseCommand):
    help = ("从备份目录恢复到空的数据目录和空数据库：先校验每个文件的 SHA-256，再用口令解密密钥，恢复后核对各表行数"
            "和区块链存证根哈希；任何一步不符即拒绝，不留下半成品。")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("source", help="备份目录（xiangzhi backup -o 写出的）")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        def passphrase() -> str:
            return passphrase_from(configured=settings.XIANGZHI_BACKUP_PASSPHRASE, ask=ask_passphrase(confirm=False))

        try:
            report = restore(Path(options["source"]), passphrase=passphrase)
        except BackupError as exc:
            raise CommandError(f"{exc.message} {exc.detail or ''}".strip()) from None
        m = report.manifest
        self.stdout.write(f"恢复完成：{len(m['database']['tables'])} 张表，{report.rows} 行，{report.files} 个文件，"
                          "行数与清单一致。")
        ledger = m["state"].get("ledger")
        if ledger:
            self.stdout.write(f"  区块链存证根哈希与备份一致：{ledger['root']}（{ledger['tree_size']} 个叶子）")
        self.stdout.write(f"  密钥已写入 {report.key_dir}")
        for name in report.env_keys_differ:
            self.stderr.write(f"注意：环境变量 {name} 与备份中的密钥不同，请改为 {report.key_dir} 中对应文件的值，"
                              "否则恢复的数据无法解密。")
        self.stdout.write("建议接着运行：xiangzhi migrate、xiangzhi ledger verify、xiangzhi check_keys")
