"""Dispute-and-consultation taxonomy, article → topic rules and a small question topic classifier.

The taxonomy follows the MoJ people's-mediation statistics categories (婚姻家庭, 邻里, 房屋宅基地 …,
see docs/domain.md §2.6) plus 借贷, 继承, 刑事, 知识产权, 行政 and 村务 (village affairs: the village committee,
collective income and land shares, village elections, subsidies), which lay consultations need.
Articles get a topic from their law and chapter (rules below); questions get a topic distribution
from a multinomial logistic regression trained on questions whose labels are the topics of their
relevant articles, blended with keyword cues.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

TOPICS: tuple[str, ...] = (
    "婚姻家庭", "邻里", "房屋宅基地", "合同", "借贷", "生产经营", "损害赔偿", "山林土地", "征地拆迁",
    "环境污染", "劳动争议", "消费", "医疗", "道路交通事故", "物业", "继承", "刑事", "知识产权", "行政", "村务", "其他",
)
TOPIC_INDEX = {t: i for i, t in enumerate(TOPICS)}

# (substring of law short title, topic) — first match wins.
_LAW_RULES: tuple[tuple[str, str], ...] = (
    ("村民委员会", "村务"), ("继承", "继承"),
    ("婚姻", "婚姻家庭"), ("家庭暴力", "婚姻家庭"), ("收养", "婚姻家庭"), ("老年人权益", "婚姻家庭"),
    ("未成年人", "婚姻家庭"), ("妇女权益", "婚姻家庭"),
    ("民间借贷", "借贷"), ("担保制度", "借贷"), ("商业银行", "借贷"),
    ("道路交通", "道路交通事故"), ("交通事故", "道路交通事故"), ("机动车", "道路交通事故"),
    ("物业", "物业"), ("建筑物区分所有权", "物业"),
    ("征收", "征地拆迁"), ("拆迁", "征地拆迁"),
    ("农村土地", "山林土地"), ("土地管理", "山林土地"), ("森林", "山林土地"), ("草原", "山林土地"),
    ("土地承包", "山林土地"), ("林木", "山林土地"),
    ("宅基地", "房屋宅基地"), ("城乡规划", "房屋宅基地"), ("房屋租赁", "房屋宅基地"), ("不动产", "房屋宅基地"),
    ("污染", "环境污染"), ("环境保护", "环境污染"), ("噪声", "环境污染"), ("生态环境", "环境污染"),
    ("医疗", "医疗"), ("医师", "医疗"), ("药品", "医疗"), ("疫苗", "医疗"), ("医疗卫生", "医疗"),
    ("劳动", "劳动争议"), ("工伤", "劳动争议"), ("社会保险", "劳动争议"), ("工资", "劳动争议"), ("就业", "劳动争议"),
    ("消费者", "消费"), ("产品质量", "消费"), ("食品安全", "消费"), ("旅游", "消费"), ("电子商务", "消费"),
    ("商标", "知识产权"), ("著作权", "知识产权"), ("专利", "知识产权"), ("反不正当竞争", "知识产权"),
    ("刑事", "刑事"), ("刑法", "刑事"), ("盗窃", "刑事"), ("诈骗", "刑事"), ("监察法", "刑事"),
    ("公司", "生产经营"), ("合伙企业", "生产经营"), ("个人独资", "生产经营"), ("个体工商户", "生产经营"),
    ("破产", "生产经营"), ("合作社", "生产经营"), ("保险法", "合同"), ("证券", "生产经营"), ("票据", "生产经营"),
    ("合同", "合同"), ("买卖", "合同"), ("建设工程", "合同"), ("融资租赁", "合同"),
    ("行政", "行政"), ("政府信息", "行政"), ("国家赔偿", "行政"), ("治安管理", "行政"), ("信访", "行政"),
)

# 民法典: (part keyword, chapter keyword or "", topic) — first match wins.
_CODE_RULES: tuple[tuple[str, str, str], ...] = (
    ("婚姻家庭", "", "婚姻家庭"),
    ("继承", "", "继承"),
    ("侵权责任", "交通事故", "道路交通事故"),
    ("侵权责任", "医疗", "医疗"),
    ("侵权责任", "环境污染", "环境污染"),
    ("侵权责任", "产品责任", "消费"),
    ("侵权责任", "", "损害赔偿"),
    ("人格权", "", "损害赔偿"),
    ("物权", "相邻关系", "邻里"),
    ("物权", "地役权", "邻里"),
    ("物权", "宅基地", "房屋宅基地"),
    ("物权", "居住权", "房屋宅基地"),
    ("物权", "土地承包", "山林土地"),
    ("物权", "建设用地", "山林土地"),
    ("物权", "建筑物区分所有权", "物业"),
    ("物权", "抵押", "借贷"),
    ("物权", "质权", "借贷"),
    ("物权", "留置", "借贷"),
    ("物权", "共有", "房屋宅基地"),
    ("合同", "借款", "借贷"),
    ("合同", "保证", "借贷"),
    ("合同", "物业", "物业"),
    ("合同", "租赁合同", "房屋宅基地"),
    ("合同", "合伙", "生产经营"),
    ("合同", "", "合同"),
)

_CATEGORY_DEFAULTS = {
    "刑法": "刑事", "行政法": "行政", "行政法规": "行政", "部门规章": "行政", "DLC": "行政", "经济法": "生产经营",
    "民法商法": "合同", "社会法": "劳动争议",
}

# Keyword cues for questions: (substring, topic).
KEYWORDS: tuple[tuple[str, str], ...] = (
    ("离婚", "婚姻家庭"), ("结婚", "婚姻家庭"), ("彩礼", "婚姻家庭"), ("抚养", "婚姻家庭"), ("赡养", "婚姻家庭"),
    ("夫妻", "婚姻家庭"), ("家暴", "婚姻家庭"), ("家庭暴力", "婚姻家庭"), ("收养", "婚姻家庭"),
    ("邻居", "邻里"), ("隔壁", "邻里"), ("相邻", "邻里"), ("采光", "邻里"), ("通行", "邻里"),
    ("宅基地", "房屋宅基地"), ("盖房", "房屋宅基地"), ("建房", "房屋宅基地"), ("房产证", "房屋宅基地"),
    ("借钱", "借贷"), ("借款", "借贷"), ("欠钱", "借贷"), ("借条", "借贷"), ("欠条", "借贷"), ("利息", "借贷"),
    ("担保", "借贷"), ("保证人", "借贷"), ("贷款", "借贷"),
    ("合同", "合同"), ("定金", "合同"), ("违约", "合同"), ("买卖", "合同"),
    ("撞", "道路交通事故"), ("车祸", "道路交通事故"), ("交通事故", "道路交通事故"), ("驾驶", "道路交通事故"),
    ("工资", "劳动争议"), ("劳动", "劳动争议"), ("辞退", "劳动争议"), ("工伤", "劳动争议"), ("加班", "劳动争议"),
    ("社保", "劳动争议"), ("用人单位", "劳动争议"),
    ("遗产", "继承"), ("遗嘱", "继承"), ("继承", "继承"), ("去世", "继承"),
    ("物业", "物业"), ("业主", "物业"), ("小区", "物业"),
    ("征地", "征地拆迁"), ("征收", "征地拆迁"), ("拆迁", "征地拆迁"), ("强拆", "征地拆迁"),
    ("承包地", "山林土地"), ("土地承包", "山林土地"), ("山林", "山林土地"), ("林地", "山林土地"), ("耕地", "山林土地"),
    ("污染", "环境污染"), ("噪音", "环境污染"), ("排污", "环境污染"), ("臭", "环境污染"),
    ("医院", "医疗"), ("医疗", "医疗"), ("手术", "医疗"), ("医生", "医疗"),
    ("假货", "消费"), ("消费者", "消费"), ("商家", "消费"), ("退货", "消费"), ("网购", "消费"),
    ("商标", "知识产权"), ("著作权", "知识产权"), ("专利", "知识产权"), ("版权", "知识产权"),
    ("坐牢", "刑事"), ("判刑", "刑事"), ("犯罪", "刑事"), ("盗窃", "刑事"), ("偷", "刑事"), ("诈骗", "刑事"),
    ("罚款", "行政"), ("行政", "行政"), ("政府", "行政"), ("派出所", "行政"), ("拘留", "行政"),
    ("公司", "生产经营"), ("股东", "生产经营"), ("合伙", "生产经营"), ("个体工商户", "生产经营"),
    ("赔偿", "损害赔偿"), ("受伤", "损害赔偿"), ("打伤", "损害赔偿"), ("狗咬", "损害赔偿"), ("名誉", "损害赔偿"),
    ("摔伤", "损害赔偿"), ("砸伤", "损害赔偿"), ("骨折", "损害赔偿"), ("伤残", "损害赔偿"), ("摔断", "损害赔偿"),
    ("医药费", "损害赔偿"), ("误工费", "损害赔偿"), ("人身损害", "损害赔偿"), ("被打", "损害赔偿"), ("咬伤", "损害赔偿"),
    ("工地", "劳动争议"), ("包工头", "劳动争议"), ("干活", "劳动争议"), ("上班", "劳动争议"), ("打工", "劳动争议"),
    ("欠款", "借贷"), ("还钱", "借贷"), ("债务", "借贷"), ("欠我", "借贷"), ("抵押", "借贷"), ("催收", "借贷"),
    ("借了", "借贷"), ("借给", "借贷"), ("不还", "借贷"), ("借我", "借贷"),
    ("村委会", "村务"), ("村委", "村务"), ("村民委员会", "村务"), ("村干部", "村务"), ("村集体", "村务"),
    ("集体经济", "村务"), ("集体收入", "村务"), ("村务公开", "村务"), ("村民小组", "村务"), ("村主任", "村务"),
    ("村支书", "村务"), ("村长", "村务"), ("村民代表", "村务"), ("换届", "村务"), ("分红", "村务"),
    ("低保", "村务"), ("村里的账", "村务"), ("集体分配", "村务"), ("村规民约", "村务"),
)

# Further cues for the question topic classifier only (QuestionTopics; the retrieval topic prior keeps KEYWORDS):
# words that name a kind of matter outright in lay questions, written from legal practice (criminal procedure,
# administrative enforcement, construction projects, property purchase, company matters …), for the kinds that had
# few or no cues.  Each is a substring that names the matter in any sentence it appears in: words common in other
# stories (打了 in 打了电话, 罪 in 得罪, 判了 of any judgment, 报警 after any quarrel, 单位, 住院 after any
# injury, 投诉 of any complaint) are not cues.
MATTER_CUES: tuple[tuple[str, str], ...] = (
    ("看守所", "刑事"), ("取保候审", "刑事"), ("刑期", "刑事"), ("抢劫", "刑事"), ("毒品", "刑事"), ("吸毒", "刑事"),
    ("赌博", "刑事"), ("赌场", "刑事"), ("罪名", "刑事"), ("定罪", "刑事"), ("缓刑", "刑事"),
    ("减刑", "刑事"), ("假释", "刑事"), ("监狱", "刑事"), ("服刑", "刑事"), ("立案侦查", "刑事"), ("逮捕", "刑事"),
    ("行政处罚", "行政"), ("行政复议", "行政"), ("行政诉讼", "行政"), ("城管", "行政"), ("工商局", "行政"),
    ("执法", "行政"), ("处罚决定", "行政"), ("吊销", "行政"), ("信访", "行政"), ("扣押", "行政"),
    ("抄袭", "知识产权"), ("盗版", "知识产权"), ("仿冒", "知识产权"), ("侵权产品", "知识产权"), ("发明", "知识产权"),
    ("医疗事故", "医疗"), ("误诊", "医疗"), ("病历", "医疗"), ("医药", "医疗"),
    ("工程款", "合同"), ("施工", "合同"), ("竣工", "合同"), ("发包", "合同"), ("工程", "合同"), ("装修", "合同"),
    ("买房", "房屋宅基地"), ("购房", "房屋宅基地"), ("房产", "房屋宅基地"), ("过户", "房屋宅基地"),
    ("开发商", "房屋宅基地"), ("二手房", "房屋宅基地"), ("租房", "房屋宅基地"), ("房东", "房屋宅基地"),
    ("股权", "生产经营"), ("股份", "生产经营"), ("营业执照", "生产经营"), ("法人", "生产经营"), ("董事", "生产经营"),
    ("注册公司", "生产经营"), ("偷税", "生产经营"), ("税务", "生产经营"),
    ("退款", "消费"), ("质量问题", "消费"), ("售后", "消费"), ("三包", "消费"), ("保修", "消费"), ("卖家", "消费"),
    ("安置", "征地拆迁"), ("补偿款", "征地拆迁"), ("搬迁", "征地拆迁"), ("动迁", "征地拆迁"),
    ("追尾", "道路交通事故"), ("肇事", "道路交通事故"), ("酒驾", "道路交通事故"), ("醉驾", "道路交通事故"),
    ("驾照", "道路交通事故"), ("交警", "道路交通事故"), ("车辆", "道路交通事故"),
    ("辞职", "劳动争议"), ("离职", "劳动争议"), ("试用期", "劳动争议"), ("劳动合同", "劳动争议"),
    ("经济补偿", "劳动争议"), ("老板", "劳动争议"),
    ("网贷", "借贷"), ("欠了", "借贷"), ("还款", "借贷"), ("逾期", "借贷"),
    ("轻伤", "损害赔偿"), ("轻微伤", "损害赔偿"), ("伤情鉴定", "损害赔偿"), ("打架", "损害赔偿"),
    ("老公", "婚姻家庭"), ("老婆", "婚姻家庭"), ("丈夫", "婚姻家庭"), ("妻子", "婚姻家庭"), ("财产分割", "婚姻家庭"),
)
QUESTION_CUES: tuple[tuple[str, str], ...] = KEYWORDS + MATTER_CUES


def article_topic(article: dict) -> str:
    """Topic of an article from its law title, code part and chapter."""
    short = article.get("short") or article.get("law") or ""
    if short == "民法典":
        part = article.get("part") or ""
        chapter = (article.get("chapter") or "") + (article.get("section") or "")
        for part_kw, chap_kw, topic in _CODE_RULES:
            if part_kw in part and chap_kw in chapter:
                return topic
        return "其他"
    if "民法典" in short and "物权" in short:
        return "房屋宅基地"
    for keyword, topic in _LAW_RULES:
        if keyword in short:
            return topic
    return _CATEGORY_DEFAULTS.get(article.get("category") or "", "其他")


def keyword_topics(question: str, cues: Sequence[tuple[str, str]] = KEYWORDS) -> np.ndarray:
    """Keyword cue counts per topic (unnormalised)."""
    vec = np.zeros(len(TOPICS), np.float32)
    for keyword, topic in cues:
        if keyword in question:
            vec[TOPIC_INDEX[topic]] += 1.0
    return vec


class TopicClassifier:
    """Multinomial logistic regression over question tokens (+ keyword cues)."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.coef: np.ndarray | None = None  # (n_features + 1) × n_topics, last row = bias

    def fit(self, token_lists: Sequence[Sequence[str]], labels: Sequence[np.ndarray], c: float = 4.0) -> None:
        """Train on token lists with soft topic labels (distributions over TOPICS)."""
        from sklearn.linear_model import LogisticRegression

        self.vocab = {}
        for tokens in token_lists:
            for t in tokens:
                self.vocab.setdefault(t, len(self.vocab))
        x = self._features(token_lists)
        y = np.asarray([int(np.argmax(lab)) for lab in labels])
        if len(set(y)) < 2:
            self.coef = None
            return
        model = LogisticRegression(C=c, max_iter=300)
        model.fit(x, y)
        coef = np.zeros((x.shape[1] + 1, len(TOPICS)), np.float32)
        coef[:-1, model.classes_] = model.coef_.T
        coef[-1, :] = -30.0
        coef[-1, model.classes_] = model.intercept_
        self.coef = coef

    def _features(self, token_lists: Sequence[Sequence[str]]):
        import scipy.sparse as sp

        rows, cols = [], []
        for i, tokens in enumerate(token_lists):
            ids = {self.vocab[t] for t in tokens if t in self.vocab}
            rows.extend([i] * len(ids))
            cols.extend(ids)
        x = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(token_lists), len(self.vocab)))
        return x

    def predict(self, tokens: Sequence[str], question: str = "") -> np.ndarray:
        """Topic distribution for one question."""
        logits = np.zeros(len(TOPICS), np.float32)
        if self.coef is not None:
            ids = list({self.vocab[t] for t in tokens if t in self.vocab})
            logits = self.coef[ids].sum(axis=0) + self.coef[-1]
        logits = logits + 1.5 * keyword_topics(question)
        logits = logits - logits.max()
        probs = np.exp(logits)
        return probs / probs.sum()

    def state(self) -> dict:
        """Serializable state."""
        return {"vocab": self.vocab, "coef": self.coef}

    @classmethod
    def from_state(cls, state: dict) -> TopicClassifier:
        """Inverse of :meth:`state`."""
        obj = cls()
        obj.vocab, obj.coef = state["vocab"], state["coef"]
        return obj


