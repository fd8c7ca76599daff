"""Permission and eligibility predicates of the disputes app: role AND stage AND the facts that matter. The one home
of every such decision: services guard with them, pages and the API show what they allow. Small and pure: a fact
that needs a query (an application exists, a party has rated, which departments hold a task) is an argument, read by
the caller through ``selectors``; the user's memberships are read once and cached on the user object. Tested as
truth tables (tests/disputes/test_rules.py).

Who is who for a case:
- *handler*: a mediator whose organisation is the case's organisation (the organisation's queue);
- *the mediator*: the user assigned to the case;
- *supervisor*: town justice-office staff, county centre staff or a county administrator whose jurisdiction holds
  the case's place;
- *field staff*: a grid worker or mediator whose jurisdiction holds the place (may record on-the-spot settlements).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import Role

from . import colours
from .enums import (
    ALLOWED_TRANSITIONS,
    MATERIAL_STAGES,
    PROCEEDING_REDIRECT,
    PROCEEDING_REFERRAL,
    CaseStage,
    Channel,
    Consent,
    JointStatus,
    NotAcceptedGround,
    RiskLevel,
)

S = CaseStage
# Roles that take part in dispute work at all (others, e.g. banks and lawyers, never see cases).
DISPUTE_ROLES = frozenset({Role.MEDIATOR, Role.TOWN_STAFF, Role.CENTRE_STAFF, Role.COUNTY_ADMIN, Role.GRID_WORKER,
                           Role.AUDITOR})
SUPERVISOR_ROLES = frozenset({Role.TOWN_STAFF, Role.CENTRE_STAFF, Role.COUNTY_ADMIN})
INTAKE_ROLES = frozenset({Role.MEDIATOR, Role.TOWN_STAFF, Role.CENTRE_STAFF, Role.COUNTY_ADMIN, Role.GRID_WORKER})
RETRIAGE_STAGES = frozenset({S.REPORTED, S.ACCEPTED, S.REOPENED, S.ESCALATED})


def _memberships(user) -> list[tuple[str, str, int | None]]:  # noqa: ANN001
    """(role, region code, organisation id) of the user's active memberships, cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_xz_case_memberships", None)
    if cached is None:
        cached = list(user.memberships.filter(is_active=True).values_list("role", "region__code", "organisation_id"))
        user._xz_case_memberships = cached
    return cached


def codes_for(user, roles: frozenset[str]) -> list[str]:  # noqa: ANN001
    return sorted({code for role, code, _ in _memberships(user) if role in roles})


def org_ids_for(user, roles: frozenset[str] = DISPUTE_ROLES) -> set[int]:  # noqa: ANN001
    return {org for role, _, org in _memberships(user) if role in roles and org}


def _covers(user, roles: frozenset[str], code: str) -> bool:  # noqa: ANN001
    return any(code.startswith(c) for c in codes_for(user, roles))


def is_dispute_staff(user) -> bool:  # noqa: ANN001
    return core_rules.is_staff_member(user) and bool(codes_for(user, DISPUTE_ROLES))


def can_take_intake(user) -> bool:  # noqa: ANN001
    return core_rules.is_staff_member(user) and bool(codes_for(user, INTAKE_ROLES))


def is_handler(user, case) -> bool:  # noqa: ANN001
    return bool(case.organisation_id) and case.organisation_id in org_ids_for(user, frozenset({Role.MEDIATOR}))


def is_mediator_of(user, case) -> bool:  # noqa: ANN001
    return bool(getattr(user, "is_authenticated", False)) and case.mediator_id == user.pk


def is_supervisor_of(user, case) -> bool:  # noqa: ANN001
    return _covers(user, SUPERVISOR_ROLES, case.region_code)


def is_field_staff_of(user, case) -> bool:  # noqa: ANN001
    return _covers(user, frozenset({Role.GRID_WORKER, Role.MEDIATOR}), case.region_code)


