"""智能咨询 tables: the law knowledge base (laws, versioned articles, FAQ, rewriting table), conversations,
hand-offs to legal workers and the visit log. No workflow logic here (see services.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.fields import EncryptedTextField


class LawStatus(models.TextChoices):
    IN_FORCE = "in_force", _("现行有效")
    AMENDED = "amended", _("已被修改")
    REPEALED = "repealed", _("已废止")


class Channel(models.TextChoices):
    PHONE = "phone", _("手机")
    TERMINAL = "terminal", _("自助终端")
    API = "api", _("接口")
    CLI = "cli", _("命令行")


class Law(models.Model):
    """One version of a law (a newer version supersedes the old one, which stays as history)."""

    title = models.CharField(_("名称"), max_length=200)
    short = models.CharField(_("简称"), max_length=200, db_index=True)
    category = models.CharField(_("类别"), max_length=60, blank=True)
    province = models.CharField(_("省份"), max_length=20, blank=True)
    version_date = models.DateField(_("版本日期"), null=True, blank=True)
    status = models.CharField(_("效力"), max_length=10, choices=LawStatus.choices, default=LawStatus.IN_FORCE)
    superseded_by = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+")
    is_current = models.BooleanField(_("当前版本"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("法律法规")
        verbose_name_plural = _("法律法规")
        constraints = [models.UniqueConstraint(fields=["title", "version_date"], name="consult_law_version_unique")]

    def __str__(self) -> str:
        return f"{self.title}（{self.version_date}）" if self.version_date else self.title


class Article(models.Model):
    """One article (条) of one law version. ``key`` is the stable id (``民法典-54``) shared by its versions."""

    key = models.CharField(_("条文编号"), max_length=120, db_index=True)
    law = models.ForeignKey(Law, models.CASCADE, related_name="articles")
    label = models.CharField(_("条号"), max_length=120)
    number = models.IntegerField(_("序号"), default=0)
    suffix = models.CharField(max_length=10, blank=True)
    part = models.CharField(_("编"), max_length=200, blank=True)
    chapter = models.CharField(_("章"), max_length=200, blank=True)
    section = models.CharField(_("节"), max_length=200, blank=True)
    text = models.TextField(_("条文"))
    version_date = models.DateField(_("版本日期"), null=True, blank=True)
    is_current = models.BooleanField(_("现行"), default=True, db_index=True)

    class Meta:
        verbose_name = _("法条")
        verbose_name_plural = _("法条")
        constraints = [models.UniqueConstraint(fields=["key", "law"], name="consult_article_key_law_unique")]

    def __str__(self) -> str:
        return f"{self.law.short} {self.label}"


class RetrievalIndex(models.Model):
    """The retrieval index every serving process should use (one row): its generation goes up each time an index is
    built and published, and its keys name the files in the cache directory (``index-<corpus_key>.pkl``,
    ``model-<corpus_key>-<model_key>.pkl``). A process compares the generation it serves with this row, at most every
    ``XIANGZHI_CONSULT_INDEX_CHECK_SECONDS``, and loads the new files when it changed."""

    generation = models.PositiveIntegerField(_("版本"), default=0)
    corpus_key = models.CharField(max_length=32)
    model_key = models.CharField(max_length=32, blank=True)
    articles = models.PositiveIntegerField(_("法条数"), default=0)
    trained = models.BooleanField(_("含学习排序"), default=False)
    built_at = models.DateTimeField(_("生成时间"), default=timezone.now)

    class Meta:
        verbose_name = _("检索索引")
        verbose_name_plural = _("检索索引")

    def __str__(self) -> str:
        return f"#{self.generation} {self.corpus_key}"


class FaqEntry(models.Model):
    """A curated question with a plain-Chinese answer and the articles it rests on. Served only when reviewed and
    still valid."""

    question = models.CharField(_("问题"), max_length=300)
    variants = models.JSONField(_("其他问法"), default=list, blank=True)
    answer = models.TextField(_("解答"))
    citations = models.JSONField(_("引用法条"), default=list, blank=True)
    topic = models.CharField(_("主题"), max_length=20, blank=True)
    audience = models.CharField(_("对象"), max_length=60, blank=True, default="村民")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    source_handoff = models.ForeignKey("Handoff", models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("常见问答")
        verbose_name_plural = _("常见问答")

    def __str__(self) -> str:
        return self.question

    @property
    def is_servable(self) -> bool:
        today = timezone.localdate()
        return self.reviewed_at is not None and (self.valid_until is None or self.valid_until >= today)


class Rewrite(models.Model):
    """Colloquial phrase → legal terms added to the query (the rewriting table)."""

    phrase = models.CharField(_("口语说法"), max_length=60, unique=True)
    terms = models.CharField(_("法律用语"), max_length=200)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("口语改写")
        verbose_name_plural = _("口语改写")

    def __str__(self) -> str:
        return f"{self.phrase} → {self.terms}"


class StepAction(models.TextChoices):
    """What a next step of the guidance lets the villager do with one tap."""

    NONE = "", _("无")
    MEDIATION = "mediation", _("申请调解")
    HANDOFF = "handoff", _("转人工咨询")


class MatterGuidance(models.Model):
    """What a legal worker tells a villager about one kind of matter (a topic of ``retrieval.topics.TOPICS``): what
    it is, the next steps in order, the time limits, the evidence to keep and the office that handles it. Maintained
    by the justice bureau and 司法所 staff in the workbench; the answers read it, no code holds it.

    ``steps``: ``[{"label": "申请调解", "detail": "…", "action": "mediation"}]`` in order; ``time_limits`` and
    ``evidence``: lists of plain sentences."""

    kind = models.CharField(_("纠纷类型"), max_length=20, unique=True)
    summary = models.TextField(_("说明"), blank=True)
    steps = models.JSONField(_("下一步怎么办"), default=list, blank=True)
    time_limits = models.JSONField(_("时限"), default=list, blank=True)
    evidence = models.JSONField(_("要保存的证据"), default=list, blank=True)
    office = models.CharField(_("办理机构"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("办事指引")
        verbose_name_plural = _("办事指引")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.kind


class Conversation(models.Model):
    """One visitor's consultation thread; the public page reaches it by its unguessable token."""

    token = models.CharField(max_length=40, unique=True)
    visitor_id = models.CharField(max_length=64, db_index=True)
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    region = models.ForeignKey("core.Region", models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PHONE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("咨询会话")
        verbose_name_plural = _("咨询会话")


class Question(models.Model):
    """One question (personal data masked) and the robot's answer."""

    class Kind(models.TextChoices):
        ANSWER = "answer", _("解答")
        CLARIFY = "clarify", _("澄清")
        HANDOFF = "handoff", _("建议转人工")
        REJECTED = "rejected", _("无法受理")

    conversation = models.ForeignKey(Conversation, models.CASCADE, related_name="questions")
    text = models.TextField(_("问题"))
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ANSWER)
    reason = models.CharField(max_length=20, blank=True)
    answer = models.TextField(_("回答"), blank=True)
    citations = models.JSONField(default=list, blank=True)
    ranked = models.JSONField(default=list, blank=True)
    topic = models.CharField(max_length=20, blank=True, db_index=True)
    clarify_topics = models.JSONField(default=list, blank=True)
    topics = models.JSONField(_("纠纷类型"), default=list, blank=True)  # every kind of matter that applies, primary first
    confidence = models.FloatField(default=0.0)
    faq = models.ForeignKey(FaqEntry, models.SET_NULL, null=True, blank=True, related_name="+")
    rating = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("咨询问题")
        verbose_name_plural = _("咨询问题")
        ordering = ["created_at", "pk"]


