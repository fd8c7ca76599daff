"""研判 tables: the statistics flags a case needs for the official report (kept here so the disputes app stays as it
is), screening rounds (矛盾纠纷排查), and early warnings (风险研判). No workflow logic: writes are in ``services.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.models import Organisation, Region
from xiangzhi.disputes.models import Case


class CaseFlags(models.Model):
    """人民调解统计口径 flags of one case that the case table does not hold (one row per case, only when set)."""

    case = models.OneToOneField(Case, models.CASCADE, primary_key=True, related_name="insight_flags")
    found_by_screening = models.BooleanField(_("排查发现"), default=False)
    prevented_criminal = models.BooleanField(_("防止民转刑"), default=False)
    prevented_criminal_people = models.PositiveIntegerField(_("防止民转刑人数"), default=0)
    prevented_petition = models.BooleanField(_("防止群体性上访"), default=False)
    prevented_petition_people = models.PositiveIntegerField(_("防止群体性上访人数"), default=0)
    agreement_performed = models.BooleanField(_("协议已履行"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("案件统计标记")
        verbose_name_plural = _("案件统计标记")

    def __str__(self) -> str:
        return f"flags of case {self.case_id}"


class Screening(models.Model):
    """One round of dispute screening (矛盾纠纷排查) by a mediation organisation in a region."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("排查区域"))
    region_code = models.CharField(max_length=15, editable=False, db_index=True)
    organisation = models.ForeignKey(Organisation, models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("排查组织"))
    held_at = models.DateTimeField(_("排查时间"))
    disputes_found = models.PositiveIntegerField(_("发现纠纷数"), default=0)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_at", "id"]
        verbose_name = _("矛盾纠纷排查")
        verbose_name_plural = _("矛盾纠纷排查")

    def __str__(self) -> str:
        return f"{self.region_code} {self.held_at:%Y-%m-%d}"


class WarningKind(models.TextChoices):
    REPEAT_PARTY = "repeat_party", _("同一当事人重复纠纷")
    REPEAT_PLACE = "repeat_place", _("同一地点重复纠纷")
    BURST = "burst", _("纠纷类型异常上升")
    MAJOR_RISK = "major_risk", _("重大风险案件未结")
    ORG_OVERDUE = "org_overdue", _("调解组织超期案件多")
    MEDIATOR_LOAD = "mediator_load", _("调解员在办案件明显偏多")


class WarningState(models.TextChoices):
    PENDING = "pending", _("待确认（观察期）")
    OPEN = "open", _("预警中")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    RESOLVED = "resolved", _("已解除")


LIVE_STATES = (WarningState.PENDING, WarningState.OPEN, WarningState.ACKNOWLEDGED)


class RiskWarning(models.Model):
    """One early warning. At most one live (pending/open/acknowledged) warning per key, enforced by the database."""

    kind = models.CharField(_("类型"), max_length=20, choices=WarningKind.choices)
    key = models.CharField(max_length=200)
    state = models.CharField(_("状态"), max_length=14, choices=WarningState.choices, default=WarningState.PENDING)
    region_code = models.CharField(_("区划代码"), max_length=15, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    reasons = models.JSONField(_("理由"), default=list)
    link = models.CharField(max_length=300, blank=True)
    score = models.FloatField(default=0)
    hits = models.PositiveIntegerField(default=1, help_text=_("连续检出次数"))
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                        related_name="+")
    ack_note = models.CharField(_("签收说明"), max_length=300, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("风险预警")
        verbose_name_plural = _("风险预警")
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=models.Q(state__in=["pending", "open", "acknowledged"]),
                                    name="insights_one_live_warning_per_key"),
        ]
        indexes = [models.Index(fields=["state", "region_code"], name="insights_warning_state")]

    def __str__(self) -> str:
        return self.title