def can_transition(user, case, to: str) -> bool:  # noqa: ANN001
    """May ``user`` move ``case`` to stage ``to`` now? (Stage table AND role; data guards live in services.)"""
    if to not in ALLOWED_TRANSITIONS.get(case.stage, ()):
        return False
    if not core_rules.is_staff_member(user):
        return False
    sup = is_supervisor_of(user, case)
    handler = is_handler(user, case)
    mine = is_mediator_of(user, case)
    if to in (S.ACCEPTED, S.NOT_ACCEPTED):
        if case.stage in (S.NOTICE_SERVED, S.IN_MEDIATION):  # only the system, for a recused mediator
            return False
        if case.stage == S.ASSIGNED:  # back to the queue: the mediator declines, or a supervisor takes it back
            return mine or sup
        return handler or sup
    if to == S.ASSIGNED:
        return handler or sup
    if to == S.AGREEMENT_ORAL and case.stage == S.REPORTED:
        return bool(case.resolved_on_spot) and (is_field_staff_of(user, case) or sup)
    if to in (S.NOTICE_SERVED, S.IN_MEDIATION, S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL, S.FOLLOW_UP, S.CLOSED):
        if case.stage == S.REPORTED and to == S.CLOSED:
            return False
        if to == S.CLOSED and case.resolved_on_spot and case.stage == S.AGREEMENT_ORAL:
            return mine or sup or is_field_staff_of(user, case)
        return mine or sup
    if to in (S.TERMINATED, S.ESCALATED):
        return mine or handler or sup
    if to == S.REOPENED:
        return sup
    return False  # S.ARCHIVED: only by filing the case (archive.file_case numbers the file, then archives)


def can_confirm_assignment(user, case) -> bool:  # noqa: ANN001
    return case.stage == S.ASSIGNED and is_mediator_of(user, case) and case.mediator_confirmed_at is None


def can_record_session(user, case) -> bool:  # noqa: ANN001
    return case.stage == S.IN_MEDIATION and (is_mediator_of(user, case) or is_supervisor_of(user, case))


def can_retriage(user, case) -> bool:  # noqa: ANN001
    return case.stage in RETRIAGE_STAGES and (is_handler(user, case) or is_supervisor_of(user, case))


def can_issue_document(user, case) -> bool:  # noqa: ANN001
    """Issue (not just download) a case document: the staff who work the case — its mediator, its organisation's
    mediators, the supervisors of its place. Not the read-only auditor, not a grid worker."""
    return core_rules.is_staff_member(user) and (
        is_mediator_of(user, case) or is_handler(user, case) or is_supervisor_of(user, case))


def can_issue_kind(user, case, *, full_data: bool) -> bool:  # noqa: ANN001
    """Issue one kind of document: a kind carrying the parties' data in full (the agreement, the judicial
    application: a masked copy cannot be signed or filed) also needs the personal-data right."""
    return can_issue_document(user, case) and (not full_data or core_rules.can_view_personal_data(user))


def can_add_material(user, case) -> bool:  # noqa: ANN001
    return case.stage in MATERIAL_STAGES and (
        is_mediator_of(user, case) or is_handler(user, case) or is_supervisor_of(user, case)
        or is_field_staff_of(user, case)
    )


# Parties (citizens) -------------------------------------------------------------------------------------------
# A respondent answers whether they agree to mediation before it starts (人民调解法 第17条).
CONSENT_STAGES = frozenset({S.REPORTED, S.ACCEPTED, S.REOPENED, S.ASSIGNED, S.NOTICE_SERVED})


def party_can_withdraw(party, case) -> bool:  # noqa: ANN001
    from .enums import WITHDRAWABLE_STAGES, PartyRole

    return party is not None and party.role == PartyRole.APPLICANT and case.stage in WITHDRAWABLE_STAGES


def party_can_answer_consent(party, case) -> bool:  # noqa: ANN001
    from .enums import PartyRole

    return (party is not None and party.role != PartyRole.APPLICANT and party.consent == Consent.PENDING
            and case.stage in CONSENT_STAGES)


def party_can_add_material(party, case) -> bool:  # noqa: ANN001
    return party is not None and case.stage in MATERIAL_STAGES


