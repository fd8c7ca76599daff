"""``xiangzhi timebank verify``: check the books (database guards, Σ of movements, balances against their cache,
minimums, reversal links, credits and redemptions against their transfers). Exit status 0 when everything holds,
1 on any fault (CommandError)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "时间银行：核对账目（借贷平衡、余额、最低余额、冲正关联），有任何问题时以非零状态退出。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        sub.add_parser("verify", help="check the books; exit 1 on any fault")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        from xiangzhi.timebank.services.books import verify_books

        report = verify_books()
        for fault in report.faults or []:
            self.stderr.write(f"{fault.code}: {fault.message}")
        summary = (f"transfers={report.transfers} accounts={report.accounts} movement_sum={report.movement_sum} "
                   f"faults={len(report.faults or [])}")
        if not report.ok:
            raise CommandError(f"timebank books NOT OK: {summary}", returncode=1)
        self.stdout.write(f"timebank books OK: {summary}")
