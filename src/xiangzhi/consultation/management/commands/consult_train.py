import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Train the shipped consultation model (re-ranker, term maps, calibration, hand-off threshold, topic "
            "classifier) on the train parts of the committed splits of the reference data (../shared/data) and "
            "write it into the package. Reproducible: the same data and --seed give the same model.")

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--shared", default="", help="reference data directory (default: SHARED_DIR/data)")
        parser.add_argument("--articles", default="", help="article corpus (default: <shared>/laws/articles.jsonl.gz)")
        parser.add_argument("--out", default="", help="model file (default: the package's shipped model)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--cache", default="", help="index cache directory (speeds up a second run)")

    def handle(self, *args, shared: str, articles: str, out: str, seed: int, cache: str, **options):  # noqa: ANN002, ANN003, ARG002
        from xiangzhi.consultation.retrieval import load_articles, model, training

        data = Path(shared) if shared else settings.SHARED_DIR / "data"
        corpus = Path(articles) if articles else data / "laws" / "articles.jsonl.gz"
        if not corpus.exists() or not (data / "consultations" / "train.jsonl").exists():
            raise CommandError(f"reference data not found under {data} (give --shared DIR)")
        questions = training.retrieval_questions(data, "train")
        engine, topics, summary = training.train(
            load_articles(corpus), questions["stard"] + questions["consult"], training.topic_questions(data, "train"),
            seed=seed, cache_dir=Path(cache) if cache else None,
            handoff_qids={str(q["qid"]) for q in questions["consult"]})
        path = model.save(engine, topics, Path(out) if out else model.MODEL_PATH, meta=summary)
        self.stdout.write(f"model written to {path} ({path.stat().st_size / 2**20:.1f} MB): "
                          + json.dumps(summary, ensure_ascii=False))
