"""规划 (a plan with its target level and targets), 培育 (tasks, each done with evidence files) and 提升 (the
improvement plan of a named village)."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core.errors import Conflict, NotFound, ValidationFailed
from xiangzhi.core.models import User
from xiangzhi.core.text import clean_text

from .. import rules, selectors, storage
from ..enums import EventKind, Stage, TaskState, TitleLevel, TitleState
from ..models import CreationRecord, Evidence, Improvement, Indicator, Plan, Task
from .records import lock, move_stage, record

TASK_STAGES = frozenset({Stage.PLANNING, Stage.CULTIVATING, Stage.IMPROVING})


def _require_worker(actor: User, rec: CreationRecord) -> None:
    """A working role for the village's own jurisdiction (an assessor from elsewhere sees the village, no more)."""
    if not rules.can_work(core_rules.roles_of(actor)) or not selectors.may_work_on(actor, rec.region.code):
        raise NotFound()


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    text = clean_text(value or "").strip()
    if required and not text:
        raise ValidationFailed("FIELD_REQUIRED", "请填写必填项。", {"field": field})
    if len(text) > limit:
        raise ValidationFailed("FIELD_TOO_LONG", f"内容过长（最多 {limit} 字）。", {"field": field, "limit": limit})
    return text


def create_plan(rec: CreationRecord, *, actor: User, target_level: str, year_from: int, year_to: int,
                targets: list[str]) -> Plan:
    """规划: the level aimed at (not one already held), the years and the targets. Moves the village to 规划.
    Side effects: the plan, the stage, the archive event (audit, ledger)."""
    _require_worker(actor, rec)
    if target_level not in TitleLevel.values:
        raise ValidationFailed("INVALID_LEVEL", "创建等级无效。", {"levels": TitleLevel.values})
    if not (2000 <= year_from <= year_to <= year_from + 10):
        raise ValidationFailed("INVALID_YEARS", "规划年度无效（起止年度须在 10 年以内）。")
    cleaned = [_text(t, "targets", 300) for t in targets if (t or "").strip()]
    if not cleaned:
        raise ValidationFailed("FIELD_REQUIRED", "请至少填写一项创建目标。", {"field": "targets"})
    with transaction.atomic():
        rec = lock(rec)
        if rec.titles.filter(level=target_level, state=TitleState.HELD).exists():
            raise Conflict("TITLE_ALREADY_HELD", f"该村（社区）已获得{TitleLevel(target_level).label}民主法治村（社区）称号。")
        move_stage(rec, Stage.PLANNING)
        plan = Plan.objects.create(record=rec, target_level=target_level, year_from=year_from, year_to=year_to,
                                   targets=cleaned, created_by=actor)
        record(rec, EventKind.PLANNED, {"plan": plan.pk, "level": target_level, "years": [year_from, year_to],
                                        "targets": len(cleaned)}, actor=actor, action="villages.plan_created")
    return plan


def add_task(plan: Plan, *, actor: User, title: str, indicator: Indicator | None = None,
             due_on: dt.date | None = None) -> Task:
    """培育: a task of ``plan`` (optionally against an indicator). The first task moves the village to 培育."""
    _require_worker(actor, plan.record)
    title = _text(title, "title", 200)
    with transaction.atomic():
        rec = lock(plan.record)
        if rec.stage not in TASK_STAGES:
            raise Conflict("STAGE_NOT_ALLOWED", f"当前处于“{Stage(rec.stage).label}”阶段，不能布置培育任务。")
        if rec.plans.order_by("-created_at", "-pk").first() != plan:
            raise Conflict("PLAN_SUPERSEDED", "该规划已被新的规划取代。")
        if rec.stage == Stage.PLANNING:
            move_stage(rec, Stage.CULTIVATING)
        task = Task.objects.create(plan=plan, title=title, indicator=indicator, due_on=due_on)
        record(rec, EventKind.TASK_ADDED, {"task": task.pk, "plan": plan.pk,
                                           "indicator": indicator.pk if indicator else None},
               actor=actor, action="villages.task_added")
    return task


def add_evidence(task: Task, f: File, *, actor: User) -> Evidence:
    """A file for an open task: type checked by content, stored through the villages storage, its SHA-256 in the
    archive event (attested). The file is removed again if the transaction fails."""
    _require_worker(actor, task.plan.record)
    checked = storage.check(f)
    written: list[str] = []
    try:
        with transaction.atomic():
            rec = lock(task.plan.record)
            task = Task.objects.select_for_update().get(pk=task.pk)
            if task.state != TaskState.OPEN:
                raise Conflict("TASK_CLOSED", "该任务已完成，不能再上传材料。")
            name, digest = storage.save(f, checked)
            written.append(name)
            ev = Evidence.objects.create(task=task, file=name, original_name=clean_text(f.name or "")[:200],
                                         content_type=checked.content_type, size=checked.size, sha256=digest,
                                         uploaded_by=actor)
            record(rec, EventKind.EVIDENCE, {"task": task.pk, "evidence": ev.pk, "sha256": digest,
                                             "size": checked.size, "content_type": checked.content_type},
                   actor=actor, action="villages.evidence_added")
    except BaseException:
        storage.remove(written)
        raise
    return ev


def complete_task(task: Task, *, actor: User) -> Task:
    """A task is done once it has evidence."""
    _require_worker(actor, task.plan.record)
    with transaction.atomic():
        rec = lock(task.plan.record)
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.state != TaskState.OPEN:
            raise Conflict("TASK_CLOSED", "该任务已完成。")
        if not task.evidence.exists():
            raise Conflict("EVIDENCE_REQUIRED", "请先上传该任务的佐证材料。")
        task.state, task.done_at = TaskState.DONE, timezone.now()
        task.save(update_fields=["state", "done_at"])
        record(rec, EventKind.TASK_DONE, {"task": task.pk, "evidence": task.evidence.count()}, actor=actor,
               action="villages.task_done")
    return task


def plan_improvement(rec: CreationRecord, *, actor: User, measures: str, due_on: dt.date | None = None) -> Improvement:
    """提升: what a named village improves next (from the assessors' notes or a review). Moves it to 提升."""
    _require_worker(actor, rec)
    measures = _text(measures, "measures", 2000)
    with transaction.atomic():
        rec = lock(rec)
        title = rec.titles.filter(state=TitleState.HELD).order_by("-named_on", "-pk").first()
        if title is None:
            raise Conflict("NO_TITLE", "尚未获得命名，不能制定提升计划。")
        if rec.stage != Stage.IMPROVING:
            move_stage(rec, Stage.IMPROVING)
        imp = Improvement.objects.create(record=rec, title=title, measures=measures, due_on=due_on, created_by=actor)
        record(rec, EventKind.IMPROVEMENT, {"improvement": imp.pk, "title": title.pk,
                                            "due_on": due_on.isoformat() if due_on else None},
               actor=actor, action="villages.improvement_planned")
    return imp
