"""The learned ranking of the consultation robot: what it is trained on, what it returns, and its cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from tests.consultation.test_retrieval import SMALL_CORPUS, TRAIN_QUESTIONS
from xiangzhi.consultation.retrieval import Config, Engine

# Three paraphrase rounds of the toy questions: enough rows for the re-ranker and its calibration folds.
TRAIN = [dict(q, qid=q["qid"] + 100 * k) for k in range(3) for q in TRAIN_QUESTIONS]
HELD_OUT = {"qid": 999, "question": "借款人到期不还借款怎么办", "relevant": ["民法典-675"]}


@pytest.mark.parametrize("min_questions", [200, 0])
def test_fused_ranking_returns_existing_articles_best_first(min_questions: int) -> None:
    """200: too few questions for a listwise objective, the pointwise classifier is used; 0: LightGBM lambdarank."""
    config = Config(ranker="lambdarank", ranker_min_questions=min_questions, adjacent_window=2, n_chapters=3,
                    extra_features=True)
    engine = Engine.build(SMALL_CORPUS, config=config)
    engine.fit(TRAIN, folds=2)
    assert engine.reranker is not None and engine.calibration is not None
    assert hasattr(engine.reranker, "predict_proba") == (min_questions > 0)
    known = {a["id"] for a in SMALL_CORPUS}
    for question in ("老板拖欠我三个月的工资不发", "邻居盖房挡住我家采光", "狗把我咬伤了谁赔"):
        ranked = engine.search(question, top_k=10)
        ids = [aid for aid, _ in ranked]
        scores = [s for _, s in ranked]
        assert ids and set(ids) <= known
        assert len(ids) == len(set(ids))
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores)
        ans = engine.answer(question, top_k=3)
        assert 0.0 <= ans.confidence <= 1.0 and ans.citations
    if min_questions:
        assert engine.search("老板拖欠我三个月的工资不发", top_k=1)[0][0] == "劳动合同法-30"


def test_training_sees_only_the_questions_it_is_given() -> None:
    """Priors, kNN and the document expansion come from the training part only: an article cited only by a
    held-out question gets no popularity, no expansion text and no kNN votes."""
    only_held_out = "民法典-667"
    train = [q for q in TRAIN if only_held_out not in q["relevant"]]
    engine = Engine.build(SMALL_CORPUS)
    engine.fit(train, folds=2)
    knowledge = engine.knowledge
    i = engine.id_index[only_held_out]
    assert knowledge.article_counts[i] == 0
    assert all(i not in cited for cited in knowledge.cited)
    assert i not in set(knowledge.question_doc_article.tolist())
    query = engine.prepare("借款合同是什么")
    assert knowledge.question_doc_scores(query.weights)[i] == 0
    # Training on the held-out question too changes exactly that.
    engine.fit([*train, dict(HELD_OUT, relevant=[only_held_out])], folds=2)
    assert engine.knowledge.article_counts[i] == 1


def test_reranker_is_refit_from_scratch_on_each_fit() -> None:
    engine = Engine.build(SMALL_CORPUS)
    engine.fit(TRAIN, folds=2)
    first = engine.reranker
    engine.fit(TRAIN[:22], folds=2)
    assert engine.reranker is not first
    assert engine.knowledge.article_counts.sum() == sum(len(q["relevant"]) for q in TRAIN[:22])


def test_cache_is_invalidated_when_the_corpus_changes(tmp_path: Path) -> None:
    engine = Engine.build(SMALL_CORPUS, cache_dir=tmp_path, questions=TRAIN)
    changed = [dict(a) for a in SMALL_CORPUS]
    target = next(a for a in changed if a["id"] == "民法典-1245")
    target["text"] = "饲养的动物造成他人损害的，动物饲养人或者管理人应当承担侵权责任。禁止饲养的烈性犬等危险动物造成他人损害的，应当承担侵权责任。"
    rebuilt = Engine.build(changed, cache_dir=tmp_path, questions=TRAIN)
    assert rebuilt.corpus_key != engine.corpus_key
    assert rebuilt.texts[rebuilt.id_index["民法典-1245"]] == target["text"]
    assert [aid for aid, _ in rebuilt.bm25("烈性犬", 3)][:1] == ["民法典-1245"]
    assert not engine.bm25("烈性犬", 3)
    pointer = json.loads((tmp_path / "current.json").read_text(encoding="utf-8"))
    assert pointer["corpus"] == rebuilt.corpus_key and pointer.get("model")
    assert (tmp_path / f"model-{rebuilt.corpus_key}-{pointer['model']}.pkl").exists()
    loaded = Engine.load(tmp_path)
    assert loaded.corpus_key == rebuilt.corpus_key and loaded.reranker is not None
    assert loaded.search("养的烈性犬咬人", 3) == rebuilt.search("养的烈性犬咬人", 3)
    # The unchanged corpus still loads its own index from the cache (no re-tokenising).
    again = Engine.build(SMALL_CORPUS, cache_dir=tmp_path)
    assert again.corpus_key == engine.corpus_key and not again.bm25("烈性犬", 3)


def test_training_is_skipped_when_the_model_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Engine.build(SMALL_CORPUS, cache_dir=tmp_path, questions=TRAIN)

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("fit() must not run when the model is cached")

    monkeypatch.setattr(Engine, "fit", refuse)
    cached = Engine.build(SMALL_CORPUS, cache_dir=tmp_path, questions=TRAIN)
    assert cached.reranker is not None


def test_load_laws_builds_an_index_that_ranks_with_the_shipped_model(db, subset_gz: Path, settings, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``xiangzhi load_laws PATH`` needs no reference data: the index ranks with the model shipped in the package
    (re-mapped onto this corpus by article id), and so does a new process serving the cached index."""
    from xiangzhi.consultation import services
    from xiangzhi.consultation.retrieval import model

    if not model.MODEL_PATH.exists():
        pytest.skip(f"no shipped model at {model.MODEL_PATH}: run `xiangzhi consult_train`")
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    settings.SHARED_DIR = tmp_path / "no-shared"  # the run-time path must not read the reference data
    try:
        call_command("load_laws", str(subset_gz), stdout=open(tmp_path / "out.txt", "w", encoding="utf-8"))  # noqa: SIM115
        out = (tmp_path / "out.txt").read_text(encoding="utf-8")
        assert "with the learned re-ranker" in out
        services.set_engine(None)  # as a fresh process: the engine comes from the cache
        monkeypatch.setattr(Engine, "_index", lambda *_a, **_k: pytest.fail("the index must come from the cache"))
        engine = services.get_engine()
        assert engine.reranker is not None and not hasattr(engine.reranker, "predict_proba")  # lambdarank
        ranked = engine.search("邻居家的树根把我家院墙顶裂了怎么办", top_k=10)
        neighbours = {f"民法典-{n}" for n in range(288, 297)} | {"民法典-1253", "民法典-1257", "民法典-1165"}
        assert neighbours & {aid for aid, _ in ranked}, ranked
        assert np.isfinite([s for _, s in ranked]).all()
    finally:
        services.set_engine(None)


