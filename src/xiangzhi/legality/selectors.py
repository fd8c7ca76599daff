"""Every scoped read of 合法性审查: which submissions a user sees (the justice office, the bureau and auditors those of
their jurisdiction; a reviewer those assigned to them or reviewed by them), who may be assigned, and the coverage
and timeliness dashboard per town."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.models import Membership, Region, User
from xiangzhi.core.selectors import region_q, role_codes

from . import rules
from .enums import Conclusion, State
from .models import Opinion, Submission


def submissions_visible_to(user) -> QuerySet[Submission]:  # noqa: ANN001
    """Deny by default: nothing for anyone without a legality role; overseers see their jurisdiction; reviewers what
    they are (or were) assigned to review."""
    if not core_rules.is_staff_member(user):
        return Submission.objects.none()
    roles = core_rules.roles_of(user)
    q = Q(pk__in=[])
    if rules.can_oversee(roles):
        q |= region_q(user, codes=role_codes(user, rules.OVERSEE_ROLES))
    if rules.is_reviewer(roles):
        q |= Q(pk__in=Submission.reviewers.through.objects.filter(user=user).values("submission_id"))
        q |= Q(pk__in=Opinion.objects.filter(reviewer=user).values("submission_id"))
    return Submission.objects.filter(q).select_related("region", "town", "submitted_by")


def access_submission(user, pk: int) -> Submission:  # noqa: ANN001
    sub = submissions_visible_to(user).filter(pk=pk).first()
    if sub is None:
        raise Http404
    return sub


def eligible_reviewers(submission: Submission) -> QuerySet[User]:
    """Lawyers whose (active) jurisdiction covers the submitting region: the town's or village's own advisers and the
    county's lawyers."""
    code = submission.region.code
    prefixes = [code[:n] for n in (6, 9, 12, 15) if n <= len(code)]
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(is_active=True, role__in=rules.REVIEWER_ROLES,
                                         region__code__in=prefixes).values("user_id"),
    ).order_by("username")


def submit_regions(user) -> QuerySet[Region]:  # noqa: ANN001
    """The towns and villages the user may submit for."""
    if not rules.can_submit(core_rules.roles_of(user)):
        return Region.objects.none()
    return (Region.objects.filter(region_q(user, "code", codes=role_codes(user, rules.MANAGE_ROLES)),
                                  level__in=[RegionLevel.TOWN, RegionLevel.VILLAGE], is_active=True)
            .order_by("code"))


def current_version(submission: Submission):  # noqa: ANN201
    return submission.versions.get(number=submission.version)


def masked_numbers(version) -> list:  # noqa: ANN001
    """The personal numbers masked in a version's text (masked forms only)."""
    from xiangzhi.core.selectors import text_numbers_of

    return list(text_numbers_of(version))


@dataclass
class TownRow:
    code: str
    name: str
    submitted: int = 0
    reviewed: int = 0  # submissions with at least one opinion
    opinions: int = 0
    in_time: int = 0  # opinions given on or before the due date
    late: int = 0  # opinions given after it
    overdue: int = 0  # under review now, past the due date
    issued: int = 0
    issued_without_review: int = 0  # issued without a 合法 opinion on the issued version: must stay 0
    refused: int = 0  # submissions with a 不合法 opinion

    @property
    def coverage(self) -> float | None:
        return round(self.reviewed / self.submitted, 4) if self.submitted else None

    @property
    def timeliness(self) -> float | None:
        return round(self.in_time / self.opinions, 4) if self.opinions else None


def dashboard(user, *, year: int | None = None, today: dt.date | None = None) -> tuple[list[TownRow], TownRow]:  # noqa: ANN001
    """Per town of the user's jurisdiction (and in total): submitted, reviewed, opinions in time and late, overdue
    now, issued, issued without a passed review (impossible through the services; counted to prove it), refused.
    ``year``: submissions of that year only. A fixed number of queries, whatever the number of towns."""
    if not rules.can_oversee(core_rules.roles_of(user)):
        return [], TownRow(code="", name="合计")
    today = today or timezone.localdate()
    subs = submissions_visible_to(user)
    if year:
        subs = subs.filter(submitted_at__year=year)
    towns = Region.objects.filter(region_q(user, "code", codes=role_codes(user, rules.OVERSEE_ROLES)) | Q(
        code__in=[c[:9] for c in role_codes(user, rules.OVERSEE_ROLES) if len(c) > 9]),
        level=RegionLevel.TOWN).order_by("code")
    rows = {t.code: TownRow(code=t.code, name=t.name) for t in towns}
    passed_current = Opinion.objects.filter(submission=OuterRef("pk"), version__number=OuterRef("version"),
                                            conclusion=Conclusion.LAWFUL)
    for r in (subs.values("town__code").order_by().annotate(
            submitted=Count("pk"),
            issued=Count("pk", filter=Q(state=State.ISSUED)),
            overdue=Count("pk", filter=Q(state=State.UNDER_REVIEW, due_date__lt=today)))):
        row = rows.get(r["town__code"])
        if row is not None:
            row.submitted, row.issued, row.overdue = r["submitted"], r["issued"], r["overdue"]
    for r in (subs.filter(state=State.ISSUED).exclude(Exists(passed_current)).values("town__code").order_by()
              .annotate(n=Count("pk"))):
        if r["town__code"] in rows:
            rows[r["town__code"]].issued_without_review = r["n"]
    opinions = Opinion.objects.filter(submission__in=subs.values("pk"))
    for r in (opinions.values("submission__town__code").order_by().annotate(
            n_reviewed=Count("submission", distinct=True), n_opinions=Count("pk"),
            n_in_time=Count("pk", filter=Q(in_time=True)), n_late=Count("pk", filter=Q(in_time=False)),
            n_refused=Count("submission", filter=Q(conclusion=Conclusion.UNLAWFUL), distinct=True))):
        row = rows.get(r["submission__town__code"])
        if row is not None:
            for key in ("reviewed", "opinions", "in_time", "late", "refused"):
                setattr(row, key, r[f"n_{key}"])
    total = TownRow(code="", name="合计")
    for row in rows.values():
        for key in ("submitted", "reviewed", "opinions", "in_time", "late", "overdue", "issued",
                    "issued_without_review", "refused"):
            setattr(total, key, getattr(total, key) + getattr(row, key))
    return list(rows.values()), total
