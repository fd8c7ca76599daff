from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from xiangzhi.consultation import services


class Command(BaseCommand):
    help = ("Segment the shipped law corpus's article texts with the engine's tokenizer and write them beside it "
            "(data/laws/tokens.jsonl.gz), so loading the corpus need not segment them again. Run it after a change "
            "to the tokenizer, its dictionaries or the shipped corpus (a test fails while the file is stale).")

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--corpus", default="", help="articles.jsonl(.gz) (default: the shipped corpus)")
        parser.add_argument("--out", default="", help="the tokens file to write (default: beside the shipped corpus)")

    def handle(self, *args, corpus: str, out: str, **options):  # noqa: ANN002, ANN003, ARG002
        from xiangzhi.consultation.retrieval import tokens
        from xiangzhi.consultation.retrieval.corpus import load_articles
        from xiangzhi.consultation.retrieval.engine import Engine, _tokenize_all

        articles = load_articles(corpus or services.bundled_corpus())
        engine = Engine(articles)  # the tokenizer an index of these articles is built with
        del articles
        path = Path(out) if out else tokens.TOKENS_PATH
        n = tokens.write(path, engine.tokenizer, engine.ids, engine.texts,
                         _tokenize_all(engine.tokenizer, engine.texts, settings.XIANGZHI_INDEX_WORKERS or None))
        self.stdout.write(f"{n} articles segmented into {path} (tokenizer {tokens.tokenizer_key(engine.tokenizer)})")