# The 20 kinds of matter of the reference labels (``../shared/data/consultations/topics.jsonl``) → the platform's
# topic; None = a kind the platform does not serve (general enquiries, foreign-related law, maritime law), left out
# of the evaluation.  Two reference kinds can share a platform topic (侵权 and 人身损害 are both 损害赔偿; 债权债务
# and 抵押担保 both 借贷; a construction-project dispute is a 合同 one).
REFERENCE_TOPICS: dict[str, str | None] = {
    "婚姻家庭": "婚姻家庭", "劳动纠纷": "劳动争议", "交通事故": "道路交通事故", "债权债务": "借贷", "刑事辩护": "刑事",
    "合同纠纷": "合同", "房产纠纷": "房屋宅基地", "侵权": "损害赔偿", "公司法": "生产经营", "医疗纠纷": "医疗",
    "拆迁安置": "征地拆迁", "行政诉讼": "行政", "建设工程": "合同", "知识产权": "知识产权", "综合咨询": None,
    "人身损害": "损害赔偿", "涉外法律": None, "海事海商": None, "消费权益": "消费", "抵押担保": "借贷",
}

_CJK_OR_WORD_RE = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")


def char_ngrams(text: str, n_max: int = 3) -> list[str]:
    """Character 1..n_max-grams of a question's CJK characters and latin/digit words (punctuation breaks nothing)."""
    chars = _CJK_OR_WORD_RE.findall(text.lower())
    return [" ".join(chars[i:i + n]) if n > 1 else chars[i]
            for n in range(1, n_max + 1) for i in range(len(chars) - n + 1)]


