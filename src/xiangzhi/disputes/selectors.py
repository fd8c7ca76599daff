"""Every read of cases. ``cases_visible_to(user)`` is the single source for lists and the API; request handlers get
one case only through ``access_case`` (404 for what the user may not see) or, for parties, ``case_for_token``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import operator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Case as Case_
from django.db.models import CharField, F, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from xiangzhi.core import crypto
from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import Role
from xiangzhi.core.models import Region
from xiangzhi.core.workdays import deadline_after

from . import deadlines, joint, rules
from .colours import colour_for, colour_label
from .enums import NEXT_STEP, CaseStage, Colour
from .models import Case, DisputeType, MediationExtension, Party, Seal, Signature, TimelineEvent

S = CaseStage


def _minimal(codes: list[str]) -> list[str]:
    kept: list[str] = []
    for code in sorted(codes):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return kept


@dataclass
class _Visibility:
    """What a staff user may see: cases under these region-code prefixes, or matching one of ``terms``."""

    prefixes: list[str]
    terms: list[Q]

    def q(self) -> Q:
        q = Q(pk__in=[])
        for code in self.prefixes:
            q |= Q(region_code__startswith=code)
        for term in self.terms:
            q |= term
        return q


def _visibility(user) -> _Visibility | None:  # noqa: ANN001
    if not core_rules.is_staff_member(user):
        return None
    terms = [Q(organisation_id=org) for org in sorted(rules.org_ids_for(user))]
    terms += [Q(referral_org_id=org) for org in sorted(rules.org_ids_for(user, frozenset({Role.LIAISON})))]
    terms.append(Q(mediator_id=user.pk))
    terms.append(joint.shared_case_q(user))  # 联动联办: cases shared with the user's department
    return _Visibility(_minimal(rules.codes_for(user, rules.DISPUTE_ROLES)), terms)


def cases_visible_to(user) -> QuerySet[Case]:  # noqa: ANN001
    """Cases whose place lies in the user's dispute jurisdiction, or handled by the user's organisation, or assigned
    to the user; a department liaison sees the cases their organisation referred. Everyone else: nothing."""
    vis = _visibility(user)
    return Case.objects.none() if vis is None else Case.objects.filter(vis.q())


def access_case(user, pk: int) -> Case:  # noqa: ANN001
    case = cases_visible_to(user).select_related("dispute_type", "organisation", "region", "mediator").filter(
        pk=pk).first()
    if case is None:
        raise Http404
    return case


def case_for_token(token: str) -> Case:
    if not token or len(token) < 20:
        raise Http404
    case = Case.objects.select_related("dispute_type", "organisation", "region").filter(token=token).first()
    if case is None:
        raise Http404
    return case


def case_by_number(number: str) -> Case | None:
    """For the command line and the public lookup (which shows only the stage)."""
    number = (number or "").strip()
    return Case.objects.filter(Q(number=number) | Q(archive_number=number)).first()


def party_of(user, case: Case) -> Party | None:  # noqa: ANN001
    """The party of ``case`` that this signed-in citizen is (by account or by verified phone), or None."""
    if not core_rules.is_citizen(user):
        return None
    q = Q(person__user_id=user.pk)
    if user.phone:
        q |= Q(person__phone_index=crypto.blind_index(user.phone, purpose="person.phone"))
    return case.parties.filter(q).select_related("person").order_by("order", "id").first()


def cases_of_citizen(user) -> QuerySet[Case]:  # noqa: ANN001
    if not core_rules.is_citizen(user):
        return Case.objects.none()
    q = Q(parties__person__user_id=user.pk)
    if user.phone:
        q |= Q(parties__person__phone_index=crypto.blind_index(user.phone, purpose="person.phone"))
    return Case.objects.filter(q).distinct().order_by("-id")


@dataclass(frozen=True)
class RepeatLink:
    """The earlier case a repeat dispute is linked to, as one viewer may see it: its id and number when the viewer
    may open it (``cases_visible_to``); otherwise only that a related case exists elsewhere."""

    case_id: int | None
    number: str | None

    @property
    def visible(self) -> bool:
        return self.case_id is not None

    @property
    def text(self) -> str:
        if self.visible:
            return f"与此前案件 {self.number} 为同一当事人的纠纷，已关联"
        return "与其他辖区的一宗同一当事人的纠纷关联（该案不在您的查看范围内）"


def repeat_link(user, case: Case) -> RepeatLink | None:  # noqa: ANN001
    """The repeat-dispute link of ``case`` for ``user``, or None when the case is no repeat."""
    if not case.repeat_of_id:
        return None
    number = cases_visible_to(user).filter(pk=case.repeat_of_id).values_list("number", flat=True).first()
    return RepeatLink(case.repeat_of_id, number) if number else RepeatLink(None, None)


def staff_timeline(user, case: Case) -> list[TimelineEvent]:  # noqa: ANN001
    """The case's whole history for a staff viewer (page and API). A repeat-dispute event names the earlier case only
    when the viewer may see it; the rows themselves are never changed (the text is replaced in memory only)."""
    from .enums import EventKind

    events = list(case.timeline.select_related("actor").order_by("at", "id"))
    link = None
    for event in events:
        if event.kind == EventKind.REPEAT:
            link = link or repeat_link(user, case) or RepeatLink(None, None)
            event.text = link.text
    return events


def public_timeline(case: Case) -> list[TimelineEvent]:
    return list(case.timeline.filter(public=True).order_by("at", "id"))


def agreement_digest(case: Case) -> str:
    """SHA-256 of the written agreement's text: what a party read is what they sign (also in the signature event)."""
    return hashlib.sha256(case.agreement_text.encode()).hexdigest()


