"""``xiangzhi rotate_keys``: re-encrypt personal data under the active (first) encryption key."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from xiangzhi.core.services import rotate_encryption_keys


class Command(BaseCommand):
    help = "用当前（第一个）加密密钥重新加密所有个人信息字段。"

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        count = rotate_encryption_keys()
        self.stdout.write(f"已重新加密 {count} 行。")
