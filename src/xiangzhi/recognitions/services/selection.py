"""The yearly selection and its revocation, as one state machine: nomination (self or the village committee) →
town review → public notice (公示, with objections recorded and answered) → county approval → registration with a
certificate; revocation along the same path, with its own notice. Also the quotas per village and the training and
assessment records. Every guard lives here, inside the row lock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.errors import Conflict, NotFound, ValidationFailed
from xiangzhi.core.models import Region, User
from xiangzhi.core.selectors import in_jurisdiction
from xiangzhi.core.text import clean_text

from .. import rules, selectors
from ..enums import NOTICE_STATES, SERIAL_LETTER, EventKind, Source, State, Title, TrainingKind
from ..models import Objection, Quota, Recognition, TrainingRecord
from .records import record


def _text(value: str, *, field: str, minimum: int = 0, maximum: int = 1000) -> str:
    value = clean_text((value or "").strip())
    if len(value) < minimum:
        raise ValidationFailed("TEXT_REQUIRED", f"请填写{field}（至少 {minimum} 个字）。", {"field": field})
    if len(value) > maximum:
        raise ValidationFailed("TEXT_TOO_LONG", f"{field}不能超过 {maximum} 个字。", {"field": field})
    return value


def _protected(value: str, *, field: str, name: str, minimum: int = 0,
               maximum: int = 1000) -> tuple[str, core.NumbersByField]:
    """:func:`_text`, with any 身份证号 or mobile in it masked (core.protect_texts): the masked text for the column,
    the event and the ledger; the numbers found, under ``name``, for core.keep_text_numbers once the holder is
    saved (revealed only under the reveal rule)."""
    return core.protect_text(_text(value, field=field, minimum=minimum, maximum=maximum), name)


def quota_for(region: Region, year: int, title: str) -> int:
    row = Quota.objects.filter(region=region, year=year, title=title).first()
    return row.limit if row is not None else settings.XIANGZHI_RECOGNITIONS_DEFAULT_QUOTA


def set_quota(region: Region, *, year: int, title: str, limit: int, actor: User) -> Quota:
    """The county sets a village's yearly quota of one title. Side effects: the Quota row; audit."""
    if not (rules.COUNTY_ROLES & core_rules.roles_of(actor)) or not in_jurisdiction(actor, region.code):
        raise NotFound
    if region.level != RegionLevel.VILLAGE:
        raise ValidationFailed("NOT_A_VILLAGE", "名额按村（社区）设定。")
    if title not in Title.values or not 0 <= limit <= 100:
        raise ValidationFailed("INVALID_QUOTA", "名额应为 0 到 100 之间的整数。")
    with transaction.atomic():
        row, _ = Quota.objects.update_or_create(region=region, year=year, title=title, defaults={"limit": limit})
        core.audit("recognitions.quota_set", actor=actor, obj=row, region_code=region.code,
                   after={"year": year, "title": title, "limit": limit})
    return row


@dataclass(frozen=True)
class Nominee:
    """Who is nominated: their name and 身份证号 (encrypted by core's Person), optionally a phone."""

    name: str
    id_number: str
    phone: str = ""


