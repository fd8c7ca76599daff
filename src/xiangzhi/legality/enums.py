"""Kinds, states and conclusions of 合法性审查 (legality review), with the allowed-transition table."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocKind(models.TextChoices):
    """What is submitted: the four kinds a town must have reviewed before collective deliberation or issue
    (浙江省行政合法性审查工作规定), and the three village matters its legal adviser reviews."""

    NORMATIVE = "normative", _("行政规范性文件")
    MAJOR_DECISION = "major_decision", _("重大行政决策")
    AGREEMENT = "agreement", _("行政协议")
    ENFORCEMENT = "enforcement", _("重大行政执法决定")
    VILLAGE_CONTRACT = "village_contract", _("村重大合同")
    VILLAGE_DECISION = "village_decision", _("村重大事项决策")
    VILLAGE_RULES = "village_rules", _("村规民约")


TOWN_KINDS = frozenset({DocKind.NORMATIVE, DocKind.MAJOR_DECISION, DocKind.AGREEMENT, DocKind.ENFORCEMENT})
VILLAGE_KINDS = frozenset({DocKind.VILLAGE_CONTRACT, DocKind.VILLAGE_DECISION, DocKind.VILLAGE_RULES})


class State(models.TextChoices):
    """submitted (waiting for a reviewer) → under review → passed / to revise / refused; a new version goes back
    under review; only a passed submission may be issued."""

    SUBMITTED = "submitted", _("待分配")
    UNDER_REVIEW = "under_review", _("审查中")
    PASSED = "passed", _("审查通过")
    TO_REVISE = "to_revise", _("待修改")
    REFUSED = "refused", _("不合法")
    ISSUED = "issued", _("已印发")


# States in which a new version of the text may be submitted (it is reviewed again).
REVISABLE = frozenset({State.SUBMITTED, State.UNDER_REVIEW, State.PASSED, State.TO_REVISE, State.REFUSED})

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    State.SUBMITTED: frozenset({State.UNDER_REVIEW}),
    State.UNDER_REVIEW: frozenset({State.UNDER_REVIEW, State.PASSED, State.TO_REVISE, State.REFUSED}),
    State.PASSED: frozenset({State.UNDER_REVIEW, State.ISSUED}),
    State.TO_REVISE: frozenset({State.UNDER_REVIEW}),
    State.REFUSED: frozenset({State.UNDER_REVIEW}),
    State.ISSUED: frozenset(),
}


class Conclusion(models.TextChoices):
    LAWFUL = "lawful", _("合法")
    LAWFUL_IF_REVISED = "lawful_if_revised", _("修改后合法")
    UNLAWFUL = "unlawful", _("不合法")


# The state an opinion leads to: only 合法 on the current version lets the document be issued; 修改后合法 asks for a
# revised version (which is reviewed again); 不合法 refuses it.
STATE_AFTER = {Conclusion.LAWFUL: State.PASSED, Conclusion.LAWFUL_IF_REVISED: State.TO_REVISE,
               Conclusion.UNLAWFUL: State.REFUSED}


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("提交审查")
    ASSIGNED = "assigned", _("指定审查人")
    OPINION = "opinion", _("出具审查意见")
    REVISED = "revised", _("提交修改稿")
    ISSUED = "issued", _("印发")
    OVERDUE = "overdue", _("审查超期")
