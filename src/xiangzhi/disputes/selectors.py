"""Every read of cases. ``cases_visible_to(user)`` is the single source for lists and the API; request handlers get
one case only through ``access_case`` (404 for what the user may not see) or, for parties, ``case_for_token``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import operator
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case as Case_
from django.db.models import CharField, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.lookups import Exact
from django.http import Http404
from django.utils import timezone

from xiangzhi.core import crypto
from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import OrgKind, RegionLevel, Role
from xiangzhi.core.models import Organisation, Person, Region, User

from . import colours, rules
from .colours import with_colour
from .enums import NEXT_STEP, CaseStage, Colour, Consent, EventKind, Level, PartyRole, RecusalStatus
from .import_format import live_progress
from .models import (
    Case,
    DisputeType,
    ExtensionConsent,
    Feedback,
    ImportJob,
    JointTask,
    MediationExtension,
    MediatorConflict,
    Party,
    RecusalRequest,
    Seal,
    Signature,
    TimelineEvent,
)
from .numbers import MAX_TYPED, parse_case_number

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
    terms.append(_shared_cases_q(user))  # 联动联办: cases shared with the user's department
    return _Visibility(_minimal(rules.codes_for(user, rules.DISPUTE_ROLES)), terms)


def _shared_cases_q(user) -> Q:  # noqa: ANN001
    """Cases in which the user's department (liaison membership) holds an active joint task."""
    orgs = rules.liaison_orgs(user)
    if not orgs:
        return Q(pk__in=[])
    return Q(pk__in=JointTask.objects.filter(organisation_id__in=orgs, status__in=rules.JOINT_ACTIVE).values("case_id"))


def cases_visible_to(user) -> QuerySet[Case]:  # noqa: ANN001
    """Cases whose place lies in the user's dispute jurisdiction, or handled by the user's organisation, or assigned
    to the user; a department liaison sees the cases their organisation referred. Everyone else: nothing."""
    vis = _visibility(user)
    return Case.objects.none() if vis is None else Case.objects.filter(vis.q())


def is_visible_to(user, case: Case) -> bool:  # noqa: ANN001
    """May ``user`` open ``case`` on the workbench (扫码办理 from the QR page)?"""
    return core_rules.is_staff_member(user) and cases_visible_to(user).filter(pk=case.pk).exists()


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


def number_q(typed: str, *, today: dt.date | None = None) -> Q | None:
    """The case whose number (or file number) is ``typed`` as people type it (``numbers.parse_case_number``: a bare
    sequence number is one of the current year), as a condition; None when ``typed`` is no case number."""
    parsed = parse_case_number(typed, current_year=(today or timezone.localdate()).year)
    if parsed is None:
        return None
    return Q(year=parsed[0], seq=parsed[1])


def case_by_number(number: str, *, today: dt.date | None = None) -> Case | None:
    """For the command line and the public lookup (which shows only the stage): the case ``number`` names, however it
    is typed (``number_q``)."""
    q = number_q(number, today=today)
    return Case.objects.filter(q).first() if q is not None else None


# ----------------------------------------------------------------------------------------------------------------
# Successful mediations (成功调处), as the county's report counts them
# ----------------------------------------------------------------------------------------------------------------
NOT_ACCEPTED_YET = (S.REPORTED, S.NOT_ACCEPTED)
# The organisations of the town and the village: a grid worker's on-the-spot settlement (一米调解, level "grid") is
# the village's, the grid being part of it. What is left is the county's (its centre and county-level committees).
LOCAL_LEVELS = (Level.GRID, Level.VILLAGE, Level.TOWN)


def reopened_after_agreement() -> Exists:
    """The case was reopened (重新启动: a party reported the agreement not performed) at or after the moment its
    agreement took effect: that agreement failed. A reopening at the same instant counts as after it (an agreement
    precedes the report that it was not performed)."""
    return Exists(TimelineEvent.objects.filter(case_id=OuterRef("pk"), kind=EventKind.TRANSITION,
                                               stage_to=S.REOPENED, at__gte=OuterRef("agreement_effective_at")))