# ----------------------------------------------------------------------------------------------------------------
# Consent, notice and the rights notice (人民调解法 第17、23、24条; 若干规定 第30条)
# ----------------------------------------------------------------------------------------------------------------
# Staff record a party's answer given in person, by phone or in writing while the case has not reached an agreement;
# a party who agreed may still refuse to go on (第23条: 要求终止调解) during mediation.
STAFF_CONSENT_STAGES = CONSENT_STAGES | {S.ESCALATED, S.IN_MEDIATION}
# A party is told of the application (notice) while their answer is awaited.
NOTICE_STAGES = CONSENT_STAGES | {S.ESCALATED}
# The rights notice is served after acceptance and before the first session (a case that reached mediation before
# per-party service was recorded may still have it recorded).
RIGHTS_STAGES = frozenset({S.ACCEPTED, S.REOPENED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION})

MEDIATION_BLOCKS = {
    "PARTY_REFUSED": "有当事人明确拒绝调解，不得进行调解（人民调解法第十七条）。可终止并告知其他救济途径。",
    "CONSENT_MISSING": "尚有当事人未表示同意调解，不得进行调解或达成协议（人民调解法第十七条、第二十三条）。请先记录其答复。",
    "RIGHTS_NOT_SERVED": "尚有当事人未送达权利义务告知书，不得开始调解（人民调解法第二十三、二十四条，若干规定第三十条）。",
}


def mediation_block(consents: Iterable[str], served: Iterable[bool] | None = None) -> str | None:
    """Why mediation may not go on, or None: a party refused (``PARTY_REFUSED``), a party has not agreed
    (``CONSENT_MISSING``), a party has not been served the rights notice (``RIGHTS_NOT_SERVED``; only when
    ``served`` is given — a session, the start of mediation — not for an agreement or an on-the-spot settlement).
    ``consents``: every party's ``Consent``; ``served``: for every party, whether the notice was served."""
    consents = list(consents)
    if Consent.REFUSED in consents:
        return "PARTY_REFUSED"
    if any(c != Consent.AGREED for c in consents):
        return "CONSENT_MISSING"
    if served is not None and not all(served):
        return "RIGHTS_NOT_SERVED"
    return None


def _works_case(user, case) -> bool:  # noqa: ANN001
    """The handling mediator or the committee: the case's mediator, its organisation's mediators, supervisors."""
    return core_rules.is_staff_member(user) and (
        is_mediator_of(user, case) or is_handler(user, case) or is_supervisor_of(user, case))


def can_record_consent(user, case, party, *, agree: bool) -> bool:  # noqa: ANN001
    """Record a party's answer given to staff: the handling mediator or the committee (a grid worker settling on the
    spot, at intake), while the party has not answered — or, having agreed, refuses to go on."""
    if party is None or case.stage not in STAFF_CONSENT_STAGES:
        return False
    if not (_works_case(user, case) or (case.resolved_on_spot and is_field_staff_of(user, case))):
        return False
    return party.consent == Consent.PENDING or (party.consent == Consent.AGREED and not agree)


def can_record_notice(user, case, party) -> bool:  # noqa: ANN001
    """Record how a party was told of the application: the case's staff and field staff of the place, while the
    party's answer is awaited."""
    return (party is not None and party.consent == Consent.PENDING and case.stage in NOTICE_STAGES
            and (_works_case(user, case) or (core_rules.is_staff_member(user) and is_field_staff_of(user, case))))


def needs_notice(*, has_phone: bool, noticed: bool, consent: str) -> bool:
    """A party an SMS cannot reach, not yet told by a recorded means, whose answer is awaited: the mediator's to-do
    shows the case as needing notice."""
    return not has_phone and not noticed and consent == Consent.PENDING


def can_serve_rights(user, case, party) -> bool:  # noqa: ANN001
    """Record the rights notice served on a party: the handling mediator or the committee, once per party."""
    return (party is not None and party.rights_served_at is None and case.stage in RIGHTS_STAGES
            and _works_case(user, case))


