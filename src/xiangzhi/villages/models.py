"""民主法治村(社区) creation tables: one creation record (一村一档) per village or community, its plans (规划), tasks
and evidence (培育), applications (申报) with the assessors' score sheets (考核) against an editable indicator checklist,
the titles named (命名), improvement plans (提升) and periodic reviews (复核); and the timeline, append-only, that is
the village's archive. No workflow logic here (see services/)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.models import AppendOnlyModel

from .enums import (
    OPEN_APPLICATION_STATES,
    ApplicationState,
    EventKind,
    ReviewOutcome,
    Stage,
    TaskState,
    TitleLevel,
    TitleState,
)


class CreationRecord(models.Model):
    """One village's (community's) creation file: where it stands in the workflow and the highest title it holds
    (kept by the services from its titles, for lists and dashboards)."""

    region = models.OneToOneField("core.Region", models.PROTECT, related_name="creation_record",
                                  verbose_name=_("村（社区）"))
    stage = models.CharField(_("创建阶段"), max_length=12, choices=Stage.choices, default=Stage.NONE)
    highest_level = models.CharField(_("最高命名等级"), max_length=10, choices=TitleLevel.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["region__code"]
        verbose_name = _("民主法治村创建档案")
        verbose_name_plural = _("民主法治村创建档案")

    def __str__(self) -> str:
        return str(self.region)


class Standard(models.Model):
    """An indicator checklist (考核标准) for one level: editable by the bureau, with a pass mark. An application is
    assessed against the standard active for its level when it was submitted."""

    name = models.CharField(_("名称"), max_length=120)
    level = models.CharField(_("适用等级"), max_length=10, choices=TitleLevel.choices)
    pass_mark = models.DecimalField(_("合格分"), max_digits=5, decimal_places=1)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["level", "pk"]
        verbose_name = _("考核标准")
        verbose_name_plural = _("考核标准")
        constraints = [models.UniqueConstraint(fields=["level"], condition=Q(is_active=True),
                                               name="villages_one_active_standard_per_level")]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """One item of a checklist: scored up to ``max_score``, or a 一票否决 (veto) item that fails the assessment when
    it is hit, whatever the score."""

    standard = models.ForeignKey(Standard, models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField(_("序号"))
    area = models.CharField(_("板块"), max_length=40)
    text = models.CharField(_("指标内容"), max_length=300)
    max_score = models.DecimalField(_("分值"), max_digits=5, decimal_places=1, default=0)
    is_veto = models.BooleanField(_("一票否决项"), default=False)

    class Meta:
        ordering = ["standard", "position"]
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        constraints = [
            models.UniqueConstraint(fields=["standard", "position"], name="villages_indicator_position"),
            models.CheckConstraint(condition=Q(is_veto=False) | Q(max_score=0), name="villages_veto_has_no_score"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class Plan(models.Model):
    """规划 (also a 提升 plan's new target): the level aimed at, the years, and the targets."""

    record = models.ForeignKey(CreationRecord, models.PROTECT, related_name="plans")
    target_level = models.CharField(_("目标等级"), max_length=10, choices=TitleLevel.choices)
    year_from = models.PositiveSmallIntegerField(_("起始年度"))
    year_to = models.PositiveSmallIntegerField(_("完成年度"))
    targets = models.JSONField(_("创建目标"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record", "-created_at", "-pk"]
        verbose_name = _("创建规划")
        verbose_name_plural = _("创建规划")


class Task(models.Model):
    """培育: one task of a plan (optionally against an indicator), done with evidence."""

    plan = models.ForeignKey(Plan, models.PROTECT, related_name="tasks")
    title = models.CharField(_("任务"), max_length=200)
    indicator = models.ForeignKey(Indicator, models.SET_NULL, null=True, blank=True, related_name="+")
    due_on = models.DateField(_("完成期限"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=8, choices=TaskState.choices, default=TaskState.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "pk"]
        verbose_name = _("培育任务")
        verbose_name_plural = _("培育任务")


class Evidence(models.Model):
    """A file proving a task (a photo of the village rules board, minutes of a representatives' meeting): stored
    through the villages storage backend under a random name, its type checked by content, its SHA-256 attested."""

    task = models.ForeignKey(Task, models.PROTECT, related_name="evidence")
    file = models.CharField(max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["task", "pk"]
        verbose_name = _("创建材料")
        verbose_name_plural = _("创建材料")


class Application(models.Model):
    """申报 at one level, assessed (考核) by the assessors the bureau assigns, against ``standard``."""

    record = models.ForeignKey(CreationRecord, models.PROTECT, related_name="applications")
    level = models.CharField(_("申报等级"), max_length=10, choices=TitleLevel.choices)
    state = models.CharField(_("状态"), max_length=10, choices=ApplicationState.choices,
                             default=ApplicationState.SUBMITTED)
    standard = models.ForeignKey(Standard, models.PROTECT, related_name="applications")
    summary = models.TextField(_("申报材料说明"), blank=True)
    assessors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="villages_assessments", blank=True,
                                       verbose_name=_("考核人员"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(_("考核得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    vetoed = models.BooleanField(_("触发一票否决"), default=False)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("申报")
        verbose_name_plural = _("申报")
        constraints = [models.UniqueConstraint(fields=["record"], condition=Q(state__in=OPEN_APPLICATION_STATES),
                                               name="villages_one_open_application")]


class ScoreSheet(models.Model):
    """One assessor's scores of one application (one sheet each)."""

    application = models.ForeignKey(Application, models.PROTECT, related_name="sheets")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    total = models.DecimalField(max_digits=5, decimal_places=1)
    vetoed = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["application", "pk"]
        constraints = [models.UniqueConstraint(fields=["application", "assessor"], name="villages_one_sheet_each")]


class ScoreLine(models.Model):
    sheet = models.ForeignKey(ScoreSheet, models.CASCADE, related_name="lines")
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="+")
    score = models.DecimalField(max_digits=5, decimal_places=1, default=0)
    veto_hit = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["sheet", "indicator__position"]


class Title(models.Model):
    """命名: a title at one level, held until a 复核 revokes or cancels it. ``application`` is empty for a title
    registered from before the platform (存量命名)."""

    record = models.ForeignKey(CreationRecord, models.PROTECT, related_name="titles")
    level = models.CharField(_("等级"), max_length=10, choices=TitleLevel.choices)
    state = models.CharField(_("状态"), max_length=10, choices=TitleState.choices, default=TitleState.HELD)
    named_on = models.DateField(_("命名日期"))
    document_no = models.CharField(_("命名文号"), max_length=80, blank=True)
    application = models.OneToOneField(Application, models.PROTECT, null=True, blank=True, related_name="title")
    ended_on = models.DateField(_("撤销/注销日期"), null=True, blank=True)
    last_reviewed_on = models.DateField(_("最近复核日期"), null=True, blank=True)

    class Meta:
        ordering = ["record", "named_on", "pk"]
        verbose_name = _("命名")
        verbose_name_plural = _("命名")
        constraints = [models.UniqueConstraint(fields=["record", "level"], condition=Q(state=TitleState.HELD),
                                               name="villages_one_held_title_per_level")]
        indexes = [models.Index(fields=["state", "level"], name="villages_title_state_level")]


class Improvement(models.Model):
    """提升: what a named village will improve (from the assessors' notes, a review), until when."""

    record = models.ForeignKey(CreationRecord, models.PROTECT, related_name="improvements")
    title = models.ForeignKey(Title, models.PROTECT, null=True, blank=True, related_name="improvements")
    measures = models.TextField(_("提升措施"))
    due_on = models.DateField(_("完成期限"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record", "-created_at"]


class Review(models.Model):
    """复核 of a title: how it was checked and the outcome (keep, revoke, cancel)."""

    title = models.ForeignKey(Title, models.PROTECT, related_name="reviews")
    outcome = models.CharField(_("复核结论"), max_length=8, choices=ReviewOutcome.choices)
    reviewed_on = models.DateField(_("复核日期"))
    note = models.TextField(_("说明"), blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "reviewed_on", "pk"]


class CreationEvent(AppendOnlyModel):
    """The village's archive: every step of its creation, in order, each attested by a ledger leaf."""

    record = models.ForeignKey(CreationRecord, models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    payload = models.JSONField(default=dict)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record", "at", "pk"]
        indexes = [models.Index(fields=["record", "at"], name="villages_event_record_at")]
