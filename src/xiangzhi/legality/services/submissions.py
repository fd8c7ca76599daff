"""A town's (or a village's) document through legality review: submit the first version, send revised versions (each
reviewed again), and mark it issued — refused unless the current version passed review (合法). One
:func:`transition` checks the allowed-transition table for every change of state."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xiangzhi.core.models import Region, User
from xiangzhi.core.selectors import role_codes

from .. import rules
from ..enums import ALLOWED_TRANSITIONS, TOWN_KINDS, VILLAGE_KINDS, Conclusion, DocKind, EventKind, State
from ..models import Opinion, Submission, Version
from . import deadlines
from .records import record

MAX_TEXT = 200_000
NOT_REVIEWED = "未经合法性审查或审查未通过的文件不得印发。"


def check_manager(actor: User, submission: Submission | None = None) -> None:
    """Only the justice office or the bureau submits, assigns, revises and issues (FORBIDDEN, 403, for a reviewer or
    an auditor who sees the submission); for ``submission``, with a managing role held for its region (a reviewer
    who manages another town sees the submission as its reviewer only)."""
    if not rules.can_manage(core_rules.roles_of(actor)) or (submission is not None and not rules.region_covers(
            role_codes(actor, rules.MANAGE_ROLES), submission.region.code)):
        raise Forbidden("FORBIDDEN", "只有司法所或司法局可以进行该操作。")


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def transition(locked: Submission, to: State) -> Submission:
    """Move a locked submission to ``to`` if the table allows it (else INVALID_TRANSITION, 409)."""
    if to not in ALLOWED_TRANSITIONS[locked.state]:
        raise Conflict("INVALID_TRANSITION", f"当前状态“{locked.get_state_display()}”下不能进行该操作。",
                       {"state": locked.state, "to": str(to)})
    locked.state = to
    return locked


def lock(submission: Submission) -> Submission:
    return Submission.objects.select_for_update(of=("self",)).select_related("region", "town").get(pk=submission.pk)


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("EMPTY_TEXT", "请填写文件正文。", {"text": "必填"})
    if len(text) > MAX_TEXT:
        raise ValidationFailed("TEXT_TOO_LONG", f"正文不能超过 {MAX_TEXT} 字。", {"text": len(text)})
    return text


def _town_of(region: Region) -> Region:
    return region if region.level == RegionLevel.TOWN else Region.objects.get(code=region.code[:9])


def _managers_link(submission: Submission) -> str:
    return f"/legality/staff/{submission.pk}/"


def submit(*, region: Region, kind: str, title: str, text: str, actor: User,
           now: dt.datetime | None = None) -> Submission:
    """A town's justice office (or the bureau) submits a document of ``region`` for review: a town for the four
    administrative kinds, a village of the town for its contracts, decisions and 村规民约. The region must lie in the
    actor's jurisdiction (else 404).

    Side effects: Submission and its first Version (personal numbers masked, kept encrypted as TextNumber rows); a
    ``submitted`` event (audit, ledger)."""
    now = now or timezone.now()
    if not rules.can_submit(core_rules.roles_of(actor)) or not rules.region_covers(
            role_codes(actor, rules.MANAGE_ROLES), region.code):
        raise NotFound("未找到该区划或无权报送。")
    if kind not in DocKind.values:
        raise ValidationFailed("INVALID_KIND", "请选择审查事项的类型。", {"kind": kind})
    if kind in TOWN_KINDS and region.level != RegionLevel.TOWN:
        raise ValidationFailed("KIND_NEEDS_TOWN", "行政规范性文件、重大行政决策、行政协议和重大执法决定由乡镇（街道）报送。",
                               {"region": region.code})
    if kind in VILLAGE_KINDS and region.level != RegionLevel.VILLAGE:
        raise ValidationFailed("KIND_NEEDS_VILLAGE", "村重大合同、重大事项决策和村规民约须选择所属村（社区）。",
                               {"region": region.code})
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationFailed("INVALID_TITLE", "请填写标题（不超过 200 字）。", {"title": "必填"})
    text, found = core.protect_text(_check_text(text))  # the numbers masked, kept encrypted
    with transaction.atomic():
        sub = Submission.objects.create(town=_town_of(region), region=region, kind=kind, title=title,
                                        submitted_by=actor, submitted_at=now)
        v = Version.objects.create(submission=sub, number=1, text=text, digest=digest_of(text), created_by=actor,
                                   created_at=now)
        core.keep_text_numbers(v, found, region_code=region.code)
        record(sub, EventKind.SUBMITTED, {"kind": kind, "version": 1, "digest": v.digest}, actor=actor,
               action="legality.submitted", at=now)
    return sub


def revise(submission: Submission, *, text: str, note: str = "", actor: User,
           now: dt.datetime | None = None) -> Submission:
    """A new version of the text. An opinion belongs to the version it was given on, so the new one is reviewed
    again: with reviewers assigned it goes (back) under review with a new clock; without, it waits for assignment.

    Side effects: a Version; Submission version/state/assigned_at/due_date; a ``revised`` event; notices to the
    reviewers."""
    now = now or timezone.now()
    text, found = core.protect_text(_check_text(text))  # the numbers masked, kept encrypted
    note = (note or "").strip()[:300]
    check_manager(actor, submission)
    with transaction.atomic():
        locked = lock(submission)
        if not rules.can_revise(core_rules.roles_of(actor), locked.state):
            raise Conflict("NOT_REVISABLE", "已印发的文件不能再修改；如需修改请重新报送。", {"state": locked.state})
        current = locked.versions.get(number=locked.version)
        digest = digest_of(text)
        if digest == current.digest:
            raise ValidationFailed("NO_CHANGE", "修改稿与当前版本相同。", {"text": "未修改"})
        locked.version += 1
        v = Version.objects.create(submission=locked, number=locked.version, text=text, digest=digest, note=note,
                                   created_by=actor, created_at=now)
        core.keep_text_numbers(v, found, region_code=locked.region.code)
        reviewers = list(locked.reviewers.all())
        fields = ["version"]
        if reviewers:  # else it was never assigned and still waits for a reviewer
            transition(locked, State.UNDER_REVIEW)
            locked.assigned_at = now
            locked.due_date = deadlines.due_date(now, locked.deadline_workdays or deadlines.check_workdays(None))
            fields += ["state", "assigned_at", "due_date"]
        locked.save(update_fields=fields)
        record(locked, EventKind.REVISED, {"version": locked.version, "digest": digest, "note": note,
                                           "due_date": locked.due_date.isoformat() if locked.due_date else None},
               actor=actor, action="legality.revised", at=now,
               notify=[core.Message(r, "合法性审查：收到修改稿", f"“{locked.title}”提交了第 {locked.version} 稿，请重新审查。",
                                    _managers_link(locked), f"legality:{locked.pk}:v{locked.version}:revised:{r.pk}")
                       for r in reviewers])
    return locked


def passed_opinion(submission: Submission) -> Opinion | None:
    """The 合法 opinion on the current version, bound to its digest (None when it has none)."""
    return (Opinion.objects.filter(submission=submission, version__number=submission.version,
                                   conclusion=Conclusion.LAWFUL).select_related("version").first())


def issue(submission: Submission, *, digest: str | None = None, actor: User,
          now: dt.datetime | None = None) -> Submission:
    """Mark the document issued (印发). Refused (NOT_REVIEWED, 409) unless the current version passed review: its
    opinion is 合法 and bound to the very text (digest) being issued; ``digest``, when given, is the text the actor
    confirms, and must be the current one (VERSION_CHANGED, 409).

    Side effects: Submission state/issued_at/issued_by; an ``issued`` event; a notice to the reviewers."""
    now = now or timezone.now()
    check_manager(actor, submission)
    with transaction.atomic():
        locked = lock(submission)
        current = locked.versions.get(number=locked.version)
        if digest and digest != current.digest:
            raise Conflict("VERSION_CHANGED", "文件已有新的版本，请核对后再印发。",
                           {"digest": current.digest, "version": locked.version})
        opinion = passed_opinion(locked)
        if not rules.can_issue(core_rules.roles_of(actor), locked.state) or opinion is None \
                or opinion.digest != current.digest:
            raise Conflict("NOT_REVIEWED", NOT_REVIEWED, {"state": locked.state, "version": locked.version})
        transition(locked, State.ISSUED)
        locked.issued_at, locked.issued_by = now, actor
        locked.save(update_fields=["state", "issued_at", "issued_by"])
        record(locked, EventKind.ISSUED, {"version": locked.version, "digest": current.digest,
                                          "opinion": opinion.pk}, actor=actor, action="legality.issued", at=now)
    return locked


def reveal_numbers(submission: Submission, *, actor: User, reason: str) -> list[dict[str, str]]:
    """The 身份证号 and phone numbers masked in the current version's text, in full: only for a role with the
    personal-data right, with a reason (core.reveal_text_numbers). The caller got ``submission`` from the selectors.

    Side effects: one audit row ``personal.text_numbers_revealed`` (attested in the ledger)."""
    version = submission.versions.get(number=submission.version)
    return core.reveal_text_numbers(version, actor=actor, reason=reason, region_code=submission.region.code)
