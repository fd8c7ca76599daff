"""``xiangzhi check_keys``: decrypt every encrypted value with the configured keys; exit 1 on any failure."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.core.keycheck import check_encrypted_values


class Command(BaseCommand):
    help = "用当前配置的密钥解密数据库中所有加密字段，按模型/字段报告数量；任何一个值无法解密即以状态 1 退出。"

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        reports = check_encrypted_values()
        for r in reports:
            keys = "，".join(f"{kid} {n}" for kid, n in sorted(r.key_ids.items())) or "—"
            state = "正常" if r.ok else f"失败 {r.failed} 个"
            self.stdout.write(f"{r.label}: {r.values} 个加密值，{state}（密钥：{keys}）")
            for example in r.examples:
                self.stdout.write(f"    {example}")
        failed = sum(r.failed for r in reports)
        total = sum(r.values for r in reports)
        if failed:
            raise CommandError(f"{failed} / {total} 个加密值无法用当前密钥解密：请检查 XIANGZHI_ENCRYPTION_KEYS "
                               "是否缺少旧密钥，或数据是否被改动。")
        self.stdout.write(f"全部 {total} 个加密值均可解密（{len(reports)} 个字段）。")
