"""申报 at a level (the ladder: a higher title needs the lower one first) and 考核: the bureau assigns assessors,
each assessor scores every indicator of the level's checklist once; when every assessor has scored, the mean total
against the pass mark decides, and any 一票否决 item hit fails the application whatever the score."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xiangzhi.core.models import Region, User
from xiangzhi.core.text import clean_text

from .. import rules, selectors
from ..enums import (
    APPLICATION_TRANSITIONS,
    ApplicationState,
    EventKind,
    Stage,
    TitleLevel,
    TitleState,
    lower_level,
)
from ..models import Application, CreationRecord, ScoreLine, ScoreSheet, Standard
from .records import lock, move_stage, record, record_of

A = ApplicationState


def set_state(app: Application, to: str) -> None:
    """The one transition of an application (locked by the caller): checked against the table, saved."""
    if to not in APPLICATION_TRANSITIONS[app.state]:
        raise Conflict("APPLICATION_STATE", f"申报当前为“{A(app.state).label}”，不能改为“{A(to).label}”。",
                       {"state": app.state, "to": to})
    app.state = to
    fields = ["state"]
    if to in (A.PASSED, A.FAILED, A.WITHDRAWN):
        app.decided_at = timezone.now()
        fields.append("decided_at")
    app.save(update_fields=fields)


def check_ladder(rec: CreationRecord, level: str) -> None:
    """Refuse a level already held, or one whose lower title the village does not hold (409)."""
    held = set(rec.titles.filter(state=TitleState.HELD).values_list("level", flat=True))
    if level in held:
        raise Conflict("TITLE_ALREADY_HELD", f"该村（社区）已获得{TitleLevel(level).label}民主法治村（社区）称号。",
                       {"level": level})
    lower = lower_level(level)
    if lower is not None and lower not in held:
        raise Conflict("LOWER_TITLE_REQUIRED",
                       f"申报{TitleLevel(level).label}须先获得{TitleLevel(lower).label}民主法治村（社区）称号。",
                       {"level": level, "requires": lower})


def apply(target: CreationRecord | Region, *, actor: User, level: str, summary: str = "") -> Application:
    """申报 ``level`` for a cultivated village (its record, or the village itself), assessed against the checklist
    active for that level. Side effects: the application, stage 申报, the archive event (audit, ledger); nothing
    at all when refused."""
    roles = core_rules.roles_of(actor)
    code = target.code if isinstance(target, Region) else target.region.code
    if not rules.can_work(roles) or not selectors.may_work_on(actor, code):
        raise NotFound()
    if level not in TitleLevel.values:
        raise ValidationFailed("INVALID_LEVEL", "申报等级无效。", {"levels": TitleLevel.values})
    summary = clean_text(summary or "").strip()[:2000]
    with transaction.atomic():
        rec = lock(record_of(target) if isinstance(target, Region) else target)
        check_ladder(rec, level)
        if rec.applications.filter(state__in=[A.SUBMITTED, A.ASSESSING, A.PASSED]).exists():
            raise Conflict("APPLICATION_OPEN", "该村（社区）已有尚未办结的申报。")
        if not rules.can_apply(roles, rec.stage):
            raise Conflict("NOT_READY", f"当前处于“{Stage(rec.stage).label}”阶段：请先制定规划并开展培育，再申报。",
                           {"stage": rec.stage})
        standard = Standard.objects.filter(level=level, is_active=True).first()
        if standard is None:
            raise Conflict("NO_STANDARD", f"尚未设置{TitleLevel(level).label}的考核标准。", {"level": level})
        move_stage(rec, Stage.APPLIED)
        app = Application.objects.create(record=rec, level=level, standard=standard, summary=summary,
                                         submitted_by=actor)
        record(rec, EventKind.APPLIED, {"application": app.pk, "level": level, "standard": standard.pk},
               actor=actor, action="villages.applied")
    return app


def withdraw(app: Application, *, actor: User) -> Application:
    with transaction.atomic():
        rec = lock(app.record)
        app = Application.objects.select_for_update().get(pk=app.pk)
        if not selectors.may_work_on(actor, rec.region.code):
            raise Forbidden("NOT_ALLOWED", "只有该村（社区）所在辖区的司法所或司法局可以撤回申报。")
        if not rules.can_withdraw(core_rules.roles_of(actor), app.state):
            raise Conflict("CANNOT_WITHDRAW", "该申报已有考核结论，不能撤回。")
        set_state(app, A.WITHDRAWN)
        move_stage(rec, Stage.CULTIVATING)
        record(rec, EventKind.WITHDRAWN, {"application": app.pk}, actor=actor, action="villages.withdrawn")
    return app


def assign_assessors(app: Application, assessors: Iterable[User], *, actor: User) -> Application:
    """The bureau assigns staff members as the application's assessors (added to those already assigned)."""
    people = list(assessors)
    if not people:
        raise ValidationFailed("ASSESSOR_REQUIRED", "请至少指派一名考核人员。")
    if any(not core_rules.is_staff_member(u) for u in people):
        raise ValidationFailed("NOT_STAFF", "考核人员须为在职工作人员。")
    with transaction.atomic():
        rec = lock(app.record)
        app = Application.objects.select_for_update().get(pk=app.pk)
        if not rules.can_assign_assessors(core_rules.roles_of(actor), app.state) or not selectors.may_manage_in(
                actor, rec.region.code):
            raise Conflict("CANNOT_ASSIGN", "当前不能指派考核人员。", {"state": app.state})
        new = [u for u in people if not app.assessors.filter(pk=u.pk).exists()]
        app.assessors.add(*new)
        record(rec, EventKind.ASSESSORS, {"application": app.pk, "assessors": sorted(u.pk for u in new)},
               actor=actor, action="villages.assessors_assigned",
               notify=[core.Message(user=u, subject="民主法治村考核任务",
                                    body=f"请对{rec.region.display_name}的{TitleLevel(app.level).label}申报进行考核评分。",
                                    link=reverse("villages:application", args=[app.pk]),
                                    dedupe_key=f"villages.assess:{app.pk}:{u.pk}") for u in new])
    return app


