from django.core.management.base import BaseCommand

from xiangzhi.consultation import services


class Command(BaseCommand):
    help = "Load laws and articles from articles.jsonl(.gz) (idempotent; newer versions supersede older ones)."

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("path")
        parser.add_argument("--index", action="store_true", help="rebuild the retrieval index afterwards")

    def handle(self, *args, path: str, index: bool, **options):  # noqa: ANN002, ANN003, ARG002
        stats = services.load_laws(path, actor=None)
        self.stdout.write(f"laws created {stats.laws_created}, skipped {stats.laws_skipped}, "
                          f"superseded {stats.laws_superseded}; articles created {stats.articles_created}")
        if index:
            services.build_index()
            self.stdout.write(f"index built in {services.cache_dir()}")