def test_learned_expansion_maps_lay_words_to_the_words_of_cited_articles() -> None:
    held_out = "民法典-667"  # the only article saying 贷款人
    train = [q for q in TRAIN if held_out not in q["relevant"]]
    engine = Engine.build(SMALL_CORPUS, config=Config(learned_expansion=True))
    engine.fit(train, folds=2)
    expansion = engine.knowledge.expansion
    assert {"饲养", "动物"} <= {t for t, _ in expansion["狗"]}
    assert "劳动报酬" in {t for t, _ in expansion["拖欠"]}
    assert all(0 < w <= 1 for terms in expansion.values() for _, w in terms)
    assert "贷款人" not in {t for terms in expansion.values() for t, _ in terms}
    expanded = engine.knowledge.expand(engine.prepare("家里的狗把人咬了").knn_tokens)
    assert expanded["饲养"] > 0
    assert "民法典-1245" in {aid for aid, _ in engine.search("家里的狗把人咬了", top_k=3)}


def test_law_chapter_and_article_classifiers_learn_from_the_training_questions_only() -> None:
    engine = Engine.build(SMALL_CORPUS, config=Config(group_classifiers=True))
    engine.fit(TRAIN, folds=2)
    knowledge = engine.knowledge
    tokens = engine.prepare("老板拖欠工资三个月了").knn_tokens
    laws = knowledge.group_probabilities(tokens, "law", len(engine.laws))
    assert laws is not None and abs(float(laws.sum()) - 1.0) < 1e-5
    assert engine.laws[int(np.argmax(laws))] == "劳动合同法"
    chapters = knowledge.group_probabilities(tokens, "chapter", int(engine.article_chapter.max()) + 1)
    assert int(np.argmax(chapters)) == engine.article_chapter[engine.id_index["劳动合同法-30"]]
    # A chapter no training question cites gets no probability.
    uncited = {int(engine.article_chapter[engine.id_index[a]]) for a in ("民法典-288",)}
    cited = {int(engine.article_chapter[i]) for arts in knowledge.cited for i in arts}
    assert all(chapters[c] == 0 for c in uncited - cited)
    # The article classifier: its classes are the cited articles only.
    articles = knowledge.group_probabilities(tokens, "article", len(engine.ids))
    assert engine.ids[int(np.argmax(articles))] == "劳动合同法-30"
    assert set(np.flatnonzero(articles).tolist()) <= cited_articles(knowledge)
    off = Engine.build(SMALL_CORPUS, config=Config(group_classifiers=False, article_classifier=False))
    off.fit(TRAIN, folds=2)
    assert off.knowledge.group_probabilities(tokens, "law", len(off.laws)) is None
    assert off.knowledge.group_probabilities(tokens, "article", len(off.ids)) is None


def cited_articles(knowledge) -> set[int]:  # noqa: ANN001
    return {int(i) for arts in knowledge.cited for i in arts}


