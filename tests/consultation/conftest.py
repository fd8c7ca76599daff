"""Consultation fixtures: a small real corpus (民法典 + 劳动合同法, cut from the corpus shipped in the package), its
engine built once per session."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from xiangzhi.consultation.services import bundled_corpus

REAL_ARTICLES = bundled_corpus()
SUBSET_LAWS = {"民法典", "劳动合同法"}


@pytest.fixture(scope="session")
def subset_gz(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("laws") / "subset.jsonl.gz"
    with gzip.open(REAL_ARTICLES, "rt", encoding="utf-8") as src, gzip.open(path, "wt", encoding="utf-8") as out:
        for line in src:
            if json.loads(line)["short"] in SUBSET_LAWS:
                out.write(line)
    return path


@pytest.fixture(scope="session")
def subset_engine(subset_gz, tmp_path_factory):
    from xiangzhi.consultation.retrieval import Engine, load_articles

    return Engine.build(load_articles(subset_gz), cache_dir=tmp_path_factory.mktemp("consult-cache"))


def ensure_guidance() -> None:
    """The guidance the migration seeds, back after a transactional test flushed the tables."""
    import importlib

    from django.apps import apps

    from xiangzhi.consultation.models import MatterGuidance

    if not MatterGuidance.objects.exists():
        importlib.import_module("xiangzhi.consultation.migrations.0004_matter_guidance").seed(apps, None)


@pytest.fixture
def seeded_guidance(db):
    ensure_guidance()


@pytest.fixture
def kb(db, seeded_guidance, subset_gz, subset_engine, settings, tmp_path):
    """The subset loaded into the database and the session engine installed in this process."""
    from xiangzhi.consultation import services

    services.load_laws(subset_gz, actor=None)
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    services.set_engine(subset_engine)
    yield subset_engine
    services.set_engine(None)
    subset_engine.set_faqs([])