class QuestionTopics:
    """The kinds of matter of a question: a linear classifier over character n-grams (tf-idf) and the keyword cues,
    trained on topic-labelled consultations.  Stored as plain arrays (vocabulary, idf, coefficients)."""

    def __init__(self, keyword_weight: float = 1.0, secondary_threshold: float = 0.2, cue_boost: float = 1.0,
                 matter_cues: bool = False, n_max: int = 3) -> None:
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, np.float32)
        self.coef: np.ndarray | None = None  # (n_features + n_topics keyword columns) × n_topics
        self.intercept = np.zeros(len(TOPICS), np.float32)
        self.keyword_weight = keyword_weight
        self.secondary_threshold = secondary_threshold
        # added to a topic's logit per keyword cue (up to two): words that name the matter outright
        self.cue_boost = cue_boost
        # the keyword cues of the features and of the boost: the shared KEYWORDS, or those plus MATTER_CUES
        self.matter_cues = matter_cues
        self.cues = QUESTION_CUES if matter_cues else KEYWORDS
        self.n_max = n_max  # character n-grams of 1..n_max characters

    def _build_vocab(self, texts: Sequence[str]) -> None:
        """Vocabulary (n-grams in at least two texts) and idf of ``texts``."""
        df: dict[str, int] = {}
        for g in (char_ngrams(q, self.n_max) for q in texts):
            for t in set(g):
                df[t] = df.get(t, 0) + 1
        self.vocab = {t: i for i, t in enumerate(sorted(t for t, c in df.items() if c >= 2))}
        counts = np.zeros(len(self.vocab), np.float32)
        for t, i in self.vocab.items():
            counts[i] = df[t]
        self.idf = (np.log((len(texts) + 1) / (counts + 1)) + 1.0).astype(np.float32)

    def _matrix(self, questions: Sequence[str]):
        import scipy.sparse as sp

        grams = [char_ngrams(q, self.n_max) for q in questions]
        rows, cols, vals = [], [], []
        for r, g in enumerate(grams):
            tf: dict[int, int] = {}
            for t in g:
                i = self.vocab.get(t)
                if i is not None:
                    tf[i] = tf.get(i, 0) + 1
            if not tf:
                continue
            ids = np.fromiter(tf, np.int64)
            v = (1.0 + np.log(np.fromiter(tf.values(), np.float32))) * self.idf[ids]
            v /= max(float(np.sqrt(v @ v)), 1e-6)
            rows.extend([r] * len(ids))
            cols.extend(ids.tolist())
            vals.extend(v.tolist())
        x = sp.csr_matrix((vals, (rows, cols)), shape=(len(questions), len(self.vocab)), dtype=np.float32)
        cues = np.stack([keyword_topics(normalize_question(q), self.cues) for q in questions]) if questions else \
            np.zeros((0, len(TOPICS)), np.float32)
        return sp.hstack([x, sp.csr_matrix(self.keyword_weight * np.minimum(cues, 2.0))]).tocsr()

    def fit(self, questions: Sequence[str], topics: Sequence[str], *, c: float = 20.0,
            weights: Sequence[float] | None = None, vocab_texts: Sequence[str] | None = None) -> QuestionTopics:
        """Train on questions and their platform topics (any of TOPICS).  The n-gram vocabulary comes from
        ``vocab_texts`` when given (so that long weakly-labelled texts train the weights of the questions' n-grams
        without bloating the model), else from ``questions``."""
        from sklearn.linear_model import LogisticRegression

        self._build_vocab(questions if vocab_texts is None else vocab_texts)
        x = self._matrix(questions)
        y = np.asarray([TOPIC_INDEX[t] for t in topics])
        model = LogisticRegression(C=c, max_iter=3000)
        model.fit(x, y, sample_weight=None if weights is None else np.asarray(weights, np.float64))
        self.coef = np.zeros((x.shape[1], len(TOPICS)), np.float32)
        self.coef[:, model.classes_] = model.coef_.T
        self.intercept = np.full(len(TOPICS), -30.0, np.float32)
        self.intercept[model.classes_] = model.intercept_
        return self

    def probabilities(self, questions: Sequence[str]) -> np.ndarray:
        """P(topic | question), questions × TOPICS.  Without a trained model: the keyword cues, else uniform."""
        if self.coef is None:
            cues = np.stack([keyword_topics(normalize_question(q), self.cues) for q in questions]) + 1e-3
            return cues / cues.sum(axis=1, keepdims=True)
        cues = np.stack([keyword_topics(normalize_question(q), self.cues) for q in questions])
        logits = np.asarray(self._matrix(questions) @ self.coef) + self.intercept + self.cue_boost * np.minimum(cues, 2)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def kinds(self, probs: np.ndarray, question: str = "") -> list[str]:
        """The kinds of matter that apply: the most likely first, then any other above the secondary threshold or
        named by at least two keyword cues of ``question`` (a worksite injury is 劳动争议 and 损害赔偿)."""
        order = np.argsort(-probs, kind="stable")
        out = [TOPICS[int(order[0])]]
        out += [TOPICS[int(i)] for i in order[1:4] if probs[i] >= self.secondary_threshold and TOPICS[int(i)] != "其他"]
        cues = keyword_topics(normalize_question(question), self.cues) if question else np.zeros(len(TOPICS))
        out += [TOPICS[int(i)] for i in np.flatnonzero(cues >= 2) if TOPICS[int(i)] not in out]
        return out

    def state(self) -> dict:
        """Serializable state (plain arrays)."""
        return {"vocab": self.vocab, "idf": self.idf, "coef": self.coef, "intercept": self.intercept,
                "keyword_weight": self.keyword_weight, "secondary_threshold": self.secondary_threshold,
                "cue_boost": self.cue_boost, "matter_cues": self.matter_cues, "n_max": self.n_max,
                "topics": TOPICS}

    @classmethod
    def from_state(cls, state: dict) -> QuestionTopics:
        """Inverse of :meth:`state`; refuses a model trained on another taxonomy."""
        if tuple(state["topics"]) != TOPICS:
            raise ValueError("topic model trained on another taxonomy")
        obj = cls(state["keyword_weight"], state["secondary_threshold"], state.get("cue_boost", 0.0),
                  state.get("matter_cues", False), state.get("n_max", 3))
        obj.vocab, obj.idf, obj.coef, obj.intercept = state["vocab"], state["idf"], state["coef"], state["intercept"]
        return obj


def normalize_question(text: str) -> str:
    """NFKC + lower case (keyword cues are matched on this)."""
    import unicodedata

    return unicodedata.normalize("NFKC", text or "").lower()
