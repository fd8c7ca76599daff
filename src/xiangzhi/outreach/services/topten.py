"""以案释法 Top 10: the bureau nominates cases for a year; each jury member (rules.JURY_ROLES) scores each case
once, 0–100 (a JuryScore row, the DB constraint outreach_jury_once); citizens signed in with a verified phone vote
once per case (a Vote row per vote with the phone's blind index, the DB constraint outreach_vote_once); votes over
the rate limit are refused and logged.

Tally (documented, :func:`rank`), from the rows: votes = the case's Vote rows; jury = the mean of its JuryScore
rows; score = 0.5 × votes / (most votes of the year) + 0.5 × jury / 100, both parts in [0, 1] (a case without a
jury score counts 0 for it; no votes at all counts 0 for every case). Ties: more votes first, then the earlier
nomination. The Top 10 are the first ten. ``Nomination.votes`` and ``jury_score`` are kept equal to the rows for
display; :func:`top_ten` ranks on counts recomputed from the rows (selectors.nominations_of)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, F

from xiangzhi.core import crypto
from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from xiangzhi.core.models import User

from .. import rules
from ..enums import ItemKind, ItemState
from ..models import JuryScore, LibraryItem, Nomination, Vote

VOTE_WEIGHT = 0.5
JURY_WEIGHT = 0.5
TOP_N = 10


@dataclass(frozen=True)
class Ranked:
    nomination: Nomination
    votes: int
    jury: float | None
    score: float


def score(votes: int, most: int, jury: float | None) -> float:
    """One case's score (module docstring)."""
    return round(VOTE_WEIGHT * (votes / most if most else 0.0) + JURY_WEIGHT * (jury or 0.0) / 100, 6)


def rank(nominations: list[Nomination]) -> list[Ranked]:
    """The year's nominations ranked by the documented combination (module docstring)."""
    def votes(n: Nomination) -> int:
        return getattr(n, "vote_count", n.votes)

    def jury(n: Nomination) -> float | None:
        return getattr(n, "jury_mean", n.jury_score)

    most = max((votes(n) for n in nominations), default=0)
    out = [Ranked(n, votes(n), jury(n), score(votes(n), most, jury(n))) for n in nominations]
    return sorted(out, key=lambda r: (-r.score, -r.votes, r.nomination.pk))


def nominate(item: LibraryItem, year: int, *, actor: User) -> Nomination:
    """The bureau nominates a 以案释法 case for ``year`` (again: the same nomination).
    Side effects: a Nomination row; an audit row."""
    roles = core_rules.roles_of(actor)
    if not rules.TOPTEN_ROLES & roles:
        raise Forbidden("FORBIDDEN", "只有司法局工作人员可以提名以案释法十佳候选案例。")
    if not rules.can_nominate(roles, is_case=item.kind == ItemKind.CASE):
        raise ValidationFailed("NOT_A_CASE", "只有以案释法资源可以参评。", {"kind": item.kind})
    if not 2000 <= year <= 2100:
        raise ValidationFailed("INVALID_YEAR", "年度不正确。", {"year": year})
    with transaction.atomic():
        nomination, created = Nomination.objects.get_or_create(item=item, year=year)
        if created:
            core.audit("outreach.case_nominated", actor=actor, obj=nomination, after={"item": item.pk, "year": year})
    return nomination


def set_jury_score(nomination: Nomination, score: float, *, actor: User) -> Nomination:
    """A jury member's score of one case, once (a second score is refused: 409 ALREADY_SCORED; the DB constraint
    outreach_jury_once holds under races). Side effects: a JuryScore row; the nomination's jury_score = the mean of
    its rows (under its row lock); an audit row with the juror's score and the new mean."""
    roles = core_rules.roles_of(actor)
    if not rules.JURY_ROLES & roles:
        raise Forbidden("FORBIDDEN", "只有评审组成员可以为以案释法候选案例打分。")
    if not isinstance(score, int | float) or score != score or not 0 <= score <= 100:
        raise ValidationFailed("INVALID_SCORE", "评审分应在 0 到 100 之间。", {"score": score})
    try:
        with transaction.atomic():
            locked = Nomination.objects.select_for_update().get(pk=nomination.pk)
            done = JuryScore.objects.filter(nomination=locked, juror=actor).exists()
            if not rules.can_score(roles, already_scored=done):
                raise Conflict("ALREADY_SCORED", "您已为该案例打过分，每位评审对每个案例只打一次分。")
            with transaction.atomic():
                JuryScore.objects.create(nomination=locked, juror=actor, score=float(score))
            before = locked.jury_score
            locked.jury_score = JuryScore.objects.filter(nomination=locked).aggregate(m=Avg("score"))["m"]
            locked.save(update_fields=["jury_score"])
            core.audit("outreach.jury_scored", actor=actor, obj=locked, before={"jury_score": before},
                       after={"score": float(score), "jury_score": locked.jury_score,
                              "jurors": JuryScore.objects.filter(nomination=locked).count()})
    except IntegrityError:
        raise Conflict("ALREADY_SCORED", "您已为该案例打过分，每位评审对每个案例只打一次分。") from None
    return locked


def vote(nomination: Nomination, *, voter: User) -> Nomination:
    """One vote of a citizen with a verified phone for a nominated, published case: at most one per phone and case
    (the DB constraint), at most ``XIANGZHI_RATE_LIMIT_VOTES_PER_HOUR`` per phone (refused and logged as
    ``outreach.vote_rate_limited``). Side effects: a rate counter; a Vote row; votes + 1; an audit row (no phone)."""
    has_phone = bool(getattr(voter, "phone_index", None))
    item_published = LibraryItem.objects.filter(pk=nomination.item_id, state=ItemState.PUBLISHED).exists()
    if not rules.can_vote(is_citizen=core_rules.is_citizen(voter), has_phone=has_phone,
                          item_published=item_published):
        if not item_published:
            raise NotFound("未找到该案例。")
        raise Forbidden("PHONE_REQUIRED", "请先用手机号和验证码登录后再投票。")
    index = crypto.blind_index(voter.phone_index, purpose="outreach.vote")
    try:
        core.check_rate(f"vote:{index[:32]}", limit=settings.XIANGZHI_RATE_LIMIT_VOTES_PER_HOUR, window_seconds=3600)
    except RateLimited:
        core.audit("outreach.vote_rate_limited", actor=voter, obj=nomination, after={"voter": index[:16]})
        raise
    try:
        with transaction.atomic():
            Vote.objects.create(nomination=nomination, voter_index=index)
            Nomination.objects.filter(pk=nomination.pk).update(votes=F("votes") + 1)
            core.audit("outreach.voted", actor=voter, obj=nomination, after={"year": nomination.year})
    except IntegrityError:
        raise Conflict("ALREADY_VOTED", "您已为该案例投过票，每个手机号每个案例只能投一票。") from None
    nomination.refresh_from_db()
    return nomination


def top_ten(year: int) -> list[Ranked]:
    """The year's Top 10 (published cases only)."""
    from .. import selectors

    return rank(selectors.nominations_of(year))[:TOP_N]
