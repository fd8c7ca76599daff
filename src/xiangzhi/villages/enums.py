"""Levels, stages and states of 民主法治村(社区) creation, with the allowed-transition tables."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TitleLevel(models.TextChoices):
    """The ladder of titles, lowest first: a level is applied for only by a village holding the one below it."""

    COUNTY = "county", _("县级（桐乡市级）")
    CITY = "city", _("嘉兴市级")
    PROVINCE = "province", _("省级")
    NATIONAL = "national", _("全国")


LADDER: tuple[str, ...] = tuple(level.value for level in (TitleLevel.COUNTY, TitleLevel.CITY, TitleLevel.PROVINCE,
                                                          TitleLevel.NATIONAL))


def rank(level: str) -> int:
    return LADDER.index(level)


def lower_level(level: str) -> str | None:
    """The title a village must hold before applying for ``level`` (None for the county level)."""
    i = rank(level)
    return LADDER[i - 1] if i else None


class Stage(models.TextChoices):
    """Where a village stands in 规划 → 培育 → 申报 → 考核 → 命名 → 提升 (then a new 规划 for the next level)."""

    NONE = "none", _("未启动")
    PLANNING = "planning", _("规划")
    CULTIVATING = "cultivating", _("培育")
    APPLIED = "applied", _("申报")
    ASSESSING = "assessing", _("考核")
    NAMED = "named", _("命名")
    IMPROVING = "improving", _("提升")


STAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.NONE: frozenset({Stage.PLANNING, Stage.NAMED}),  # NAMED: a title registered from before the platform
    Stage.PLANNING: frozenset({Stage.CULTIVATING, Stage.NAMED}),
    Stage.CULTIVATING: frozenset({Stage.APPLIED, Stage.PLANNING, Stage.NAMED}),
    Stage.APPLIED: frozenset({Stage.ASSESSING, Stage.CULTIVATING}),
    Stage.ASSESSING: frozenset({Stage.NAMED, Stage.CULTIVATING}),  # failed: back to 培育
    Stage.NAMED: frozenset({Stage.IMPROVING, Stage.PLANNING, Stage.NAMED}),
    Stage.IMPROVING: frozenset({Stage.PLANNING, Stage.CULTIVATING, Stage.APPLIED, Stage.NAMED}),
}
# Stages from which a village may apply (it has cultivated, or is improving after a title).
APPLY_FROM = frozenset({Stage.CULTIVATING, Stage.IMPROVING})


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("已申报")
    ASSESSING = "assessing", _("考核中")
    PASSED = "passed", _("考核通过")
    FAILED = "failed", _("考核未通过")
    NAMED = "named", _("已命名")
    WITHDRAWN = "withdrawn", _("已撤回")


APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    ApplicationState.SUBMITTED: frozenset({ApplicationState.ASSESSING, ApplicationState.PASSED,
                                           ApplicationState.FAILED, ApplicationState.WITHDRAWN}),
    ApplicationState.ASSESSING: frozenset({ApplicationState.PASSED, ApplicationState.FAILED,
                                           ApplicationState.WITHDRAWN}),
    ApplicationState.PASSED: frozenset({ApplicationState.NAMED}),
    ApplicationState.FAILED: frozenset(),
    ApplicationState.NAMED: frozenset(),
    ApplicationState.WITHDRAWN: frozenset(),
}
OPEN_APPLICATION_STATES = (ApplicationState.SUBMITTED, ApplicationState.ASSESSING, ApplicationState.PASSED)


class TitleState(models.TextChoices):
    HELD = "held", _("保留")
    REVOKED = "revoked", _("撤销")
    CANCELLED = "cancelled", _("注销")


class ReviewOutcome(models.TextChoices):
    """The end of a periodic 复核: keep the title, revoke it (撤销, for failing the standard or a veto event) or cancel
    it (注销, e.g. the village was merged or dissolved)."""

    KEEP = "keep", _("保留")
    REVOKE = "revoke", _("撤销")
    CANCEL = "cancel", _("注销")


OUTCOME_STATE = {ReviewOutcome.KEEP: TitleState.HELD, ReviewOutcome.REVOKE: TitleState.REVOKED,
                 ReviewOutcome.CANCEL: TitleState.CANCELLED}


class TaskState(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")


class EventKind(models.TextChoices):
    PLANNED = "planned", _("制定创建规划")
    TASK_ADDED = "task_added", _("布置培育任务")
    EVIDENCE = "evidence", _("上传创建材料")
    TASK_DONE = "task_done", _("完成培育任务")
    APPLIED = "applied", _("申报")
    WITHDRAWN = "withdrawn", _("撤回申报")
    ASSESSORS = "assessors", _("指派考核人员")
    SCORED = "scored", _("考核评分")
    ASSESSED = "assessed", _("考核结论")
    NAMED = "named", _("命名")
    REGISTERED = "registered", _("存量命名登记")
    IMPROVEMENT = "improvement", _("制定提升计划")
    REVIEWED = "reviewed", _("复核")