@dataclass
class AgreementForParty:
    """A written agreement awaiting signatures, as one party sees it on the status page: the text, who has signed
    (masked names), whether the mediator has signed and the seal is applied, and this party's own signature."""

    text: str
    amount: object
    digest: str
    signers: list[tuple[str, str, dt.datetime | None]]  # (role, masked name, signed at)
    mediator_signed: bool
    sealed: bool
    signed_at: dt.datetime | None  # this party's signature


def agreement_for_party(case: Case, party: Party, parties: list[Party] | None = None) -> AgreementForParty | None:
    """None unless the case holds a written agreement that has not yet taken effect. Two queries."""
    if case.stage != S.AGREEMENT_WRITTEN or case.agreement_effective_at is not None:
        return None
    parties = parties if parties is not None else list(case.parties.select_related("person"))
    signed: dict[int, dt.datetime] = {}
    mediator_signed = False
    for party_id, mediator_id, at in Signature.objects.filter(case=case).values_list("party_id", "mediator_id",
                                                                                       "signed_at"):
        if party_id:
            signed[party_id] = at
        elif mediator_id and mediator_id == case.mediator_id:
            mediator_signed = True
    return AgreementForParty(
        text=case.agreement_text, amount=case.agreement_amount, digest=agreement_digest(case),
        signers=[(p.get_role_display(), p.masked_name, signed.get(p.pk)) for p in parties],
        mediator_signed=mediator_signed, sealed=Seal.objects.filter(case=case).exists(),
        signed_at=signed.get(party.pk))


@dataclass
class CaseFilters:
    mine: bool = False
    queue: bool = False
    stage: str = ""
    type_code: str = ""
    colour: str = ""
    region: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params) -> CaseFilters:  # noqa: ANN001
        f = cls(mine=params.get("scope") == "mine", queue=params.get("scope") == "queue",
                stage=params.get("stage", ""), type_code=params.get("type", ""), colour=params.get("colour", ""),
                region=params.get("region", ""))
        if f.stage and f.stage not in CaseStage.values:
            f.errors.append("阶段无效。")
            f.stage = ""
        if f.colour and f.colour not in Colour.values:
            f.errors.append("颜色无效。")
            f.colour = ""
        if f.region and not f.region.isdigit():
            f.errors.append("区划代码无效。")
            f.region = ""
        for name in ("date_from", "date_to"):
            raw = params.get(name, "")
            if raw:
                try:
                    setattr(f, name, dt.date.fromisoformat(raw))
                except ValueError:
                    f.errors.append("日期格式应为 YYYY-MM-DD。")
        return f


