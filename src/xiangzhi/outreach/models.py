"""精准普法 tables: the bureau's alert rules and where each stands, the 求助 raised when one fires (its timeline,
its answer, its audience and their deliveries), and the lawyers' declared specialities. No workflow logic here
(see services/)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.fields import EncryptedTextField

from .enums import ACTIVE_STATES, AlertState, DeliveryState, EventKind, Firing, ItemKind, ItemState, MediaKind


class AlertRule(models.Model):
    """When questions on a topic count as a hot topic: at least ``threshold`` questions in the last ``window_hours``
    AND a burst against the topic's own baseline (Poisson tail below ``burst_p``), held for ``pending_minutes``;
    released when the count falls below ``release_level`` and stays there for ``keep_firing_minutes``."""

    name = models.CharField(_("名称"), max_length=80)
    topic = models.CharField(_("主题"), max_length=20, blank=True, help_text=_("留空表示所有主题"))
    per_town = models.BooleanField(_("按乡镇分别统计"), default=False)
    window_hours = models.PositiveIntegerField(_("统计窗口（小时）"), default=24)
    threshold = models.PositiveIntegerField(_("触发数量"), default=10)
    release_level = models.PositiveIntegerField(_("解除数量"), default=5)
    baseline_days = models.PositiveIntegerField(_("基线天数"), default=28)
    burst_p = models.FloatField(_("突增显著性"), default=0.001)
    pending_minutes = models.PositiveIntegerField(_("确认时长（分钟）"), default=60)
    keep_firing_minutes = models.PositiveIntegerField(_("保持时长（分钟）"), default=720)
    claim_hours = models.PositiveIntegerField(_("认领后答复时限（小时）"), default=48)
    needs_review = models.BooleanField(_("发布前需司法局审核"), default=True)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("热点预警规则")
        verbose_name_plural = _("热点预警规则")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(release_level__lte=models.F("threshold")),
                                   name="outreach_rule_release_below_threshold"),
        ]

    def __str__(self) -> str:
        return self.name


class RuleState(models.Model):
    """Where one rule stands for one topic and scope (``scope`` = "" for the county, else a town code)."""

    rule = models.ForeignKey(AlertRule, models.CASCADE, related_name="states")
    topic = models.CharField(max_length=20)
    scope = models.CharField(max_length=15, blank=True)
    firing = models.CharField(max_length=10, choices=Firing.choices, default=Firing.INACTIVE)
    since = models.DateTimeField(null=True, blank=True)  # pending since / firing since
    below_since = models.DateTimeField(null=True, blank=True)  # firing, count below the release level since
    last_count = models.PositiveIntegerField(default=0)
    last_expected = models.FloatField(default=0.0)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "topic", "scope"], name="outreach_rulestate_unique")]


class Alert(models.Model):
    """A 求助: questions on ``topic`` in ``scope`` crossed a rule; lawyers claim it and answer."""

    rule = models.ForeignKey(AlertRule, models.PROTECT, related_name="alerts")
    topic = models.CharField(_("主题"), max_length=20)
    scope = models.CharField(_("范围"), max_length=15, blank=True)
    region = models.ForeignKey("core.Region", models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=10, choices=AlertState.choices, default=AlertState.OPEN)
    fired_at = models.DateTimeField(_("触发时间"), default=timezone.now)
    released_at = models.DateTimeField(_("热度回落时间"), null=True, blank=True)
    count = models.PositiveIntegerField(_("窗口内提问数"), default=0)
    expected = models.FloatField(_("基线期望数"), default=0.0)
    series = models.JSONField(_("逐小时提问数"), default=list, blank=True)
    samples = models.JSONField(_("问题示例"), default=list, blank=True)  # masked texts
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_deadline = models.DateTimeField(_("答复时限"), null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    faq_id = models.PositiveIntegerField(null=True, blank=True)  # the consultation FAQ entry made from the answer

    class Meta:
        verbose_name = _("普法求助")
        verbose_name_plural = _("普法求助")
        ordering = ["-fired_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "scope"], condition=Q(state__in=list(ACTIVE_STATES)),
                                    name="outreach_alert_one_active"),
        ]
        indexes = [models.Index(fields=["state", "fired_at"])]

    def __str__(self) -> str:
        return f"{self.topic} {self.scope or '全市'} {self.fired_at:%Y-%m-%d %H:%M}"


class AlertEvent(models.Model):
    """One event of a 求助's timeline (fired, claimed, expired…); written only by services.records.record."""

    alert = models.ForeignKey(Alert, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]


class Answer(models.Model):
    """The claimant's answer: text, the articles it rests on (keys like ``民法典-1079``) and an audio or video file."""

    alert = models.OneToOneField(Alert, models.CASCADE, related_name="answer")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    text = models.TextField(_("文字解答"))
    citations = models.JSONField(_("引用法条"), default=list)
    media = models.CharField(max_length=300, blank=True)  # name in the outreach storage
    media_kind = models.CharField(max_length=5, choices=MediaKind.choices, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    size = models.PositiveIntegerField(default=0)
    duration = models.FloatField(_("时长（秒）"), default=0.0)
    sha256 = models.CharField(max_length=64, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)


class Delivery(models.Model):
    """One member of a 求助's audience (someone who asked about the topic, or read an item on it, in the window) and
    the push to them: at most one per alert and recipient (``recipient_key``: ``c:<citizen id>`` or ``v:<visitor id>``)."""

    alert = models.ForeignKey(Alert, models.CASCADE, related_name="deliveries")
    recipient_key = models.CharField(max_length=80)
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    visitor_id = models.CharField(max_length=64, blank=True, db_index=True)
    conversation_token = models.CharField(max_length=40, blank=True)
    phone = EncryptedTextField(blank=True, default="")
    token = models.CharField(max_length=40, unique=True)  # the SMS link's unguessable part
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.WAITING)
    asked_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    sms_key = models.CharField(max_length=120, blank=True)  # the outbox row's dedupe key

    class Meta:
        verbose_name = _("推送")
        verbose_name_plural = _("推送")
        constraints = [models.UniqueConstraint(fields=["alert", "recipient_key"], name="outreach_delivery_once")]


