"""Deadlines of 桐解码 in motion: the working-day calendar loader, raising the risk level, extending mediation, and the
periodic colour/deadline pass with its reminders. The deadline and colour rule itself is ``colours`` (defined once);
the time limits are the ``XIANGZHI_DEADLINE_*`` settings.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core import workdays
from xiangzhi.core.enums import Role
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import CalendarDay, User
from xiangzhi.core.workdays import forget_calendar

from .. import colours, rules
from ..enums import (
    STAFF_CONSENT_METHODS,
    CaseStage,
    Colour,
    EventKind,
    Level,
    PartyRole,
    ReportMethod,
    ReportRecipient,
    RiskLevel,
)
from ..models import Case, CaseClock, ExtensionConsent, MediationExtension, RiskReport
from ..selectors import active_task_orgs
from .records import ToUser, record

S = CaseStage
OPEN_STAGES = colours.OPEN_STAGES
SUPERVISOR_NOTICE_ROLES = frozenset({Role.TOWN_STAFF, Role.CENTRE_STAFF})


def config() -> dict[str, Any]:
    """The time limits of the reminders and of the judicial-confirmation window (settings.py ``XIANGZHI_DEADLINE_*``;
    the stage deadlines themselves are ``colours.STAGE_DEADLINES``)."""
    return {
        "extension_months": settings.XIANGZHI_DEADLINE_EXTENSION_MONTHS,
        "judicial_days": settings.XIANGZHI_DEADLINE_JUDICIAL_DAYS,
        "judicial_warn_days": settings.XIANGZHI_DEADLINE_JUDICIAL_WARN_DAYS,
        "escalate_days": {Level.GRID: settings.XIANGZHI_DEADLINE_ESCALATE_GRID_DAYS,
                          Level.VILLAGE: settings.XIANGZHI_DEADLINE_ESCALATE_VILLAGE_DAYS},
        "remind_before_hours": settings.XIANGZHI_DEADLINE_REMIND_BEFORE_HOURS,
    }


# ----------------------------------------------------------------------------------------------------------------
# Holidays: the official schedule, loaded by administrators
# ----------------------------------------------------------------------------------------------------------------
REQUIRED_FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
BUNDLED = Path(__file__).resolve().parent.parent / "data" / "holidays"


def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("CALENDAR_INVALID", f"{where}：日期“{value}”格式应为 YYYY-MM-DD。") from None


def check_calendar(data: dict[str, Any]) -> dict[dt.date, tuple[bool, str]]:
    """Validate a holiday file: {"years": [{"year", "provisional", "festivals": [{"name", "off": [first, last],
    "workdays": [...]}]}]}. Refused (ValidationFailed ``CALENDAR_INVALID``) when a year lacks a festival or the years
    are not consecutive (gaps), when festivals overlap, a date is listed twice, a make-up day is not a weekend day,
    or a date lies outside its year (contradictions). Returns {date: (is_workday, note)}."""
    years = data.get("years") if isinstance(data, dict) else None
    if not years:
        raise ValidationFailed("CALENDAR_INVALID", "节假日文件中没有年度安排。")
    days: dict[dt.date, tuple[bool, str]] = {}
    numbers = sorted(int(y.get("year", 0)) for y in years)
    if len(set(numbers)) != len(numbers):
        raise ValidationFailed("CALENDAR_INVALID", "同一年度出现了两次。")
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        raise ValidationFailed("CALENDAR_INVALID", f"年度不连续（{numbers}），日历有缺口。")
    for y in years:
        year = int(y["year"])
        names = [f.get("name", "") for f in y.get("festivals", [])]
        missing = [n for n in REQUIRED_FESTIVALS if n not in names]
        if missing:
            raise ValidationFailed("CALENDAR_INVALID", f"{year}年缺少{'、'.join(missing)}的安排，日历有缺口。",
                                   {"year": year, "missing": missing})
        for fest in y["festivals"]:
            where = f"{year}年{fest['name']}"
            first, last = (_date(v, where) for v in fest.get("off", [None, None]))
            if last < first or (last - first).days > 15:
                raise ValidationFailed("CALENDAR_INVALID", f"{where}：放假起止日期有误。")
            entries = [(first + dt.timedelta(days=i), False) for i in range((last - first).days + 1)]
            entries += [(_date(v, where), True) for v in fest.get("workdays", [])]
            for day, work in entries:
                if day.year != year and not (fest["name"] in ("元旦", "春节") and abs(day.year - year) <= 1):
                    raise ValidationFailed("CALENDAR_INVALID", f"{where}：{day} 不在 {year} 年。")
                if work and day.weekday() < 5:
                    raise ValidationFailed("CALENDAR_INVALID", f"{where}：调休上班日 {day} 本来就是工作日，安排矛盾。")
                if day in days:
                    raise ValidationFailed("CALENDAR_INVALID", f"{where}：{day} 与“{days[day][1]}”的安排重叠或矛盾。",
                                           {"date": day.isoformat()})
                days[day] = (work, fest["name"] + ("调休上班" if work else "放假"))
    return days


def load_holidays(data: dict[str, Any], *, actor: User | None) -> int:
    """Replace the calendar of the years in ``data`` (validated first, all or nothing). Returns the rows written.
    Side effects: CalendarDay rows, an audit row; the in-process calendar cache is dropped."""
    days = check_calendar(data)
    years = sorted({int(y["year"]) for y in data["years"]})
    with transaction.atomic():
        CalendarDay.objects.filter(date__gte=dt.date(years[0], 1, 1), date__lte=dt.date(years[-1], 12, 31)).delete()
        CalendarDay.objects.bulk_create([CalendarDay(date=d, is_workday=w, note=n) for d, (w, n) in sorted(days.items())])
        core.audit("calendar.loaded", actor=actor, object_type="calendar", object_id=",".join(map(str, years)),
                   after={"years": years, "days": len(days),
                          "provisional": [y["year"] for y in data["years"] if y.get("provisional")]})
    forget_calendar()
    return len(days)


def bundled_holidays() -> dict[str, Any]:
    years = []
    for path in sorted(BUNDLED.glob("*.json")):
        years.extend(json.loads(path.read_text(encoding="utf-8"))["years"])
    return {"years": years}






def supervisors_of(case: Case) -> list[User]:
    """Town justice-office and county-centre staff whose jurisdiction holds the case's place."""
    prefixes = {case.region_code[:n] for n in (6, 9, 12, 15)}
    return list(User.objects.filter(memberships__is_active=True, memberships__role__in=sorted(SUPERVISOR_NOTICE_ROLES),
                                    memberships__region__code__in=sorted(prefixes)).distinct().order_by("id")[:50])