# ----------------------------------------------------------------------------------------------------------------
# 五色管理 in SQL: the colour each row shows (``deadlines.colour_info``), usable as a filter
# ----------------------------------------------------------------------------------------------------------------
def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _workday_cut(limit: dt.datetime, workdays: int, *, strict: bool) -> dt.datetime:
    """The instant X such that a stage begun at t has its working-day deadline (``deadlines.due_for``) before
    ``limit`` (``strict``) or at/before it (not ``strict``) exactly when t < X. The deadline is the end of the
    ``workdays``-th working day after the local date the stage began, so it never moves back when that date moves
    on: the dates that meet the test are all those before one date, found here with the same calendar."""
    cal = deadlines._calendar()

    def meets(day: dt.date) -> bool:
        due = deadlines._end_of_day(deadlines.add_workdays_fast(day, workdays, cal))
        return due < limit if strict else due <= limit

    day = timezone.localtime(limit, ZoneInfo(settings.TIME_ZONE)).date()
    while meets(day):
        day += dt.timedelta(days=1)
    while not meets(day - dt.timedelta(days=1)):
        day -= dt.timedelta(days=1)
    return _local_midnight(day)


def _months_cut(limit: dt.datetime, months: int, *, strict: bool) -> Q:
    """``stage_changed_at`` values t for which ``deadlines.add_months(local t, months)`` (the mediation deadline) is
    before ``limit`` (``strict``) or at/before it. The month arithmetic clamps the day (31 January + 1 month = 28
    February), so near a month's end this is a prefix plus a few ranges, not one cut-off."""
    tz = ZoneInfo(settings.TIME_ZONE)
    lim = timezone.localtime(limit, tz)
    index = lim.year * 12 + lim.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last_here = calendar.monthrange(year, month)[1]
    last_there = calendar.monthrange(lim.year, lim.month)[1]
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


def _deadline_status_expr(now: dt.datetime) -> Case_:
    """``deadlines.deadline_status(deadlines.due_for(case), now)`` as an SQL expression: "none", "overdue",
    "due_soon" or "on_time".

    ``due_for`` takes the deadline from the case clock when the clock was computed for the current stage; otherwise
    (no clock row yet, or a stage change since the last colour pass) from the stage: the confirmation deadline,
    one month of mediation (plus an extension), or a number of working days. Each branch here is exact."""
    cfg = deadlines.config()
    soon = now + dt.timedelta(days=cfg["due_soon_days"])

    def status(overdue: Q, due_soon: Q, none: Q | None = None) -> Case_:
        whens = [When(none, then=Value("none"))] if none is not None else []
        whens += [When(overdue, then=Value("overdue")), When(due_soon, then=Value("due_soon"))]
        return Case_(*whens, default=Value("on_time"), output_field=CharField())

    fresh = Q(clock__stage=F("stage"), clock__stage_changed_at=F("stage_changed_at"))  # NULL without a clock row
    whens = [
        When(fresh, then=status(Q(clock__due_at__lt=now), Q(clock__due_at__lte=soon), Q(clock__due_at__isnull=True))),
        When(Q(stage__in=sorted(deadlines.DONE_STAGES)) | Q(stage=S.AGREEMENT_WRITTEN, agreement_effective_at__isnull=False),
             then=Value("none")),
        When(Q(stage=S.ASSIGNED, confirm_due__isnull=False),
             then=status(Q(confirm_due__lt=now), Q(confirm_due__lte=soon))),
    ]
    extensions = sorted(set(MediationExtension.objects.values_list("months", flat=True).distinct()))
    for extra, has in [(0, Q(extension__isnull=True)), *[(k, Q(extension__months=k)) for k in extensions]]:
        months = cfg["mediation_months"] + extra
        whens.append(When(Q(stage=S.IN_MEDIATION) & has, then=status(
            _months_cut(now, months, strict=True), _months_cut(soon, months, strict=False))))

    def by_workdays(n: int) -> Case_:
        return status(Q(stage_changed_at__lt=_workday_cut(now, n, strict=True)),
                      Q(stage_changed_at__lt=_workday_cut(soon, n, strict=False)))

    whens += [When(stage=S.NOTICE_SERVED, then=by_workdays(cfg["notice_workdays"])),
              When(stage=S.AGREEMENT_WRITTEN, then=by_workdays(cfg["signing_workdays"]))]
    return Case_(*whens, default=by_workdays(cfg["accept_workdays"]), output_field=CharField())


