"""Every read of cases. ``cases_visible_to(user)`` is the single source for lists and the API; request handlers get
one case only through ``access_case`` (404 for what the user may not see) or, for parties, ``case_for_token``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from xiangzhi.core import crypto
from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import Role

from . import joint, rules
from .colours import colour_for
from .enums import CaseStage, RiskLevel
from .models import Case, DisputeType, Party, TimelineEvent


def _minimal(codes: list[str]) -> list[str]:
    kept: list[str] = []
    for code in sorted(codes):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return kept


def cases_visible_to(user) -> QuerySet[Case]:  # noqa: ANN001
    """Cases whose place lies in the user's dispute jurisdiction, or handled by the user's organisation, or assigned
    to the user; a department liaison sees the cases their organisation referred. Everyone else: nothing."""
    if not core_rules.is_staff_member(user):
        return Case.objects.none()
    q = Q(pk__in=[])
    for code in _minimal(rules.codes_for(user, rules.DISPUTE_ROLES)):
        q |= Q(region_code__startswith=code)
    orgs = rules.org_ids_for(user)
    if orgs:
        q |= Q(organisation_id__in=sorted(orgs))
    liaison_orgs = rules.org_ids_for(user, frozenset({Role.LIAISON}))
    if liaison_orgs:
        q |= Q(referral_org_id__in=sorted(liaison_orgs))
    q |= Q(mediator_id=user.pk)
    q |= joint.shared_case_q(user)  # 联动联办: cases shared with the user's department
    return Case.objects.filter(q)


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


def public_timeline(case: Case) -> list[TimelineEvent]:
    return list(case.timeline.filter(public=True).order_by("at", "id"))


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


# colour → a filter expressible in SQL (mirrors colours.colour_for)
_GREEN_STAGES = [CaseStage.AGREEMENT_ORAL, CaseStage.FOLLOW_UP, CaseStage.CLOSED, CaseStage.ARCHIVED,
                 CaseStage.NOT_ACCEPTED, CaseStage.TERMINATED]
_COLOUR_Q = {
    "green": Q(stage__in=_GREEN_STAGES) | Q(stage=CaseStage.AGREEMENT_WRITTEN, agreement_effective_at__isnull=False),
    "red": ~Q(stage__in=_GREEN_STAGES) & Q(risk_level=RiskLevel.MAJOR)
    & ~Q(stage=CaseStage.AGREEMENT_WRITTEN, agreement_effective_at__isnull=False),
    "orange": Q(stage=CaseStage.ESCALATED) & ~Q(risk_level=RiskLevel.MAJOR),
    "yellow": (Q(stage=CaseStage.IN_MEDIATION) | Q(stage=CaseStage.AGREEMENT_WRITTEN, agreement_effective_at=None))
    & ~Q(risk_level=RiskLevel.MAJOR),
    "blue": Q(stage__in=[CaseStage.REPORTED, CaseStage.ACCEPTED, CaseStage.REOPENED, CaseStage.ASSIGNED,
                         CaseStage.NOTICE_SERVED]) & ~Q(risk_level=RiskLevel.MAJOR),
}


def workbench_cases(user, filters: CaseFilters, *, after: int | None = None, limit: int = 50) -> tuple[list[Case], int | None]:  # noqa: ANN001
    """One page of the workbench list, newest first, with keyset pagination (``after`` = last id seen).

    No COUNT(*): one query for the page (limit + 1 rows tell whether there is a next page). Every filter column has an
    index ending in id, so the page is an index range scan at any table size.
    """
    qs = cases_visible_to(user)
    if filters.mine:
        qs = qs.filter(mediator_id=user.pk)
    if filters.queue:
        qs = qs.filter(organisation_id__in=sorted(rules.org_ids_for(user)) or [0])
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.type_code:
        type_id = DisputeType.objects.filter(code=filters.type_code).values_list("id", flat=True).first()
        qs = qs.filter(dispute_type_id=type_id or 0)
    if filters.colour in _COLOUR_Q:
        qs = qs.filter(_COLOUR_Q[filters.colour])
    if filters.region:
        qs = qs.filter(region_code__startswith=filters.region)
    if filters.date_from:
        qs = qs.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(created_at__date__lte=filters.date_to)
    if after:
        qs = qs.filter(id__lt=after)
    rows = list(qs.select_related("dispute_type", "region", "organisation", "clock").order_by("-id")[: limit + 1])
    next_after = rows[limit - 1].pk if len(rows) > limit else None
    rows = rows[:limit]
    _prefetch_extensions(rows)
    return rows, next_after


def _prefetch_extensions(rows: list[Case]) -> None:
    """One query for the mediation extensions of a page of cases, so the colour and countdown of each row cost none
    (deadlines._extension_months reads the value cached here)."""
    from .models_part2 import MediationExtension

    months = dict(MediationExtension.objects.filter(case_id__in=[c.pk for c in rows]).values_list("case_id", "months"))
    for c in rows:
        c.__dict__["_xz_extension_months"] = months.get(c.pk, 0)


__all__ = ["access_case", "case_for_token", "cases_visible_to", "colour_for", "party_of", "workbench_cases"]