def accepted_q() -> Q:
    """受理: every case except those still awaiting acceptance (已申报) and those not accepted (不予受理)."""
    return ~Q(stage__in=NOT_ACCEPTED_YET)


def successful_q() -> Q:
    """成功调处 (a successful mediation), as the county's report counts "成功调处矛盾纠纷" (domain.md A; 人民调解法
    第28–30条): an accepted case whose agreement is in effect and has not failed since —

    - in effect: ``agreement_effective_at`` is set, which happens when an oral agreement is recorded (stage
      达成协议（口头）, including a grid worker's on-the-spot settlement) or when a written agreement has every
      party's and the mediator's signature and the committee's seal (``services.agreement``), or when a historical
      case is imported as closed with an agreement; it stays set through 回访中, 已结案 and 已归档;
    - not failed since: the case was not reopened at or after that moment (``reopened_after_agreement``). A case
      reopened because the agreement was not performed is a success again only once a new agreement takes effect
      (which sets ``agreement_effective_at`` after the reopening); while it is mediated again, and if that mediation
      is terminated and the case closed, it is not one. A written agreement not yet signed and sealed is not one.
    """
    return accepted_q() & Q(agreement_effective_at__isnull=False) & ~reopened_after_agreement()


def local_q() -> Q:
    """Handled by a town or village organisation (镇、村调解组织; a grid's on-the-spot settlement counts as the
    village's): the level of the organisation that handled the case at the end (承办层级), as escalation moves it."""
    return Q(level__in=LOCAL_LEVELS)


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
    """SHA-256 of the written agreement's version: what a party read is what they sign (also in the signature event).
    The version is the text and, when set, the other particulars of 人民调解法 第29条 (facts and issues,
    responsibilities, manner and place of performance, deadline) and the parties' details the agreement states
    (``agreement_version``), so a change to any of them is a new version that needs every signature again. An
    agreement with no particulars (made before they were recorded) keeps the digest of its text alone."""
    version = agreement_version(case)
    if not any(v for k, v in version.items() if k != "text"):
        return hashlib.sha256(case.agreement_text.encode()).hexdigest()
    return hashlib.sha256(json.dumps(version, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def agreement_version(case: Case) -> dict:
    """The written agreement's content as its signatures bind it: the particulars, and the parties' basic details
    (name, sex; the personal ones — ID number, address, ethnicity, occupation — as keyed blind indexes, so the digest
    a party sees cannot be searched for another party's data)."""
    parties = []
    if case.agreement_facts or case.agreement_responsibilities or case.agreement_performance or case.agreement_due:
        def keyed(value: str) -> str:
            return crypto.blind_index(value, purpose="agreement.party") if value else ""

        for p in case.parties.select_related("person").order_by("order", "id"):
            person = p.person
            parties.append({"role": p.role, "name": person.name if person else p.org_name, "sex": p.sex,
                            "id_number": keyed(person.id_number if person else ""),
                            "address": keyed(person.address if person else ""),
                            "ethnicity": keyed(p.ethnicity), "occupation": keyed(p.occupation)})
    return {"text": case.agreement_text, "facts": case.agreement_facts,
            "responsibilities": case.agreement_responsibilities, "performance": case.agreement_performance,
            "due": case.agreement_due.isoformat() if case.agreement_due else "", "parties": parties}


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


@dataclass(frozen=True)
class AgreementSigning:
    """Who has signed and sealed the current version of a case's written agreement (人民调解法 第29条): only
    signatures and a seal bound to this text's digest count; those of an earlier version do not."""

    digest: str
    signed_parties: dict[int, dt.datetime]  # party id → signed at
    mediator_signed: bool
    sealed: bool


def agreement_signing(case: Case) -> AgreementSigning:
    """The signatures and seal of the agreement's current text. Two queries."""
    digest = agreement_digest(case)
    signed: dict[int, dt.datetime] = {}
    mediator_signed = False
    for party_id, mediator_id, at in Signature.objects.filter(case=case, agreement_sha256=digest).values_list(
            "party_id", "mediator_id", "signed_at"):
        if party_id:
            signed[party_id] = at
        elif mediator_id and mediator_id == case.mediator_id:
            mediator_signed = True
    return AgreementSigning(digest, signed, mediator_signed,
                            Seal.objects.filter(case=case, agreement_sha256=digest).exists())


def agreement_for_party(case: Case, party: Party, parties: list[Party] | None = None) -> AgreementForParty | None:
    """None unless the case holds a written agreement that has not yet taken effect. Three queries."""
    if not rules.agreement_signable(case):
        return None
    parties = parties if parties is not None else list(case.parties.select_related("person"))
    signing = agreement_signing(case)
    return AgreementForParty(
        text=case.agreement_text, amount=case.agreement_amount, digest=signing.digest,
        signers=[(p.get_role_display(), p.masked_name, signing.signed_parties.get(p.pk)) for p in parties],
        mediator_signed=signing.mediator_signed, sealed=signing.sealed,
        signed_at=signing.signed_parties.get(party.pk))


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
    number: str = ""  # a case number as typed (number_q); one that is no case number matches no case
    todo: str = ""  # one group of the to-do view (TODO_GROUPS)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params) -> CaseFilters:  # noqa: ANN001
        f = cls(mine=params.get("scope") == "mine", queue=params.get("scope") == "queue",
                stage=params.get("stage", ""), type_code=params.get("type", ""), colour=params.get("colour", ""),
                region=params.get("region", ""), number=(params.get("number") or "").strip()[:MAX_TYPED],
                todo=params.get("todo", ""))
        if f.todo and f.todo not in TODO_GROUPS:
            f.errors.append("待办分组无效。")
            f.todo = ""
        if f.number and number_q(f.number) is None:
            f.errors.append("案件编号无法识别，请输入如 5335、2026-5335 或 桐解〔2026〕05335号。")
        if f.stage and f.stage not in CaseStage.values:
            f.errors.append("阶段无效。")
            f.stage = ""
        if f.colour and f.colour not in Colour.values:
            f.errors.append("颜色无效。")
            f.colour = ""
        if f.region and not f.region.isdigit():
            f.errors.append("地点无效，请从列表中选择镇、村（社区）。")
            f.region = ""
        for name in ("date_from", "date_to"):
            raw = params.get(name, "")
            if raw:
                try:
                    setattr(f, name, dt.date.fromisoformat(raw))
                except ValueError:
                    f.errors.append("日期格式应为 YYYY-MM-DD。")
        return f


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
    if filters.number:
        by_number = number_q(filters.number, today=timezone.localdate(now))
        if by_number is None:
            return [], None
        qs = qs.filter(by_number)
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
    if filters.todo:
        qs = qs.filter(todo_q(user, filters.todo, now or timezone.now()))
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
    (colours.extension_months reads the value cached here)."""

    months = dict(MediationExtension.objects.filter(case_id__in=[c.pk for c in rows]).values_list("case_id", "months"))
    for c in rows:
        c.__dict__["_xz_extension_months"] = months.get(c.pk, 0)


def extension_of(case: Case) -> MediationExtension | None:
    """The case's mediation extension with each party's consent (``consents``, party and recorder read with them)."""
    return (MediationExtension.objects.filter(case=case).select_related("granted_by")
            .prefetch_related(Prefetch("consents", ExtensionConsent.objects.select_related(
                "party__person", "recorded_by"))).first())


def stage_info(case: Case, *, with_due: bool = True) -> dict:
    """What a page shows of a case's stage: its label, colour (and the colour's label), the next step and when it is
    due (``with_due``): the real deadline of the stage, by the same rule as the workbench's countdown (``colours``).
    Read by disputes' pages and API and by insights' case lists."""
    info = colours.info(case, timezone.now())
    step, _days = NEXT_STEP.get(case.stage, ("", None))
    due = info.due if with_due else None
    label = str(CaseStage(case.stage).label)
    if case.stage == CaseStage.AGREEMENT_WRITTEN and case.agreement_effective_at:
        label, step, due = "达成协议（协议已生效）", "调解员将回访协议履行情况", None
    return {"stage_label": label, "colour": info.colour, "colour_label": info.word, "next_step": step, "due": due}


# The case page's panels from other apps (templates included below the actions, in registration order). An app
# above disputes registers its panel in its AppConfig.ready(), so that disputes' templates name none of its.
CASE_PANELS: list[str] = []


def register_case_panel(template_name: str) -> None:
    """Show ``template_name`` on the staff case page (context: ``case``, ``request``). Registering again changes
    nothing."""
    if template_name not in CASE_PANELS:
        CASE_PANELS.append(template_name)


__all__ = ["access_case", "access_job", "access_task", "active_task_orgs", "agreement_for_party", "assignable_mediators",
           "case_for_token", "cases_visible_to", "departments", "feedback_of", "intake_villages", "is_visible_to",
           "jobs_of", "overview", "party_of", "referral_departments", "stage_info", "tasks_for_liaison",
           "workbench_cases"]


def jobs_of(user) -> QuerySet[ImportJob]:  # noqa: ANN001
    """The import jobs a user started (newest first); nobody else's."""
    return ImportJob.objects.filter(created_by=user).order_by("-id") if rules.can_import(user) else ImportJob.objects.none()


def access_job(user, pk: int) -> ImportJob:  # noqa: ANN001
    """One of the user's own import jobs, or 404 (a job of someone else is not revealed)."""
    from xiangzhi.core.errors import NotFound

    job = jobs_of(user).filter(pk=pk).first()
    if job is None:
        raise NotFound()
    return live_progress(job)


def tasks_for_liaison(user) -> QuerySet[JointTask]:  # noqa: ANN001
    return (JointTask.objects.filter(organisation_id__in=rules.liaison_orgs(user) or [0])
            .select_related("case", "organisation").order_by("-invited_at", "-id"))


def access_task(user, pk: int) -> JointTask:  # noqa: ANN001
    """A task of the user's department, or one of a case the user leads; 404 otherwise."""
    task = JointTask.objects.select_related("case", "organisation").filter(pk=pk).first()
    if task is None or not rules.can_open_task(user, task):
        raise Http404
    return task


def active_task_orgs(case: Case) -> set[int]:
    """The organisations holding an active joint task in ``case`` (the fact ``rules.shares_case`` decides on)."""
    return set(JointTask.objects.filter(case=case, status__in=rules.JOINT_ACTIVE)
               .values_list("organisation_id", flat=True))


@dataclass
class TaskRow:
    task: JointTask
    late: bool
    replies: int


def overview(case: Case, now: dt.datetime | None = None) -> list[TaskRow]:
    """For the lead: every task of the case, who answered, who is late (open after the deadline)."""
    now = now or timezone.now()
    tasks = case.joint_tasks.select_related("organisation").annotate(n=Count("replies")).order_by("invited_at", "id")
    return [TaskRow(task=t, late=rules.task_late(t, now), replies=t.n) for t in tasks]


# ----------------------------------------------------------------------------------------------------------------
# What the pages offer to choose from
# ----------------------------------------------------------------------------------------------------------------
def assignable_mediators(user, case: Case) -> list[User]:  # noqa: ANN001
    """The mediators the case page offers when assigning ``case``: its organisation's active mediators (the ones
    transitions accepts), and the user themselves when they are a mediator."""
    mediators = list(User.objects.filter(
        is_active=True, memberships__role=Role.MEDIATOR, memberships__is_active=True,
        memberships__organisation_id=case.organisation_id).distinct().order_by("username")) if case.organisation_id else []
    if user not in mediators and rules.codes_for(user, frozenset({Role.MEDIATOR})):
        mediators.insert(0, user)
    return mediators


def recusal_facts(case: Case, mediator_id: int, *, parties: list[Party] | None = None,
                  memo: dict | None = None) -> dict:
    """The facts ``rules.mediator_recused`` decides on, for ``mediator_id`` on ``case``: the blind indexes (phone,
    身份证号) of the persons who are the mediator (core persons linked to their account) and of the parties, the
    accounts of the parties' persons, and the mediators declared in conflict or taken off at a party's request.
    ``parties``: the parties of a case not saved yet (in memory, with their persons); ``memo``: a batch's kept reads."""
    def mediator_keys() -> list[str]:
        return [k for pair in Person.objects.filter(user_id=mediator_id).values_list("phone_index", "id_number_index")
                for k in pair if k]

    if memo is None:
        keys = mediator_keys()
    else:
        if ("mediator_keys", mediator_id) not in memo:
            memo[("mediator_keys", mediator_id)] = mediator_keys()
        keys = memo[("mediator_keys", mediator_id)]
    if parties is None:
        persons = list(Party.objects.filter(case_id=case.pk, person__isnull=False).values_list(
            "person__phone_index", "person__id_number_index", "person__user_id"))
        declared = {*MediatorConflict.objects.filter(case_id=case.pk).values_list("mediator_id", flat=True),
                    *RecusalRequest.objects.filter(case_id=case.pk, status=RecusalStatus.GRANTED)
                    .values_list("mediator_id", flat=True)}
    else:
        persons = [(p.person.phone_index, p.person.id_number_index, p.person.user_id) for p in parties if p.person]
        declared = set()
    return {"mediator_id": mediator_id, "mediator_keys": keys,
            "party_keys": [k for phone, ident, _ in persons for k in (phone, ident) if k],
            "party_user_ids": [u for _, _, u in persons if u], "declared": declared}


def recusal_requests(case: Case) -> list[RecusalRequest]:
    """The case's requests for another mediator, oldest first, with their party and the people named."""
    return list(case.recusal_requests.select_related("party__person", "mediator", "decided_by", "new_mediator"))


def pending_recusal(case: Case) -> RecusalRequest | None:
    return case.recusal_requests.filter(status=RecusalStatus.PENDING).select_related("party__person", "mediator").first()


def conflicts_of(case: Case) -> list[MediatorConflict]:
    return list(case.conflicts.select_related("mediator"))


def intake_villages(user) -> list[tuple[str, str]]:  # noqa: ANN001
    """(code, name) of the villages a grid worker or intake staff may register in: those in, or holding, one of
    their intake jurisdictions."""
    codes = rules.codes_for(user, rules.INTAKE_ROLES)
    return [(r.code, r.display_name) for r in Region.objects.filter(level=RegionLevel.VILLAGE, is_active=True)
            .order_by("code") if any(r.code.startswith(c) or c.startswith(r.code) for c in codes)]


def departments() -> QuerySet[Organisation]:
    """Active departments a case can invite into joint handling (联动联办), by name."""
    return Organisation.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True).order_by("name")[:200]


