"""联动联办 (joint handling) and 诉调对接 (hand-overs): the lead organisation invites departments into a case with a
task, a deadline and a contact; the department's liaison sees only the cases shared with their organisation, answers
in the case (text, a file) or hands the task back with a reason; the lead sees who answered and who is late.

Who may do what is ``rules`` (can_invite, can_lead, can_reply, can_hand_back); which cases a department sees is
``selectors.cases_visible_to``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from xiangzhi.core.enums import Role
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import Organisation, User

from .. import rules
from ..enums import EventKind, HandoverDirection, JointStatus
from ..models import Case, Handover, JointReply, JointTask
from .records import ToUser, record
from .uploads import Upload, check_upload, save_upload


def _department(org_id: int) -> Organisation:
    org = Organisation.objects.filter(pk=org_id, is_active=True).first()
    if org is None:
        raise ValidationFailed("INVALID_ORGANISATION", "协办单位无效。")
    return org


def invite(case: Case, *, actor: User, organisation_id: int, task: str, due_at: dt.datetime, contact_name: str,
           contact_phone: str = "") -> JointTask:
    """Invite a department into the case. Side effects: the task, audit, a public timeline row, a notice to the
    department's liaisons."""

    task, contact_name = (task or "").strip(), (contact_name or "").strip()
    errors = {}
    if len(task) < 4:
        errors["task"] = ["请写明协办事项。"]
    if not contact_name:
        errors["contact_name"] = ["请填写联系人。"]
    if due_at is None or due_at <= timezone.now():
        errors["due_at"] = ["办理期限须晚于现在。"]
    if errors:
        raise ValidationFailed("INVALID_JOINT_TASK", next(iter(errors.values()))[0], errors)
    org = _department(organisation_id)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_invite(actor, locked):
            raise XiangzhiError("FORBIDDEN", "只有牵头调解组织可以在办理中邀请协办单位。", status=403)
        if JointTask.objects.filter(case=locked, organisation=org, status=JointStatus.OPEN).exists():
            raise Conflict("ALREADY_INVITED", f"{org.name}已有未完成的协办任务。")
        jt = JointTask.objects.create(case=locked, organisation=org, task=task[:500], due_at=due_at,
                                      contact_name=contact_name[:40], contact_phone=(contact_phone or "")[:20],
                                      invited_by=actor)
        liaisons = User.objects.filter(memberships__organisation=org, memberships__is_active=True,
                                       memberships__role=Role.LIAISON).distinct()[:20]
        record(locked, EventKind.JOINT, {"task": jt.pk, "organisation": org.pk, "action": "invited"}, actor=actor,
               action="case.joint_invited", after={"task": jt.pk, "organisation": org.pk},
               text=f"邀请{org.name}联动协办",
               notify=[ToUser(user, f"案件 {locked.number} 邀请贵单位协办",
                              f"{task[:80]}；期限 {timezone.localtime(due_at):%m月%d日}",
                              key=f"joint:{jt.pk}:invited:{user.pk}", link=f"/cases/joint/{jt.pk}/")
                       for user in liaisons])
    return jt


def reply(task: JointTask, *, actor: User, text: str, upload: Upload | None = None) -> JointReply:
    """The department answers in the case (text and optionally one file, checked like every attachment, streamed to
    storage and kept with its SHA-256)."""

    text = (text or "").strip()
    if len(text) < 2:
        raise ValidationFailed("REPLY_REQUIRED", "请填写答复内容。")
    ext = check_upload(upload)[0] if upload is not None else ""
    with transaction.atomic():
        locked = JointTask.objects.select_for_update().select_related("case").get(pk=task.pk)
        if not rules.is_department_of(actor, locked):
            raise XiangzhiError("FORBIDDEN", "只有协办单位的联络员可以答复。", status=403)
        if not rules.can_reply(actor, locked):
            raise Conflict("TASK_CLOSED", "该协办任务已退回或撤回。")
        r = JointReply(task=locked, author=actor, text=text[:5000])
        if upload is not None:
            r.file, r.sha256 = save_upload(upload, "joint", ext)
            r.original_name = upload.name[:200]
        r.save()
        now = timezone.now()
        if locked.status == JointStatus.OPEN:
            locked.status, locked.answered_at = JointStatus.ANSWERED, now
            locked.save(update_fields=["status", "answered_at"])
        case = locked.case
        record(case, EventKind.JOINT, {"task": locked.pk, "reply": r.pk, "action": "answered", "sha256": r.sha256},
               actor=actor, action="case.joint_answered", after={"task": locked.pk, "reply": r.pk, "sha256": r.sha256},
               text=f"{locked.organisation.name}答复协办事项", public=False,
               notify=[ToUser(locked.invited_by, f"案件 {case.number} 协办单位已答复", text[:100],
                              link=f"/cases/joint/{locked.pk}/")] if locked.invited_by_id else ())
    return r


def hand_back(task: JointTask, *, actor: User, reason: str) -> JointTask:
    """The department hands the task back with a reason (not its competence, wrong department…)."""

    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("REASON_REQUIRED", "退回须说明理由。")
    with transaction.atomic():
        locked = JointTask.objects.select_for_update().select_related("case", "organisation").get(pk=task.pk)
        if not rules.is_department_of(actor, locked):
            raise XiangzhiError("FORBIDDEN", "只有协办单位的联络员可以退回。", status=403)
        if not rules.can_hand_back(actor, locked):
            raise Conflict("TASK_NOT_OPEN", "只有待办理的协办任务可以退回。")
        locked.status, locked.returned_at, locked.return_reason = JointStatus.RETURNED, timezone.now(), reason[:300]
        locked.save(update_fields=["status", "returned_at", "return_reason"])
        case = locked.case
        record(case, EventKind.JOINT, {"task": locked.pk, "action": "returned", "reason": reason}, actor=actor,
               action="case.joint_returned", after={"task": locked.pk}, note=reason,
               text=f"{locked.organisation.name}退回协办任务：{reason}"[:300], public=False,
               notify=[ToUser(locked.invited_by, f"案件 {case.number} 协办任务被退回", reason[:100],
                              link=f"/cases/joint/{locked.pk}/")] if locked.invited_by_id else ())
    return locked


def record_handover(case: Case, *, actor: User, direction: str, counterpart: str, reference: str = "",
                    note: str = "") -> Handover:
    """诉调对接: a referral in (from a court, police station, department) or a hand-over out, recorded in the case."""

    counterpart = (counterpart or "").strip()
    if direction not in HandoverDirection.values or not counterpart:
        raise ValidationFailed("INVALID_HANDOVER", "请选择移入/移出并填写对方单位。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_lead(actor, locked):
            raise XiangzhiError("FORBIDDEN", "您无权记录该案件的移交。", status=403)
        h = Handover.objects.create(case=locked, direction=direction, counterpart=counterpart[:120],
                                    reference=(reference or "")[:60], note=(note or "")[:300], recorded_by=actor)
        label = "移入自" if direction == HandoverDirection.IN else "移交"
        record(locked, EventKind.HANDOVER, {"handover": h.pk, "direction": direction, "reference": reference},
               actor=actor, action="case.handover",
               after={"handover": h.pk, "direction": direction, "counterpart": counterpart},
               text=f"{label}{counterpart}{('（' + reference + '）') if reference else ''}")
    return h
