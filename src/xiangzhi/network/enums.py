"""Kinds of the public legal service network: service points, adviser service logs, team members, terminals."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteService(models.TextChoices):
    """What a public legal service point offers (a site lists some of them)."""

    CONSULTATION = "consultation", _("法律咨询")
    MEDIATION = "mediation", _("人民调解")
    LEGAL_AID = "legal_aid", _("法律援助")
    NOTARY = "notary", _("公证服务")
    DOCUMENTS = "documents", _("法律文书代写")
    EDUCATION = "education", _("普法宣传")
    SELF_SERVICE = "self_service", _("24小时自助服务")


class ServiceKind(models.TextChoices):
    """One entry of an adviser's service log (一事一记)."""

    VISIT = "visit", _("驻村走访")
    TALK = "talk", _("法治讲座")
    CONSULTATION = "consultation", _("法律咨询")
    REVIEW = "review", _("合同与决策审查")
    MEDIATION = "mediation", _("参与调解")


class MemberKind(models.TextChoices):
    """三官一师: judge, prosecutor, police officer and lawyer; plus the justice office's staff."""

    JUDGE = "judge", _("法官")
    PROSECUTOR = "prosecutor", _("检察官")
    POLICE = "police", _("警官")
    LAWYER = "lawyer", _("律师")
    JUSTICE = "justice", _("司法行政人员")


class TerminalKind(models.TextChoices):
    SMART_TERMINAL = "smart_terminal", _("可视化智能终端")
    ALL_IN_ONE = "all_in_one", _("村级一体机")
    LAW_SUPERMARKET = "law_supermarket", _("24小时法超市")


class CodeTarget(models.TextChoices):
    """What a scanned 有法码 opens."""

    VILLAGE = "village", _("村（社区）")
    SITE = "site", _("服务点")