def nominate(nominee: Nominee, *, title: str, year: int, region: Region, reason: str, actor: User) -> Recognition:
    """Nominate a villager for one title and year: the village committee's people (or the town, the county) for a
    villager of their jurisdiction, or a villager for themself (the phone is then their account's).
    Side effects: the Person (found by 身份证号, else created), the Recognition (已提名); record()."""
    is_citizen = core_rules.is_citizen(actor)
    if not is_citizen and not (rules.can_nominate(core_rules.roles_of(actor))
                               and selectors.in_scope(actor, region.code, rules.NOMINATE_ROLES)):
        raise NotFound
    if title not in Title.values:
        raise ValidationFailed("INVALID_TITLE", "类别无效。")
    if region.level != RegionLevel.VILLAGE or not region.is_active:
        raise ValidationFailed("NOT_A_VILLAGE", "请选择被提名人所在的村（社区）。")
    this_year = timezone.localdate().year
    if year not in (this_year, this_year + 1):
        raise ValidationFailed("INVALID_YEAR", f"只能提名 {this_year} 或 {this_year + 1} 年度。")
    if not nominee.id_number:
        raise ValidationFailed("ID_NUMBER_REQUIRED", "请填写被提名人的身份证号。")
    reason, reason_numbers = _protected(reason, field="推荐理由", name="reason", minimum=5)
    phone = actor.phone if is_citizen else nominee.phone
    # A villager nominates only themself: a 身份证号 already recorded for someone else would attach the villager's
    # phone to that person (create_person fills a missing phone), and with it that person's titles and e法贷 consent
    # codes.
    if is_citizen and selectors.held_by_another(actor, core.find_people_by_id_number(nominee.id_number)):
        raise Conflict("ID_NUMBER_TAKEN", "该身份证号已登记在他人名下，请到村（社区）核实。")
    with transaction.atomic():
        person = core.create_person(name=nominee.name, id_number=nominee.id_number, phone=phone or "",
                                    region=region, user=actor if is_citizen else None, actor=actor)
        now = timezone.now()
        try:
            with transaction.atomic():
                rec = Recognition.objects.create(
                    person=person, title=title, year=year, region=region, reason=reason,
                    source=Source.SELF if is_citizen else Source.VILLAGE, nominated_by=actor, created_at=now,
                    updated_at=now)
        except IntegrityError:
            raise Conflict("ALREADY_NOMINATED", "此人本年度已被提名为该类别。") from None
        core.keep_text_numbers(rec, reason_numbers, region_code=region.code)
        record(rec, EventKind.NOMINATED, {"title": title, "year": year, "source": rec.source, "person": person.pk},
               actor=actor, action="recognitions.nominated")
    return rec


def _serial(rec: Recognition) -> str:
    return f"{rec.year}{SERIAL_LETTER[rec.title]}{rec.pk:06d}"


def _valid_until(year: int) -> dt.date:
    return dt.date(year + settings.XIANGZHI_RECOGNITIONS_VALID_YEARS - 1, 12, 31)


def _check_notice_over(rec: Recognition, phase: str, now: dt.datetime) -> None:
    if rec.notice_ends is None or now < rec.notice_ends:
        raise Conflict("NOTICE_NOT_OVER", f"公示期未满（{timezone.localtime(rec.notice_ends):%Y-%m-%d %H:%M} 结束），"
                       "不能审定。", {"notice_ends": rec.notice_ends.isoformat() if rec.notice_ends else None})
    open_count = rec.objections.filter(phase=phase, answered_at__isnull=True).count()
    if open_count:
        raise Conflict("OBJECTIONS_UNANSWERED", f"还有 {open_count} 条公示异议未答复，须先答复。", {"open": open_count})


def _check_quota(rec: Recognition) -> None:
    Region.objects.select_for_update().filter(pk=rec.region_id).first()  # one approval per village at a time
    limit = quota_for(rec.region, rec.year, rec.title)
    used = selectors.used_quota(rec.region_id, rec.year, rec.title, exclude_pk=rec.pk)
    if used >= limit:
        raise Conflict("QUOTA_FULL", f"{rec.region.display_name}{rec.year}年度{rec.get_title_display()}名额"
                       f"（{limit} 名）已满。", {"limit": limit, "used": used})