def referral_departments() -> QuerySet[Organisation]:
    """The departments a window intake may name as the referring one (部门移送)."""
    return Organisation.objects.filter(kind=OrgKind.DEPARTMENT).order_by("region__code", "name")


def feedback_of(party: Party) -> Feedback | None:
    """The party's own satisfaction rating of its case, if given."""
    return Feedback.objects.filter(case_id=party.case_id, party=party).first()


# ----------------------------------------------------------------------------------------------------------------
# 待办: the workbench's first page
# ----------------------------------------------------------------------------------------------------------------
# "Due soon" on the to-do view: the deadline (colours' one rule) falls within this many working days.
TODO_DUE_WORKDAYS = 2
# The groups, in priority order: a case appears in the first group it belongs to, so each case is listed once,
# under its most pressing reason.
TODO_GROUPS: dict[str, tuple[str, str]] = {
    "overdue": ("已超期", "已超过本阶段办理期限，请尽快办理"),
    "confirm": ("待确认接案", "已指派给您，请确认接案或退回"),
    "accept": ("待受理", "新申报或上级转来的纠纷，请受理或不予受理"),
    "assign": ("待指派", "已受理，请指派调解员"),
    "due_soon": ("两个工作日内到期", f"本阶段期限在 {TODO_DUE_WORKDAYS} 个工作日内届满"),
    "notice": ("待通知当事人", "有当事人没有手机号、收不到短信，请以书面、村委会或网格员当面等方式通知并记录"),
    "waiting": ("等待当事人", "等待被申请人答复是否同意调解，或等待各方在协议上签名"),
}
TODO_ROWS = 10  # cases shown per group; the rest through the list ("查看全部")
ACCEPT_STAGES = (S.REPORTED, S.ESCALATED)  # stages from which a case is accepted (受理)
ASSIGN_STAGES = (S.ACCEPTED, S.REOPENED)  # accepted, waiting for a mediator


