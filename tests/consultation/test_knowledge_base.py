"""The law base: the corpus shipped in the package, streamed loading, repeal and amendment keeping history, the index
published for every process and picked up without a restart, the administrators' view of its state."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from xiangzhi.consultation import selectors, services
from xiangzhi.consultation.models import Article, Law, Question, RetrievalIndex

PACKAGE_LAWS = Path(services.__file__).parent / "data" / "laws"


def _gz(path, records):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def _rec(short, n, text, date="2020-01-01"):
    return {"id": f"{short}-{n}", "law": f"中华人民共和国{short}", "short": short, "category": "社会法",
            "province": None, "date": date, "number": n, "suffix": None, "label": f"第{n}条", "part": None,
            "chapter": "第一章 总则", "section": None, "text": text}


TOY = [
    _rec("工资法", 1, "用人单位应当按时足额支付劳动者工资，不得克扣或者无故拖欠。"),
    _rec("工资法", 2, "拖欠工资的，劳动者可以向劳动争议仲裁委员会申请仲裁。"),
    _rec("邻里法", 1, "相邻的不动产权利人应当按照有利生产、方便生活的原则处理相邻关系。"),
    _rec("邻里法", 2, "树木根系损坏邻居院墙的，所有人应当承担侵权责任，赔偿修缮费用。"),
]


@pytest.fixture
def cache(settings, tmp_path):
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    settings.XIANGZHI_INDEX_WORKERS = 1
    yield Path(settings.CONSULT_CACHE_DIR)
    services.set_engine(None)


def test_the_corpus_ships_in_the_package_with_its_source_and_how_to_update_it():
    readme = (PACKAGE_LAWS / "README.md").read_text(encoding="utf-8")
    assert "LawRefBook/Laws" in readme and "Article 5 of the PRC" in readme  # the source statement is kept
    assert "xiangzhi load_laws" in readme and "xiangzhi mark_law" in readme
    with gzip.open(services.bundled_corpus(), "rt", encoding="utf-8") as fh:
        first = json.loads(fh.readline())
    assert {"id", "law", "short", "date", "text"} <= set(first)
    assert sum(1 for _ in (PACKAGE_LAWS / "laws.jsonl").open(encoding="utf-8")) == 1763
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"data/**/*"' in pyproject  # package data: the corpus goes into the wheel


def test_a_law_split_over_the_file_is_loaded_as_one_and_a_second_load_skips_it(db, tmp_path):
    path = _gz(tmp_path / "a.jsonl.gz", [TOY[0], TOY[2], TOY[1], TOY[3]])
    stats = services.load_laws(path, actor=None)
    assert (stats.laws_created, stats.articles_created) == (2, 4)
    assert Law.objects.count() == 2
    assert set(Article.objects.filter(law__short="工资法").values_list("key", flat=True)) == {"工资法-1", "工资法-2"}
    again = services.load_laws(path, actor=None)
    assert (again.laws_created, again.laws_skipped, again.articles_created) == (0, 2, 0)


def test_an_older_edition_loaded_after_the_newer_one_becomes_its_history(db, tmp_path):
    services.load_laws(_gz(tmp_path / "new.jsonl.gz", [_rec("工资法", 1, "新", date="2021-01-01")]), actor=None)
    services.load_laws(_gz(tmp_path / "old.jsonl.gz", [_rec("工资法", 1, "旧", date="2001-01-01")]), actor=None)
    new, old = Law.objects.order_by("-version_date")
    assert new.is_current and not old.is_current and old.superseded_by == new and old.status == "amended"
    assert list(Article.objects.filter(is_current=True).values_list("text", flat=True)) == ["新"]


def test_a_repealed_law_keeps_its_history_and_is_never_cited_again(db, tmp_path, cache, tongxiang):
    services.load_laws(_gz(tmp_path / "toy.jsonl.gz", TOY), actor=None)
    services.build_index(use_training=False)
    question = "邻居家的树根把我家院墙顶裂了怎么办"
    before = services.ask(question, visitor=services.Visitor(visitor_id="r1"))
    assert any(r["id"].startswith("邻里法") for r in before.ranked)
    # the decision takes effect on the next question, before any rebuild of the index
    services.mark_law(selectors.law_by_name("邻里法"), status="repealed", actor=None)
    after = services.ask(question, visitor=services.Visitor(visitor_id="r2"))
    assert not any(r["id"].startswith("邻里法") for r in after.ranked + after.citations)
    law = Law.objects.get(short="邻里法")
    assert law.status == "repealed" and law.articles.count() == 2  # kept as history
    # the command marks a law and publishes an index without it (here: in force again, then repealed)
    call_command("mark_law", "邻里法", "--status", "in_force", stdout=io.StringIO())
    assert RetrievalIndex.objects.get().articles == 4
    out = io.StringIO()
    call_command("mark_law", "中华人民共和国邻里法", "--status", "repealed", "--by", "工资法", stdout=out)
    assert "已废止" in out.getvalue()
    assert RetrievalIndex.objects.get().articles == 2 and services.get_engine().ids == ["工资法-1", "工资法-2"]
    assert Law.objects.get(short="邻里法").superseded_by == Law.objects.get(short="工资法")


def test_mark_law_refuses_an_unknown_law(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="法规库中没有"):
        call_command("mark_law", "不存在法", "--no-index", stdout=io.StringIO())


def test_a_second_process_picks_up_a_new_index_without_a_restart(db, tmp_path, cache, settings):
    """Two engine holders stand for two web processes (or machines) on one database and one cache directory."""
    services.load_laws(_gz(tmp_path / "one.jsonl.gz", TOY[:2]), actor=None)
    services.build_index(use_training=False)
    other = services.EngineHolder()
    first = other.get()
    assert first.ids == ["工资法-1", "工资法-2"]
    generation = RetrievalIndex.objects.get().generation

    services.load_laws(_gz(tmp_path / "two.jsonl.gz", TOY[2:]), actor=None)
    services.build_index(use_training=False)  # another process publishes a new index
    assert RetrievalIndex.objects.get().generation == generation + 1
    settings.XIANGZHI_CONSULT_INDEX_CHECK_SECONDS = 3600
    assert other.get() is first  # looks again only once the interval is over
    other.checked -= 3601
    second = other.get()
    assert second is not first and set(second.ids) == {a["id"] for a in TOY}
    assert other.get() is second  # loaded once


def test_a_process_on_a_machine_without_the_index_files_builds_the_same_index(db, tmp_path, cache, settings):
    services.load_laws(_gz(tmp_path / "toy.jsonl.gz", TOY), actor=None)
    built = services.build_index(use_training=False)
    settings.CONSULT_CACHE_DIR = str(tmp_path / "another-machine")
    engine = services.EngineHolder().get()
    assert engine.ids == built.ids and engine.corpus_key == built.corpus_key
    assert RetrievalIndex.objects.get().generation == 1  # nothing new published


def test_administrators_see_the_state_of_the_law_base(db, tmp_path, cache, lawyer):
    status = selectors.knowledge_base_status()
    assert "load_laws" in status["problem"]
    from django.core.checks import run_checks

    assert [m.id for m in run_checks(databases=["default"]) if m.id.startswith("consultation")] == ["consultation.W001"]
    page = lawyer.client().get(reverse("consultation:workbench")).content.decode()
    assert "法规库为空" in page
    services.load_laws(_gz(tmp_path / "toy.jsonl.gz", TOY), actor=None)
    services.build_index(use_training=False)
    status = selectors.knowledge_base_status()
    assert status["problem"] == "" and status["articles"] == 4 and status["index"].generation == 1
    assert not [m for m in run_checks(databases=["default"]) if m.id.startswith("consultation")]
    page = lawyer.client().get(reverse("consultation:workbench")).content.decode()
    assert "检索索引第 1 版" in page


@pytest.mark.slow
def test_the_shipped_corpus_loads_whole_and_answers_with_citations(db, cache, settings, tongxiang, tmp_path):
    settings.XIANGZHI_INDEX_WORKERS = 0
    out = io.StringIO()
    call_command("load_laws", str(services.bundled_corpus()), stdout=out)
    assert "laws created 1763" in out.getvalue() and "articles created 73477" in out.getvalue()
    assert RetrievalIndex.objects.get().articles == Article.objects.filter(is_current=True).count()
    reply = services.ask("在工地上干活摔伤了，老板不给钱治疗怎么办", visitor=services.Visitor(visitor_id="full"))
    assert reply.kind != Question.Kind.REJECTED and reply.citations and reply.ranked


def _same_index(a, b) -> bool:
    for name in ("text_index", "head_index", "bigram_index"):
        x, y = getattr(a, name), getattr(b, name)
        if x.vocab != y.vocab or (x.matrix != y.matrix).nnz or not (x.idf == y.idf).all():
            return False
    return bool((a.doc_len == b.doc_len).all())


def test_shipped_tokens_give_the_same_index_as_segmenting_and_a_changed_text_is_segmented(subset_gz, tmp_path):
    from xiangzhi.consultation.retrieval import Engine, load_articles, tokens
    from xiangzhi.consultation.retrieval.engine import _tokenize_all

    articles = load_articles(subset_gz)
    plain = Engine.build(articles, shipped_tokens=None, workers=1)
    path = tmp_path / "tokens.jsonl.gz"
    assert tokens.write(path, plain.tokenizer, plain.ids, plain.texts,
                        _tokenize_all(plain.tokenizer, plain.texts, 1)) == len(articles)
    assert _same_index(Engine.build(articles, shipped_tokens=path, workers=1), plain)
    # an amended article (same id, new text) is segmented, not given the shipped tokens of its old text
    articles[0] = {**articles[0], "text": "劳动者在工地上受伤的，用人单位应当承担工伤保险责任。"}
    assert _same_index(Engine.build(articles, shipped_tokens=path, workers=1),
                       Engine.build(articles, shipped_tokens=None, workers=1))
    # tokens made by another tokenizer are not used at all
    other = tmp_path / "other.jsonl.gz"
    tokens.write(other, Engine(articles[:50]).tokenizer, plain.ids[:1], plain.texts[:1], [["错", "的"]])
    assert tokens.load(plain.tokenizer, other) is None


@pytest.mark.slow
def test_the_shipped_tokens_are_those_of_the_shipped_corpus_and_todays_tokenizer():
    """Fails after a change to the tokenizer, its dictionaries or the corpus: run ``xiangzhi consult_tokens``."""
    from xiangzhi.consultation.retrieval import Engine, load_articles, tokens

    engine = Engine(load_articles(services.bundled_corpus()))
    assert tokens.read_key() == tokens.tokenizer_key(engine.tokenizer), "run: xiangzhi consult_tokens"
    shipped = tokens.load(engine.tokenizer)
    assert shipped is not None and len(shipped) == len(engine.ids)
    assert all(shipped[aid][0] == tokens.text_hash(text) for aid, text in zip(engine.ids, engine.texts, strict=True))
