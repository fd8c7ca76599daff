"""一案一卷 (domain.md 2.5): the records that go only into the case file — 调查笔录 (``record_investigation``) — and
立卷归档 (``file_case``): the committee's own file number (卷宗号, per committee and year, from a locked counter row),
the retention period and the closing note sheet's facts (卷内备考表)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import Organisation, User

from .. import casefile as casefiles
from .. import rules
from ..enums import CaseStage, EventKind, SystemMove
from ..models import Case, CaseFile, FileCounter, InvestigationRecord
from . import transitions
from .records import record

COMMITTEE_SUFFIX = "人民调解委员会"


# ----------------------------------------------------------------------------------------------------------------
# 调查笔录
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InvestigationIn:
    """One hearing: who was heard, when, where, by whom, what was said."""
    heard: str
    held_at: dt.datetime | None
    place: str
    investigators: str
    content: str


def record_investigation(case: Case, data: InvestigationIn, *, actor: User) -> InvestigationRecord:
    """调查笔录 by the staff handling the case (``rules.can_record_investigation``). The time is neither in the future
    (``DATE_IN_FUTURE``) nor before the case was registered (``DATE_BEFORE_CASE``). Side effects: the row, the audit
    row, a non-public timeline event carrying the SHA-256 of what was said (attested in the ledger)."""
    heard, place = (data.heard or "").strip(), (data.place or "").strip()
    investigators, content = (data.investigators or "").strip(), (data.content or "").strip()
    errors = {}
    if not heard:
        errors["heard"] = ["请填写被调查人。"]
    if data.held_at is None:
        errors["held_at"] = ["请填写调查时间。"]
    if not place:
        errors["place"] = ["请填写调查地点。"]
    if not investigators:
        errors["investigators"] = ["请填写调查人。"]
    if len(content) < 4:
        errors["content"] = ["请记录调查内容。"]
    if errors:
        raise ValidationFailed("INVALID_INVESTIGATION", next(iter(errors.values()))[0], errors)
    if data.held_at > timezone.now():
        raise ValidationFailed("DATE_IN_FUTURE", "调查时间不能晚于现在。", {"held_at": ["调查时间不能晚于现在。"]})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_record_investigation(actor, locked):
            raise XiangzhiError("FORBIDDEN", "当前阶段您不能为该案件记录调查笔录。", status=403)
        if data.held_at < locked.created_at.replace(second=0, microsecond=0):
            raise ValidationFailed("DATE_BEFORE_CASE", "调查时间不能早于案件登记的时间。",
                                   {"held_at": ["调查时间不能早于案件登记的时间。"]})
        row = InvestigationRecord.objects.create(case=locked, heard=heard[:120], held_at=data.held_at,
                                                 place=place[:120], investigators=investigators[:120],
                                                 content=content, recorded_by=actor)
        record(locked, EventKind.INVESTIGATION, {
            "investigation": row.pk, "held_at": data.held_at.isoformat(),
            "sha256": hashlib.sha256(content.encode()).hexdigest()},
            actor=actor, action="case.investigation_recorded", after={"investigation": row.pk}, public=False,
            text=f"记录了调查笔录（{place[:40]}）", attest=False)
    return row


# ----------------------------------------------------------------------------------------------------------------
# 立卷归档
# ----------------------------------------------------------------------------------------------------------------
def file_number(org: Organisation, year: int, seq: int) -> str:
    """The committee's own file number as the paper cover writes it: ``(2026)乌镇镇人调字第12号``."""
    name = org.name[:-len(COMMITTEE_SUFFIX)] if org.name.endswith(COMMITTEE_SUFFIX) else org.name
    return f"({year}){name}人调字第{seq}号"


def reserve_file_number(org: Organisation, year: int) -> int:
    """The committee's next file number of ``year``: its counter row locked until the end of the caller's
    transaction (created with the year's first file), so two filings at once never get the same number."""
    counter = FileCounter.objects.select_for_update().filter(organisation=org, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                FileCounter.objects.create(organisation=org, year=year, last=0)
        except IntegrityError:
            pass  # another filing created it first
        counter = FileCounter.objects.select_for_update().get(organisation=org, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def file_case(case: Case, *, actor: User, remarks: str = "", now: dt.datetime | None = None) -> CaseFile:
    """立卷归档: a closed case's file gets its committee's own file number (卷宗号, per committee and year), the
    retention period (``XIANGZHI_CASEFILE_RETENTION``), the number of items in it, who filed it and when — what
    the cover and the closing note sheet (卷内备考表) print. Once per case (``ALREADY_FILED``); by the committee's
    mediators or a supervisor (``rules.can_file``). Side effects: the counter row, the CaseFile row, the audit row
    and the timeline event (attested in the ledger), and a closed case moves to 已归档 (system move ``filed``: filing
    is the only way a case is archived)."""
    now = now or timezone.now()
    remarks = (remarks or "").strip()[:500]
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        filed = CaseFile.objects.filter(case=locked).exists()
        if filed:
            raise Conflict("ALREADY_FILED", "该案件已经立卷归档。")
        if not rules.can_file(actor, locked, filed=False):
            if locked.stage not in rules.FILABLE_STAGES:
                raise Conflict("NOT_FILABLE", "只有已结案的案件可以立卷归档。")
            raise XiangzhiError("FORBIDDEN", "您无权为该案件立卷归档。", status=403)
        org = locked.organisation
        year = timezone.localtime(now).year
        seq = reserve_file_number(org, year)
        row = CaseFile.objects.create(
            case=locked, organisation=org, year=year, seq=seq, number=file_number(org, year, seq),
            retention=settings.XIANGZHI_CASEFILE_RETENTION, items=casefiles.item_count(locked), remarks=remarks,
            filed_by=actor, filed_at=now)
        record(locked, EventKind.FILED, {"file_number": row.number, "retention": row.retention, "items": row.items},
               actor=actor, action="case.filed", text=f"立卷归档，卷宗号{row.number}", at=now)
        if locked.stage == CaseStage.CLOSED:  # filing is what archives a closed case (the only way to 已归档)
            transitions.transition(locked, CaseStage.ARCHIVED, actor=None, by=SystemMove.FILED, now=now,
                                   reason=f"立卷归档，卷宗号{row.number}")
    return row