def _handler_or_supervisor_q(user) -> Q:  # noqa: ANN001
    """Cases the user acts on as a handler (their mediation organisation's queue) or a supervisor of the place: the
    condition ``rules.is_handler(user, case) or rules.is_supervisor_of(user, case)`` in SQL."""
    q = Q(pk__in=[])
    orgs = sorted(rules.org_ids_for(user, frozenset({Role.MEDIATOR})))
    if orgs:
        q |= Q(organisation_id__in=orgs)
    for code in _minimal(rules.codes_for(user, rules.SUPERVISOR_ROLES)):
        q |= Q(region_code__startswith=code)
    return q


def _waiting_for_party_q() -> Q:
    """A respondent has not yet answered whether they agree to mediation (in the stages where they answer), or a
    written agreement is still waiting for its signatures and seal."""
    pending = Exists(Party.objects.filter(case_id=OuterRef("pk"), consent=Consent.PENDING)
                     .exclude(role=PartyRole.APPLICANT))
    return (Q(stage__in=sorted(rules.CONSENT_STAGES)) & Q(pending)) | Q(
        stage=S.AGREEMENT_WRITTEN, agreement_effective_at__isnull=True)


def needs_notice_parties_q() -> Q:
    """Parties ``rules.needs_notice`` holds for, in SQL: no phone an SMS reaches (no person, or no phone number), no
    notice recorded, the answer awaited."""
    return ((Q(person__isnull=True) | Q(person__phone_index__isnull=True) | Q(person__phone_index=""))
            & Q(notice_at__isnull=True, consent=Consent.PENDING))


