"""联动联办 (joint handling) and 诉调对接 (hand-overs): the lead organisation invites departments into a case with a
task, a deadline and a contact; the department's liaison sees only the cases shared with their organisation, answers
in the case (text, a file) or hands the task back with a reason; the lead sees who answered and who is late.

``shared_case_q(user)`` is the selector ``selectors.cases_visible_to`` ORs in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.enums import Role
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import Organisation, User

from . import rules
from .enums import CaseStage, EventKind, HandoverDirection, JointStatus
from .models import Case, Handover, JointReply, JointTask
from .services import Upload, check_upload, save_upload

S = CaseStage
JOINT_ROLES = frozenset({Role.LIAISON, Role.MEDIATOR, Role.TOWN_STAFF, Role.CENTRE_STAFF})
ACTIVE = (JointStatus.OPEN, JointStatus.ANSWERED)


def _liaison_orgs(user) -> list[int]:  # noqa: ANN001
    return sorted(rules.org_ids_for(user, frozenset({Role.LIAISON})))


def shared_case_q(user) -> Q:  # noqa: ANN001
    """Cases in which the user's department (liaison membership) holds an active joint task."""
    orgs = _liaison_orgs(user)
    if not orgs:
        return Q(pk__in=[])
    return Q(pk__in=JointTask.objects.filter(organisation_id__in=orgs, status__in=ACTIVE).values("case_id"))


def shares_case(user, case: Case) -> bool:  # noqa: ANN001
    orgs = _liaison_orgs(user)
    return bool(orgs) and JointTask.objects.filter(case=case, organisation_id__in=orgs, status__in=ACTIVE).exists()


def can_lead(user, case: Case) -> bool:  # noqa: ANN001
    """The lead organisation: the case's mediator, its organisation's mediators, supervisors of the place."""
    return rules.is_mediator_of(user, case) or rules.is_handler(user, case) or rules.is_supervisor_of(user, case)


def tasks_for_liaison(user) -> QuerySet[JointTask]:  # noqa: ANN001
    return (JointTask.objects.filter(organisation_id__in=_liaison_orgs(user) or [0])
            .select_related("case", "organisation").order_by("-invited_at", "-id"))


def access_task(user, pk: int) -> JointTask:  # noqa: ANN001
    """A task of the user's department, or one of a case the user leads; 404 otherwise."""
    task = JointTask.objects.select_related("case", "organisation").filter(pk=pk).first()
    if task is None:
        raise Http404
    if task.organisation_id in _liaison_orgs(user) or can_lead(user, task.case):
        return task
    raise Http404


def _department(org_id: int) -> Organisation:
    org = Organisation.objects.filter(pk=org_id, is_active=True).first()
    if org is None:
        raise ValidationFailed("INVALID_ORGANISATION", "协办单位无效。")
    return org


def invite(case: Case, *, actor: User, organisation_id: int, task: str, due_at: dt.datetime, contact_name: str,
           contact_phone: str = "") -> JointTask:
    """Invite a department into the case. Side effects: the task, audit, a public timeline row, a notice to the
    department's liaisons."""
    from .services import _record_event

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
        if not can_lead(actor, locked) or locked.stage in (S.CLOSED, S.ARCHIVED, S.NOT_ACCEPTED):
            raise XiangzhiError("FORBIDDEN", "只有牵头调解组织可以在办理中邀请协办单位。", status=403)
        if JointTask.objects.filter(case=locked, organisation=org, status=JointStatus.OPEN).exists():
            raise Conflict("ALREADY_INVITED", f"{org.name}已有未完成的协办任务。")
        jt = JointTask.objects.create(case=locked, organisation=org, task=task[:500], due_at=due_at,
                                      contact_name=contact_name[:40], contact_phone=(contact_phone or "")[:20],
                                      invited_by=actor)
        core.audit("case.joint_invited", actor=actor, obj=locked, region_code=locked.region_code,
                   after={"task": jt.pk, "organisation": org.pk})
        _record_event(locked, EventKind.JOINT, {"task": jt.pk, "organisation": org.pk, "action": "invited"}, actor=actor,
                      text=f"邀请{org.name}联动协办")
        for user in User.objects.filter(memberships__organisation=org, memberships__is_active=True,
                                        memberships__role=Role.LIAISON).distinct()[:20]:
            core.notify_user(user, subject=f"案件 {locked.number} 邀请贵单位协办",
                             body=f"{task[:80]}；期限 {timezone.localtime(due_at):%m月%d日}", link=f"/cases/joint/{jt.pk}/",
                             dedupe_key=f"joint:{jt.pk}:invited:{user.pk}")
    return jt