class HandoffStatus(models.TextChoices):
    OPEN = "open", _("待认领")
    CLAIMED = "claimed", _("处理中")
    ANSWERED = "answered", _("已答复")


class Handoff(models.Model):
    """A question handed to online legal workers of the visitor's region; claimed once, answered in the thread."""

    question = models.OneToOneField(Question, models.CASCADE, related_name="handoff")
    conversation = models.ForeignKey(Conversation, models.CASCADE, related_name="handoffs")
    region = models.ForeignKey("core.Region", models.PROTECT, related_name="+")
    topic = models.CharField(max_length=20, blank=True)
    phone = EncryptedTextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=HandoffStatus.choices, default=HandoffStatus.OPEN)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("转人工")
        verbose_name_plural = _("转人工")
        ordering = ["created_at", "pk"]


class Event(models.Model):
    """One visit event (question, answer shown, article opened, rating, hand-off, reply). No raw IP."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("提问")
        ANSWER = "answer", _("展示回答")
        REJECTED = "rejected", _("拒答")
        ARTICLE = "article", _("查看法条")
        RATING = "rating", _("评价")
        HANDOFF = "handoff", _("转人工")
        REPLY = "reply", _("人工答复")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    visitor_id = models.CharField(max_length=64, blank=True, db_index=True)
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    town_code = models.CharField(max_length=15, blank=True, db_index=True)
    village_code = models.CharField(max_length=15, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PHONE)
    topic = models.CharField(max_length=20, blank=True)
    question = models.ForeignKey(Question, models.SET_NULL, null=True, blank=True, related_name="events")
    article_key = models.CharField(max_length=120, blank=True)
    value = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("访问记录")
        verbose_name_plural = _("访问记录")