def party_needs_notice(case: Case, party: Party) -> bool:
    """``rules.needs_notice`` for one party of ``case`` (its person read with it), in the stages it is told in."""
    return case.stage in rules.NOTICE_STAGES and rules.needs_notice(has_phone=bool(party.person_id and party.person.phone_index),
                              noticed=party.notice_at is not None, consent=party.consent)


def _needs_notice_q() -> Q:
    """A case waiting for a party whom an SMS cannot reach and who has not been told by a recorded means."""
    return Q(stage__in=sorted(rules.NOTICE_STAGES)) & Q(
        Exists(Party.objects.filter(needs_notice_parties_q(), case_id=OuterRef("pk"))))


def todo_expr(user, now: dt.datetime) -> Case_:  # noqa: ANN001
    """The to-do group of each case for ``user`` (a key of ``TODO_GROUPS``, or NULL), as an SQL expression: the
    first group whose condition holds. Finished cases (colours' "done" group) belong to none."""
    status = colours.status_expr(now, soon=colours.workday_horizon(now, TODO_DUE_WORKDAYS))
    conditions = {
        "overdue": Q(Exact(status, "overdue")),
        "confirm": Q(stage=S.ASSIGNED, mediator_id=user.pk, mediator_confirmed_at__isnull=True),
        "accept": Q(stage__in=ACCEPT_STAGES) & _handler_or_supervisor_q(user),
        "assign": Q(stage__in=ASSIGN_STAGES) & _handler_or_supervisor_q(user),
        "due_soon": Q(Exact(status, "due_soon")),
        "notice": _needs_notice_q(),
        "waiting": _waiting_for_party_q(),
    }
    done = colours.group_q("done")
    return Case_(When(done, then=Value(None)), *[When(conditions[k], then=Value(k)) for k in TODO_GROUPS],
                 default=Value(None), output_field=CharField(null=True))


