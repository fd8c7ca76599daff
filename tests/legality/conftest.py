"""合法性审查 fixtures: the articles reviewers cite, lawyers of two towns, and a submission of 乌镇镇 at each step of
the workflow (submitted, under review, passed)."""

from __future__ import annotations

import pytest

from tests.conftest import CHONGFU, WUZHEN, make_staff

TEXT = "第一条 为规范本镇农村生活垃圾分类工作，根据有关法律法规，制定本办法。\n第二条 本办法适用于本镇行政区域。"
ARTICLES = {
    "重大行政决策程序暂行条例": {25: "决策草案提交决策机关讨论前，应当由负责合法性审查的部门进行合法性审查。",
                       26: "送请合法性审查，应当提供决策草案及相关材料。"},
    "村民委员会组织法": {27: "村民自治章程、村规民约以及村民会议或者村民代表会议的决定不得与宪法、法律、法规和国家的政策相抵触。"},
    "民法典": {1079: "夫妻一方要求离婚的，可以由有关组织进行调解或者直接向人民法院提起离婚诉讼。"},
}


@pytest.fixture
def law_articles(db):
    from xiangzhi.consultation.models import Article, Law

    keys = []
    for short, arts in ARTICLES.items():
        law = Law.objects.create(title=f"中华人民共和国{short}", short=short)
        for n, text in arts.items():
            Article.objects.create(key=f"{short}-{n}", law=law, label=f"第{n}条", number=n, text=text)
            keys.append(f"{short}-{n}")
    return keys


@pytest.fixture
def lawyer_wz(tongxiang):
    return make_staff("lawyer_wz", "lawyer", WUZHEN, {"kind": "law_firm"})


@pytest.fixture
def lawyer_cf(tongxiang):
    return make_staff("lawyer_cf", "lawyer", CHONGFU, {"kind": "law_firm"})


def town(code: str = WUZHEN):
    from xiangzhi.core.models import Region

    return Region.objects.get(code=code)


def new_submission(actor, *, code: str = WUZHEN, kind: str = "normative", title: str = "垃圾分类管理办法",
                   text: str = TEXT, now=None):  # noqa: ANN001
    from xiangzhi.legality.services import submissions

    return submissions.submit(region=town(code), kind=kind, title=title, text=text, actor=actor, now=now)


def assigned(actor, reviewers, *, workdays: int | None = None, now=None, **kw):  # noqa: ANN001, ANN003
    from xiangzhi.legality.services import review

    return review.assign(new_submission(actor, now=now, **kw), reviewers=reviewers, deadline_workdays=workdays,
                         actor=actor, now=now)


def opine(sub, reviewer, conclusion: str = "lawful", *, citations=None, now=None):  # noqa: ANN001
    from xiangzhi.legality.services import review
    from xiangzhi.legality.services.submissions import digest_of

    sub.refresh_from_db()
    text = sub.versions.get(number=sub.version).text
    return review.give_opinion(sub, conclusion=conclusion, reasons="制定主体、权限、程序和内容符合法律规定。",
                               citations=citations or ["重大行政决策程序暂行条例-25"], digest=digest_of(text),
                               actor=reviewer, now=now)