@dataclass(frozen=True)
class RiskReportIn:
    """A report to the police or another competent department (人民调解法 第25条): to whom, how, when."""
    recipient: str
    reported_to: str
    method: str
    reported_at: dt.datetime | None
    reference: str = ""
    note: str = ""


def _check_report(report: RiskReportIn | None, case: Case, now: dt.datetime) -> dict[str, Any]:
    if report is None:
        raise ValidationFailed("REPORT_REQUIRED", "提高为重大风险，须记录向公安机关或有关部门报告的情况（人民调解法第二十五条）：报告对象、方式和时间。")
    errors: dict[str, list[str]] = {}
    if report.recipient not in ReportRecipient.values:
        errors["recipient"] = ["请选择报告对象（公安机关或其他有关部门）。"]
    reported_to = (report.reported_to or "").strip()
    if len(reported_to) < 2:
        errors["reported_to"] = ["请填写接收报告的单位（及人员）。"]
    if report.method not in ReportMethod.values:
        errors["method"] = ["请选择报告方式。"]
    if report.reported_at is None:
        errors["reported_at"] = ["请填写报告时间。"]
    elif report.reported_at > now:
        errors["reported_at"] = ["报告时间不能晚于现在。"]
    elif report.reported_at < case.created_at.replace(second=0, microsecond=0):  # forms give whole minutes
        errors["reported_at"] = ["报告时间不能早于案件登记时间。"]
    if errors:
        raise ValidationFailed("INVALID_REPORT", next(iter(errors.values()))[0], errors)
    return {"recipient": report.recipient, "reported_to": reported_to[:120], "method": report.method,
            "reported_at": report.reported_at, "reference": (report.reference or "").strip()[:60],
            "note": (report.note or "").strip()[:300]}


def _record_report(case: Case, clean: dict[str, Any], *, actor: User, now: dt.datetime) -> RiskReport:
    row = RiskReport.objects.create(case=case, recorded_by=actor, recorded_at=now, **clean)
    text = (f"已{ReportMethod(row.method).label}向{ReportRecipient(row.recipient).label}（{row.reported_to}）报告"
            "可能激化的纠纷（人民调解法第二十五条）")
    record(case, EventKind.RISK_REPORTED, {
        "report": row.pk, "recipient": row.recipient, "reported_to": row.reported_to, "method": row.method,
        "reported_at": row.reported_at.isoformat(), "reference": row.reference},
        actor=actor, action="case.risk_reported", text=text, public=False, at=now)
    return row