# ----------------------------------------------------------------------------------------------------------------
# Recusal (回避)
# ----------------------------------------------------------------------------------------------------------------
def mediator_recused(*, mediator_id: int, mediator_keys: Iterable[str], party_keys: Iterable[str],
                     party_user_ids: Iterable[int | None], declared: Iterable[int]) -> bool:
    """May not mediate the case: the mediator is a party (a party's person is their account), shares a phone or
    身份证号 with a party (``mediator_keys`` / ``party_keys``: the HMAC blind indexes of the persons, compared as
    they are, never decrypted), or declared a conflict or was taken off at a party's request (``declared``: those
    mediators' ids)."""
    if mediator_id in set(declared) or mediator_id in set(party_user_ids):
        return True
    return not {k for k in mediator_keys if k}.isdisjoint({k for k in party_keys if k})


def can_declare_conflict(user, case) -> bool:  # noqa: ANN001
    """The case's mediator declares a conflict while handling it."""
    from .enums import RECUSAL_STAGES

    return case.stage in RECUSAL_STAGES and is_mediator_of(user, case)


def party_can_request_recusal(party, case, *, pending: bool) -> bool:  # noqa: ANN001
    """A party asks for another mediator while one handles the case, one request at a time."""
    from .enums import RECUSAL_STAGES

    return party is not None and case.mediator_id is not None and case.stage in RECUSAL_STAGES and not pending


def can_request_recusal_for(user, case, *, pending: bool) -> bool:  # noqa: ANN001
    """Staff record a party's request made to them (in person, by phone): the committee, not the mediator objected to."""
    from .enums import RECUSAL_STAGES

    return (case.mediator_id is not None and case.stage in RECUSAL_STAGES and not pending
            and _works_case(user, case) and not is_mediator_of(user, case))


def can_decide_recusal(user, case) -> bool:  # noqa: ANN001
    """The committee decides a request for another mediator: its organisation's mediators or a supervisor, never
    the mediator objected to."""
    from .enums import RECUSAL_STAGES

    return (case.stage in RECUSAL_STAGES and core_rules.is_staff_member(user) and not is_mediator_of(user, case)
            and (is_handler(user, case) or is_supervisor_of(user, case)))


ACTION_LABELS = {
    S.ACCEPTED: "受理", S.NOT_ACCEPTED: "不予受理", S.ASSIGNED: "指派调解员", S.NOTICE_SERVED: "告知权利义务",
    S.IN_MEDIATION: "开始调解", S.AGREEMENT_WRITTEN: "制作书面协议", S.AGREEMENT_ORAL: "记录口头协议",
    S.TERMINATED: "终止调解", S.ESCALATED: "上报上级", S.FOLLOW_UP: "转入回访", S.CLOSED: "结案",
    S.ARCHIVED: "归档", S.REOPENED: "重新启动",
}


def available_transitions(user, case) -> list[tuple[str, str]]:  # noqa: ANN001
    """The stage changes this user may make now, in table order, with the button label."""
    out = []
    for to in ALLOWED_TRANSITIONS.get(case.stage, ()):
        if can_transition(user, case, to):
            label = "退回待派（不接案）" if case.stage == S.ASSIGNED and to == S.ACCEPTED else ACTION_LABELS[to]
            out.append((to, label))
    order = list(ACTION_LABELS)
    return sorted(out, key=lambda item: order.index(item[0]))


# ----------------------------------------------------------------------------------------------------------------
# Intake channels and the import of historical cases
# ----------------------------------------------------------------------------------------------------------------
def can_refer(user) -> bool:  # noqa: ANN001
    """A department's referral (部门移送) through the API: only a liaison may refer."""
    return bool(codes_for(user, frozenset({Role.LIAISON})))


def can_register(user, channel: str) -> bool:  # noqa: ANN001
    """May ``user`` register a dispute through ``channel``? Online: anyone (the application page asks villagers to
    sign in first); the API (部门移送): a liaison; the window and the grid: intake staff."""
    if channel == Channel.API:
        return user is not None and can_refer(user)
    return channel == Channel.ONLINE or (user is not None and can_take_intake(user))


