from django.core.management.base import BaseCommand, CommandError

from xiangzhi.consultation import selectors, services
from xiangzhi.consultation.models import LawStatus
from xiangzhi.core.errors import XiangzhiError


class Command(BaseCommand):
    help = ("Mark a law repealed or amended (its rows stay as history; the robot stops citing it at once), or in force "
            "again, then rebuild and publish the retrieval index: xiangzhi mark_law 治安管理处罚法 --status repealed "
            "[--by 新法名称]. The law is named by its title or short title (中华人民共和国 may be left out).")

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("law")
        parser.add_argument("--status", choices=LawStatus.values, default=LawStatus.REPEALED)
        parser.add_argument("--by", default="", help="the law that repeals or amends it")
        parser.add_argument("--no-index", action="store_true", help="do not rebuild the index now")

    def handle(self, *args, law: str, status: str, by: str, no_index: bool, **options):  # noqa: ANN002, ANN003, ARG002
        try:
            target = selectors.law_by_name(law)
            newer = selectors.law_by_name(by) if by else None
            services.mark_law(target, status=status, actor=None, superseded_by=newer)
        except XiangzhiError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{target}：{LawStatus(status).label}" + (f"（由 {newer} 取代）" if newer else ""))
        if not no_index:
            try:
                engine = services.build_index()
            except XiangzhiError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"index of {len(engine.ids)} articles published in {services.cache_dir()}")
