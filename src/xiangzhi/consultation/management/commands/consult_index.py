from django.core.management.base import BaseCommand, CommandError

from xiangzhi.consultation import services
from xiangzhi.core.errors import XiangzhiError


class Command(BaseCommand):
    help = ("Build the consultation retrieval index from the current articles (with STARD training questions) and "
            "publish it: every serving process loads it within XIANGZHI_CONSULT_INDEX_CHECK_SECONDS.")

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--no-training", action="store_true")

    def handle(self, *args, no_training: bool, **options):  # noqa: ANN002, ANN003, ARG002
        try:
            engine = services.build_index(use_training=not no_training)
        except XiangzhiError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"index of {len(engine.ids)} articles in {services.cache_dir()}")