def can_import(user) -> bool:  # noqa: ANN001
    """County administrators, the county centre and town justice offices import historical cases."""
    return bool(getattr(user, "is_authenticated", False)
                and codes_for(user, frozenset({Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF})))


# ----------------------------------------------------------------------------------------------------------------
# Joint handling (联动联办)
# ----------------------------------------------------------------------------------------------------------------
JOINT_ACTIVE = (JointStatus.OPEN, JointStatus.ANSWERED)
JOINT_ROLES = frozenset({Role.LIAISON, Role.MEDIATOR, Role.TOWN_STAFF, Role.CENTRE_STAFF})
# No department is invited into a case that is over or was never taken up.
NO_INVITE_STAGES = frozenset({S.CLOSED, S.ARCHIVED, S.NOT_ACCEPTED})


def liaison_orgs(user) -> list[int]:  # noqa: ANN001
    return sorted(org_ids_for(user, frozenset({Role.LIAISON})))


def is_liaison(user) -> bool:  # noqa: ANN001
    """A department's liaison (联络员): the joint-handling pages of their department."""
    return bool(liaison_orgs(user))


def can_open_joint_pages(user) -> bool:  # noqa: ANN001
    """The joint-task page is for signed-in staff and departments (which task: ``selectors.access_task``)."""
    return bool(getattr(user, "is_authenticated", False)) and not getattr(user, "is_citizen", False)


def shares_case(user, task_orgs: Iterable[int]) -> bool:  # noqa: ANN001
    """The user's department holds an active joint task in the case. ``task_orgs``: the organisations holding one
    (``selectors.active_task_orgs(case)``)."""
    return not set(liaison_orgs(user)).isdisjoint(task_orgs)


def can_lead(user, case) -> bool:  # noqa: ANN001
    """The lead organisation: the case's mediator, its organisation's mediators, supervisors of the place. The lead
    records hand-overs (诉调对接) and sees every task of the case."""
    return is_mediator_of(user, case) or is_handler(user, case) or is_supervisor_of(user, case)


def can_invite(user, case) -> bool:  # noqa: ANN001
    """The lead invites departments while the case is being handled."""
    return case.stage not in NO_INVITE_STAGES and can_lead(user, case)


def is_department_of(user, task) -> bool:  # noqa: ANN001
    """The user is a liaison of the department the task was given to."""
    return task.organisation_id in liaison_orgs(user)


def can_open_task(user, task) -> bool:  # noqa: ANN001
    """A task is seen by its department and by the lead of its case."""
    return is_department_of(user, task) or can_lead(user, task.case)


def can_reply(user, task) -> bool:  # noqa: ANN001
    """The department answers a task still active (open or already answered once)."""
    return task.status in JOINT_ACTIVE and is_department_of(user, task)


def task_late(task, now: dt.datetime) -> bool:  # noqa: ANN001
    """A joint task still open after its deadline."""
    return task.status == JointStatus.OPEN and now > task.due_at


def can_hand_back(user, task) -> bool:  # noqa: ANN001
    """The department hands back a task it has not answered yet."""
    return task.status == JointStatus.OPEN and is_department_of(user, task)


# ----------------------------------------------------------------------------------------------------------------
# The written agreement: signatures and seal
# ----------------------------------------------------------------------------------------------------------------
def agreement_signable(case) -> bool:  # noqa: ANN001
    """A written agreement awaiting its signatures and seal (not yet in effect)."""
    return case.stage == S.AGREEMENT_WRITTEN and case.agreement_effective_at is None


def can_sign_or_seal(user, case) -> bool:  # noqa: ANN001
    """Record a party's signature, or apply the committee seal: the case's mediator or a supervisor."""
    return agreement_signable(case) and (is_mediator_of(user, case) or is_supervisor_of(user, case))


def can_sign_as_mediator(user, case) -> bool:  # noqa: ANN001
    """Sign as the mediator: the case's mediator in person, nobody for them."""
    return agreement_signable(case) and is_mediator_of(user, case)


