"""桐解码 part 2 tables: the deadline clock of each case (五色管理), mediation extensions, joint handling (联动联办),
hand-overs (诉调对接), party feedback and follow-up visits (回访), judicial confirmation (司法确认) and import jobs.
No workflow logic here: every write is in the part-2 service modules (deadlines, joint, feedback, judicial, importer).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.models import Organisation

from .models import Case, Party


class Colour(models.TextChoices):
    RED = "red", _("红色")
    ORANGE = "orange", _("橙色")
    YELLOW = "yellow", _("黄色")
    BLUE = "blue", _("蓝色")
    GREEN = "green", _("绿色")


class CaseClock(models.Model):
    """The current stage's deadline and colour of a case, maintained by the periodic colour pass (streamed in id
    chunks). ``stage``/``stage_changed_at`` say which stage the deadline was computed for, so a stale row is seen."""

    case = models.OneToOneField(Case, models.CASCADE, primary_key=True, related_name="clock")
    stage = models.CharField(max_length=20)
    stage_changed_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    colour = models.CharField(max_length=8, choices=Colour.choices)
    colour_since = models.DateTimeField(default=timezone.now)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["colour", "case"], name="clock_colour_case"),
                   models.Index(fields=["due_at"], name="clock_due")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.colour}"


class MediationExtension(models.Model):
    """延长调解期限: once per case, only with both parties' consent (人民调解工作若干规定 第33条 and provincial rules)."""

    case = models.OneToOneField(Case, models.CASCADE, related_name="extension")
    months = models.PositiveSmallIntegerField(_("延长月数"), default=1)
    applicant_consent_at = models.DateTimeField(_("申请人同意时间"))
    respondent_consent_at = models.DateTimeField(_("被申请人同意时间"))
    reason = models.CharField(_("理由"), max_length=200)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"extension of case {self.case_id}"


class JointStatus(models.TextChoices):
    OPEN = "open", _("待办理")
    ANSWERED = "answered", _("已答复")
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


class JointTask(models.Model):
    """联动联办: the lead organisation invites a department into a case with a task, a deadline and a contact."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="joint_tasks")
    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="joint_tasks",
                                     verbose_name=_("协办单位"))
    task = models.CharField(_("协办事项"), max_length=500)
    due_at = models.DateTimeField(_("办理期限"))
    contact_name = models.CharField(_("联系人"), max_length=40)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=JointStatus.choices, default=JointStatus.OPEN)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(_("退回理由"), max_length=300, blank=True)

    class Meta:
        ordering = ["invited_at", "id"]
        indexes = [models.Index(fields=["organisation", "case"], name="joint_org_case")]

    def __str__(self) -> str:
        return f"joint task {self.pk} of case {self.case_id}"


class JointReply(models.Model):
    task = models.ForeignKey(JointTask, models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    text = models.TextField(_("答复"))
    file = models.FileField(upload_to="joint/%Y/%m/", max_length=200, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"reply {self.pk} to task {self.task_id}"


class HandoverDirection(models.TextChoices):
    IN = "in", _("移入（转入调解）")
    OUT = "out", _("移出（诉调对接/移交）")


class Handover(models.Model):
    """诉调对接 and other referrals: a case received from, or handed over to, a court, police station or department."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="handovers")
    direction = models.CharField(max_length=4, choices=HandoverDirection.choices)
    counterpart = models.CharField(_("对方单位"), max_length=120)
    reference = models.CharField(_("文号/案号"), max_length=60, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.direction} {self.counterpart}"


class Feedback(models.Model):
    """A party's satisfaction rating (1–5) and comment after the case closed, given on the QR status page."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="feedback")
    party = models.ForeignKey(Party, models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(_("满意度"))
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    performed = models.BooleanField(_("协议已履行"), null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "party"], name="feedback_one_per_party"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"feedback {self.rating} on case {self.case_id}"


class FollowUpVisit(models.Model):
    """回访记录: party, whether the agreement was performed, satisfaction, visitor and time."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="visits")
    party = models.ForeignKey(Party, models.SET_NULL, null=True, blank=True, related_name="+")
    performed = models.BooleanField(_("是否履行"))
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    note = models.CharField(_("回访情况"), max_length=500, blank=True)
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(_("回访时间"))

    class Meta:
        ordering = ["visited_at", "id"]

    def __str__(self) -> str:
        return f"visit {self.pk} of case {self.case_id}"


class JudicialStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    ACCEPTED = "accepted", _("法院已受理")
    CONFIRMED = "confirmed", _("裁定确认有效")
    REJECTED = "rejected", _("裁定驳回")
    NOT_ACCEPTED = "not_accepted", _("法院不予受理")


class JudicialConfirmation(models.Model):
    """司法确认: joint application within 30 days of the agreement taking effect (民事诉讼法 第205条)."""

    case = models.OneToOneField(Case, models.CASCADE, related_name="judicial")
    court = models.CharField(_("受理法院"), max_length=80)
    status = models.CharField(max_length=14, choices=JudicialStatus.choices, default=JudicialStatus.APPLIED)
    applied_at = models.DateTimeField(_("申请时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    court_case_number = models.CharField(_("法院案号"), max_length=60, blank=True)
    decided_at = models.DateTimeField(_("裁定时间"), null=True, blank=True)
    decision_note = models.CharField(_("裁定说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"judicial confirmation of case {self.case_id}: {self.status}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队等待")
    VALIDATING = "validating", _("正在校验")
    IMPORTING = "importing", _("正在写入")
    DONE = "done", _("已完成")
    REFUSED = "refused", _("未导入（有错误）")
    FAILED = "failed", _("失败")


class ImportJob(models.Model):
    """One upload of historical cases, run by a background worker: the stored file, who claimed it, progress (rows
    validated / written of the total) and the per-row error report. Progress is written by the importer only."""

    file_name = models.CharField(max_length=200)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=200, blank=True)
    mode = models.CharField(max_length=12, default="all")  # all = all-or-nothing; valid = only the valid rows
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    expected_rows = models.PositiveIntegerField(default=0)  # estimate before validation (sheet dimension, csv lines)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)  # rows validated
    valid_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)  # rows written
    error_count = models.PositiveIntegerField(default=0)  # all problems found; ``errors`` keeps the first 1,000
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=300, blank=True)
    worker = models.CharField(max_length=100, blank=True)  # who claimed the job (host:pid), empty while queued
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)  # last progress write (a stalled worker shows here)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"import {self.pk} {self.status}"

    @property
    def running(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)

    @property
    def percent(self) -> int:
        """Share of the work done: validation is the first half, writing the second."""
        total = self.total_rows or self.expected_rows
        if self.status in (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED):
            return 100
        if not total:
            return 0
        if self.status == ImportStatus.IMPORTING:
            return min(99, 50 + 50 * self.imported_rows // max(self.valid_rows or total, 1))
        return min(50, 50 * self.processed_rows // total)


__all__ = [
    "CaseClock", "Colour", "Feedback", "FollowUpVisit", "Handover", "HandoverDirection", "ImportJob", "ImportStatus", "JointReply",
    "JointStatus", "JointTask", "JudicialConfirmation", "JudicialStatus", "MediationExtension",
]