def transition(rec: Recognition, to: str, *, actor: User, reason: str = "") -> Recognition:
    """Move a recognition to ``to`` — the one state machine of selection and revocation. Checks the table of allowed
    transitions, the actor's role and jurisdiction, and the guards of the target (a reason to reject or revoke; the
    notice over and every objection answered before the county decides; the village's quota at approval), under the
    row lock. Side effects: the fields of the target (notice dates, serial and validity at registration, revocation
    time), ``update_fields`` save; record() with the old and new states; the holder's notice when registered or
    revoked."""
    with transaction.atomic():
        rec = Recognition.objects.select_for_update().filter(pk=rec.pk).first()
        if rec is None or not selectors.visible_to(actor).filter(pk=rec.pk).exists():
            raise NotFound
        rec = selectors.visible_to(actor).get(pk=rec.pk)
        old = rec.state
        if to not in State.values or not rules.can_transition(core_rules.roles_of(actor), old, to) or \
                not selectors.in_scope(actor, rec.region.code, rules.TRANSITION_ROLES[(old, to)]):
            raise Conflict("TRANSITION_NOT_ALLOWED", f"当前状态“{rec.get_state_display()}”下不能执行此操作。",
                           {"state": old, "to": to})
        now = timezone.now()
        fields = ["state", "updated_at"]
        payload: dict = {"from": old, "to": to}
        reason_numbers: core.NumbersByField = {}
        if to in (State.REJECTED, State.REVOCATION_PROPOSED) or (
                to == State.REGISTERED and old != State.APPROVED):
            payload["reason"], reason_numbers = _protected(
                reason, field="理由", minimum=2,
                name="revocation_reason" if to == State.REVOCATION_PROPOSED else f"reason_{to}")
        if to in NOTICE_STATES:
            rec.notice_starts = now
            rec.notice_ends = now + dt.timedelta(days=settings.XIANGZHI_RECOGNITIONS_NOTICE_DAYS)
            fields += ["notice_starts", "notice_ends"]
            payload["notice_ends"] = rec.notice_ends.isoformat()
        if to == State.APPROVED:
            _check_notice_over(rec, State.IN_NOTICE, now)
            _check_quota(rec)
        if to == State.REVOKED:
            _check_notice_over(rec, State.REVOCATION_NOTICE, now)
            rec.revoked_at = now
            fields.append("revoked_at")
        if to == State.REGISTERED and old == State.APPROVED:
            rec.serial = _serial(rec)
            rec.valid_until = _valid_until(rec.year)
            rec.registered_at = now
            fields += ["serial", "valid_until", "registered_at"]
            payload.update(serial=rec.serial, valid_until=rec.valid_until.isoformat())
        if to == State.REVOCATION_PROPOSED:
            rec.revocation_reason = payload["reason"]
            fields.append("revocation_reason")
        if to == State.REGISTERED and old != State.APPROVED:  # the revocation was withdrawn
            rec.revocation_reason, rec.notice_starts, rec.notice_ends = "", None, None
            fields += ["revocation_reason", "notice_starts", "notice_ends"]
        rec.state, rec.updated_at = to, now
        rec.save(update_fields=fields)
        core.keep_text_numbers(rec, reason_numbers, region_code=rec.region.code)
        notify = []
        if rec.person.user_id and to in (State.REGISTERED, State.REVOKED):
            text = (f"您已被登记为{rec.year}年度{rec.get_title_display()}，证书编号 {rec.serial}。"
                    if to == State.REGISTERED else f"您的{rec.get_title_display()}资格（证书 {rec.serial}）已撤销。")
            notify.append(core.Message(user=rec.person.user, subject="法治荣誉", body=text,
                                       link="/recognitions/me/", dedupe_key=f"recognitions:{rec.pk}:{to}:{now.timestamp()}"))
        record(rec, EventKind.TRANSITION, payload, actor=actor, action=f"recognitions.{to}", notify=notify)
    return rec


def raise_objection(rec: Recognition, *, text: str, actor: User) -> Objection:
    """A villager objects during a public notice. Side effects: the Objection; record() (no text in the ledger)."""
    core.check_rate(f"recognitions.objection:{actor.pk}", limit=10, window_seconds=3600)
    text, text_numbers = _protected(text, field="异议内容", name="text", minimum=5)
    with transaction.atomic():
        rec = Recognition.objects.select_for_update().select_related("region").get(pk=rec.pk)
        now = timezone.now()
        notice_open = rec.notice_ends is not None and rec.notice_starts <= now < rec.notice_ends
        if not rules.can_object(is_citizen=core_rules.is_citizen(actor), state=rec.state, notice_open=notice_open):
            raise Conflict("NOT_IN_NOTICE", "只能在公示期内提出异议。")
        objection = Objection.objects.create(recognition=rec, phase=rec.state, text=text, raised_by=actor,
                                             raised_at=now)
        core.keep_text_numbers(objection, text_numbers, region_code=rec.region.code)
        record(rec, EventKind.OBJECTION, {"objection": objection.pk, "phase": rec.state}, actor=actor,
               action="recognitions.objection_raised")
    return objection