def party_can_sign(own, party, case) -> bool:  # noqa: ANN001
    """A party signs online for themselves only: ``own`` is the party the session proves (``selectors.party_of``),
    ``party`` the one to sign for."""
    return agreement_signable(case) and own is not None and party is not None and own.pk == party.pk


# ----------------------------------------------------------------------------------------------------------------
# Judicial confirmation (司法确认)
# ----------------------------------------------------------------------------------------------------------------
NO_JUDICIAL_STAGES = frozenset({S.TERMINATED, S.NOT_ACCEPTED})


def window_closes(case) -> dt.datetime | None:  # noqa: ANN001
    """The end of the 30-day window after the agreement took effect (民事诉讼法 第205条), or None before."""
    if case.agreement_effective_at is None:
        return None
    return case.agreement_effective_at + dt.timedelta(days=settings.XIANGZHI_DEADLINE_JUDICIAL_DAYS)


def window_open(case, at: dt.datetime) -> bool:  # noqa: ANN001
    """The window is open at ``at``, its last instant included."""
    closes = window_closes(case)
    return closes is not None and at <= closes


def can_offer(case, *, now: dt.datetime, applied: bool) -> bool:  # noqa: ANN001
    """Offer the joint application: an effective agreement, inside the 30-day window, no application yet
    (``applied``: the case has a JudicialConfirmation)."""
    return case.stage not in NO_JUDICIAL_STAGES and not applied and window_open(case, now)


def can_record_judicial(user, case) -> bool:  # noqa: ANN001
    """Record the application and the court's steps: the case's mediator, its organisation's mediators, supervisors."""
    return is_mediator_of(user, case) or is_supervisor_of(user, case) or is_handler(user, case)


# ----------------------------------------------------------------------------------------------------------------
# Feedback and performance
# ----------------------------------------------------------------------------------------------------------------
FEEDBACK_STAGES = frozenset({S.FOLLOW_UP, S.CLOSED, S.ARCHIVED})
RATE_STAGES = frozenset({S.CLOSED, S.ARCHIVED})
NOT_PERFORMED_STAGES = frozenset({S.FOLLOW_UP, S.CLOSED})
# Follow-up visits: once an agreement is reached (an oral one is in effect at once) and after.
VISIT_STAGES = FEEDBACK_STAGES | {S.AGREEMENT_ORAL}


def party_can_open_feedback(party, case) -> bool:  # noqa: ANN001
    """The status page links a party to the feedback page once the case is in follow-up or closed."""
    return party is not None and case.stage in FEEDBACK_STAGES


def party_can_rate(party, case, *, already_rated: bool) -> bool:  # noqa: ANN001
    """Each party rates once, after closing (``already_rated``: this party's Feedback row exists)."""
    return party is not None and case.stage in RATE_STAGES and not already_rated


def party_can_report_not_performed(party, case) -> bool:  # noqa: ANN001
    return party is not None and case.stage in NOT_PERFORMED_STAGES and bool(case.agreement_text)


def can_record_visit(user, case) -> bool:  # noqa: ANN001
    """回访 by the case's mediator, its organisation's mediators or a supervisor, once an agreement is reached."""
    return case.stage in VISIT_STAGES and (
        is_mediator_of(user, case) or is_supervisor_of(user, case) or is_handler(user, case))


# ----------------------------------------------------------------------------------------------------------------
# Risk and extension
# ----------------------------------------------------------------------------------------------------------------
RISK_ORDER = [RiskLevel.NORMAL, RiskLevel.ELEVATED, RiskLevel.MAJOR]


def is_higher_risk(level: str, than: str) -> bool:
    """Risk is only raised here (lowering it is a supervisor's correction in re-triage)."""
    return RISK_ORDER.index(level) > RISK_ORDER.index(than)


