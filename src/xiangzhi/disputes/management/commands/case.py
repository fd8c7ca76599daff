"""``xiangzhi case``: the case code from the command line.

    xiangzhi case qr NUMBER -o FILE.png     write the case's QR code (PNG, or SVG when FILE ends in .svg)
    xiangzhi case list --json [--limit N]   newest cases as a JSON list of {number, stage, colour, public_url}
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.disputes import qr, selectors
from xiangzhi.disputes.colours import colour_of
from xiangzhi.disputes.models import Case


class Command(BaseCommand):
    help = "案件编码工具：qr 生成案件二维码；list 列出案件。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        sub = parser.add_subparsers(dest="sub", required=True)
        p_qr = sub.add_parser("qr", help="生成案件二维码")
        p_qr.add_argument("number", help="案件编号，如 桐解〔2026〕00123号，或卷宗号")
        p_qr.add_argument("-o", "--output", required=True, help="输出文件（.png 或 .svg）")
        p_list = sub.add_parser("list", help="列出最新案件")
        p_list.add_argument("--json", action="store_true", help="输出 JSON")
        p_list.add_argument("--limit", type=int, default=50, help="条数（默认 50）")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        if options["sub"] == "qr":
            case = selectors.case_by_number(options["number"])
            if case is None:
                raise CommandError(f"未找到案件：{options['number']}")
            out = Path(options["output"])
            if out.suffix.lower() == ".svg":
                out.write_text(qr.svg_text(case.public_url), encoding="utf-8")
            else:
                out.write_bytes(qr.png_bytes(case.public_url))
            self.stdout.write(f"{case.number} → {out}（{case.public_url}）")
            return
        limit = options["limit"]
        if limit < 1:
            raise CommandError("--limit 须为正整数")
        rows = [{"number": c.number, "stage": c.stage, "colour": colour_of(c), "public_url": c.public_url}
                for c in Case.objects.order_by("-id")[:limit]]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
        else:
            for r in rows:
                self.stdout.write(f"{r['number']}\t{r['stage']}\t{r['colour']}\t{r['public_url']}")