def answer_objection(objection: Objection, *, answer: str, actor: User) -> Objection:
    """The town or the county answers an objection (once). Side effects: the answer; record(); the objector's
    notice."""
    answer, answer_numbers = _protected(answer, field="答复", name="answer", minimum=2)
    with transaction.atomic():
        objection = Objection.objects.select_for_update().filter(pk=objection.pk).first()
        if objection is None:
            raise NotFound
        rec = selectors.visible_to(actor).filter(pk=objection.recognition_id).first()
        if rec is None:
            raise NotFound
        if not rules.can_answer_objection(core_rules.roles_of(actor), rec.state) or not selectors.in_scope(
                actor, rec.region.code, rules.TOWN_ROLES | rules.COUNTY_ROLES):
            raise Conflict("TRANSITION_NOT_ALLOWED", "当前不能答复异议。")
        if objection.answered_at is not None:
            raise Conflict("ALREADY_ANSWERED", "该异议已答复。")
        objection.answer, objection.answered_by, objection.answered_at = answer, actor, timezone.now()
        objection.save(update_fields=["answer", "answered_by", "answered_at"])
        core.keep_text_numbers(objection, answer_numbers, region_code=rec.region.code)
        record(rec, EventKind.OBJECTION_ANSWERED, {"objection": objection.pk}, actor=actor,
               action="recognitions.objection_answered",
               notify=[core.Message(user=objection.raised_by, subject="公示异议已答复", body=answer[:200],
                                    link="/recognitions/notices/", dedupe_key=f"recognitions:objection:{objection.pk}")])
    return objection


def add_training(rec: Recognition, *, kind: str, on: dt.date, topic: str, hours: str | Decimal = "0",
                 score: int | None = None, passed: bool | None = None, actor: User) -> TrainingRecord:
    """Record a training attended or an assessment taken. Side effects: the TrainingRecord; record()."""
    rec = selectors.visible_to(actor).filter(pk=rec.pk).first()
    if rec is None:
        raise NotFound
    if not rules.can_record_training(core_rules.roles_of(actor), rec.state) or not selectors.in_scope(
            actor, rec.region.code, rules.TOWN_ROLES | rules.COUNTY_ROLES):
        raise Conflict("TRANSITION_NOT_ALLOWED", "当前不能登记培训考核。")
    if kind not in TrainingKind.values:
        raise ValidationFailed("INVALID_KIND", "类型无效。")
    try:
        hours = Decimal(str(hours))
    except InvalidOperation:
        raise ValidationFailed("INVALID_HOURS", "学时应为数字。") from None
    if not Decimal(0) <= hours <= Decimal(100) or (score is not None and not 0 <= score <= 100):
        raise ValidationFailed("INVALID_HOURS", "学时应在 0–100 之间，成绩应在 0–100 之间。")
    if on > timezone.localdate():
        raise ValidationFailed("INVALID_DATE", "日期不能晚于今天。")
    topic = _text(topic, field="内容", minimum=2, maximum=120)
    with transaction.atomic():
        row = TrainingRecord.objects.create(recognition=rec, kind=kind, on=on, topic=topic, hours=hours, score=score,
                                            passed=passed, recorded_by=actor)
        record(rec, EventKind.TRAINING, {"training": row.pk, "kind": kind, "hours": str(hours), "passed": passed},
               actor=actor, action="recognitions.training_recorded")
    return row
