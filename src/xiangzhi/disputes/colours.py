"""The deadline and the colour of a case (五色管理), defined once.

The rule is data: ``STAGE_DEADLINES`` (how each stage's deadline is computed, from the ``XIANGZHI_DEADLINE_*``
settings), ``GROUPS`` (done / escalated / new / in progress) and ``COLOUR_RULES`` (the first rule that matches risk
level × deadline status × stage group gives the colour). Both the Python value (``due``, ``status``, ``colour``,
``info``) and the SQL expression (``status_expr``, ``colour_expr``, ``with_colour``, ``overdue_q``) are derived from
these tables, so a list filtered by colour holds exactly the cases whose rows show that colour.

Time limits (defaults): acceptance / assignment 3 working days; the mediator confirms an assignment by
``Case.confirm_due``; notice served → mediation 5 working days; mediation 1 month (人民调解工作若干规定 第33条),
extendable once; signatures and seal 5 working days; finished stages and effective agreements have none.

The case clock (``CaseClock``, written by ``deadlines.colour_pass``) is a cache: where it was computed for the current
stage its deadline is used, else the deadline is computed from the stage.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import functools
import operator
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case as Case_
from django.db.models import CharField, F, Q, QuerySet, Value, When
from django.db.models.lookups import Exact, In
from django.utils import timezone

from xiangzhi.core import workdays

from .enums import CaseStage, Colour, RiskLevel
from .models import MediationExtension

S = CaseStage
COLOUR_WORDS = dict(Colour.choices)
STATUS_WORDS = {"overdue": "已超期", "due_soon": "即将到期", "on_time": "按期办理", "none": "无期限"}


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=_tz())


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=_tz())


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, month_calendar.monthrange(year, month)[1]))


# ----------------------------------------------------------------------------------------------------------------
# The rule, as data
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class CaseTimes:
    """What the deadline of a case depends on (so the periodic pass and the summaries work on value rows)."""

    pk: int
    stage: str
    stage_changed_at: dt.datetime
    risk_level: str
    confirm_due: dt.datetime | None = None
    agreement_effective_at: dt.datetime | None = None
    extension_months: int = 0


@dataclass(frozen=True)
class Deadline:
    """How one stage's deadline is computed: ``workdays`` (end of the N-th working day after the local date the stage
    began), ``months`` (N months after the stage began, plus the mediation extension) or ``field`` (a datetime field
    of the case, else the ``fallback``). ``setting`` names the ``XIANGZHI_DEADLINE_*`` setting that gives N."""

    kind: Literal["workdays", "months", "field"]
    setting: str = ""
    field: str = ""
    fallback: Deadline | None = None

    def n(self) -> int:
        return getattr(settings, self.setting)

    def due(self, c: CaseTimes | object, cal: dict[dt.date, bool], memo: dict | None) -> dt.datetime:
        if self.kind == "field":
            value = getattr(c, self.field)
            return value if value is not None else self.fallback.due(c, cal, memo)
        if self.kind == "months":
            return add_months(timezone.localtime(c.stage_changed_at, _tz()), self.n() + extension_months(c))
        start = timezone.localtime(c.stage_changed_at, _tz()).date()
        key = (start, self.n())
        if memo is not None and key in memo:
            return memo[key]
        due = end_of_day(workdays.add_workdays(start, self.n(), cal))
        if memo is not None:
            memo[key] = due
        return due

    def whens(self, stage: Q, now: dt.datetime, soon: dt.datetime) -> list[When]:
        """``status(self.due(case), now)`` for the cases of ``stage``, in SQL (each branch exact)."""
        if self.kind == "field":
            value = Q(**{f"{self.field}__isnull": False})
            return [When(stage & value, then=_status(Q(**{f"{self.field}__lt": now}),
                                                       Q(**{f"{self.field}__lte": soon}))),
                    *self.fallback.whens(stage, now, soon)]
        if self.kind == "months":
            extensions = sorted(set(MediationExtension.objects.values_list("months", flat=True).distinct()))
            out = []
            for extra, has in [(0, Q(extension__isnull=True)), *[(k, Q(extension__months=k)) for k in extensions]]:
                months = self.n() + extra
                out.append(When(stage & has, then=_status(_months_cut(now, months, strict=True),
                                                          _months_cut(soon, months, strict=False))))
            return out
        n = self.n()
        return [When(stage, then=_status(Q(stage_changed_at__lt=_workday_cut(now, n, strict=True)),
                                         Q(stage_changed_at__lt=_workday_cut(soon, n, strict=False))))]


ACCEPT = Deadline("workdays", "XIANGZHI_DEADLINE_ACCEPT_WORKDAYS")
STAGE_DEADLINES: dict[str, Deadline] = {
    S.ASSIGNED: Deadline("field", field="confirm_due", fallback=ACCEPT),
    S.IN_MEDIATION: Deadline("months", "XIANGZHI_DEADLINE_MEDIATION_MONTHS"),
    S.NOTICE_SERVED: Deadline("workdays", "XIANGZHI_DEADLINE_NOTICE_WORKDAYS"),
    S.AGREEMENT_WRITTEN: Deadline("workdays", "XIANGZHI_DEADLINE_SIGNING_WORKDAYS"),
}
DEFAULT_DEADLINE = ACCEPT  # reported, accepted, reopened, escalated

DONE_STAGES = frozenset({S.AGREEMENT_ORAL, S.FOLLOW_UP, S.CLOSED, S.ARCHIVED, S.NOT_ACCEPTED, S.TERMINATED})
GROUPS: dict[str, frozenset[str]] = {  # checked in this order; a written agreement that took effect is done
    "done": DONE_STAGES,
    "escalated": frozenset({S.ESCALATED}),
    "new": frozenset({S.REPORTED, S.ACCEPTED, S.REOPENED, S.ASSIGNED, S.NOTICE_SERVED}),
}
OPEN_STAGES = frozenset(S.values) - DONE_STAGES


@dataclass(frozen=True)
class ColourRule:
    """A row of the colour table: it matches when every condition given holds."""

    colour: str
    risk: frozenset[str] | None = None
    status: frozenset[str] | None = None
    groups: frozenset[str] | None = None

    def matches(self, risk: str, status: str, group: str) -> bool:
        return ((self.risk is None or risk in self.risk) and (self.status is None or status in self.status)
                and (self.groups is None or group in self.groups))

    def q(self, status_sql: object) -> Q:
        q = Q(pk__isnull=False)
        if self.risk is not None:
            q &= Q(risk_level__in=sorted(self.risk))
        if self.status is not None:
            q &= Q(In(status_sql, sorted(self.status)))
        if self.groups is not None:
            q &= functools.reduce(operator.or_, [group_q(g) for g in sorted(self.groups)])
        return q


COLOUR_RULES: tuple[ColourRule, ...] = (
    ColourRule(Colour.GREEN, groups=frozenset({"done"})),
    ColourRule(Colour.RED, risk=frozenset({RiskLevel.MAJOR})),
    ColourRule(Colour.RED, status=frozenset({"overdue"})),
    ColourRule(Colour.ORANGE, groups=frozenset({"escalated"})),
    ColourRule(Colour.ORANGE, status=frozenset({"due_soon"})),
    ColourRule(Colour.BLUE, groups=frozenset({"new"})),
    ColourRule(Colour.YELLOW),
)
DEFAULT_COLOUR = Colour.YELLOW


# ----------------------------------------------------------------------------------------------------------------
# Python
# ----------------------------------------------------------------------------------------------------------------
def group(stage: str, effective: bool) -> str:
    if stage == S.AGREEMENT_WRITTEN and effective:
        return "done"
    return next((name for name, stages in GROUPS.items() if stage in stages), "in_progress")


def extension_months(c: object) -> int:
    if isinstance(c, CaseTimes):
        return c.extension_months
    cached = c.__dict__.get("_xz_extension_months")
    if cached is None:
        cached = MediationExtension.objects.filter(case_id=c.pk).values_list("months", flat=True).first() or 0
        c.__dict__["_xz_extension_months"] = cached
    return cached


def due(c: object, *, cal: dict[dt.date, bool] | None = None, memo: dict | None = None,
        clock: tuple[str, dt.datetime, dt.datetime | None] | None = None) -> dt.datetime | None:
    """The deadline of the case's current stage, or None (finished stages, effective agreements). ``c`` is a Case or
    ``CaseTimes``; the clock (a Case's loaded ``clock``, or ``clock`` = (stage, stage_changed_at, due_at) of a value
    row) is used when it was computed for the current stage. ``cal``: the calendar; ``memo``: (start, n) → deadline."""
    if clock is None:
        loaded = c._state.fields_cache.get("clock") if hasattr(c, "_state") else None
        if loaded is not None:
            clock = (loaded.stage, loaded.stage_changed_at, loaded.due_at)
    if clock is not None and clock[:2] == (c.stage, c.stage_changed_at):
        return clock[2]
    if group(c.stage, c.agreement_effective_at is not None) == "done":
        return None
    rule = STAGE_DEADLINES.get(c.stage, DEFAULT_DEADLINE)
    return rule.due(c, cal if cal is not None else workdays.calendar(), memo)


def status(due_at: dt.datetime | None, now: dt.datetime) -> str:
    if due_at is None:
        return "none"
    if now > due_at:
        return "overdue"
    if due_at - now <= dt.timedelta(days=settings.XIANGZHI_DEADLINE_DUE_SOON_DAYS):
        return "due_soon"
    return "on_time"


def colour(risk: str, status_: str, group_: str) -> str:
    """The first rule of the colour table that matches (risk level × deadline status × stage group)."""
    return str(next((r.colour for r in COLOUR_RULES if r.matches(risk, status_, group_)), DEFAULT_COLOUR))


def colour_of(c: object, now: dt.datetime | None = None, **kw: object) -> str:
    now = now or timezone.now()
    return colour(c.risk_level, status(due(c, **kw), now), group(c.stage, c.agreement_effective_at is not None))


def countdown_text(due_at: dt.datetime | None, now: dt.datetime) -> str:
    """“剩 3 天 4 小时” / “已超期 2 天” / “” — always words, never colour alone."""
    if due_at is None:
        return ""
    delta = due_at - now
    overdue = delta.total_seconds() < 0
    seconds = abs(int(delta.total_seconds()))
    days, hours = seconds // 86400, (seconds % 86400) // 3600
    span = f"{days} 天 {hours} 小时" if days else f"{hours} 小时" if hours else "不到 1 小时"
    return f"已超期 {span}" if overdue else f"剩 {span}"


@dataclass
class ColourInfo:
    colour: str
    word: str
    due: dt.datetime | None
    status: str
    countdown: str


def info(case: object, now: dt.datetime | None = None) -> ColourInfo:
    now = now or timezone.now()
    due_at = due(case)
    st = status(due_at, now)
    c = colour(case.risk_level, st, group(case.stage, case.agreement_effective_at is not None))
    return ColourInfo(colour=c, word=str(COLOUR_WORDS[c]), due=due_at, status=st, countdown=countdown_text(due_at, now))


def label(colour_: str) -> str:
    return str(COLOUR_WORDS.get(colour_, colour_))


# ----------------------------------------------------------------------------------------------------------------
# SQL, from the same tables
# ----------------------------------------------------------------------------------------------------------------
def _status(overdue: Q, due_soon: Q, none: Q | None = None) -> Case_:
    whens = [When(none, then=Value("none"))] if none is not None else []
    whens += [When(overdue, then=Value("overdue")), When(due_soon, then=Value("due_soon"))]
    return Case_(*whens, default=Value("on_time"), output_field=CharField())


def _workday_cut(limit: dt.datetime, n: int, *, strict: bool) -> dt.datetime:
    """The instant X such that a stage begun at t has its working-day deadline before ``limit`` (``strict``) or
    at/before it (not ``strict``) exactly when t < X. The deadline is the end of the ``n``-th working day after the
    local date the stage began, so it never moves back when that date moves on: the dates that meet the test are all
    those before one date, found here with the same calendar."""
    cal = workdays.calendar()

    def meets(day: dt.date) -> bool:
        due_at = end_of_day(workdays.add_workdays(day, n, cal))
        return due_at < limit if strict else due_at <= limit

    day = timezone.localtime(limit, _tz()).date()
    while meets(day):
        day += dt.timedelta(days=1)
    while not meets(day - dt.timedelta(days=1)):
        day -= dt.timedelta(days=1)
    return _local_midnight(day)


def _months_cut(limit: dt.datetime, months: int, *, strict: bool) -> Q:
    """``stage_changed_at`` values t for which ``add_months(local t, months)`` is before ``limit`` (``strict``) or
    at/before it. The month arithmetic clamps the day (31 January + 1 month = 28 February), so near a month's end
    this is a prefix plus a few ranges, not one cut-off."""
    tz = _tz()
    lim = timezone.localtime(limit, tz)
    index = lim.year * 12 + lim.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last_here = month_calendar.monthrange(year, month)[1]
    last_there = month_calendar.monthrange(lim.year, lim.month)[1]
    first = dt.date(year, month, 1)
    # days before lim.day land on an earlier day of lim's month: the whole day meets the test
    q = Q(stage_changed_at__lt=_local_midnight(first + dt.timedelta(days=min(lim.day, last_here + 1) - 1)))
    # days that land on lim.day itself meet it up to lim's time of day
    same = [lim.day] if lim.day < last_there else list(range(last_there, last_here + 1))
    op = "lt" if strict else "lte"
    for day in (d for d in same if d <= last_here):
        start = dt.datetime.combine(dt.date(year, month, day), dt.time(), tzinfo=tz)
        q |= Q(stage_changed_at__gte=start,
               **{f"stage_changed_at__{op}": dt.datetime.combine(start.date(), lim.timetz())})
    return q


def group_q(name: str) -> Q:
    """``group(stage, effective) == name`` as a condition."""
    done = Q(stage__in=sorted(GROUPS["done"])) | Q(stage=S.AGREEMENT_WRITTEN, agreement_effective_at__isnull=False)
    if name == "done":
        return done
    q = ~done
    for other, stages in GROUPS.items():
        if other == name:
            return q & Q(stage__in=sorted(stages))
        q &= ~Q(stage__in=sorted(stages))
    return q


def status_expr(now: dt.datetime | None = None, *, soon: dt.datetime | None = None) -> Case_:
    """``status(due(case), now)`` as an SQL expression: "none", "overdue", "due_soon" or "on_time". ``soon``: the
    instant up to which a deadline counts as "due_soon" (by default ``XIANGZHI_DEADLINE_DUE_SOON_DAYS`` after now;
    the to-do view passes ``workday_horizon``)."""
    now = now or timezone.now()
    soon = soon or now + dt.timedelta(days=settings.XIANGZHI_DEADLINE_DUE_SOON_DAYS)
    fresh = Q(clock__stage=F("stage"), clock__stage_changed_at=F("stage_changed_at"))  # NULL without a clock row
    whens = [
        When(fresh, then=_status(Q(clock__due_at__lt=now), Q(clock__due_at__lte=soon), Q(clock__due_at__isnull=True))),
        When(group_q("done"), then=Value("none")),
    ]
    for stage, rule in STAGE_DEADLINES.items():
        whens += rule.whens(Q(stage=stage), now, soon)
    default = DEFAULT_DEADLINE.whens(Q(pk__isnull=False), now, soon)[0].result
    return Case_(*whens, default=default, output_field=CharField())


def colour_expr(now: dt.datetime | None = None, *, status_sql: object = None) -> Case_:
    """``colour(...)`` of each case as an SQL expression (``status_sql``: the status, by default ``status_expr``)."""
    status_sql = status_sql if status_sql is not None else status_expr(now)
    whens = [When(rule.q(status_sql), then=Value(str(rule.colour))) for rule in COLOUR_RULES]
    return Case_(*whens, default=Value(str(DEFAULT_COLOUR)), output_field=CharField())


def with_colour(qs: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    """``qs`` with the aliases ``xz_status`` and ``xz_colour``: the deadline status and colour each case shows."""
    now = now or timezone.now()
    return qs.alias(xz_status=status_expr(now)).alias(xz_colour=colour_expr(now, status_sql=F("xz_status")))


def overdue_q(now: dt.datetime | None = None) -> Q:
    """Open and past the deadline of its stage (``status(due(case), now) == "overdue"``)."""
    return Q(stage__in=sorted(OPEN_STAGES)) & Q(Exact(status_expr(now), "overdue"))


def workday_horizon(now: dt.datetime, n: int) -> dt.datetime:
    """The end of the ``n``-th working day after ``now``'s local date (``core.workdays``): a deadline at or before it
    falls "within ``n`` working days"."""
    return end_of_day(workdays.add_workdays(timezone.localtime(now, _tz()).date(), n, workdays.calendar()))


def due_within(c: object, now: dt.datetime, n: int) -> bool:
    """The case's deadline (``due``) has not passed and falls within ``n`` working days (``workday_horizon``): the
    Python twin of ``status_expr(now, soon=workday_horizon(now, n)) == "due_soon"``."""
    due_at = due(c)
    return due_at is not None and now <= due_at <= workday_horizon(now, n)
