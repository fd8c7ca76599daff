"""The shipped consultation model: fixed splits, reproducible training, kinds of matter and the hand-off threshold."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from tests.consultation.test_rag_ranking import TRAIN
from tests.consultation.test_retrieval import SMALL_CORPUS
from tests.shared_data import shared_path
from xiangzhi.consultation.retrieval import TOPICS, Engine, load_articles, model, training
from xiangzhi.consultation.retrieval.topics import (
    KEYWORDS,
    QUESTION_CUES,
    REFERENCE_TOPICS,
    QuestionTopics,
    keyword_topics,
    normalize_question,
)

REFERENCE_KINDS = {"婚姻家庭", "劳动纠纷", "交通事故", "债权债务", "刑事辩护", "合同纠纷", "房产纠纷", "侵权", "公司法",
                   "医疗纠纷", "拆迁安置", "行政诉讼", "建设工程", "知识产权", "综合咨询", "人身损害", "涉外法律", "海事海商",
                   "消费权益", "抵押担保"}
WORKSITE_INJURY = "我在工地上干活，从脚手架上摔下来把腿摔断了，包工头不管医药费，怎么办？"
VILLAGE_AFFAIRS = "村委会把村里的集体土地租出去了，租金收入从来不公开，村民可以查账吗？"


def _digest(qids: list[str]) -> str:
    return hashlib.sha256("\n".join(qids).encode()).hexdigest()[:12]


@pytest.mark.parametrize(("name", "n_train", "n_test", "test_digest"), [
    ("consult", 224, 75, "7af5f6399970"),
    ("topics", 387, 99, "213c13a92aae"),
])
def test_split_files_are_fixed_and_disjoint(name: str, n_train: int, n_test: int, test_digest: str) -> None:
    train, test = training.read_qids(name, "train"), training.read_qids(name, "test")
    assert (len(train), len(test)) == (n_train, n_test)
    assert len(set(train)) == n_train and len(set(test)) == n_test
    assert not set(train) & set(test)
    assert _digest(test) == test_digest  # the committed test part: never re-drawn
    source = shared_path(f"data/consultations/{'train' if name == 'consult' else 'topics'}.jsonl")
    if source.exists():
        qids = {json.loads(line)["qid"] for line in source.read_text(encoding="utf-8").splitlines() if line.strip()}
        assert set(train) | set(test) == qids


def test_the_topic_map_covers_the_twenty_reference_kinds() -> None:
    assert set(REFERENCE_TOPICS) == REFERENCE_KINDS
    assert {t for t in REFERENCE_TOPICS.values() if t} <= set(TOPICS)
    assert "村务" in TOPICS and TOPICS[-1] == "其他"
    source = shared_path("data/consultations/topics.jsonl")
    if source.exists():
        kinds = {json.loads(line)["topic"] for line in source.read_text(encoding="utf-8").splitlines() if line.strip()}
        assert kinds == REFERENCE_KINDS


TOPIC_TRAIN = [
    {"qid": f"t{i}", "question": q, "topic": kind}
    for i, (q, kind) in enumerate([
        ("老板拖欠工资不发怎么办", "劳动纠纷"), ("公司不签劳动合同", "劳动纠纷"), ("离婚孩子归谁", "婚姻家庭"),
        ("老公要离婚财产怎么分", "婚姻家庭"), ("借钱不还怎么起诉", "债权债务"), ("朋友欠钱不还", "债权债务"),
        ("被人打伤了要赔偿", "人身损害"), ("狗咬伤了人谁负责", "侵权"), ("买的东西是假货", "消费权益"),
    ])
]


def test_training_is_reproducible(tmp_path: Path) -> None:
    """The same data and seed give byte-identical model files."""
    paths = []
    for run in range(2):
        engine, topics, summary = training.train(SMALL_CORPUS, TRAIN, TOPIC_TRAIN, seed=7)
        paths.append(model.save(engine, topics, tmp_path / f"run{run}.pkl.gz", meta=summary))
        assert summary["seed"] == 7 and 0.0 <= summary["handoff_threshold"] <= 1.0
    assert paths[0].read_bytes() == paths[1].read_bytes()
    state = model.read(paths[0])
    assert state["ids"] == [a["id"] for a in SMALL_CORPUS]


def test_the_handoff_threshold_is_the_lowest_that_meets_the_target() -> None:
    oof = [("a", 0.9, True), ("b", 0.8, True), ("c", 0.7, False), ("d", 0.6, True), ("e", 0.5, False), ("f", 0.4, False)]
    # ≥ 0.6: 3 of 4 right (0.75); ≥ 0.5: 3 of 5 (0.6); ≥ 0.4: 3 of 6 (0.5)
    assert training.handoff_threshold(oof, target=0.6) == 0.5
    assert training.handoff_threshold(oof, target=0.7) == 0.6
    assert training.handoff_threshold(oof, target=1.0) == 0.8
    assert training.handoff_threshold([("a", 0.3, False)], target=0.6) == 0.3  # none reaches it: the best share
    assert training.handoff_threshold([], target=0.6) == 1.0


def test_matter_cues_serve_the_question_classifier_only() -> None:
    """MATTER_CUES name kinds the shared KEYWORDS leave out; the retrieval topic prior keeps KEYWORDS alone."""
    question = normalize_question("我弟弟被取保候审了，还会判刑吗")
    assert keyword_topics(question)[TOPICS.index("刑事")] == 1  # 判刑
    assert keyword_topics(question, QUESTION_CUES)[TOPICS.index("刑事")] == 2  # 判刑, 取保候审
    assert QuestionTopics(matter_cues=True).cues == QUESTION_CUES and QuestionTopics().cues == KEYWORDS
    questions = ["被取保候审了怎么办", "看守所不让会见", "离婚孩子归谁", "老公要离婚", "借钱不还", "欠条丢了"]
    labels = ["刑事", "刑事", "婚姻家庭", "婚姻家庭", "借贷", "借贷"]
    fitted = QuestionTopics(matter_cues=True, n_max=2).fit(questions, labels)
    again = QuestionTopics.from_state(fitted.state())
    assert (again.matter_cues, again.n_max) == (True, 2)
    probe = ["他在看守所里，取保候审能办吗"]
    assert np.allclose(again.probabilities(probe), fitted.probabilities(probe))
    assert TOPICS[int(fitted.probabilities(probe)[0].argmax())] == "刑事"


@pytest.mark.parametrize("sentence", [
    "我打了电话给村委会，他们说下周来看", "我不想得罪邻居", "法院判了离婚以后房子怎么分", "吵架后我报警了",
    "我们单位组织体检", "出了车祸住院两个月，对方不赔", "我投诉了好几次快递", "注册了一个账号被盗了",
])
def test_a_matter_cue_names_its_matter_in_any_sentence(sentence: str) -> None:
    """A cue adds to its topic's logit whatever the rest of the question says, so none may be a word common in
    other stories: these everyday sentences raise no cue of the matter the word alone would suggest."""
    cues = keyword_topics(normalize_question(sentence), QUESTION_CUES)
    wrong = {"打了": "损害赔偿", "得罪": "刑事", "判了": "刑事", "报警": "刑事", "单位": "劳动争议", "住院": "医疗",
             "投诉": "行政", "注册": "生产经营"}
    for word, topic in wrong.items():
        if word in sentence:
            assert not any(k == word for k, _ in QUESTION_CUES), word
            assert all(k not in sentence for k, t in QUESTION_CUES if t == topic), (sentence, topic)
    assert cues.sum() <= 2, cues
    words = [k for k, _ in QUESTION_CUES]
    assert len(words) == len(set(words))  # a cue counted once


def test_weak_topic_labels_come_from_train_parts_and_never_repeat_a_topics_question(tmp_path: Path) -> None:
    """STARD questions get the topic of their cited articles; one that repeats a topic-labelled consultation, or
    sits in a test part, is left out."""
    stard_train = training.read_qids(training.STARD_SPLIT, "train")[:3]
    stard_test = training.read_qids(training.STARD_SPLIT, "test")[0]
    topics_qid = training.read_qids(training.TOPICS_SPLIT, "test")[0]
    articles = [
        {"id": "婚姻法-1", "short": "婚姻法", "law": "婚姻法", "category": "民法商法", "text": "结婚自由"},
        {"id": "刑法-1", "short": "刑法", "law": "刑法", "category": "刑法", "text": "犯罪的处罚"},
    ]
    (tmp_path / "stard").mkdir()
    (tmp_path / "consultations").mkdir()
    rows = [
        {"qid": int(stard_train[0]), "question": "离婚后孩子归谁抚养？", "relevant": ["婚姻法-1"]},
        {"qid": int(stard_train[1]), "question": "偷东西会判几年？", "relevant": ["刑法-1", "婚姻法-1", "刑法-1"]},
        {"qid": int(stard_train[2]), "question": "重复的一个问题，一字不差。", "relevant": ["刑法-1"]},
        {"qid": int(stard_test), "question": "测试部分的问题", "relevant": ["刑法-1"]},
    ]
    (tmp_path / "stard" / "train.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    (tmp_path / "consultations" / "train.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "consultations" / "topics.jsonl").write_text(
        json.dumps({"qid": topics_qid, "question": "重复的一个问题 一字不差", "topic": "刑事辩护"}, ensure_ascii=False),
        encoding="utf-8")
    weak = training.weak_topic_questions(tmp_path, articles, per_topic=1)
    assert weak["stard"] == [("离婚后孩子归谁抚养？", "婚姻家庭"), ("偷东西会判几年？", "刑事")]
    assert weak["consult"] == []
    assert sorted(weak["articles"]) == [("犯罪的处罚", "刑事"), ("结婚自由", "婚姻家庭")]


@pytest.fixture(scope="module")
def shipped() -> dict:
    state = model.read()
    if state is None:
        pytest.skip(f"no shipped model at {model.MODEL_PATH}: run `xiangzhi consult_train`")
    return state


def test_a_worksite_injury_is_labour_and_injury(shipped: dict) -> None:
    topics = QuestionTopics.from_state(shipped["topics"])
    kinds = topics.kinds(topics.probabilities([WORKSITE_INJURY])[0], WORKSITE_INJURY)
    assert {"劳动争议", "损害赔偿"} <= set(kinds)
    assert topics.kinds(topics.probabilities([VILLAGE_AFFAIRS])[0])[0] == "村务"


def test_the_shipped_model_serves_a_smaller_corpus_by_article_id(shipped: dict, subset_gz: Path,
                                                                  tmp_path: Path) -> None:
    engine = Engine.build(load_articles(subset_gz), cache_dir=tmp_path)
    assert engine.reranker is None
    assert model.attach(engine, state=shipped)
    assert engine.reranker is not None and engine.config.handoff_threshold == shipped["handoff_threshold"]
    known = set(engine.ids)
    assert all(all(0 <= a < len(engine.ids) for a in c) for c in engine.knowledge.cited)
    ans = engine.answer(WORKSITE_INJURY, top_k=10)
    assert ans.topic in ans.topics and {"劳动争议", "损害赔偿"} <= set(ans.topics)
    assert {aid for aid, _ in ans.ranked} <= known
    ranked = engine.search("老板拖欠工资三个月不发怎么办", top_k=10)
    assert {"劳动合同法-30", "劳动合同法-85", "劳动合同法-38"} & {aid for aid, _ in ranked}, ranked


def test_a_low_confidence_answer_goes_to_a_person_with_the_best_guess(shipped: dict, subset_gz: Path,
                                                                      tmp_path: Path) -> None:
    engine = Engine.build(load_articles(subset_gz), cache_dir=tmp_path)
    model.attach(engine, state=shipped)
    question = "我家的事情很复杂，不知道该怎么说，能帮我看看吗"
    ans = engine.answer(question, top_k=5)
    threshold = engine.config.handoff_threshold
    assert ans.handoff == (ans.confidence < threshold)
    # The same answer just under and just over the shipped threshold.
    for shift, handoff in ((ans.confidence + 1e-3, True), (ans.confidence - 1e-3, False)):
        engine.config.handoff_threshold = shift
        routed = engine.answer(question, top_k=5)
        assert routed.handoff is handoff
        assert routed.ranked and np.isfinite([s for _, s in routed.ranked]).all()  # the best guess goes along
    engine.config.handoff_threshold = threshold
