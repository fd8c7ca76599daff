"""``xiangzhi check_keys``: decrypt every encrypted value with the configured keys and recompute the stored blind
indexes; exit 1 on any failure."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.core.keycheck import check_blind_indexes, check_encrypted_values


class Command(BaseCommand):
    help = ("用当前配置的密钥解密数据库中所有加密字段、重算身份证号和手机号的盲索引，按模型/字段报告数量；"
            "任何一个值无法解密或盲索引不符即以状态 1 退出。")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        encrypted = check_encrypted_values()
        for r in encrypted:
            keys = "，".join(f"{kid} {n}" for kid, n in sorted(r.key_ids.items())) or "—"
            state = "正常" if r.ok else f"失败 {r.failed} 个"
            self.stdout.write(f"{r.label}: {r.values} 个加密值，{state}（密钥：{keys}）")
            for example in r.examples:
                self.stdout.write(f"    {example}")
        indexes = check_blind_indexes()
        for r in indexes:
            state = "正常" if r.ok else f"不符 {r.failed} 个"
            self.stdout.write(f"{r.label}: {r.values} 个盲索引，{state}")
            for example in r.examples:
                self.stdout.write(f"    {example}")
        failed, total = sum(r.failed for r in encrypted), sum(r.values for r in encrypted)
        bad_indexes, total_indexes = sum(r.failed for r in indexes), sum(r.values for r in indexes)
        problems = []
        if failed:
            problems.append(f"{failed} / {total} 个加密值无法用当前密钥解密：请检查 XIANGZHI_ENCRYPTION_KEYS 是否缺少旧密钥，"
                            "或数据是否被改动")
        if bad_indexes:
            problems.append(f"{bad_indexes} / {total_indexes} 个盲索引与当前 XIANGZHI_BLIND_INDEX_KEY 不符："
                            "按身份证号或手机号将查不到这些人")
        if problems:
            raise CommandError("；".join(problems) + "。")
        self.stdout.write(f"全部 {total} 个加密值均可解密（{len(encrypted)} 个字段），"
                          f"{total_indexes} 个盲索引均相符。")