def raise_risk(case: Case, level: str, *, actor: User, reason: str, report: RiskReportIn | None = None,
               now: dt.datetime | None = None) -> Case:
    """Raise the risk level (never lower it here). The supervisors are notified at once (人民调解法 第25条: 防止矛盾
    激化). Raising to 重大 needs the report to the police or the competent department (``report``: whom, how, when;
    not in the future), recorded in the same transaction. Side effects: Case.risk_level, audit, a non-public timeline
    row, the report and its row, notifications to supervisors."""

    now = now or timezone.now()
    if level not in RiskLevel.values:
        raise ValidationFailed("INVALID_RISK", "风险等级无效。")
    if len((reason or "").strip()) < 2:
        raise ValidationFailed("REASON_REQUIRED", "提高风险等级须说明理由。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_raise_risk(actor, locked, task_orgs=active_task_orgs(locked)):
            raise XiangzhiError("FORBIDDEN", "您无权调整该案件的风险等级。", status=403)
        if not rules.is_higher_risk(level, locked.risk_level):
            raise Conflict("RISK_NOT_HIGHER", "只能提高风险等级；降低须由上级在分流更正中办理。")
        clean = _check_report(report, locked, now) if rules.needs_report(level) else None
        before = locked.risk_level
        locked.risk_level = level
        locked.save(update_fields=["risk_level"])
        record(locked, EventKind.RISK_RAISED, {"from": before, "to": level, "reason": reason}, actor=actor,
               action="case.risk_raised", before={"risk": before}, after={"risk": level}, note=reason,
               text=f"风险等级提高为“{RiskLevel(level).label}”：{reason}"[:300], public=False, at=now,
               notify=[ToUser(user, f"案件 {locked.number} 风险等级提高为{RiskLevel(level).label}",
                              f"{reason}（人民调解法第二十五条：防止矛盾激化）",
                              key=f"case:{locked.pk}:risk:{level}:{user.pk}") for user in supervisors_of(locked)])
        if clean is not None:
            _record_report(locked, clean, actor=actor, now=now)
    return locked


def report_risk(case: Case, report: RiskReportIn, *, actor: User, now: dt.datetime | None = None) -> RiskReport:
    """Record a report to the police or a competent department for a case at 重大 risk (a case registered as 重大 at
    intake, or a further report): the same people who may raise the risk, the same checks."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_raise_risk(actor, locked, task_orgs=active_task_orgs(locked)):
            raise XiangzhiError("FORBIDDEN", "您无权记录该案件的风险报告。", status=403)
        if not rules.needs_report(locked.risk_level):
            raise Conflict("REPORT_NOT_NEEDED", "只有重大风险的案件需要向公安机关或有关部门报告。")
        return _record_report(locked, _check_report(report, locked, now), actor=actor, now=now)


@dataclass(frozen=True)
class ExtensionConsentIn:
    """One party's consent to extending mediation, as staff record it: the party (by id), how it was given
    (in person, by phone, in writing) and when."""
    party_id: int | None
    method: str
    consented_at: dt.datetime | None


def extend_mediation(case: Case, *, actor: User, consents: list[ExtensionConsentIn], reason: str
                     ) -> MediationExtension:
    """Extend mediation once, by ``extension_months``, with every party's consent recorded (人民调解工作若干规定
    第33条: 双方当事人同意; a case may have several respondents): each party's consent once, with how and when it was
    given — not in the future (``CONSENT_IN_FUTURE``), not before mediation began (``CONSENT_BEFORE_MEDIATION``).
    A party without a consent: ``CONSENT_REQUIRED``. Side effects: the extension and one ExtensionConsent row per
    party, audit, timeline."""

    if len((reason or "").strip()) < 2:
        raise ValidationFailed("REASON_REQUIRED", "延长调解期限须说明理由。")
    now = timezone.now()
    for consent in consents:
        if consent.method not in STAFF_CONSENT_METHODS:
            raise ValidationFailed("CONSENT_METHOD_REQUIRED", "请选择当事人表示同意的方式（当面、电话或书面）。",
                                   {"party": consent.party_id})
        if consent.consented_at is None:
            raise ValidationFailed("CONSENT_REQUIRED", "延长调解期限须经各方当事人同意，请填写当事人同意的时间。",
                                   {"party": consent.party_id})
        if consent.consented_at > now:
            raise ValidationFailed("CONSENT_IN_FUTURE", "当事人同意的时间不能晚于现在。", {"party": consent.party_id})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_extend(actor, locked):
            raise Conflict("CANNOT_EXTEND", "只有本案调解员或上级在调解阶段可以延长调解期限。")
        if MediationExtension.objects.filter(case=locked).exists():
            raise Conflict("ALREADY_EXTENDED", "调解期限只能延长一次。")
        parties = list(locked.parties.select_related("person"))
        if not any(p.role == PartyRole.RESPONDENT for p in parties):
            raise Conflict("NO_RESPONDENT", "没有被申请人，无法取得双方同意。")
        by_party = {}
        for consent in consents:
            if consent.party_id not in {p.pk for p in parties} or consent.party_id in by_party:
                raise ValidationFailed("INVALID_PARTY", "同意延长的当事人不是本案当事人，或重复填写。",
                                       {"party": consent.party_id})
            by_party[consent.party_id] = consent
        missing = [p for p in parties if p.pk not in by_party]
        if missing:
            names = "、".join(f"{p.get_role_display()}{p.masked_name}" for p in missing)
            raise ValidationFailed("CONSENT_REQUIRED", f"延长调解期限须经各方当事人同意，尚缺{names}的同意。",
                                   {"parties": [p.pk for p in missing]})
        began = locked.stage_changed_at.replace(second=0, microsecond=0)  # in mediation since; forms give minutes
        early = next((c for c in consents if c.consented_at < began), None)
        if early is not None:
            raise ValidationFailed("CONSENT_BEFORE_MEDIATION", "当事人同意延长的时间不能早于调解开始的时间。",
                                   {"party": early.party_id})
        ext = MediationExtension.objects.create(case=locked, months=config()["extension_months"],
                                                reason=reason.strip()[:200], granted_by=actor)
        rows = ExtensionConsent.objects.bulk_create([ExtensionConsent(
            extension=ext, party=p, method=by_party[p.pk].method, consented_at=by_party[p.pk].consented_at,
            recorded_by=actor) for p in parties])
        record(locked, EventKind.EXTENSION, {
            "months": ext.months, "reason": reason,
            "consents": [{"party": r.party_id, "method": r.method, "at": r.consented_at.isoformat()} for r in rows]},
            actor=actor, action="case.mediation_extended", after={"months": ext.months}, note=reason,
            text=f"经各方当事人同意，调解期限延长{ext.months}个月")
    return ext


# ----------------------------------------------------------------------------------------------------------------
# The periodic pass: streamed over open cases in id order, chunk by chunk
# ----------------------------------------------------------------------------------------------------------------
CHUNK = 5000
_FIELDS = ("id", "stage", "stage_changed_at", "risk_level", "confirm_due", "agreement_effective_at", "level",
           "created_at", "mediator_id", "organisation_id", "region_code", "number")


@dataclass
class PassStats:
    scanned: int = 0
    changed: int = 0
    reminders: int = 0
    red: int = 0
    offers: int = 0
    judicial_warnings: int = 0

    def __str__(self) -> str:
        return (f"scanned={self.scanned} changed={self.changed} reminders={self.reminders} red={self.red} "
                f"offers={self.offers} judicial={self.judicial_warnings}")


def colour_pass(*, now: dt.datetime | None = None, chunk: int = CHUNK, notify: bool = True) -> PassStats:
    """Recompute the deadline and colour of every open case (and cases just finished), keyset-paginated by id so
    memory stays flat at any table size (one chunk of value rows at a time, never model objects of all cases); write
    only rows that changed (bulk); then send reminders:
    - to the mediator (or the organisation) before a deadline (``remind_before_hours``);
    - to the supervisors when a case turns red;
    - an escalation offer when a grid- or village-level case is overdue or past its level's time box.
    Each reminder has a dedupe key, so it is sent once however many runs overlap. Per pass, the recipients of an
    organisation and the supervisors of a place are looked up once, and the reminders of a chunk are queued in bulk
    (the keys already used found with one query, the rest inserted with one statement), so a pass costs a few queries
    per chunk, not per overdue case — the first pass over many open cases included."""
    now = now or timezone.now()
    stats = PassStats()
    cal = workdays.calendar()
    memo: dict = {}
    cfg = config()  # _reminders memoises the limits derived from ``now`` in it
    people = _People()
    last = 0
    open_stages = sorted(OPEN_STAGES)
    while True:
        rows = list(Case.objects.filter(id__gt=last, stage__in=open_stages).order_by("id").values_list(*_FIELDS)[:chunk])
        if not rows:
            break
        first, last = rows[0][0], rows[-1][0]
        clocks = {r[0]: r[1:] for r in CaseClock.objects.filter(case_id__gte=first, case_id__lte=last).values_list(
            "case_id", "colour", "due_at", "stage", "stage_changed_at", "colour_since")}
        exts = dict(MediationExtension.objects.filter(case_id__gte=first, case_id__lte=last)
                    .values_list("case_id", "months"))
        new, changed = [], []
        fire: list[tuple[tuple, dt.datetime | None, str, str | None]] = []
        for row in rows:
            pk, stage, changed_at, risk, confirm_due, effective = row[:6]
            times = colours.CaseTimes(pk, stage, changed_at, risk, confirm_due, effective, exts.get(pk, 0))
            due = colours.due(times, cal=cal, memo=memo)
            colour = colours.colour(risk, colours.status(due, now), colours.group(stage, effective is not None))
            clock = clocks.get(pk)
            before = clock[0] if clock else None
            if clock is None:
                new.append(CaseClock(case_id=pk, stage=stage, stage_changed_at=changed_at, due_at=due, colour=colour,
                                     colour_since=now, computed_at=now))
            elif clock[:4] != (colour, due, stage, changed_at):
                changed.append(CaseClock(case_id=pk, stage=stage, stage_changed_at=changed_at, due_at=due,
                                         colour=colour, colour_since=now if before != colour else clock[4],
                                         computed_at=now))
            fire.append((row, due, colour, before))
        with transaction.atomic():
            if new:
                CaseClock.objects.bulk_create(new, ignore_conflicts=True)
            if changed:
                CaseClock.objects.bulk_update(changed, ["colour", "due_at", "stage", "stage_changed_at",
                                                        "colour_since", "computed_at"], batch_size=500)
        stats.scanned += len(rows)
        stats.changed += len(new) + len(changed)
        if notify:
            intents: list[_Intent] = []
            for row, due, colour, before in fire:
                _reminders(row, due, colour, before, now=now, cfg=cfg, people=people, out=intents)
            _send(intents, stats)
    # finished cases: their clock turns green (set-based)
    CaseClock.objects.exclude(colour=Colour.GREEN).exclude(case__stage__in=open_stages).update(
        colour=Colour.GREEN, due_at=None, colour_since=now, computed_at=now)
    if notify:
        judicial_warnings(now=now, stats=stats)
    return stats


class _People:
    """Recipients looked up once per pass: by (mediator, organisation) and by the place's region code."""

    def __init__(self) -> None:
        self.handlers: dict[tuple[int | None, int | None], list[User]] = {}
        self.supervisors: dict[str, list[User]] = {}

    def handlers_of(self, mediator_id: int | None, organisation_id: int | None) -> list[User]:
        key = (mediator_id, organisation_id)
        if key not in self.handlers:
            self.handlers[key] = _recipients_for_case(mediator_id, organisation_id)
        return self.handlers[key]

    def supervisors_at(self, region_code: str) -> list[User]:
        if region_code not in self.supervisors:
            self.supervisors[region_code] = supervisors_of(Case(region_code=region_code))
        return self.supervisors[region_code]


