"""Dispute-and-consultation taxonomy, article → topic rules and a small question topic classifier.

The taxonomy follows the MoJ people's-mediation statistics categories (婚姻家庭, 邻里, 房屋宅基地 …,
see docs/domain.md §2.6) plus 借贷, 继承, 刑事, 知识产权 and 行政, which lay consultations need.
Articles get a topic from their law and chapter (rules below); questions get a topic distribution
from a multinomial logistic regression trained on questions whose labels are the topics of their
relevant articles, blended with keyword cues.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TOPICS: tuple[str, ...] = (
    "婚姻家庭", "邻里", "房屋宅基地", "合同", "借贷", "生产经营", "损害赔偿", "山林土地", "征地拆迁",
    "环境污染", "劳动争议", "消费", "医疗", "道路交通事故", "物业", "继承", "刑事", "知识产权", "行政", "其他",
)
TOPIC_INDEX = {t: i for i, t in enumerate(TOPICS)}

# (substring of law short title, topic) — first match wins.
_LAW_RULES: tuple[tuple[str, str], ...] = (
    ("继承", "继承"),
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
)


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


def keyword_topics(question: str) -> np.ndarray:
    """Keyword cue counts per topic (unnormalised)."""
    vec = np.zeros(len(TOPICS), np.float32)
    for keyword, topic in KEYWORDS:
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
