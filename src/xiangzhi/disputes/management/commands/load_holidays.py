"""``xiangzhi load_holidays [FILE]``: load the official holiday schedule (节假日安排) into the working-day calendar.

Without FILE, the bundled schedules (data/holidays/*.json: 2026 official, 2027 provisional) are loaded. A file with
gaps (a festival or a year missing) or overlapping/contradictory entries is refused and nothing changes.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.core.errors import XiangzhiError
from xiangzhi.disputes.services import deadlines


class Command(BaseCommand):
    help = "加载国务院节假日安排（JSON）到工作日日历；有缺口、重叠或矛盾的日历将被拒绝。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("file", nargs="?", help="节假日 JSON 文件；省略则加载内置的 2026、2027 年安排")

    def handle(self, *args, **opts) -> None:  # noqa: ANN002, ANN003, ARG002
        if opts["file"]:
            try:
                data = json.loads(Path(opts["file"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"无法读取 {opts['file']}：{exc}") from None
        else:
            data = deadlines.bundled_holidays()
        try:
            n = deadlines.load_holidays(data, actor=None)
        except XiangzhiError as exc:
            raise CommandError(f"日历被拒绝：{exc.message}") from None
        provisional = [y["year"] for y in data["years"] if y.get("provisional")]
        years = [y["year"] for y in data["years"]]
        self.stdout.write(f"已加载 {years} 年节假日安排，共 {n} 天。")
        if provisional:
            self.stdout.write(f"注意：{provisional} 年为暂定安排，国务院通知公布后请修改并重新加载。")