@dataclass
class _Intent:
    user: User
    subject: str
    body: str
    link: str
    key: str
    counter: str  # the PassStats field it counts toward


def _send(intents: list[_Intent], stats: PassStats) -> None:
    """Queue the reminders whose dedupe key was never used, in bulk (core.notify_users_once: one query for the used
    keys and one insert a batch, so a first pass over many overdue cases does not cost a round trip a reminder)."""
    counter = {x.key: x.counter for x in intents}
    queued = core.notify_users_once(core.Message(x.user, x.subject, x.body, x.link, x.key) for x in intents)
    for key in queued:
        setattr(stats, counter[key], getattr(stats, counter[key]) + 1)


def _recipients_for_case(mediator_id: int | None, organisation_id: int | None) -> list[User]:
    if mediator_id:
        return list(User.objects.filter(pk=mediator_id))
    if organisation_id:
        return list(User.objects.filter(memberships__organisation_id=organisation_id, memberships__is_active=True,
                                        memberships__role=Role.MEDIATOR).distinct().order_by("id")[:20])
    return []


def _reminders(row: tuple, due: dt.datetime | None, colour: str, before: str | None, *, now: dt.datetime,
               cfg: dict, people: _People, out: list[_Intent]) -> None:
    """The reminders one case calls for now (appended to ``out``; the caller sends those not sent before). The
    time limits derived from ``now`` are memoised in ``cfg`` by the pass."""
    pk, stage, changed_at, risk, _confirm, _eff, level, created_at, mediator_id, org_id, region_code, number = row
    horizon = cfg.get("_horizon")
    if horizon is None or cfg.get("_now") != now:
        horizon = cfg["_horizon"] = now + dt.timedelta(hours=cfg["remind_before_hours"])
        cfg["_boxes"] = {lv: now - dt.timedelta(days=days) for lv, days in cfg["escalate_days"].items()}
        cfg["_now"] = now
    due_soon = due is not None and now <= due <= horizon
    turned_red = colour == Colour.RED and before != Colour.RED
    box = cfg["_boxes"].get(level)
    offer = box is not None and stage != S.ESCALATED and ((due is not None and now > due) or created_at < box)
    if not (due_soon or turned_red or offer):
        return
    episode = f"{stage}:{changed_at.timestamp():.0f}"
    link = f"/cases/workbench/{pk}/"
    if due_soon:
        for user in people.handlers_of(mediator_id, org_id):
            out.append(_Intent(user, f"案件 {number} 即将到期",
                               f"“{CaseStage(stage).label}”阶段期限为 {timezone.localtime(due):%m月%d日 %H:%M}，请及时办理。",
                               link, f"case:{pk}:due-soon:{episode}:{user.pk}", "reminders"))
    if turned_red:
        why = "已超期" if due is not None and now > due else "重大风险"
        for user in people.supervisors_at(region_code):
            out.append(_Intent(user, f"案件 {number} 转为红色（{why}）", "请督办。", link,
                               f"case:{pk}:red:{episode}:{risk}:{user.pk}", "red"))
    if offer:
        target = "乡镇（街道）" if level == Level.VILLAGE else "村（社区）"
        users = people.handlers_of(mediator_id, org_id) + people.supervisors_at(region_code)
        for user in {u.pk: u for u in users}.values():
            out.append(_Intent(user, f"案件 {number} 已超期，可上报{target}调解组织",
                               f"{Level(level).label}层级办理已超期，建议上报上级（人民调解工作若干规定第21条）。",
                               link + "#escalate", f"case:{pk}:escalate-offer:{level}:{user.pk}", "offers"))