def todo_q(user, key: str, now: dt.datetime) -> Q:  # noqa: ANN001
    """The cases of one to-do group of ``user`` (to filter the list by it)."""
    return Q(Exact(todo_expr(user, now), key))


@dataclass
class TodoGroup:
    key: str
    label: str
    hint: str
    count: int
    rows: list[Case]


def todo(user, now: dt.datetime | None = None, *, rows: int = TODO_ROWS) -> list[TodoGroup]:  # noqa: ANN001
    """The to-do view of ``user``: each group of ``TODO_GROUPS`` with its count and its first ``rows`` cases (oldest
    stage first), among the cases the user may see (``cases_visible_to``). One query for the counts and one per
    non-empty group, plus one for the rows' extensions."""
    now = now or timezone.now()
    visible = cases_visible_to(user).filter(stage__in=sorted(colours.OPEN_STAGES))
    expr = todo_expr(user, now)  # built once: building it reads the extension lengths in use
    counts = dict(visible.annotate(xz_todo=expr).values("xz_todo").annotate(n=Count("id"))
                  .order_by().values_list("xz_todo", "n"))
    groups = []
    for key, (label, hint) in TODO_GROUPS.items():
        shown = list(visible.filter(Exact(expr, key)).select_related("dispute_type", "region", "clock")
                     .order_by("stage_changed_at", "id")[:rows]) if counts.get(key) else []
        groups.append(TodoGroup(key, label, hint, counts.get(key, 0), shown))
    _prefetch_extensions([c for g in groups for c in g.rows])
    return groups


