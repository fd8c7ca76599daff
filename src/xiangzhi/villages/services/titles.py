"""命名 of a passed application, registration of the titles named before the platform (存量命名, still on the ladder),
and the periodic 复核 of a title ending in keep, revoke (撤销) or cancel (注销)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core.errors import Conflict, NotFound, ValidationFailed
from xiangzhi.core.models import User
from xiangzhi.core.text import clean_text

from .. import rules, selectors
from ..enums import OUTCOME_STATE, ApplicationState, EventKind, ReviewOutcome, Stage, TitleLevel, TitleState
from ..models import Application, CreationRecord, Review, Title
from .assessment import check_ladder, set_state
from .records import lock, move_stage, record, refresh_highest


def _date(value: dt.date | None, field: str) -> dt.date:
    if value is None:
        raise ValidationFailed("FIELD_REQUIRED", "请填写日期。", {"field": field})
    if value > timezone.localdate() + dt.timedelta(days=1):
        raise ValidationFailed("DATE_IN_FUTURE", "日期不能晚于今天。", {"field": field})
    return value


def name(app: Application, *, actor: User, named_on: dt.date, document_no: str = "") -> Title:
    """命名: a passed application becomes a title at its level (the ladder is checked again: a lower title revoked in
    the meantime refuses it). Side effects: the title, the application named, stage 命名, the archive event."""
    named_on = _date(named_on, "named_on")
    with transaction.atomic():
        rec = lock(app.record)
        app = Application.objects.select_for_update().get(pk=app.pk)
        if not selectors.may_manage_in(actor, rec.region.code):
            raise NotFound()
        if not rules.can_name(core_rules.roles_of(actor), app.state):
            if not rules.can_manage(core_rules.roles_of(actor)):
                raise NotFound()
            raise Conflict("NOT_PASSED", "只有考核通过的申报才能命名。", {"state": app.state})
        check_ladder(rec, app.level)
        set_state(app, ApplicationState.NAMED)
        move_stage(rec, Stage.NAMED)
        title = Title.objects.create(record=rec, level=app.level, named_on=named_on, application=app,
                                     document_no=clean_text(document_no or "").strip()[:80])
        refresh_highest(rec)
        record(rec, EventKind.NAMED, {"title": title.pk, "application": app.pk, "level": app.level,
                                      "named_on": named_on.isoformat(), "document_no": title.document_no},
               actor=actor, action="villages.named")
    return title


def register_title(rec: CreationRecord, *, actor: User, level: str, named_on: dt.date,
                   document_no: str = "") -> Title:
    """存量命名: enter a title named before the platform existed (the bureau only; the ladder holds here too)."""
    if not rules.can_manage(core_rules.roles_of(actor)) or not selectors.may_manage_in(actor, rec.region.code):
        raise NotFound()
    if level not in TitleLevel.values:
        raise ValidationFailed("INVALID_LEVEL", "命名等级无效。", {"levels": TitleLevel.values})
    named_on = _date(named_on, "named_on")
    with transaction.atomic():
        rec = lock(rec)
        check_ladder(rec, level)
        lower = rec.titles.filter(state=TitleState.HELD).order_by("-named_on").first()
        if lower is not None and lower.named_on > named_on:
            raise ValidationFailed("DATE_BEFORE_LOWER", "命名日期不能早于下一级称号的命名日期。")
        move_stage(rec, Stage.NAMED)
        title = Title.objects.create(record=rec, level=level, named_on=named_on,
                                     document_no=clean_text(document_no or "").strip()[:80])
        refresh_highest(rec)
        record(rec, EventKind.REGISTERED, {"title": title.pk, "level": level, "named_on": named_on.isoformat(),
                                           "document_no": title.document_no},
               actor=actor, action="villages.title_registered")
    return title


def review(title: Title, *, actor: User, outcome: str, reviewed_on: dt.date, note: str = "") -> Review:
    """复核 of a held title: keep it, revoke it (撤销) or cancel it (注销); a revocation or cancellation needs a
    reason. Side effects: the review, the title's state and end date, the village's highest level, the event."""
    if outcome not in ReviewOutcome.values:
        raise ValidationFailed("INVALID_OUTCOME", "复核结论无效。", {"outcomes": ReviewOutcome.values})
    reviewed_on = _date(reviewed_on, "reviewed_on")
    note = clean_text(note or "").strip()[:2000]
    if outcome != ReviewOutcome.KEEP and not note:
        raise ValidationFailed("REASON_REQUIRED", "撤销或注销须写明原因。", {"field": "note"})
    with transaction.atomic():
        rec = lock(title.record)
        title = Title.objects.select_for_update().get(pk=title.pk)
        if not selectors.may_manage_in(actor, rec.region.code):
            raise NotFound()
        if not rules.can_review(core_rules.roles_of(actor), title.state):
            if not rules.can_manage(core_rules.roles_of(actor)):
                raise NotFound()
            raise Conflict("TITLE_ENDED", "该称号已被撤销或注销。", {"state": title.state})
        if reviewed_on < title.named_on:
            raise ValidationFailed("DATE_BEFORE_NAMING", "复核日期不能早于命名日期。")
        rev = Review.objects.create(title=title, outcome=outcome, reviewed_on=reviewed_on, note=note, reviewer=actor)
        title.state = OUTCOME_STATE[outcome]
        title.last_reviewed_on = reviewed_on
        fields = ["state", "last_reviewed_on"]
        if outcome != ReviewOutcome.KEEP:
            title.ended_on = reviewed_on
            fields.append("ended_on")
        title.save(update_fields=fields)
        refresh_highest(rec)
        record(rec, EventKind.REVIEWED, {"title": title.pk, "review": rev.pk, "level": title.level,
                                         "outcome": outcome, "reviewed_on": reviewed_on.isoformat()},
               actor=actor, action="villages.reviewed")
    return rev
