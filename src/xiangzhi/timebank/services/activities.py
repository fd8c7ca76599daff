"""Service activities: recorded by an organisation's staff or proposed by the platform (:func:`propose_activity`,
idempotent by its source key, for higher apps such as disputes to call), verified by a second person, then credited
from the county's issuance account."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core.errors import Conflict, Forbidden, ValidationFailed
from xiangzhi.core.models import Organisation, Region, User
from xiangzhi.core.text import clean_text

from .. import rules, selectors
from ..enums import ActivityKind, ActivitySource, ActivityState, TransferKind
from ..models import Activity, Volunteer
from .books import issuance_account, post_transfer
from .records import record

MAX_ACTIVITY_MINUTES = 24 * 60


def check_activity(*, kind: str, title: str, occurred_on: dt.date, minutes: int) -> str:
    if kind not in ActivityKind.values:
        raise ValidationFailed("INVALID_KIND", "服务类型不正确。")
    title = clean_text(title).strip()
    if not title:
        raise ValidationFailed("TITLE_REQUIRED", "请填写服务内容。")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_ACTIVITY_MINUTES:
        raise ValidationFailed("INVALID_MINUTES", "服务时长应为 1 至 1440 分钟。", {"minutes": minutes})
    if occurred_on > timezone.localdate():
        raise ValidationFailed("FUTURE_DATE", "服务日期不能晚于今天。")
    return title[:200]


def record_activity(volunteer: Volunteer, *, kind: str, title: str, occurred_on: dt.date, minutes: int,
                    organisation: Organisation, link: str = "", actor: User) -> Activity:
    """An organisation records a service (荣誉时), to be verified by someone else. Guards: the recorder manages
    the volunteer's region. Side effects: the activity row (state 待核验), its audit row."""
    title = check_activity(kind=kind, title=title, occurred_on=occurred_on, minutes=minutes)
    if not rules.can_record(core_rules.roles_of(actor)) or not selectors.may_manage_region(actor,
                                                                                          volunteer.region.code):
        raise Forbidden("NOT_ALLOWED", "无权为该志愿者录入服务记录。")
    with transaction.atomic():
        a = Activity.objects.create(volunteer=volunteer, organisation=organisation, region=volunteer.region,
                                    kind=kind, source=ActivitySource.MANUAL, title=title, occurred_on=occurred_on,
                                    minutes=minutes, link=clean_text(link)[:300], recorded_by=actor)
        record("timebank.activity.recorded", a, {"kind": kind, "minutes": minutes, "volunteer": volunteer.pk},
               actor=actor, region_code=volunteer.region.code)
    return a


def propose_activity(*, source_key: str, user: User, kind: str, title: str, occurred_on: dt.date, minutes: int,
                     organisation: Organisation, region: Region | None = None, link: str = "") -> Activity | None:
    """The platform proposes the minutes of something done in it (信用时): ``source_key`` names it (e.g.
    ``disputes.case:123``) and makes the call idempotent — a second call returns the first activity unchanged.
    Returns None when ``user`` is not a registered volunteer. A person (never the volunteer) verifies it later."""
    source_key = clean_text(source_key).strip()[:80]
    if not source_key:
        raise ValidationFailed("SOURCE_REQUIRED", "缺少来源标识。")
    existing = Activity.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing
    volunteer = Volunteer.objects.filter(user=user).select_related("region").first() if user is not None else None
    if volunteer is None:
        return None
    title = check_activity(kind=kind, title=title, occurred_on=occurred_on, minutes=minutes)
    try:
        with transaction.atomic():
            a = Activity.objects.create(volunteer=volunteer, organisation=organisation,
                                        region=region or volunteer.region, kind=kind, source=ActivitySource.PLATFORM,
                                        title=title, occurred_on=occurred_on, minutes=minutes, source_key=source_key,
                                        link=clean_text(link)[:300], recorded_by=None)
            record("timebank.activity.proposed", a, {"kind": kind, "minutes": minutes, "volunteer": volunteer.pk,
                                                     "source": source_key},
                   actor=None, region_code=a.region.code)
    except IntegrityError:  # proposed concurrently with the same source key
        return Activity.objects.get(source_key=source_key)
    return a


def _locked(activity: Activity) -> Activity:
    return (Activity.objects.select_for_update().select_related("volunteer__account", "volunteer__region", "region")
            .get(pk=activity.pk))


def verify_activity(activity: Activity, *, actor: User) -> Activity:
    """A second person verifies a proposed activity and its minutes are credited. Guards (under the row lock):
    rules.can_verify — a manager of the activity's region, not its recorder, not the volunteer. Side effects: the
    credit transfer issuance → volunteer (its audit row and ledger leaf), the activity's state, its audit row."""
    with transaction.atomic():
        a = _locked(activity)
        ok = rules.can_verify(core_rules.roles_of(actor), a.state, is_recorder=a.recorded_by_id == actor.pk,
                              is_volunteer=a.volunteer.user_id == actor.pk or selectors.is_own(actor, a.volunteer))
        if not ok or not selectors.may_manage_region(actor, a.region.code):
            if a.state != ActivityState.PROPOSED:
                raise Conflict("NOT_PROPOSED", "该记录已处理。")
            raise Forbidden("SECOND_PERSON_REQUIRED", "服务记录须由录入人和志愿者本人以外的工作人员核验。")
        t = post_transfer(TransferKind.CREDIT, from_account=issuance_account(), to_account=a.volunteer.account,
                          amount=a.minutes, actor=actor, memo=a.title)
        a.state, a.verified_by, a.verified_at, a.transfer = ActivityState.VERIFIED, actor, timezone.now(), t
        a.save(update_fields=["state", "verified_by", "verified_at", "transfer"])
        record("timebank.activity.verified", a, {"minutes": a.minutes, "transfer": t.pk}, actor=actor,
               region_code=a.region.code)
    return a


def reject_activity(activity: Activity, *, actor: User, reason: str) -> Activity:
    reason = clean_text(reason).strip()
    if not reason:
        raise ValidationFailed("REASON_REQUIRED", "请填写未通过原因。")
    with transaction.atomic():
        a = _locked(activity)
        ok = rules.can_reject(core_rules.roles_of(actor), a.state,
                              is_volunteer=a.volunteer.user_id == actor.pk or selectors.is_own(actor, a.volunteer))
        if not ok or not selectors.may_manage_region(actor, a.region.code):
            if a.state != ActivityState.PROPOSED:
                raise Conflict("NOT_PROPOSED", "该记录已处理。")
            raise Forbidden("NOT_ALLOWED", "无权处理该服务记录。")
        a.state, a.reject_reason = ActivityState.REJECTED, reason[:200]
        a.save(update_fields=["state", "reject_reason"])
        record("timebank.activity.rejected", a, {"reason": a.reject_reason}, actor=actor, region_code=a.region.code)
    return a