def judicial_warnings(*, now: dt.datetime, stats: PassStats | None = None) -> int:
    """Warn the mediator and the parties before the 30-day judicial-confirmation window closes (once per case)."""

    cfg = config()
    earliest = now - dt.timedelta(days=cfg["judicial_days"])
    latest = now - dt.timedelta(days=cfg["judicial_days"] - cfg["judicial_warn_days"])
    qs = (Case.objects.filter(agreement_effective_at__gt=earliest, agreement_effective_at__lte=latest,
                              judicial__isnull=True)
          .exclude(stage__in=[S.TERMINATED, S.NOT_ACCEPTED]).select_related("mediator").order_by("id"))
    sent = 0
    for case in qs.iterator(chunk_size=1000):
        closes = rules.window_closes(case)
        text = f"司法确认申请期限将于 {timezone.localtime(closes):%Y年%m月%d日} 届满（协议生效之日起30日内）"
        if case.mediator_id and core.notify_user(case.mediator, subject=f"案件 {case.number} {text}",
                                                 body="如需司法确认，请协助双方当事人共同申请。",
                                                 link=f"/cases/workbench/{case.pk}/",
                                                 dedupe_key=f"case:{case.pk}:jc-window:mediator"):
            sent += 1
        for party in case.parties.select_related("person"):
            if party.person_id and party.person.phone and core.enqueue_sms(
                    party.person.phone, f"【乡治·桐解码】您的案件{case.number}的{text}。", link=case.public_url,
                    dedupe_key=f"case:{case.pk}:jc-window:{party.pk}"):
                sent += 1
    if stats is not None:
        stats.judicial_warnings += sent
    return sent


__all__ = ["colour_pass", "extend_mediation", "load_holidays", "raise_risk"]