def _group_q(group: str) -> Q:
    """``deadlines.stage_group`` as a condition."""
    done = Q(stage__in=sorted(deadlines.DONE_STAGES)) | Q(stage=S.AGREEMENT_WRITTEN, agreement_effective_at__isnull=False)
    if group == "done":
        return done
    if group == "escalated":
        return Q(stage=S.ESCALATED)
    if group == "new":
        return Q(stage__in=sorted(deadlines.NEW_STAGES))
    return ~done & ~Q(stage=S.ESCALATED) & ~Q(stage__in=sorted(deadlines.NEW_STAGES))


def colour_expr(now: dt.datetime | None = None) -> Case_:
    """The colour a case shows (``deadlines.colour_info``: the first rule of the colour table that matches risk level
    × deadline status × stage group) as an SQL expression. Annotate ``xz_status`` with ``_deadline_status_expr``
    first. Filtering on it lists exactly the cases whose rows show that colour."""
    whens = []
    for rule in deadlines.colour_rules():
        q = Q(pk__isnull=False)
        if "risk" in rule:
            q &= Q(risk_level__in=list(rule["risk"]))
        if "status" in rule:
            q &= Q(xz_status__in=list(rule["status"]))
        if "groups" in rule:
            groups = [_group_q(g) for g in rule["groups"]]
            q &= functools.reduce(operator.or_, groups)
        whens.append(When(q, then=Value(str(rule["colour"]))))
    return Case_(*whens, default=Value(str(Colour.YELLOW)), output_field=CharField())


def with_colour(qs: QuerySet[Case], now: dt.datetime | None = None) -> QuerySet[Case]:
    """``qs`` with ``xz_colour``: the colour each case shows at ``now``."""
    now = now or timezone.now()
    return qs.alias(xz_status=_deadline_status_expr(now)).alias(xz_colour=colour_expr(now))


# A jurisdiction of at most this many region codes (a village and its grids) is listed branch by branch.
BRANCH_MAX_CODES = 16


