"""Tests of the consultation retrieval engine (no Django needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared_data import shared_path
from xiangzhi.consultation.retrieval import TOPICS, Engine, load_articles
from xiangzhi.consultation.retrieval.text import Rewriter

REAL_ARTICLES = shared_path("data/laws/articles.jsonl.gz")


def _art(aid: str, chapter: str, text: str, part: str = "第三编 合同", law: str = "民法典") -> dict:
    number = int(aid.rsplit("-", 1)[1])
    return {
        "id": aid, "law": f"中华人民共和国{law}", "short": law, "category": law if law == "民法典" else "社会法",
        "part": part if law == "民法典" else None, "chapter": chapter, "section": None,
        "label": f"第{number}条", "number": number, "text": text,
    }


SMALL_CORPUS = [
    _art("民法典-288", "第七章 相邻关系", "不动产的相邻权利人应当按照有利生产、方便生活、团结互助、公平合理的原则，正确处理相邻关系。",
         "第二编 物权"),
    _art("民法典-293", "第七章 相邻关系", "建造建筑物，不得违反国家有关工程建设标准，不得妨碍相邻建筑物的通风、采光和日照。", "第二编 物权"),
    _art("民法典-296", "第七章 相邻关系", "不动产权利人因用水、排水、通行、铺设管线等利用相邻不动产的，应当尽量避免对相邻的不动产权利人造成损害。",
         "第二编 物权"),
    _art("民法典-667", "第十二章 借款合同", "借款合同是借款人向贷款人借款，到期返还借款并支付利息的合同。"),
    _art("民法典-675", "第十二章 借款合同", "借款人应当按照约定的期限返还借款。"),
    _art("民法典-586", "第八章 违约责任", "当事人可以约定一方向对方给付定金作为债权的担保。定金合同自实际交付定金时成立。"),
    _art("民法典-1208", "第五章 机动车交通事故责任", "机动车发生交通事故造成损害的，依照道路交通安全法律和本法的有关规定承担赔偿责任。",
         "第七编 侵权责任"),
    _art("民法典-1245", "第九章 饲养动物损害责任", "饲养的动物造成他人损害的，动物饲养人或者管理人应当承担侵权责任。", "第七编 侵权责任"),
    _art("民法典-1079", "第四章 离婚", "夫妻一方要求离婚的，可以由有关组织进行调解或者直接向人民法院提起离婚诉讼。", "第五编 婚姻家庭"),
    _art("民法典-1127", "第二章 法定继承", "遗产按照下列顺序继承：第一顺序：配偶、子女、父母；第二顺序：兄弟姐妹、祖父母、外祖父母。",
         "第六编 继承"),
    _art("劳动合同法-30", "第三章 劳动合同的履行和变更", "用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。",
         law="劳动合同法"),
    _art("劳动合同法-82", "第七章 法律责任", "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。",
         law="劳动合同法"),
]

TRAIN_QUESTIONS = [
    {"qid": i, "question": q, "relevant": r}
    for i, (q, r) in enumerate(
        [
            ("邻居盖房挡住我家采光怎么办", ["民法典-293"]),
            ("邻居家排水经过我家院子", ["民法典-296"]),
            ("借钱不还怎么起诉", ["民法典-675"]),
            ("借款合同是什么", ["民法典-667"]),
            ("定金能退吗", ["民法典-586"]),
            ("被车撞了谁赔", ["民法典-1208"]),
            ("狗咬人谁负责", ["民法典-1245"]),
            ("我想离婚去哪里起诉", ["民法典-1079"]),
            ("父母去世遗产怎么分", ["民法典-1127"]),
            ("老板拖欠工资怎么办", ["劳动合同法-30"]),
            ("没签劳动合同有什么赔偿", ["劳动合同法-82"]),
        ]
    )
]


@pytest.fixture(scope="module")
def small_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """Engine over the in-test corpus with kNN/priors from a few toy questions (too few for a re-ranker)."""
    cache = tmp_path_factory.mktemp("small-cache")
    return Engine.build(SMALL_CORPUS, cache_dir=cache, questions=TRAIN_QUESTIONS)


def test_search_ranks_relevant_article(small_engine: Engine) -> None:
    ranked = small_engine.search("邻居盖的楼挡住了我家的采光和日照", top_k=3)
    assert ranked[0][0] == "民法典-293"
    assert all(isinstance(score, float) for _, score in ranked)


def test_rewrite_change_takes_effect_without_rebuild(small_engine: Engine) -> None:
    index_before = small_engine.text_index
    small_engine.set_rewrites([])
    assert "机动" not in " ".join(small_engine.prepare("昨天在村口撞车了").weights)
    small_engine.set_rewrites([("撞车", "道路 交通事故 机动车")])
    try:
        query = small_engine.prepare("昨天在村口撞车了")
        assert "交通事故" in query.weights
        assert small_engine.search("昨天在村口撞车了", top_k=1)[0][0] == "民法典-1208"
        assert small_engine.text_index is index_before
    finally:
        small_engine.set_rewrites(Rewriter.from_tsv().rules)


def test_faq_exact_variant_wins(small_engine: Engine) -> None:
    small_engine.set_faqs([
        {"id": "faq-loan", "question": "借钱不还怎么办？", "variants": ["别人欠我钱一直不还怎么办"],
         "answer": "可以先协商，协商不成可向人民法院起诉。", "citations": ["民法典-675"], "topic": "借贷"},
    ])
    try:
        ans = small_engine.answer("别人欠我钱一直不还，怎么办", top_k=3)
        assert ans.faq is not None and ans.faq.exact and ans.faq.entry.id == "faq-loan"
        assert ans.topic == "借贷"
        assert ans.confidence == pytest.approx(1.0)
        assert not ans.handoff
        assert small_engine.answer("邻居盖楼挡光", top_k=3).faq is None
    finally:
        small_engine.set_faqs([])


def test_answer_structure_and_confidence_range(small_engine: Engine) -> None:
    for question in ("老板拖欠工资三个月了", "邻居盖房挡住我家采光", "今天天气怎么样", ""):
        ans = small_engine.answer(question, top_k=3)
        assert 0.0 <= ans.confidence <= 1.0
        assert ans.topic in TOPICS
        assert 2 <= len(ans.clarify_topics) <= 3
        assert len(ans.ranked) <= 3 and len(ans.citations) == len(ans.ranked)


def test_vague_question_is_ambiguous(small_engine: Engine) -> None:
    ans = small_engine.answer("请问怎么办", top_k=3)
    assert ans.ambiguous
    assert ans.handoff


def test_topic_of_clear_question(small_engine: Engine) -> None:
    assert small_engine.answer("没签劳动合同老板拖欠工资", top_k=3).topic == "劳动争议"


def test_cache_round_trip(small_engine: Engine, tmp_path: Path) -> None:
    small_engine.save(tmp_path, questions=TRAIN_QUESTIONS)
    loaded = Engine.load(tmp_path)
    question = "借款到期了借款人不还钱"
    assert loaded.search(question, 3) == small_engine.search(question, 3)
    rebuilt = Engine.build(SMALL_CORPUS, cache_dir=tmp_path)
    assert rebuilt.corpus_key == small_engine.corpus_key


def test_reranker_training_and_calibration() -> None:
    engine = Engine.build(SMALL_CORPUS)
    questions = [dict(q, qid=q["qid"] + 100 * k) for k in range(3) for q in TRAIN_QUESTIONS]
    info = engine.fit(questions, folds=2)
    assert engine.reranker is not None and engine.calibration is not None
    assert info["positives"] > 0
    ans = engine.answer("老板拖欠我三个月的工资不发", top_k=3)
    assert ans.ranked[0][0] == "劳动合同法-30"
    assert 0.0 <= ans.confidence <= 1.0


@pytest.fixture(scope="module")
def real_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, small_engine: Engine):
    """Engine over the full corpus.

    The index is cached under pytest's cache directory when the cache plugin is active (so later
    sessions only load it), else in a per-session temp dir.  Falls back to the small in-test corpus
    where the shared corpus is not checked out.
    """
    if not REAL_ARTICLES.exists():
        return small_engine
    cache = getattr(request.config, "cache", None)
    cache_dir = cache.mkdir("consultation-index") if cache is not None else tmp_path_factory.mktemp("real-cache")
    return Engine.build(load_articles(REAL_ARTICLES), cache_dir=cache_dir)


def test_real_corpus_neighbour_tree_roots(real_engine: Engine) -> None:
    relevant = {f"民法典-{n}" for n in range(288, 297)} | {"民法典-1253", "民法典-1257", "民法典-1165"}
    ranked = [aid for aid, _ in real_engine.search("邻居家的树根把我家院墙顶裂了怎么办", top_k=5)]
    assert relevant & set(ranked), ranked
    ans = real_engine.answer("邻居家的树根把我家院墙顶裂了怎么办", top_k=5)
    assert 0.0 <= ans.confidence <= 1.0
