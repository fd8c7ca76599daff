"""``xiangzhi load_regions PATH``: load a division tree (idempotent; renames keep history)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.core import services
from xiangzhi.core.errors import XiangzhiError


class Command(BaseCommand):
    help = "载入行政区划树（格式同 shared/data/divisions/tongxiang.json）；可重复执行。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("path", help="JSON file of the division tree")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        path = Path(options["path"])
        try:
            tree = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path} 不是有效的 JSON：第{exc.lineno}行 {exc.msg}") from exc
        if not isinstance(tree, dict):
            raise CommandError(f"{path} 的顶层应为一个区划对象。")
        try:
            stats = services.load_regions(tree, actor=None, source=str(path.name))
        except XiangzhiError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(
            f"区划载入完成：新增 {stats.created}，更名 {stats.renamed}，恢复 {stats.reactivated}，未变 {stats.unchanged}"
        )