def workbench_cases(user, filters: CaseFilters, *, after: int | None = None, limit: int = 50,  # noqa: ANN001
                    now: dt.datetime | None = None) -> tuple[list[Case], int | None]:
    """One page of the workbench list, newest first, with keyset pagination (``after`` = last id seen).

    No COUNT(*): one query for the page (limit + 1 rows tell whether there is a next page), whose cost does not grow
    with the table:
    - a wide jurisdiction (a town, the county) holds a large share of all cases, so walking the id index newest
      first meets ``limit`` of them after a number of rows set by that share, not by the table size;
    - a narrow one (a village and its grids, plus the user's organisation, own cases, referrals and shared cases)
      would make that walk pass over nearly the whole table, so each part of it is read on its own index ending in
      id — ``region_code = code``, ``organisation_id = org``, ``mediator_id = me``… each newest first, at most
      ``limit`` + 1 ids — and the page is the newest of their union.
    """
    vis = _visibility(user)
    if vis is None:
        return [], None
    qs = Case.objects.all()
    if filters.mine:
        qs = qs.filter(mediator_id=user.pk)
    if filters.queue:
        qs = qs.filter(organisation_id__in=sorted(rules.org_ids_for(user)) or [0])
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.type_code:
        type_id = DisputeType.objects.filter(code=filters.type_code).values_list("id", flat=True).first()
        qs = qs.filter(dispute_type_id=type_id or 0)
    if filters.colour in Colour.values:
        # "none of the other colours" (the expression always yields one of the five): a planner that cannot estimate
        # the expression then expects most rows to match and reads the id index newest first, stopping after a
        # page, where "= colour" (estimated at 0.5 %) made PostgreSQL fetch and sort every case of the branch
        others = sorted(set(Colour.values) - {filters.colour})
        qs = with_colour(qs, now).filter(~Q(xz_colour__in=others))
    if filters.region:
        qs = qs.filter(region_code__startswith=filters.region)
    if filters.date_from:
        qs = qs.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(created_at__date__lte=filters.date_to)
    if after:
        qs = qs.filter(id__lt=after)
    codes: list[str] = []
    if vis.prefixes:
        codes = list(Region.objects.filter(functools.reduce(operator.or_, [Q(code__startswith=p) for p in vis.prefixes]))
                     .order_by("code").values_list("code", flat=True)[: BRANCH_MAX_CODES + 1])
    if len(codes) > BRANCH_MAX_CODES:
        page = qs.filter(vis.q())
    else:
        branches = [qs.filter(region_code=code) for code in codes] + [qs.filter(term) for term in vis.terms]
        page = Case.objects.filter(_newest_of_each(branches, limit + 1))
    rows = list(page.select_related("dispute_type", "region", "organisation", "clock").order_by("-id")[: limit + 1])
    next_after = rows[limit - 1].pk if len(rows) > limit else None
    rows = rows[:limit]
    _prefetch_extensions(rows)
    return rows, next_after


def _newest_of_each(branches: list[QuerySet[Case]], n: int) -> Q:
    """Cases among the newest ``n`` of some branch. PostgreSQL: one ``UNION ALL`` of the branches (each an ordered
    index scan with LIMIT), joined by id. SQLite cannot put LIMIT in the arms of a compound SELECT, so there each
    branch is its own ``id IN (…)`` list and the planner reads them index by index (MULTI-INDEX OR)."""
    newest = [b.order_by("-id").values("id")[:n] for b in branches]
    if connection.features.supports_slicing_ordering_in_compound:
        return Q(pk__in=newest[0].union(*newest[1:], all=True))
    return functools.reduce(operator.or_, [Q(pk__in=b) for b in newest])


def _prefetch_extensions(rows: list[Case]) -> None:
    """One query for the mediation extensions of a page of cases, so the colour and countdown of each row cost none
    (deadlines._extension_months reads the value cached here)."""
    from .models import MediationExtension

    months = dict(MediationExtension.objects.filter(case_id__in=[c.pk for c in rows]).values_list("case_id", "months"))
    for c in rows:
        c.__dict__["_xz_extension_months"] = months.get(c.pk, 0)


def stage_info(case: Case, *, with_due: bool = True) -> dict:
    """What a page shows of a case's stage: its label, colour (and the colour's label), the next step and when it is
    due (``with_due``). Read by disputes' pages and API and by insights' case lists."""
    colour = colour_for(case, timezone.now())
    step, days = NEXT_STEP.get(case.stage, ("", None))
    due = deadline_after(case.stage_changed_at, days) if days and with_due else None
    label = str(CaseStage(case.stage).label)
    if case.stage == CaseStage.AGREEMENT_WRITTEN and case.agreement_effective_at:
        label, step, due = "达成协议（协议已生效）", "调解员将回访协议履行情况", None
    return {"stage_label": label, "colour": colour, "colour_label": colour_label(colour), "next_step": step,
            "due": due}


# The case page's panels from other apps (templates included below the actions, in registration order). An app
# above disputes registers its panel in its AppConfig.ready(), so that disputes' templates name none of its.
CASE_PANELS: list[str] = []


def register_case_panel(template_name: str) -> None:
    """Show ``template_name`` on the staff case page (context: ``case``, ``request``). Registering again changes
    nothing."""
    if template_name not in CASE_PANELS:
        CASE_PANELS.append(template_name)


__all__ = ["access_case", "agreement_for_party", "case_for_token", "cases_visible_to", "colour_for", "party_of", "stage_info", "workbench_cases"]