class Speciality(models.Model):
    """A topic a lawyer or legal worker declares they answer (their 抢单 list shows only these, or all when none)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="outreach_specialities")
    topic = models.CharField(_("主题"), max_length=20)

    class Meta:
        verbose_name = _("擅长领域")
        verbose_name_plural = _("擅长领域")
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="outreach_speciality_unique")]


class LibraryItem(models.Model):
    """One item of the 普法资源库, tagged by topics (consultation's TOPICS) and audiences; the public sees it only
    while published. Written only by services.library."""

    kind = models.CharField(_("类型"), max_length=10, choices=ItemKind.choices)
    title = models.CharField(_("标题"), max_length=120)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    body = models.TextField(_("正文"), blank=True)
    topics = models.JSONField(_("主题"), default=list, blank=True)
    audiences = models.JSONField(_("适用人群"), default=list, blank=True)
    # ",t:<topic>,a:<audience>," — the tags as text, so one portable LIKE filters by topic and audience
    tags = models.CharField(max_length=600, blank=True, editable=False)
    state = models.CharField(_("状态"), max_length=12, choices=ItemState.choices, default=ItemState.DRAFT)
    media = models.CharField(max_length=300, blank=True)  # name in the outreach storage (micro-video)
    content_type = models.CharField(max_length=40, blank=True)
    size = models.PositiveIntegerField(default=0)
    duration = models.FloatField(default=0.0)
    sha256 = models.CharField(max_length=64, blank=True)
    # whose item it is: a town's 司法所 (the town) or the bureau (None: county-wide); who may edit it follows from it
    region = models.ForeignKey("core.Region", models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("所属乡镇"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("普法资源")
        verbose_name_plural = _("普法资源")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["state", "kind"])]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    """One lesson of a class (课程), in order."""

    item = models.ForeignKey(LibraryItem, models.CASCADE, related_name="lessons")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("课时标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["item", "position"], name="outreach_lesson_position_unique")]


class ComicPage(models.Model):
    """One picture of a comic (漫画), in order; the file in the outreach storage, checked by its content."""

    item = models.ForeignKey(LibraryItem, models.CASCADE, related_name="pages")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=300)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["item", "position"], name="outreach_comicpage_position_unique")]


class Nomination(models.Model):
    """A 以案释法 case nominated for the year's Top 10. ``jury_score`` is the mean of its JuryScore rows and
    ``votes`` the count of its Vote rows, both kept by services.topten; the ranking recomputes them from the rows."""

    item = models.ForeignKey(LibraryItem, models.PROTECT, related_name="nominations")
    year = models.PositiveSmallIntegerField(_("年度"))
    jury_score = models.FloatField(_("评审分"), null=True, blank=True)  # mean of the JuryScore rows
    votes = models.PositiveIntegerField(_("票数"), default=0)  # kept equal to the Vote rows by services.topten

    class Meta:
        verbose_name = _("以案释法十佳候选")
        verbose_name_plural = _("以案释法十佳候选")
        ordering = ["year", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "year"], name="outreach_nomination_unique"),
            models.CheckConstraint(condition=Q(jury_score__isnull=True) | (Q(jury_score__gte=0) & Q(jury_score__lte=100)),
                                   name="outreach_nomination_jury_range"),
        ]


class Vote(models.Model):
    """One public vote: the voter only as the blind index of their verified phone; one per case and phone."""

    nomination = models.ForeignKey(Nomination, models.PROTECT, related_name="vote_rows")
    voter_index = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["nomination", "voter_index"], name="outreach_vote_once")]


class ItemRead(models.Model):
    """One opening of a published library item by a visitor (an access-log row, written by services.feed when the
    item's page is shown): who (``visitor_id`` of the phone's consultation cookie and/or the citizen's account), the
    town they scanned in from (or ""), when. Feeds the visitor's 为你推荐 (千人千面), the town's popularity and the
    audience of 求助 on the item's topics."""

    item = models.ForeignKey(LibraryItem, models.CASCADE, related_name="reads")
    visitor_id = models.CharField(max_length=64, blank=True, db_index=True)
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    town_code = models.CharField(max_length=15, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("资源阅读记录")
        verbose_name_plural = _("资源阅读记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["town_code", "at"])]


class JuryScore(models.Model):
    """One jury member's score (0–100) of one nominated case: once per juror and case (outreach_jury_once)."""

    nomination = models.ForeignKey(Nomination, models.PROTECT, related_name="jury_rows")
    juror = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    score = models.FloatField(_("评审分"))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("评审打分")
        verbose_name_plural = _("评审打分")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["nomination", "juror"], name="outreach_jury_once"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="outreach_jury_score_range"),
        ]