def proposed_non_acceptance(case) -> tuple[str, str] | None:  # noqa: ANN001
    """人民调解工作若干规定 第22条: the intake was told the matter is already before a court, arbitration, an
    administrative body or the police (not the body that referred it here), so until the case is accepted the
    committee is proposed not to accept it — the ground (NotAcceptedGround) and where the parties turn instead. Only
    a proposal: the committee decides (the NOT_ACCEPTED move; accepting it anyway takes a reason)."""
    redirect = PROCEEDING_REDIRECT.get(case.other_proceeding)
    if redirect is None or case.stage not in (S.REPORTED, S.ESCALATED):
        return None
    if PROCEEDING_REFERRAL.get(case.other_proceeding) == case.source:
        return None
    return NotAcceptedGround.ALREADY_HANDLED, redirect


def needs_report(level: str) -> bool:
    """A dispute at 重大 risk may become a public-order or criminal case: it is reported to the police or the
    competent department (人民调解法 第25条)."""
    return level == RiskLevel.MAJOR


def report_missing(case, *, reported: bool) -> bool:  # noqa: ANN001
    """The case page prompts for the report: an open case at 重大 risk with no report recorded."""
    return needs_report(case.risk_level) and not reported and case.stage in colours.OPEN_STAGES


def can_raise_risk(user, case, *, task_orgs: Iterable[int]) -> bool:  # noqa: ANN001
    """Anyone handling a case not yet done: its mediator, its organisation's mediators, field staff and supervisors
    of the place, and departments invited into it (联动联办; ``task_orgs`` as for ``shares_case``)."""
    if case.stage in colours.DONE_STAGES:
        return False
    return (is_mediator_of(user, case) or is_handler(user, case) or is_supervisor_of(user, case)
            or is_field_staff_of(user, case) or shares_case(user, task_orgs))


def can_extend(user, case) -> bool:  # noqa: ANN001
    """Extend mediation (once, with both parties' consent): the case's mediator or a supervisor, during mediation."""
    return case.stage == S.IN_MEDIATION and (is_mediator_of(user, case) or is_supervisor_of(user, case))


# ----------------------------------------------------------------------------------------------------------------
# The handling mediator and the parties' contact details
# ----------------------------------------------------------------------------------------------------------------
# The stages in which the assigned mediator handles the case and must reach the parties: from the assignment they
# confirmed through mediation, the agreement and the follow-up visits (回访), and a reopened case.
HANDLING_STAGES = frozenset({S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL,
                             S.FOLLOW_UP, S.REOPENED})
HANDLING_CONTACT_REASON = "承办调解员联系当事人"


def is_handling_mediator(user, case) -> bool:  # noqa: ANN001
    """The mediator who handles ``case`` now: assigned to it (and, while only assigned, having confirmed), in a
    stage in which they work it, and holding the personal-data right. They see the parties' full contact details on
    the case page (each view logged); everyone else sees them masked."""
    return (is_mediator_of(user, case) and case.stage in HANDLING_STAGES
            and (case.stage != S.ASSIGNED or case.mediator_confirmed_at is not None)
            and core_rules.can_view_personal_data(user))


# ----------------------------------------------------------------------------------------------------------------
# Mediation records before an outcome (人民调解法 第27条)
# ----------------------------------------------------------------------------------------------------------------
# Terminations that presume mediation was attempted: they need a record of at least one session. A withdrawal, a
# party's refusal (人民调解法 第17条, 第23条: no mediation takes place), a party who cannot be reached and "other" end
# mediation that may never have started.
ATTEMPT_TERMINATIONS = frozenset({"no_agreement", "refuses_to_sign", "timeout"})


def session_required(before: str, to: str, reason_code: str = "") -> bool:
    """Does moving from ``before`` to ``to`` (with the termination ``reason_code``) need a record of at least one
    mediation session? An agreement reached in mediation (written or oral) does; an on-the-spot settlement (一米调解,
    an oral agreement straight from the report) is itself the record. A termination does when its reason presumes
    an attempt (``ATTEMPT_TERMINATIONS``)."""
    if to in (S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL):
        return before != S.REPORTED
    if to == S.TERMINATED:
        return reason_code in ATTEMPT_TERMINATIONS and before != S.AGREEMENT_WRITTEN
    return False


