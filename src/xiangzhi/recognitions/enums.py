"""States and kinds of 法律明白人 / 法治带头人 / 学法用法示范户 recognitions, and the one table of allowed transitions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Title(models.TextChoices):
    LEGAL_UNDERSTANDER = "understander", _("法律明白人")
    LEADER = "leader", _("法治带头人")
    MODEL_HOUSEHOLD = "household", _("学法用法示范户")


# One letter per title in the certificate's serial number (2026M000012).
SERIAL_LETTER = {Title.LEGAL_UNDERSTANDER: "M", Title.LEADER: "D", Title.MODEL_HOUSEHOLD: "S"}


class Source(models.TextChoices):
    SELF = "self", _("本人自荐")
    VILLAGE = "village", _("村（社区）“两委”推荐")


class State(models.TextChoices):
    NOMINATED = "nominated", _("已提名")
    TOWN_REVIEWED = "town_reviewed", _("乡镇审查通过")
    IN_NOTICE = "in_notice", _("公示中")
    APPROVED = "approved", _("县级审定通过")
    REGISTERED = "registered", _("已登记发证")
    REJECTED = "rejected", _("未通过")
    REVOCATION_PROPOSED = "revocation_proposed", _("撤销已提出")
    REVOCATION_REVIEWED = "revocation_reviewed", _("撤销乡镇审查通过")
    REVOCATION_NOTICE = "revocation_notice", _("撤销公示中")
    REVOKED = "revoked", _("已撤销")


# A recognition whose certificate is live (a revocation in progress does not end it until the county decides).
CERTIFIED_STATES = frozenset({State.REGISTERED, State.REVOCATION_PROPOSED, State.REVOCATION_REVIEWED,
                              State.REVOCATION_NOTICE})
NOTICE_STATES = frozenset({State.IN_NOTICE, State.REVOCATION_NOTICE})
# States that count against a village's yearly quota.
QUOTA_STATES = frozenset({State.APPROVED, State.REGISTERED}) | CERTIFIED_STATES

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    State.NOMINATED: frozenset({State.TOWN_REVIEWED, State.REJECTED}),
    State.TOWN_REVIEWED: frozenset({State.IN_NOTICE, State.REJECTED}),
    State.IN_NOTICE: frozenset({State.APPROVED, State.REJECTED}),
    State.APPROVED: frozenset({State.REGISTERED}),
    State.REGISTERED: frozenset({State.REVOCATION_PROPOSED}),
    State.REVOCATION_PROPOSED: frozenset({State.REVOCATION_REVIEWED, State.REGISTERED}),
    State.REVOCATION_REVIEWED: frozenset({State.REVOCATION_NOTICE, State.REGISTERED}),
    State.REVOCATION_NOTICE: frozenset({State.REVOKED, State.REGISTERED}),
    State.REJECTED: frozenset(),
    State.REVOKED: frozenset(),
}


class EventKind(models.TextChoices):
    NOMINATED = "nominated", _("提名")
    TRANSITION = "transition", _("状态变更")
    OBJECTION = "objection", _("收到异议")
    OBJECTION_ANSWERED = "objection_answered", _("异议已答复")
    TRAINING = "training", _("培训考核记录")


class TrainingKind(models.TextChoices):
    TRAINING = "training", _("培训")
    ASSESSMENT = "assessment", _("考核")


class CheckOutcome(models.TextChoices):
    """What an e法贷 check told the bank: eligible, or why not (a revoked or lapsed title, or none at all)."""

    ELIGIBLE = "eligible", _("符合条件")
    REVOKED = "revoked", _("不符合：称号已撤销")
    EXPIRED = "expired", _("不符合：称号已过有效期")
    NONE = "none", _("不符合：没有在册的法律明白人、法治带头人或学法用法示范户称号")
