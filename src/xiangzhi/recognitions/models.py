"""Tables of 法律明白人 / 法治带头人 / 学法用法示范户: the yearly quotas per village, each recognition with its
timeline, the objections of its public notice (公示), training and assessment records; and the e法贷 side: the
citizen's one-time consent codes, every bank check, the loans banks granted. No workflow logic here (see
services/)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.models import AppendOnlyModel

from .enums import CERTIFIED_STATES, CheckOutcome, EventKind, Source, State, Title, TrainingKind


class Quota(models.Model):
    """How many of one title a village may have recognised in one year (absent: the default setting)."""

    region = models.ForeignKey("core.Region", models.PROTECT, related_name="+", verbose_name=_("村（社区）"))
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("类别"), max_length=12, choices=Title.choices)
    limit = models.PositiveSmallIntegerField(_("名额"))

    class Meta:
        verbose_name = _("名额")
        verbose_name_plural = _("名额")
        constraints = [models.UniqueConstraint(fields=["region", "year", "title"], name="recognitions_quota_unique")]


class Recognition(models.Model):
    """One person's recognition for one year and title, from nomination to registration (and revocation)."""

    person = models.ForeignKey("core.Person", models.PROTECT, related_name="+", verbose_name=_("本人"))
    title = models.CharField(_("类别"), max_length=12, choices=Title.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey("core.Region", models.PROTECT, related_name="+", verbose_name=_("村（社区）"))
    source = models.CharField(_("提名方式"), max_length=10, choices=Source.choices)
    reason = models.TextField(_("推荐理由"), blank=True)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.NOMINATED)
    notice_starts = models.DateTimeField(_("公示开始"), null=True, blank=True)
    notice_ends = models.DateTimeField(_("公示结束"), null=True, blank=True)
    serial = models.CharField(_("证书编号"), max_length=20, null=True, blank=True, unique=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    registered_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    revocation_reason = models.TextField(_("撤销理由"), blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "region__code", "pk"]
        verbose_name = _("法治荣誉")
        verbose_name_plural = _("法治荣誉")
        constraints = [
            # one live nomination per person, year and title (a rejected one may be followed by a new one)
            models.UniqueConstraint(fields=["person", "year", "title"], condition=~models.Q(state=State.REJECTED),
                                    name="recognitions_one_per_person_year_title"),
        ]
        indexes = [models.Index(fields=["state", "year"]), models.Index(fields=["region", "year", "title"])]

    def __str__(self) -> str:
        return f"{self.year} {self.get_title_display()} {self.person.masked_name}"

    @property
    def is_certified(self) -> bool:
        return self.state in CERTIFIED_STATES


class Event(AppendOnlyModel):
    """The timeline of a recognition (append-only)."""

    recognition = models.ForeignKey(Recognition, models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]


class Objection(models.Model):
    """An objection raised during a public notice (公示), and its answer; the county decides only once every
    objection of the notice is answered."""

    recognition = models.ForeignKey(Recognition, models.PROTECT, related_name="objections")
    phase = models.CharField(_("公示阶段"), max_length=20, choices=State.choices)  # IN_NOTICE or REVOCATION_NOTICE
    text = models.TextField(_("异议内容"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "pk"]
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")


class TrainingRecord(AppendOnlyModel):
    """One training session attended or one assessment taken (hours, score, passed)."""

    recognition = models.ForeignKey(Recognition, models.PROTECT, related_name="trainings")
    kind = models.CharField(_("类型"), max_length=10, choices=TrainingKind.choices)
    on = models.DateField(_("日期"))
    topic = models.CharField(_("内容"), max_length=120)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, default=0)
    score = models.PositiveSmallIntegerField(_("成绩"), null=True, blank=True)
    passed = models.BooleanField(_("合格"), null=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "pk"]


# ----------------------------------------------------------------------------------------------------------------
# e法贷
# ----------------------------------------------------------------------------------------------------------------
class ConsentCode(models.Model):
    """A citizen's one-time consent for one bank check: short-lived, single use; only its hash is kept."""

    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    person = models.ForeignKey("core.Person", models.PROTECT, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class BankCheck(AppendOnlyModel):
    """One eligibility check by a bank with a consent code, and exactly what the bank was told."""

    consent = models.OneToOneField(ConsentCode, models.PROTECT, related_name="bank_check")
    person = models.ForeignKey("core.Person", models.PROTECT, related_name="+")
    bank = models.ForeignKey("core.Organisation", models.PROTECT, related_name="+", verbose_name=_("银行"))
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    recognition = models.ForeignKey(Recognition, models.PROTECT, null=True, blank=True, related_name="+")
    eligible = models.BooleanField(_("符合条件"))
    # blank: a check recorded before the reason was kept (an eligible one was back-filled as such)
    outcome = models.CharField(_("核验结果"), max_length=10, choices=CheckOutcome.choices, blank=True)
    title = models.CharField(_("类别"), max_length=12, choices=Title.choices, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    masked_name = models.CharField(_("姓名（脱敏）"), max_length=60)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("e法贷资格核验")
        verbose_name_plural = _("e法贷资格核验")


class Loan(AppendOnlyModel):
    """A loan a bank granted after an eligible check: amount (yuan) and the rate discount (percentage points)."""

    check_row = models.OneToOneField(BankCheck, models.PROTECT, related_name="loan")
    bank = models.ForeignKey("core.Organisation", models.PROTECT, related_name="+", verbose_name=_("银行"))
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    rate_discount = models.DecimalField(_("利率优惠（百分点）"), max_digits=5, decimal_places=2)
    granted_on = models.DateField(_("放款日期"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-granted_on", "-pk"]
        verbose_name = _("e法贷放款")
        verbose_name_plural = _("e法贷放款")