def session_missing(before: str, to: str, reason_code: str = "", *, has_session: bool) -> bool:
    """The move needs a mediation record and the case has none (the guard's refusal ``SESSION_REQUIRED``)."""
    return session_required(before, to, reason_code) and not has_session


# ----------------------------------------------------------------------------------------------------------------
# Which documents fit the case
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DocumentFacts:
    """What the case holds besides its row, for ``document_applies`` (read by ``selectors.document_facts``)."""
    sessions: bool = False  # a mediation session is recorded
    written: bool = False  # the agreement was made in writing (signatures exist, or it awaits them)
    judicial: bool = False  # a judicial confirmation was applied for
    visits: bool = False  # a follow-up visit is recorded
    risk_reports: bool = False  # a report under 第25条 is recorded
    investigations: bool = False  # an investigation record exists


ENDED_STAGES = frozenset({S.TERMINATED, S.CLOSED, S.ARCHIVED})
FINISHED_FOR_CLOSING = frozenset({S.NOT_ACCEPTED, S.TERMINATED, S.CLOSED, S.ARCHIVED})


def document_applies(kind: str, case, facts: DocumentFacts) -> bool:  # noqa: ANN001
    """Does the document ``kind`` fit the case as it stands? A settled case has no 终止调解告知书, a case without an
    effective or pending written agreement no 协议书, no 司法确认申请书 without an application, no 调解记录 before a
    session, no 结案报告表 before the case is finished. The case page and the API offer only these; the services
    refuse the others (DOCUMENT_NOT_APPLICABLE)."""
    from .enums import TerminationReason

    has_text = bool(case.agreement_text)
    effective = case.agreement_effective_at is not None
    if kind == "register":
        return True
    if kind == "not_accepted":
        return case.stage == S.NOT_ACCEPTED
    if kind == "rights":
        return case.mediator_id is not None and case.stage != S.NOT_ACCEPTED
    if kind == "record":
        return facts.sessions
    if kind == "investigation":
        return facts.investigations
    if kind == "agreement":
        return has_text and facts.written and (case.stage == S.AGREEMENT_WRITTEN or effective)
    if kind == "oral":
        return has_text and not facts.written and effective
    if kind == "termination":
        return (case.stage in ENDED_STAGES and case.outcome_reason in TerminationReason.values and not effective)
    if kind == "judicial":
        return facts.judicial
    if kind == "visit":
        return facts.visits
    if kind == "risk":
        return facts.risk_reports or needs_report(case.risk_level)
    if kind == "closing":
        return case.stage in FINISHED_FOR_CLOSING
    return False


# ----------------------------------------------------------------------------------------------------------------
# The written agreement's particulars, investigation records, filing (一案一卷)
# ----------------------------------------------------------------------------------------------------------------
def can_revise_agreement(user, case) -> bool:  # noqa: ANN001
    """Edit the written agreement before it takes effect (a new version: every signature and the seal again): the
    case's mediator or a supervisor."""
    return agreement_signable(case) and (is_mediator_of(user, case) or is_supervisor_of(user, case))


INVESTIGATION_STAGES = frozenset({S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.AGREEMENT_WRITTEN,
                                  S.REOPENED, S.ESCALATED})


def can_record_investigation(user, case) -> bool:  # noqa: ANN001
    """调查笔录 while the case is being handled: its mediator, its organisation's mediators, supervisors."""
    return case.stage in INVESTIGATION_STAGES and (
        is_mediator_of(user, case) or is_handler(user, case) or is_supervisor_of(user, case))


FILABLE_STAGES = frozenset({S.CLOSED, S.ARCHIVED})


def can_file(user, case, *, filed: bool) -> bool:  # noqa: ANN001
    """立卷归档 (the committee's file number): a closed case (or one archived before files were numbered) not yet
    filed, with a committee to file it under, by its organisation's mediators or a supervisor (``filed``: the case
    has a CaseFile)."""
    return (case.stage in FILABLE_STAGES and not filed and bool(case.organisation_id)
            and (is_handler(user, case) or is_supervisor_of(user, case)))