def reply(task: JointTask, *, actor: User, text: str, upload: Upload | None = None) -> JointReply:
    """The department answers in the case (text and optionally one file, checked like every attachment, streamed to
    storage and kept with its SHA-256)."""
    from .services import _record_event

    text = (text or "").strip()
    if len(text) < 2:
        raise ValidationFailed("REPLY_REQUIRED", "请填写答复内容。")
    ext = check_upload(upload)[0] if upload is not None else ""
    with transaction.atomic():
        locked = JointTask.objects.select_for_update().select_related("case").get(pk=task.pk)
        if locked.organisation_id not in _liaison_orgs(actor):
            raise XiangzhiError("FORBIDDEN", "只有协办单位的联络员可以答复。", status=403)
        if locked.status not in ACTIVE:
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
        core.audit("case.joint_answered", actor=actor, obj=case, region_code=case.region_code,
                   after={"task": locked.pk, "reply": r.pk, "sha256": r.sha256})
        _record_event(case, EventKind.JOINT, {"task": locked.pk, "reply": r.pk, "action": "answered", "sha256": r.sha256},
                      actor=actor, text=f"{locked.organisation.name}答复协办事项", public=False)
        if locked.invited_by_id:
            core.notify_user(locked.invited_by, subject=f"案件 {case.number} 协办单位已答复", body=text[:100],
                             link=f"/cases/joint/{locked.pk}/")
    return r


def hand_back(task: JointTask, *, actor: User, reason: str) -> JointTask:
    """The department hands the task back with a reason (not its competence, wrong department…)."""
    from .services import _record_event

    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("REASON_REQUIRED", "退回须说明理由。")
    with transaction.atomic():
        locked = JointTask.objects.select_for_update().select_related("case", "organisation").get(pk=task.pk)
        if locked.organisation_id not in _liaison_orgs(actor):
            raise XiangzhiError("FORBIDDEN", "只有协办单位的联络员可以退回。", status=403)
        if locked.status != JointStatus.OPEN:
            raise Conflict("TASK_NOT_OPEN", "只有待办理的协办任务可以退回。")
        locked.status, locked.returned_at, locked.return_reason = JointStatus.RETURNED, timezone.now(), reason[:300]
        locked.save(update_fields=["status", "returned_at", "return_reason"])
        case = locked.case
        core.audit("case.joint_returned", actor=actor, obj=case, region_code=case.region_code,
                   after={"task": locked.pk}, note=reason)
        _record_event(case, EventKind.JOINT, {"task": locked.pk, "action": "returned", "reason": reason}, actor=actor,
                      text=f"{locked.organisation.name}退回协办任务：{reason}"[:300], public=False)
        core.notify_user(locked.invited_by, subject=f"案件 {case.number} 协办任务被退回", body=reason[:100],
                         link=f"/cases/joint/{locked.pk}/")
    return locked


@dataclass
class TaskRow:
    task: JointTask
    late: bool
    replies: int


def overview(case: Case, now: dt.datetime | None = None) -> list[TaskRow]:
    """For the lead: every task of the case, who answered, who is late (open after the deadline)."""
    now = now or timezone.now()
    from django.db.models import Count

    tasks = case.joint_tasks.select_related("organisation").annotate(n=Count("replies")).order_by("invited_at", "id")
    return [TaskRow(task=t, late=t.status == JointStatus.OPEN and now > t.due_at, replies=t.n) for t in tasks]


def record_handover(case: Case, *, actor: User, direction: str, counterpart: str, reference: str = "",
                    note: str = "") -> Handover:
    """诉调对接: a referral in (from a court, police station, department) or a hand-over out, recorded in the case."""
    from .services import _record_event

    counterpart = (counterpart or "").strip()
    if direction not in HandoverDirection.values or not counterpart:
        raise ValidationFailed("INVALID_HANDOVER", "请选择移入/移出并填写对方单位。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not can_lead(actor, locked):
            raise XiangzhiError("FORBIDDEN", "您无权记录该案件的移交。", status=403)
        h = Handover.objects.create(case=locked, direction=direction, counterpart=counterpart[:120],
                                    reference=(reference or "")[:60], note=(note or "")[:300], recorded_by=actor)
        core.audit("case.handover", actor=actor, obj=locked, region_code=locked.region_code,
                   after={"handover": h.pk, "direction": direction, "counterpart": counterpart})
        label = "移入自" if direction == HandoverDirection.IN else "移交"
        _record_event(locked, EventKind.HANDOVER, {"handover": h.pk, "direction": direction, "reference": reference},
                      actor=actor, text=f"{label}{counterpart}{('（' + reference + '）') if reference else ''}")
    return h