def place_choices(user) -> list[tuple[str, list[tuple[str, str]]]]:  # noqa: ANN001
    """The places the workbench filters by, by name: for each town of the user's dispute jurisdiction, (town name,
    [(town code, "全镇"), (village code, village name), …]); a user holding only villages gets those villages under
    their town's name. The codes stay in the form's values only. Two queries."""
    prefixes = _minimal(rules.codes_for(user, rules.DISPUTE_ROLES))
    if not prefixes:
        return []
    inside = functools.reduce(operator.or_, [Q(code__startswith=p) for p in prefixes])
    regions = list(Region.objects.filter(inside, level__in=[RegionLevel.TOWN, RegionLevel.VILLAGE], is_active=True)
                   .order_by("code").values_list("code", "name", "short_name", "level"))
    town_names = {code: short or name for code, name, short in Region.objects.filter(
        level=RegionLevel.TOWN, code__in={c[:9] for c, *_ in regions}).values_list("code", "name", "short_name")}
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, short, level in regions:
        town = town_names.get(code[:9], "")
        groups.setdefault(town, []).append((code, f"{town}（全部）" if level == RegionLevel.TOWN else short or name))
    return list(groups.items())


def dispute_type_code(name: str) -> str:
    """The code of the active dispute type of this name (``劳动争议`` → ``labour``), or "" (another app's link to the
    application form names the matter in words)."""
    if not name:
        return ""
    return DisputeType.objects.filter(name=name, is_active=True).values_list("code", flat=True).first() or ""


def document_facts(case: Case) -> rules.DocumentFacts:
    """What ``rules.document_applies`` needs to know of the case besides its row. One query."""
    from .models import FollowUpVisit, InvestigationRecord, JudicialConfirmation, MediationSession, RiskReport

    def exists(model: type) -> Exists:
        return Exists(model.objects.filter(case=OuterRef("pk")))

    row = Case.objects.filter(pk=case.pk).annotate(
        f_sessions=exists(MediationSession), f_signed=exists(Signature), f_judicial=exists(JudicialConfirmation),
        f_visits=exists(FollowUpVisit), f_risk=exists(RiskReport), f_inv=exists(InvestigationRecord),
    ).values("f_sessions", "f_signed", "f_judicial", "f_visits", "f_risk", "f_inv").first() or {}
    return rules.DocumentFacts(
        sessions=bool(row.get("f_sessions")), written=case.stage == S.AGREEMENT_WRITTEN or bool(row.get("f_signed")),
        judicial=bool(row.get("f_judicial")), visits=bool(row.get("f_visits")), risk_reports=bool(row.get("f_risk")),
        investigations=bool(row.get("f_inv")))
