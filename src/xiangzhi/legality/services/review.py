"""The review itself: the justice office assigns a reviewer (a lawyer, or a panel of several) with a deadline in
working days; an assigned reviewer gives the opinion on the current version (合法 / 修改后合法 / 不合法, reasons,
cited articles checked against the consultation law base); the periodic job flags reviews past their deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xiangzhi.consultation import services as consultation
from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, Forbidden, ValidationFailed
from xiangzhi.core.models import User
from xiangzhi.network import selectors as network

from .. import rules, selectors
from ..enums import STATE_AFTER, VILLAGE_KINDS, Conclusion, EventKind, State
from ..models import Opinion, Submission
from . import deadlines
from .records import record
from .submissions import check_manager, lock, transition

STALE_VERSION = "该版本已被新的修改稿取代，审查意见只能针对当前版本出具。"


def default_reviewers(submission: Submission) -> list[User]:
    """Who reviews ``submission`` when the justice office names nobody: a village's major matter goes to the
    village's own legal adviser (一村一法律顾问, from the network app) when they have an account and are eligible
    (a lawyer whose jurisdiction covers the village); a town's documents always need a named reviewer."""
    if submission.kind not in VILLAGE_KINDS:
        return []
    adviser = network.village_adviser_user(submission.region.code)
    if adviser is None or not selectors.eligible_reviewers(submission).filter(pk=adviser.pk).exists():
        return []
    return [adviser]


def assign(submission: Submission, *, reviewers: Sequence[User] | None = None, deadline_workdays: int | None = None,
           actor: User, now: dt.datetime | None = None) -> Submission:
    """Assign the reviewer (one lawyer) or panel (several) of the current version, and its deadline in working days
    (the setting's default when None); none named: :func:`default_reviewers` (a village's own legal adviser). Each
    reviewer must be a lawyer whose jurisdiction covers the submitting region. A first assignment starts the clock; a re-assignment keeps it (the due date is counted from the first
    assignment of this version, with the new number of working days).

    Side effects: Submission reviewers/state/assigned_at/deadline_workdays/due_date; an ``assigned`` event; notices
    to the reviewers."""
    now = now or timezone.now()
    check_manager(actor, submission)
    chosen = list(dict.fromkeys(reviewers or default_reviewers(submission)))
    if not chosen:
        raise ValidationFailed("NO_REVIEWER", "请指定审查人（一名律师或由多名法律顾问组成的审查组；村级事项默认由本村法律顾问审查，"
                               "该村尚无可审查的法律顾问）。", {"reviewers": "必填"})
    workdays = deadlines.check_workdays(deadline_workdays)
    with transaction.atomic():
        locked = lock(submission)
        if not rules.can_assign(core_rules.roles_of(actor), locked.state):
            raise Conflict("NOT_ASSIGNABLE", "只有待分配或审查中的事项可以指定审查人。", {"state": locked.state})
        eligible = set(selectors.eligible_reviewers(locked).values_list("pk", flat=True))
        wrong = [u.pk for u in chosen if u.pk not in eligible]
        if wrong:
            raise ValidationFailed("INVALID_REVIEWER", "审查人须为管辖范围覆盖该单位的律师或法律顾问。", {"reviewers": wrong})
        before = sorted(locked.reviewers.values_list("pk", flat=True))
        transition(locked, State.UNDER_REVIEW)
        if locked.assigned_at is None:
            locked.assigned_at = now
        locked.deadline_workdays = workdays
        locked.due_date = deadlines.due_date(locked.assigned_at, workdays)
        locked.save(update_fields=["state", "assigned_at", "deadline_workdays", "due_date"])
        locked.reviewers.set(chosen)
        ids = sorted(u.pk for u in chosen)
        record(locked, EventKind.ASSIGNED, {"reviewers": ids, "before": before, "deadline_workdays": workdays,
                                            "due_date": locked.due_date.isoformat(), "version": locked.version},
               actor=actor, action="legality.assigned", at=now,
               notify=[core.Message(u, "合法性审查：请审查", f"请在 {locked.due_date:%Y-%m-%d} 前对“{locked.title}”出具审查意见。",
                                    f"/legality/staff/{locked.pk}/",
                                    f"legality:{locked.pk}:v{locked.version}:assigned:{u.pk}:{now.isoformat()}")
                       for u in chosen if u.pk not in before])
    return locked


