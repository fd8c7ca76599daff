"""``xiangzhi network <subcommand>``: the public legal service network from the console.

``youfa-code <region code> -o FILE.png`` writes the printable 有法码 of a village (its public page) or, for a town
or the county, of its service point; ``youfa-code --site ID -o FILE.png`` that of one service point. Exit status 1 (CommandError) for an unknown code or an unwritable file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.core.errors import XiangzhiError


class Command(BaseCommand):
    help = "公共法律服务网络：生成有法码等。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        y = sub.add_parser("youfa-code", help="write the printable 有法码 (QR code, PNG) of a village or a site")
        y.add_argument("code", nargs="?", help="region code: a village (12 digits), or a town/the county (its first "
                       "service point)")
        y.add_argument("--site", type=int, help="the code of this service point (its id) instead of a region's")
        y.add_argument("-o", "--output", required=True, help="PNG file to write")
        y.add_argument("--scale", type=int, default=10, help="pixels per module (default 10)")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        if options["subcommand"] == "youfa-code":
            if bool(options["code"]) == bool(options["site"]):
                raise CommandError("请给出区划代码或 --site 服务点 id（二选一）。")
            self._youfa_code((options["code"] or "").strip(), options["site"], Path(options["output"]),
                             options["scale"])

    def _youfa_code(self, code: str, site: int | None, output: Path, scale: int) -> None:
        from ...services import codes

        if not 2 <= scale <= 40:
            raise CommandError("--scale 须在 2–40 之间。")
        try:
            title, url = codes.site_target(site) if site else codes.code_target(code)
        except XiangzhiError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        try:
            output.write_bytes(codes.qr_png(url, scale=scale))
        except OSError as exc:
            raise CommandError(f"无法写入 {output}: {exc}") from exc
        self.stdout.write(f"{title}：{url} → {output}")
