"""States and kinds of 精准普法 (hot-topic alerts, 抢单, answers, push), with the allowed-transition table."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertState(models.TextChoices):
    """A 求助 raised by a fired rule: open for claims → claimed → answered (waiting for the bureau's review when the
    rule asks for one) → published (pushed to its audience)."""

    OPEN = "open", _("待认领")
    CLAIMED = "claimed", _("已认领")
    ANSWERED = "answered", _("待审核")
    PUBLISHED = "published", _("已发布")


# A 求助 still being worked on: at most one per topic and scope (the DB constraint outreach_alert_one_active).
ACTIVE_STATES = (AlertState.OPEN, AlertState.CLAIMED, AlertState.ANSWERED)

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    AlertState.OPEN: frozenset({AlertState.CLAIMED}),
    AlertState.CLAIMED: frozenset({AlertState.OPEN, AlertState.ANSWERED, AlertState.PUBLISHED}),
    AlertState.ANSWERED: frozenset({AlertState.CLAIMED, AlertState.PUBLISHED}),
    AlertState.PUBLISHED: frozenset(),
}


class Firing(models.TextChoices):
    """Where one rule stands for one topic and scope (Prometheus' inactive → pending → firing)."""

    INACTIVE = "inactive", _("未触发")
    PENDING = "pending", _("待确认")
    FIRING = "firing", _("触发中")


class EventKind(models.TextChoices):
    FIRED = "fired", _("触发求助")
    RELEASED = "released", _("热度回落")
    CLAIMED = "claimed", _("认领")
    RELEASED_CLAIM = "unclaimed", _("放弃认领")
    EXPIRED = "expired", _("认领超时退回")
    ANSWERED = "answered", _("提交解答")
    REJECTED = "rejected", _("审核退回")
    PUBLISHED = "published", _("发布推送")


class DeliveryState(models.TextChoices):
    WAITING = "waiting", _("待发布")
    QUEUED = "queued", _("待发送")
    SENT = "sent", _("已送达")
    OPENED = "opened", _("已查看")


class MediaKind(models.TextChoices):
    AUDIO = "audio", _("音频")
    VIDEO = "video", _("视频")


class ItemKind(models.TextChoices):
    """A 普法资源库 item: text, a comic (a series of images), a micro-video, a class of ordered lessons, or a
    以案释法 case (which may be nominated for the year's Top 10)."""

    ARTICLE = "article", _("图文")
    COMIC = "comic", _("漫画")
    VIDEO = "video", _("微视频")
    CLASS = "class", _("课程")
    CASE = "case", _("以案释法")


class Audience(models.TextChoices):
    """Who an item is for; the 清单式普法 lists are grouped by these."""

    FARMERS = "farmers", _("农民")
    MIGRANTS = "migrants", _("外出务工人员")
    ENTERPRISES = "enterprises", _("企业")
    ELDERLY = "elderly", _("老年人")
    STUDENTS = "students", _("青少年学生")
    WOMEN_CHILDREN = "women_children", _("妇女儿童")


class ItemState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    UNPUBLISHED = "unpublished", _("已下架")