def give_opinion(submission: Submission, *, conclusion: str, reasons: str, citations: list[str], digest: str,
                 actor: User, now: dt.datetime | None = None) -> Opinion:
    """An assigned reviewer's opinion on the current version — the one whose ``digest`` they reviewed (an older
    version: STALE_VERSION, 409). 合法 lets it be issued; 修改后合法 asks for a revised version; 不合法 refuses it.
    The cited articles must exist in the law base (UNKNOWN_ARTICLE, NO_CITATION).

    Side effects: the Opinion; Submission state; an ``opinion`` event; a notice to the submitter."""
    now = now or timezone.now()
    if conclusion not in Conclusion.values:
        raise ValidationFailed("INVALID_CONCLUSION", "审查结论应为合法、修改后合法或不合法。", {"conclusion": conclusion})
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationFailed("EMPTY_REASONS", "请写明审查理由。", {"reasons": "必填"})
    keys = consultation.check_citations(citations)
    with transaction.atomic():
        locked = lock(submission)
        if not rules.can_give_opinion(actor.pk, locked.state, locked.reviewers.values_list("pk", flat=True)):
            if locked.state != State.UNDER_REVIEW:
                raise Conflict("NOT_UNDER_REVIEW", "该事项当前不在审查中。", {"state": locked.state})
            raise Forbidden("NOT_ASSIGNED_REVIEWER", "只有被指定的审查人可以出具审查意见。")
        version = locked.versions.get(number=locked.version)
        if digest != version.digest:
            raise Conflict("STALE_VERSION", STALE_VERSION, {"digest": version.digest, "version": version.number})
        opinion = Opinion.objects.create(
            submission=locked, version=version, digest=version.digest, conclusion=conclusion, reasons=reasons,
            citations=keys, reviewer=actor, given_at=now, due_date=locked.due_date,
            in_time=deadlines.in_time(now, locked.due_date))
        transition(locked, STATE_AFTER[Conclusion(conclusion)])
        locked.save(update_fields=["state"])
        label = Conclusion(conclusion).label
        record(locked, EventKind.OPINION, {"version": version.number, "digest": version.digest,
                                           "conclusion": conclusion, "citations": keys, "in_time": opinion.in_time},
               actor=actor, action="legality.opinion", at=now,
               notify=[core.Message(locked.submitted_by, f"合法性审查意见：{label}",
                                    f"“{locked.title}”第 {version.number} 稿的审查结论为{label}。",
                                    f"/legality/staff/{locked.pk}/", f"legality:{locked.pk}:v{version.number}:opinion")])
    return opinion


def flag_overdue(*, now: dt.datetime | None = None) -> int:
    """Reviews past their last day without an opinion (``runperiodic``): each current version is flagged once, with
    a guarded UPDATE (an opinion given at the same instant wins), an ``overdue`` event and notices to the reviewers
    and the submitter."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    flagged = 0
    candidates = (Submission.objects.filter(state=State.UNDER_REVIEW, due_date__lt=today)
                  .exclude(overdue_version=F("version")).select_related("region", "submitted_by")
                  .order_by("due_date", "pk")[:500])
    for sub in candidates:
        with transaction.atomic():
            done = Submission.objects.filter(pk=sub.pk, state=State.UNDER_REVIEW, version=sub.version,
                                             due_date__lt=today).exclude(overdue_version=sub.version).update(
                overdue_version=sub.version)
            if not done:
                continue
            people = [*sub.reviewers.all(), sub.submitted_by]
            record(sub, EventKind.OVERDUE, {"version": sub.version, "due_date": sub.due_date.isoformat()},
                   actor=None, action="legality.overdue", at=now,
                   notify=[core.Message(u, "合法性审查已超期", f"“{sub.title}”第 {sub.version} 稿已超过审查期限"
                                        f"（{sub.due_date:%Y-%m-%d}）。", f"/legality/staff/{sub.pk}/",
                                        f"legality:{sub.pk}:v{sub.version}:overdue:{u.pk}") for u in people])
        flagged += 1
    return flagged
