"""``xiangzhi report mediation --period 2026-10 [--region CODE] -o FILE.xlsx``: the people's-mediation report."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from xiangzhi.core.xlsx import to_bytes
from xiangzhi.insights import selectors, xlsx


class Command(BaseCommand):
    help = "人民调解统计报表：按统计期（2026-10 / 2026Q4 / 2026）和区域导出 Excel。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("kind", choices=["mediation"], help="报表种类（mediation：人民调解工作统计表）")
        parser.add_argument("--period", required=True, help="统计期：2026-10、2026Q4 或 2026")
        parser.add_argument("--region", default="", help="区划代码（县、镇或村），默认全市")
        parser.add_argument("-o", "--output", required=True, help="输出文件 .xlsx")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003, ARG002
        try:
            period = selectors.parse_period(options["period"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            report = selectors.mediation_report(None, period=period, region_code=options["region"])
        except Http404:
            raise CommandError(f"区划代码不存在：{options['region']}") from None
        out = Path(options["output"])
        out.write_bytes(to_bytes(xlsx.report_workbook(report)))
        t = report.totals
        self.stdout.write(f"{report.title}：受理 {t['accepted']} 件，调解成功 {t['success']} 件，"
                          f"成功率 {t['rate'] * 100:.2f}%，已写入 {out}")