# ----------------------------------------------------------------------------------------------------------------
# The 研判 summary: a derived cache of the case tables, kept exact by ``summary.py`` (see its docstring)
# ----------------------------------------------------------------------------------------------------------------
class DirtyCase(models.Model):
    """A case whose figures changed since the summary last folded it. Written by database triggers on the case
    tables (``triggers.py``), deleted by ``summary.sync``. ``seq`` grows with every change, so a writer holds the row
    lock of its mark until it commits (PostgreSQL) and the fold skips marks still being written."""

    case_id = models.BigIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"dirty case {self.case_id}"


class CaseFact(models.Model):
    """What one case contributes to the summary, as last folded (so a change can subtract the old contribution).
    Not a foreign key: the fact of a deleted case must outlive it until the fold subtracts it."""

    case_id = models.BigIntegerField(primary_key=True)
    month = models.PositiveIntegerField()  # YYYYMM of created_at in Asia/Shanghai
    region_code = models.CharField(max_length=15)
    type_id = models.BigIntegerField()
    source = models.CharField(max_length=24)
    level = models.CharField(max_length=10)
    stage = models.CharField(max_length=20)
    risk = models.CharField(max_length=10)
    colour = models.CharField(max_length=8)
    org_kind = models.CharField(max_length=30, blank=True)
    closed_days = models.IntegerField(null=True)
    overdue_from = models.DateTimeField(null=True)  # open cases: overdue once now passes this instant
    n = models.PositiveSmallIntegerField(default=1)
    accepted = models.PositiveSmallIntegerField(default=0)
    success = models.PositiveSmallIntegerField(default=0)
    amount = models.BigIntegerField(default=0)  # agreement amount in fen (cents): sums stay exact on every database
    repeats = models.PositiveSmallIntegerField(default=0)
    performed = models.PositiveSmallIntegerField(default=0)
    screened = models.PositiveSmallIntegerField(default=0)
    criminal = models.PositiveSmallIntegerField(default=0)
    criminal_people = models.PositiveIntegerField(default=0)
    petition = models.PositiveSmallIntegerField(default=0)
    petition_people = models.PositiveIntegerField(default=0)
    judicial = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["overdue_from"], name="insights_fact_overdue")]

    def __str__(self) -> str:
        return f"fact of case {self.case_id}"


class SummaryCell(models.Model):
    """One cell of one grouping (``summary.GROUPS``) for one region scope (county, town, village or grid code) and
    one month (0: not by month): the sums of the facts of the cases in it."""

    cell = models.CharField(max_length=120, primary_key=True)  # grp|scope|month|k1|k2|k3
    grp = models.PositiveSmallIntegerField()
    scope = models.CharField(max_length=15)
    month = models.PositiveIntegerField()
    k1 = models.CharField(max_length=30, blank=True)
    k2 = models.CharField(max_length=30, blank=True)
    k3 = models.CharField(max_length=30, blank=True)
    n = models.BigIntegerField(default=0)
    accepted = models.BigIntegerField(default=0)
    success = models.BigIntegerField(default=0)
    amount = models.BigIntegerField(default=0)  # fen
    repeats = models.BigIntegerField(default=0)
    performed = models.BigIntegerField(default=0)
    screened = models.BigIntegerField(default=0)
    criminal = models.BigIntegerField(default=0)
    criminal_people = models.BigIntegerField(default=0)
    petition = models.BigIntegerField(default=0)
    petition_people = models.BigIntegerField(default=0)
    judicial = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["scope", "month", "grp"], name="insights_cell_scope")]

    def __str__(self) -> str:
        return self.cell


class SummaryState(models.Model):
    """One row: locked by every fold (serialises them); ``stale`` asks the next fold for a full rebuild (set when the
    triggers had to be reinstalled, e.g. after a SQLite table rebuild dropped them)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    stale = models.BooleanField(default=True)
    rebuilt_at = models.DateTimeField(null=True)
    folded_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"summary state (stale={self.stale})"
