from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.consultation import services
from xiangzhi.core.errors import XiangzhiError


class Command(BaseCommand):
    help = ("Load laws and articles from articles.jsonl(.gz) (idempotent; newer versions supersede older ones), then "
            "build the retrieval index (trained on the STARD questions when present) so the first question is fast.")

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("path")
        parser.add_argument("--index", action="store_true",
                            help="build the retrieval index afterwards (the default; kept for older scripts)")
        parser.add_argument("--no-index", action="store_true", help="only load; build the index later")

    def handle(self, *args, path: str, index: bool, no_index: bool, **options):  # noqa: ANN002, ANN003, ARG002
        if not Path(path).is_file():
            raise CommandError(f"找不到法规文件：{path}")
        stats = services.load_laws(path, actor=None)
        self.stdout.write(f"laws created {stats.laws_created}, skipped {stats.laws_skipped}, "
                          f"superseded {stats.laws_superseded}; articles created {stats.articles_created}")
        if index or not no_index:
            try:
                engine = services.build_index()
            except XiangzhiError as exc:
                raise CommandError(exc.message) from exc
            trained = "with" if engine.reranker is not None else "without"
            self.stdout.write(f"index of {len(engine.ids)} articles ({trained} the learned re-ranker) "
                              f"in {services.cache_dir()}")
