"""合法性审查 tables: a submission (one document or decision of a town or village), its versions (each text bound by
its SHA-256 digest), the reviewer's opinion on a version, and the timeline. No workflow logic here (see services/)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import Conclusion, DocKind, EventKind, State


class Submission(models.Model):
    """One document or decision sent for legality review: by a town (its four administrative kinds) or for a village
    of the town (村重大合同、重大决策、村规民约). ``version`` is the number of its current text; the review clock
    (``due_date``) runs for that version from its assignment."""

    town = models.ForeignKey("core.Region", models.PROTECT, related_name="+", verbose_name=_("乡镇（街道）"))
    region = models.ForeignKey("core.Region", models.PROTECT, related_name="+", verbose_name=_("报送单位所在区划"))
    kind = models.CharField(_("类型"), max_length=20, choices=DocKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    state = models.CharField(_("状态"), max_length=14, choices=State.choices, default=State.SUBMITTED)
    version = models.PositiveIntegerField(_("当前版本"), default=1)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("报送时间"), default=timezone.now)
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="legality_reviews", blank=True,
                                       verbose_name=_("审查人"))
    assigned_at = models.DateTimeField(_("分配时间"), null=True, blank=True)
    deadline_workdays = models.PositiveIntegerField(_("审查时限（工作日）"), null=True, blank=True)
    due_date = models.DateField(_("审查期限"), null=True, blank=True)
    overdue_version = models.PositiveIntegerField(default=0)  # the version last flagged overdue by the periodic job
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("合法性审查")
        verbose_name_plural = _("合法性审查")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["town", "state"]), models.Index(fields=["state", "due_date"])]
        constraints = [
            models.CheckConstraint(condition=~Q(state=State.ISSUED) | Q(issued_at__isnull=False),
                                   name="legality_issued_has_time"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_panel(self) -> bool:
        return self.reviewers.count() > 1


class Version(models.Model):
    """One text of a submission; ``digest`` (SHA-256 of the text) binds an opinion and the issue to exactly it."""

    submission = models.ForeignKey(Submission, models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    text = models.TextField(_("正文"))
    digest = models.CharField(max_length=64)
    note = models.CharField(_("修改说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submission", "number"]
        constraints = [models.UniqueConstraint(fields=["submission", "number"], name="legality_version_unique")]


class Opinion(models.Model):
    """The review opinion on one version (at most one): 合法 / 修改后合法 / 不合法, the reasons and the articles cited
    (keys like ``民法典-1079``, checked against the consultation law base). ``in_time``: given on or before the
    version's due date."""

    submission = models.ForeignKey(Submission, models.CASCADE, related_name="opinions")
    version = models.OneToOneField(Version, models.CASCADE, related_name="opinion")
    digest = models.CharField(max_length=64)
    conclusion = models.CharField(_("审查结论"), max_length=20, choices=Conclusion.choices)
    reasons = models.TextField(_("理由"))
    citations = models.JSONField(_("引用法条"), default=list)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    given_at = models.DateTimeField(default=timezone.now)
    due_date = models.DateField(null=True, blank=True)
    in_time = models.BooleanField(default=True)

    class Meta:
        ordering = ["given_at", "pk"]


class Event(models.Model):
    """One event of a submission's timeline; written only by services.records.record."""

    submission = models.ForeignKey(Submission, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
