"""``xiangzhi insights_summary [--rebuild] [--check]``: fold changed cases into the 研判 summary, or rebuild it from
the case tables, or check that its cells equal the cells recomputed from its facts."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.insights import summary


class Command(BaseCommand):
    help = "研判汇总表：增量更新（默认）、--rebuild 从案件表重建、--check 校验。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--rebuild", action="store_true", help="从案件表全部重建")
        parser.add_argument("--check", action="store_true", help="校验汇总单元与案件事实一致")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003, ARG002
        t0 = time.perf_counter()
        n = summary.rebuild() if options["rebuild"] else summary.sync()
        self.stdout.write(f"研判汇总：{'重建' if options['rebuild'] else '更新'} {n} 件案件，用时 "
                          f"{time.perf_counter() - t0:.1f} 秒")
        if options["check"]:
            problems = summary.verify_cells()
            if problems:
                raise CommandError("汇总表与案件事实不一致：\n" + "\n".join(problems[:20]))
            self.stdout.write("校验通过：汇总单元与案件事实一致")