def test_neighbour_feedback_reaches_articles_that_read_like_the_cited_ones() -> None:
    """No training question cites 民法典-667, but the articles similar questions cite (675: 借款人 … 返还借款) share
    its words, so the feedback search ranks it near the top, above an unrelated article (1245, dogs)."""
    train = [q for q in TRAIN if "民法典-667" not in q["relevant"]]
    engine = Engine.build(SMALL_CORPUS)
    engine.fit(train, folds=2)
    nb = engine.knowledge.neighbours(engine.prepare("朋友借钱到期了不还").knn_tokens, 5)
    assert any(engine.id_index["民法典-675"] in set(c.tolist()) for c in nb.cited)
    scores = engine._neighbour_feedback(nb)
    assert scores is not None
    loan, dog = scores[engine.id_index["民法典-667"]], scores[engine.id_index["民法典-1245"]]
    assert loan > dog
    assert "民法典-667" in {engine.ids[i] for i in np.argsort(-scores)[:3]}


def test_term_features_mark_the_article_holding_the_rarest_question_word() -> None:
    from xiangzhi.consultation.retrieval.engine import FEATURE_NAMES

    engine = Engine.build(SMALL_CORPUS)
    query = engine.prepare("饲养的狗咬伤了人")
    cands = engine.candidates(query, None)
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    row = {engine.ids[i]: r for r, i in enumerate(cands.index)}
    dog = cands.features[row["民法典-1245"]]
    assert dog[col["rarest_hit"]] == 1 and dog[col["idf_max_hit"]] == pytest.approx(1.0)
    assert dog[col["matched_share"]] > 0 and dog[col["n_matched"]] >= 1
    others = [cands.features[r] for aid, r in row.items() if aid != "民法典-1245"]
    assert all(f[col["rarest_hit"]] == 0 for f in others)


def test_a_model_trained_on_another_feature_set_is_not_loaded(tmp_path: Path) -> None:
    """A cache written by code with other features (no version bump) must be retrained, never mis-scored."""
    import pickle

    from xiangzhi.consultation.retrieval import engine as engine_module

    Engine.build(SMALL_CORPUS, cache_dir=tmp_path, questions=TRAIN)
    assert Engine.load(tmp_path).reranker is not None
    (model,) = tmp_path.glob("model-*.pkl")
    state = pickle.loads(model.read_bytes())  # noqa: S301 - the file this test just wrote
    state["features"] = engine_module.FEATURE_NAMES[:-1]
    model.write_bytes(pickle.dumps(state))
    with pytest.raises(FileNotFoundError, match="stale"):
        Engine.load(tmp_path)
    rebuilt = Engine.build(SMALL_CORPUS, cache_dir=tmp_path, questions=TRAIN)
    assert rebuilt.reranker is not None
    assert Engine.load(tmp_path).reranker is not None


_DETERMINISM_PROBE = """
import json
from tests.consultation.test_rag_ranking import TRAIN
from tests.consultation.test_retrieval import SMALL_CORPUS
from xiangzhi.consultation.retrieval import Config, Engine
engine = Engine.build(SMALL_CORPUS, config=Config(ranker_min_questions=0, ranker_seeds=2))
engine.fit(TRAIN, folds=2)
out = {q: [(a, repr(s)) for a, s in engine.search(q, 12)] for q in ("朋友借钱不还", "邻居家的狗咬了我", "老板不发工资")}
out["expansion"] = sorted(engine.knowledge.expansion.items())
print(json.dumps(out, ensure_ascii=False, sort_keys=True))
"""


def test_training_and_ranking_do_not_depend_on_string_hash_order() -> None:
    """Python randomises string hashing per process: vocabularies built by iterating a ``set`` of words came out in
    another order each run, and the benchmark's figures moved by ±0.02 between identical runs."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join([str(root), str(root / "src")])}
        done = subprocess.run([sys.executable, "-c", _DETERMINISM_PROBE], env=env, cwd=root, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.append(done.stdout.strip().splitlines()[-1])
    assert outputs[0] == outputs[1]


def test_phrase_features_measure_the_question_wording_an_article_contains_verbatim() -> None:
    from xiangzhi.consultation.retrieval.engine import FEATURE_NAMES

    engine = Engine.build(SMALL_CORPUS)
    cands = engine.candidates(engine.prepare("邻居饲养的动物造成他人损害，谁来赔？"), None)
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    row = {engine.ids[i]: r for r, i in enumerate(cands.index)}
    dog = cands.features[row["民法典-1245"]]
    assert dog[col["longest_phrase"]] == len("饲养的动物造成他人损害")
    # 3-grams: 9 of the 11 of 邻居饲养的动物造成他人损害 and not 谁来赔; 4-grams: 8 of 10 (谁来赔 has none)
    assert dog[col["phrase3"]] == pytest.approx(9 / 12) and dog[col["phrase4"]] == pytest.approx(8 / 10)
    others = [cands.features[r] for aid, r in row.items() if aid != "民法典-1245"]
    assert all(f[col["longest_phrase"]] < 5 for f in others)
    off = Engine.build(SMALL_CORPUS, config=Config(phrase_features=False))
    assert not off.candidates(off.prepare("邻居饲养的动物造成他人损害"), None).features[:, col["phrase3"]].any()