@dataclass(frozen=True)
class LineIn:
    """One indicator's score (``veto_hit`` for a 一票否决 item)."""

    score: Decimal | float | str = 0
    veto_hit: bool = False
    note: str = ""


def _decimal(value: Decimal | float | str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValidationFailed("INVALID_SCORE", "分数格式不正确。") from exc


def score(app: Application, *, actor: User, lines: Mapping[int, LineIn], note: str = "") -> ScoreSheet:
    """One assessor's sheet: a score for every scored indicator (0 … its maximum) and, for every veto item,
    whether it is hit. Only an assessor assigned to the application scores it, once. When every assessor has scored
    the application is decided: the mean total against the pass mark, and failed if any veto item was hit.
    Side effects: the sheet, the application's state (and the village's stage), the archive events, a notice to
    the applicant on the decision."""
    with transaction.atomic():
        rec = lock(app.record)
        app = Application.objects.select_for_update().select_related("standard").get(pk=app.pk)
        is_assessor = app.assessors.filter(pk=actor.pk).exists()
        has_scored = app.sheets.filter(assessor=actor).exists()
        if not rules.can_score(is_assessor=is_assessor, state=app.state, has_scored=has_scored):
            if not is_assessor:
                raise Forbidden("NOT_ASSESSOR", "只有指派的考核人员才能评分。")
            if has_scored:
                raise Conflict("ALREADY_SCORED", "您已对该申报评分。")
            raise Conflict("NOT_ASSESSING", "该申报当前不在考核中。", {"state": app.state})
        indicators = list(app.standard.indicators.all())
        missing = [i.pk for i in indicators if i.pk not in lines]
        unknown = sorted(set(lines) - {i.pk for i in indicators})
        if missing or unknown:
            raise ValidationFailed("INCOMPLETE_SHEET", "请对考核标准的每一项评分。", {"missing": missing, "unknown": unknown})
        total, vetoed, rows = Decimal("0"), False, []
        for ind in indicators:
            line = lines[ind.pk]
            value = Decimal("0") if ind.is_veto else _decimal(line.score)
            if not ind.is_veto and not (0 <= value <= ind.max_score):
                raise ValidationFailed("SCORE_OUT_OF_RANGE", f"第{ind.position}项分数须在 0 至 {ind.max_score} 之间。",
                                       {"indicator": ind.pk, "max": str(ind.max_score)})
            hit = bool(line.veto_hit) if ind.is_veto else False
            vetoed |= hit
            total += value
            rows.append(ScoreLine(indicator=ind, score=value, veto_hit=hit, note=clean_text(line.note or "")[:300]))
        sheet = ScoreSheet.objects.create(application=app, assessor=actor, total=total, vetoed=vetoed,
                                          note=clean_text(note or "")[:2000])
        for row in rows:
            row.sheet = sheet
        ScoreLine.objects.bulk_create(rows)
        if app.state == A.SUBMITTED:
            set_state(app, A.ASSESSING)
            move_stage(rec, Stage.ASSESSING)
        record(rec, EventKind.SCORED, {"application": app.pk, "sheet": sheet.pk, "total": str(total),
                                       "vetoed": vetoed}, actor=actor, action="villages.scored")
        if app.sheets.count() >= app.assessors.count():
            _decide(rec, app, actor=actor)
    return sheet


def _decide(rec: CreationRecord, app: Application, *, actor: User) -> None:
    sheets = list(app.sheets.all())
    mean = (sum((s.total for s in sheets), Decimal("0")) / len(sheets)).quantize(Decimal("0.1"),
                                                                                 rounding=ROUND_HALF_UP)
    vetoed = any(s.vetoed for s in sheets)
    passed = not vetoed and mean >= app.standard.pass_mark
    app.score, app.vetoed = mean, vetoed
    app.save(update_fields=["score", "vetoed"])
    set_state(app, A.PASSED if passed else A.FAILED)
    if not passed:
        move_stage(rec, Stage.CULTIVATING)
    reason = "passed" if passed else ("veto" if vetoed else "below_pass_mark")
    notify = []
    if app.submitted_by_id:
        notify.append(core.Message(
            user=app.submitted_by, subject="民主法治村考核结论",
            body=f"{rec.region.display_name}的{TitleLevel(app.level).label}申报考核{'通过' if passed else '未通过'}（{mean} 分）。",
            link=reverse("villages:application", args=[app.pk]), dedupe_key=f"villages.decided:{app.pk}"))
    record(rec, EventKind.ASSESSED, {"application": app.pk, "score": str(mean), "pass_mark": str(app.standard.pass_mark),
                                     "vetoed": vetoed, "result": reason}, actor=actor, action="villages.assessed",
           notify=notify)
