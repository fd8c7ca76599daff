from django.core.management.base import BaseCommand

from xiangzhi.consultation import services


class Command(BaseCommand):
    help = "Build the consultation retrieval index from the current articles (with STARD training questions)."

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--no-training", action="store_true")

    def handle(self, *args, no_training: bool, **options):  # noqa: ANN002, ANN003, ARG002
        engine = services.build_index(use_training=not no_training)
        self.stdout.write(f"index of {len(engine.ids)} articles in {services.cache_dir()}")
