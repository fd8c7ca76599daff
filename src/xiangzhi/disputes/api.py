"""/api/v1/cases: intake, the case list and page, the state machine, materials, sessions and signatures; deadline and
colour, risk, joint handling, judicial confirmation, documents, the case file and the import of historical cases. The
same service and selector functions as the pages. No business rules here."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from xiangzhi.core.api_auth import PUBLIC
from xiangzhi.core.errors import Conflict, NotFound, ValidationFailed, XiangzhiError
from xiangzhi.core.idempotency import idempotent
from xiangzhi.core.middleware import client_ip
from xiangzhi.core.models import User
from xiangzhi.core.pagination import MAX_LIMIT, PageIn, next_url, page_of, paginate
from xiangzhi.core.schemas import ErrorOut, IsoDate

from . import casefile as casefiles
from . import colours, documents, exports, import_format, qr, rules, selectors
from .colours import info as colour_info
from .enums import AttachmentCategory, CaseStage, Channel, Colour
from .models import Case, CaseFile, FollowUpVisit, Handover, ImportJob, InvestigationRecord, JointTask, Party
from .schemas import (
    AgreementIn,
    AttachmentOut,
    CaseDetailOut,
    CaseFileOut,
    CaseListOut,
    CasePage,
    ClockOut,
    ConflictIn,
    ConsentIn,
    ContactOut,
    DocumentIn,
    DocumentOfferOut,
    EventOut,
    ExtensionConsentOut,
    ExtensionIn,
    ExtensionOut,
    FileIn,
    HandBackIn,
    HandoverIn,
    HandoverOut,
    ImportJobOut,
    IntakeSchemaIn,
    InvestigationIn,
    InvestigationOut,
    JointIn,
    JointOut,
    JointTaskOut,
    JudicialIn,
    JudicialOut,
    JudicialStepIn,
    LookupOut,
    NotAcceptanceProposalOut,
    NoticeIn,
    NotPerformedIn,
    PartyAgreementOut,
    PartyDetailsIn,
    PartyOut,
    PartyReasonIn,
    PartyRecusalIn,
    PartySchemaIn,
    PartySignIn,
    PartyStatusOut,
    PublicCaseOut,
    RatingIn,
    RecusalDecisionIn,
    RecusalOut,
    RecusalRequestIn,
    ReferralIn,
    ReplyIn,
    RetriageIn,
    RightsNoticeIn,
    RiskIn,
    RiskReportBody,
    RiskReportOut,
    SessionIn,
    SessionOut,
    SignatureIn,
    SignatureOut,
    SignerOut,
    SlipOut,
    StaffConsentIn,
    TextNumberOut,
    TextNumbersRevealIn,
    TodoGroupOut,
    TodoOut,
    TransitionIn,
    VisitIn,
    VisitOut,
)
from .services import (
    agreement,
    archive,
    deadlines,
    feedback,
    importing,
    intake,
    joint,
    judicial,
    mediation,
    recusal,
    transitions,
    uploads,
)
from .services import documents as case_documents
from .services.deadlines import ExtensionConsentIn
from .services.intake import IntakeIn, PartyIn
from .services.uploads import Upload
from .views.common import stage_info

router = Router(tags=["disputes 桐解码"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
TodoKey = Literal[tuple(selectors.TODO_GROUPS)]  # a group of the to-do view


def _staff(request: HttpRequest) -> User:
    if not rules.is_dispute_staff(request.auth):
        raise Http404
    return request.auth


def _party(p: PartySchemaIn) -> PartyIn:
    return PartyIn(kind=p.kind, name=p.name, id_number=p.id_number, phone=p.phone, org_name=p.org_name,
                   region_code=p.region_code, sex=p.sex, ethnicity=p.ethnicity, occupation=p.occupation)


def _list_out(c: Case, now: dt.datetime | None = None) -> CaseListOut:
    info = colour_info(c, now)
    return CaseListOut(id=c.pk, number=c.number, archive_number=c.archive_number, stage=c.stage,
                       stage_label=str(CaseStage(c.stage).label), colour=info.colour, colour_label=info.word,
                       due_at=info.due, countdown=info.countdown, dispute_type=c.dispute_type.code,
                       region_code=c.region_code, region_name=c.region.display_name,
                       organisation=c.organisation.name if c.organisation_id else None, created_at=c.created_at)


def _detail_out(c: Case, user: User) -> CaseDetailOut:
    base = _list_out(c).dict()
    base["stage_label"] = stage_info(c)["stage_label"]
    repeat = selectors.repeat_link(user, c)
    proposal = rules.proposed_non_acceptance(c)
    return CaseDetailOut(
        **base, public_url=c.public_url, source=c.source, channel=c.channel, risk_level=c.risk_level, level=c.level,
        mediator=(c.mediator.display_name or c.mediator.username) if c.mediator_id else None,
        mediator_confirmed=c.mediator_confirmed_at is not None, preferred_mediator=c.preferred_mediator,
        confirm_due=c.confirm_due,
        description=c.description, request=c.request, repeat_of=repeat.number if repeat else None,
        repeat_elsewhere=bool(repeat and not repeat.visible),
        agreement_text=c.agreement_text, agreement_facts=c.agreement_facts,
        agreement_responsibilities=c.agreement_responsibilities, agreement_performance=c.agreement_performance,
        agreement_due=c.agreement_due, agreement_effective_at=c.agreement_effective_at,
        outcome_note=c.outcome_note,
        parties=[PartyOut(id=p.pk, role=p.role, kind=p.kind, name=p.masked_name, consent=p.consent,
                          consent_method=p.consent_method, consent_at=p.consent_at, notice_method=p.notice_method,
                          notice_at=p.notice_at, needs_notice=selectors.party_needs_notice(c, p),
                          rights_method=p.rights_method, rights_served_at=p.rights_served_at)
                 for p in c.parties.select_related("person")],
        timeline=[EventOut(at=e.at, kind=e.kind, actor=e.actor_label, stage_from=e.stage_from, stage_to=e.stage_to,
                           text=e.text) for e in selectors.staff_timeline(user, c)],
        allowed_transitions=[to for to, _ in rules.available_transitions(user, c)],
        cross_area=c.cross_area, other_proceeding=c.other_proceeding,
        proposed_non_acceptance=NotAcceptanceProposalOut(ground=proposal[0], redirect_to=proposal[1])
        if proposal else None,
    )


@router.post("/", response={201: CaseDetailOut, **ERRORS}, summary="登记纠纷（工作人员窗口/网格员代办；群众网上申请）")
@idempotent
def create_case(request: HttpRequest, payload: IntakeSchemaIn):
    user = request.auth
    channel = intake.channel_for(user, payload.channel)
    data = IntakeIn(applicant=_party(payload.applicant), respondents=[_party(r) for r in payload.respondents],
                    region_code=payload.region_code, description=payload.description, request=payload.request,
                    type_code=payload.type_code, place=payload.place, consent=payload.consent,
                    source=payload.source, risk_level=payload.risk_level, on_spot_agreement=payload.on_spot_agreement,
                    preferred_mediator=payload.preferred_mediator, other_proceeding=payload.other_proceeding)
    if channel == Channel.ONLINE:
        return Status(201, _detail_out(intake.apply_online(data, actor=user, client_ip=client_ip(request)), user))
    case = intake.create_case(data, actor=user, channel=channel)
    return Status(201, _detail_out(selectors.access_case(user, case.pk), user))


@router.post("/referrals", response={201: CaseDetailOut, **ERRORS},
             summary="部门移送（公安、法院、政府部门的接口令牌）")
@idempotent
def referral(request: HttpRequest, payload: ReferralIn):
    user = request.auth
    data = IntakeIn(applicant=_party(payload.applicant), respondents=[_party(r) for r in payload.respondents],
                    region_code=payload.region_code, description=payload.description, request=payload.request,
                    type_code=payload.type_code, risk_level=payload.risk_level, referral_ref=payload.referral_ref,
                    other_proceeding=payload.other_proceeding)
    case = intake.refer(data, actor=user)
    return Status(201, _detail_out(selectors.access_case(user, case.pk), user))


@router.get("/", response={200: CasePage, **ERRORS}, summary="案件列表（管辖范围内；按编号倒序，游标分页）")
def list_cases(request: HttpRequest, scope: Literal["", "all", "mine", "queue"] = "", stage: CaseStage | Literal[""] = "",
               type: str = Query("", max_length=30), colour: Colour | Literal[""] = "",  # noqa: A002
               region: str = Query("", max_length=15, pattern=r"^[0-9]*$"), date_from: IsoDate | None = None,
               date_to: IsoDate | None = None, after: int | None = Query(None, ge=1, le=2**63 - 1),
               limit: int = Query(50, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）"),
               number: str = Query("", max_length=60, description="案件编号，如 5335、2026-5335、桐解〔2026〕05335号"),
               todo: TodoKey | Literal[""] = ""):
    user = _staff(request)
    filters = selectors.CaseFilters(mine=scope == "mine", queue=scope == "queue", stage=stage, type_code=type,
                                    colour=colour, region=region, date_from=date_from, date_to=date_to,
                                    number=number.strip(), todo=todo)
    if filters.number and selectors.number_q(filters.number) is None:
        raise ValidationFailed("INVALID_NUMBER", "案件编号无法识别，请输入如 5335、2026-5335 或 桐解〔2026〕05335号。")
    now = timezone.now()  # one instant for the colour filter and each item's colour and countdown
    cases, next_after = selectors.workbench_cases(user, filters, after=after, limit=limit, now=now)
    return CasePage(items=[_list_out(c, now) for c in cases], next_after=next_after,
                    next=next_url(request, after=next_after, limit=limit) if next_after else None)


@router.get("/public/{token}", auth=None, response={200: PublicCaseOut, 404: ErrorOut}, openapi_extra=PUBLIC,
            summary="公开：凭二维码令牌查看案件阶段")
def public_stage(request: HttpRequest, token: str):  # noqa: ARG001
    case = selectors.case_for_token(token)
    return PublicCaseOut(stage=case.stage, stage_label=stage_info(case)["stage_label"])


def _own_party(request: HttpRequest, token: str) -> tuple[Case, Party]:
    """The case behind the QR token and the party this citizen session proves; 404 for anyone else."""
    case = selectors.case_for_token(token)
    party = selectors.party_of(request.auth, case)
    if party is None:
        raise Http404
    return case, party


def _agreement_out(case: Case, party: Party) -> PartyAgreementOut:
    info = selectors.agreement_for_party(case, party)
    if info is None:
        raise Conflict("NOT_SIGNABLE", "本案没有待签名的书面协议。")
    return PartyAgreementOut(number=case.number, text=info.text, amount=info.amount, agreement_sha256=info.digest,
                             signers=[SignerOut(role=r, name=n, signed_at=at) for r, n, at in info.signers],
                             mediator_signed=info.mediator_signed, sealed=info.sealed, signed_at=info.signed_at)


@router.get("/party/{token}/agreement", response={200: PartyAgreementOut, **ERRORS},
            summary="当事人（手机验证登录）：查看待签名的调解协议和各方签名情况")
def party_agreement(request: HttpRequest, token: str):
    return _agreement_out(*_own_party(request, token))


@router.post("/party/{token}/signature", response={201: SignatureOut, **ERRORS},
             summary="当事人（手机验证登录）：确认协议内容并本人签名（只能为自己签一次）")
def party_sign(request: HttpRequest, token: str, payload: PartySignIn):
    case, party = _own_party(request, token)
    sig = agreement.sign_as_party(case, party, actor=request.auth, digest=payload.agreement_sha256,
                                 confirmed=payload.confirm)
    case.refresh_from_db(fields=["agreement_effective_at"])
    return Status(201, SignatureOut(id=sig.pk, party_id=sig.party_id, mediator=False, method=sig.method,
                                    signed_at=sig.signed_at, agreement_effective=case.agreement_effective_at is not None))


# --- the workbench's lists that the API lacked: 待办, the department's joint-task inbox, the export, lookup --------
# (registered before "/{case_id}", which would otherwise take their one-segment paths)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
def _download(content_type: str, description: str) -> dict:
    return {"responses": {200: {"description": description,
                                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/todo", response={200: TodoOut, **ERRORS},
            summary="待办：已超期、待确认接案、待受理、待指派、两个工作日内到期、等待当事人（各组件数和最早的案件）")
def get_todo(request: HttpRequest, limit: int = Query(10, ge=0, le=MAX_LIMIT, description="每组列出的案件数")):
    user = _staff(request)
    now = timezone.now()
    return TodoOut(groups=[TodoGroupOut(key=g.key, label=g.label, hint=g.hint, count=g.count,
                                        items=[_list_out(c, now) for c in g.rows])
                           for g in selectors.todo(user, now, rows=limit)])


def _task_out(t: JointTask) -> JointTaskOut:
    return JointTaskOut(id=t.pk, organisation_id=t.organisation_id, organisation=t.organisation.name, task=t.task,
                        due_at=t.due_at, status=t.status, late=rules.task_late(t, timezone.now()),
                        replies=getattr(t, "n_replies", 0), case_id=t.case_id, case_number=t.case.number,
                        contact_name=t.contact_name)


@router.get("/joint-tasks", response={200: page_of(JointTaskOut), **ERRORS},
            summary="本部门的联动协办任务（联络员的待办箱，最新在前）")
def list_department_tasks(request: HttpRequest, page: Query[PageIn]):
    if not rules.is_liaison(request.auth):
        raise Http404
    tasks = selectors.tasks_for_liaison(request.auth).annotate(n_replies=Count("replies"))
    return paginate(request, tasks, page, _task_out)


@router.get("/export.xlsx", response={200: None, **ERRORS}, openapi_extra=_download(XLSX, "案件清单 Excel"),
            summary="导出案件清单（.xlsx；与列表相同的筛选条件，管辖范围内）")
def export_cases(request: HttpRequest, scope: Literal["", "all", "mine", "queue"] = "",
                 stage: CaseStage | Literal[""] = "", type: str = Query("", max_length=30),  # noqa: A002
                 colour: Colour | Literal[""] = "", region: str = Query("", max_length=15, pattern=r"^[0-9]*$"),
                 date_from: IsoDate | None = None, date_to: IsoDate | None = None,
                 number: str = Query("", max_length=60), todo: TodoKey | Literal[""] = ""):
    user = _staff(request)
    filters = selectors.CaseFilters(mine=scope == "mine", queue=scope == "queue", stage=stage, type_code=type,
                                    colour=colour, region=region, date_from=date_from, date_to=date_to,
                                    number=number.strip(), todo=todo)
    data, _ = exports.export_xlsx(user, filters)
    return HttpResponse(data, content_type=XLSX)


@router.get("/lookup", auth=None, response={200: LookupOut, **ERRORS}, openapi_extra=PUBLIC,
            summary="按案件编号查询阶段（5335、2026-5335、桐解〔2026〕05335号；当事人本人另得二维码令牌；限频）")
def lookup_case(request: HttpRequest, number: str = Query(..., min_length=1, max_length=60)):
    case = intake.lookup(number.strip(), actor=request.user, client_ip=client_ip(request))
    if case is None:
        raise NotFound("没有这个编号的案件。")
    own = selectors.party_of(request.user, case) is not None
    return LookupOut(number=case.number, stage=case.stage, stage_label=stage_info(case)["stage_label"],
                     token=case.token if own else None)


@router.get("/{case_id}", response={200: CaseDetailOut, **ERRORS}, summary="案件详情（含办理经过、可执行的阶段变更）")
def get_case(request: HttpRequest, case_id: int):
    user = _staff(request)
    return _detail_out(selectors.access_case(user, case_id), user)


@router.post("/{case_id}/text-numbers/reveal", response={200: list[TextNumberOut], **ERRORS},
             summary="查看登记时文中输入的完整身份证号、手机号（须有权限并填写事由，记入审计日志）")
def reveal_text_numbers(request: HttpRequest, case_id: int, payload: TextNumbersRevealIn):
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    return [TextNumberOut(**n) for n in intake.reveal_text_numbers(case, actor=user, reason=payload.reason)]


@router.post("/{case_id}/transitions", response={200: CaseDetailOut, **ERRORS}, summary="阶段变更（唯一的状态机）")
def post_transition(request: HttpRequest, case_id: int, payload: TransitionIn):
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    details = transitions.details_for(
        payload.to, ground=payload.ground, redirect_to=payload.redirect_to, mediator_id=payload.mediator_id,
        chosen_by_party=payload.chosen_by_party, agreement_text=payload.agreement_text,
        agreement_amount=payload.agreement_amount, termination_reason=payload.termination_reason,
        agreement_facts=payload.agreement_facts, agreement_responsibilities=payload.agreement_responsibilities,
        agreement_performance=payload.agreement_performance, agreement_due=payload.agreement_due)
    transitions.transition(case, payload.to, actor=user, reason=payload.reason, details=details)
    return _detail_out(selectors.access_case(user, case_id), user)


@router.post("/{case_id}/confirm", response={200: CaseDetailOut, **ERRORS}, summary="调解员确认接案（3个工作日内）")
def confirm(request: HttpRequest, case_id: int):
    user = _staff(request)
    mediation.confirm_assignment(selectors.access_case(user, case_id), actor=user)
    return _detail_out(selectors.access_case(user, case_id), user)


@router.post("/{case_id}/triage", response={200: CaseDetailOut, **ERRORS}, summary="更正纠纷类型、风险并改派（编号不变）")
def post_triage(request: HttpRequest, case_id: int, payload: RetriageIn):
    user = _staff(request)
    intake.retriage(selectors.access_case(user, case_id), actor=user, type_code=payload.type_code,
                      risk_level=payload.risk_level, reroute=payload.reroute, reason=payload.reason)
    return _detail_out(selectors.access_case(user, case_id), user)


@router.get("/{case_id}/attachments", response={200: page_of(AttachmentOut), **ERRORS}, summary="案件材料（含 SHA-256）")
def list_attachments(request: HttpRequest, case_id: int, page: Query[PageIn]):
    case = selectors.access_case(_staff(request), case_id)
    return paginate(request, case.attachments.order_by("id"), page, lambda a: AttachmentOut(
        id=a.pk, category=a.category, original_name=a.original_name, content_type=a.content_type, size=a.size, sha256=a.sha256,
        created_at=a.created_at))


@router.post("/{case_id}/attachments", response={201: AttachmentOut, **ERRORS},
             summary="上传材料（JPG/PNG/PDF，大小受限）")
@idempotent
def post_attachment(request: HttpRequest, case_id: int, file: UploadedFile = File(...),  # noqa: B008
                    category: AttachmentCategory = Form(AttachmentCategory.EVIDENCE)):  # noqa: B008
    user = _staff(request)
    att = uploads.add_attachment(selectors.access_case(user, case_id), Upload.from_django(file), actor=user,
                                 category=category)
    return Status(201, AttachmentOut(id=att.pk, category=att.category, original_name=att.original_name, content_type=att.content_type,
                                     size=att.size, sha256=att.sha256, created_at=att.created_at))


@router.get("/{case_id}/sessions", response={200: page_of(SessionOut), **ERRORS}, summary="调解记录")
def list_sessions(request: HttpRequest, case_id: int, page: Query[PageIn]):
    case = selectors.access_case(_staff(request), case_id)
    return paginate(request, case.sessions.order_by("held_at", "id"), page, lambda s: SessionOut(
        id=s.pk, held_at=s.held_at, place=s.place, attendees=s.attendees, summary=s.summary))


@router.post("/{case_id}/sessions", response={201: SessionOut, **ERRORS}, summary="记录一次调解")
@idempotent
def post_session(request: HttpRequest, case_id: int, payload: SessionIn):
    user = _staff(request)
    s = mediation.record_session(selectors.access_case(user, case_id), actor=user, held_at=payload.held_at,
                                place=payload.place, attendees=payload.attendees, summary=payload.summary)
    return Status(201, SessionOut(id=s.pk, held_at=s.held_at, place=s.place, attendees=s.attendees,
                                  summary=s.summary))


def _party_in(case: Case, party_id: int) -> Party:
    party = case.parties.filter(pk=party_id).select_related("person").first()
    if party is None:
        raise ValidationFailed("INVALID_PARTY", "该当事人不属于本案。", {"party_id": party_id})
    return party


@router.post("/{case_id}/consents", response={200: CaseDetailOut, **ERRORS},
             summary="记录当事人当面、电话或书面表示的同意或拒绝调解（人民调解法第十七、二十三条）")
def post_consent(request: HttpRequest, case_id: int, body: StaffConsentIn):
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    mediation.record_consent(case, _party_in(case, body.party_id), actor=user, agree=body.agree,
                             method=body.method, at=body.at, note=body.note)
    return _detail_out(selectors.access_case(user, case_id), user)


@router.post("/{case_id}/notices", response={200: CaseDetailOut, **ERRORS},
             summary="记录对无手机号当事人的通知（书面、村委会或网格员当面、亲属转告等）")
def post_notice(request: HttpRequest, case_id: int, body: NoticeIn):
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    mediation.record_notice(case, _party_in(case, body.party_id), actor=user, method=body.method, by=body.by,
                            at=body.at)
    return _detail_out(selectors.access_case(user, case_id), user)


@router.post("/{case_id}/rights-notices", response={200: CaseDetailOut, **ERRORS},
             summary="记录向当事人送达权利义务告知书（逐人：方式、时间）")
def post_rights_notice(request: HttpRequest, case_id: int, body: RightsNoticeIn):
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    mediation.serve_rights(case, [_party_in(case, pk) for pk in body.party_ids], actor=user, method=body.method,
                           at=body.at)
    return _detail_out(selectors.access_case(user, case_id), user)


@router.post("/{case_id}/conflicts", response={200: CaseDetailOut, **ERRORS},
             summary="调解员申明回避（本人是当事人或与当事人有利害关系），退回待指派")
def post_conflict(request: HttpRequest, case_id: int, body: ConflictIn):
    user = _staff(request)
    recusal.declare_conflict(selectors.access_case(user, case_id), actor=user, reason=body.reason)
    return _detail_out(selectors.access_case(user, case_id), user)


def _recusal_out(r) -> RecusalOut:  # noqa: ANN001
    return RecusalOut(id=r.pk, party_id=r.party_id, reason=r.reason, requested_at=r.requested_at, status=r.status,
                      decision_note=r.decision_note, decided_at=r.decided_at)


@router.post("/{case_id}/recusal-requests", response={201: RecusalOut, **ERRORS},
             summary="记录当事人当面或电话提出的更换调解员申请")
def post_recusal_request(request: HttpRequest, case_id: int, body: RecusalRequestIn):
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    return Status(201, _recusal_out(recusal.request_recusal(case, _party_in(case, body.party_id), actor=user,
                                                            reason=body.reason)))


@router.post("/{case_id}/recusal-requests/decision", response={200: RecusalOut, **ERRORS},
             summary="调解委员会决定更换调解员的申请（准许则改派，不予更换须说明理由并告知当事人）")
def post_recusal_decision(request: HttpRequest, case_id: int, body: RecusalDecisionIn):
    user = _staff(request)
    return _recusal_out(recusal.decide_recusal(selectors.access_case(user, case_id), actor=user, grant=body.grant,
                                               note=body.note, mediator_id=body.mediator_id))


@router.post("/{case_id}/signatures", response={201: SignatureOut, **ERRORS}, summary="记录协议签名（当事人或调解员）")
def post_signature(request: HttpRequest, case_id: int, payload: SignatureIn):
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    party = case.parties.filter(pk=payload.party_id).first() if payload.party_id else None
    sig = agreement.sign_agreement(case, actor=user, party=party, as_mediator=payload.as_mediator,
                                  method=payload.method)
    case.refresh_from_db(fields=["agreement_effective_at"])
    return Status(201, SignatureOut(id=sig.pk, party_id=sig.party_id, mediator=sig.mediator_id is not None,
                                    method=sig.method, signed_at=sig.signed_at,
                                    agreement_effective=case.agreement_effective_at is not None))


@router.post("/{case_id}/seal", response={200: CaseDetailOut, **ERRORS}, summary="加盖调解委员会印章")
def post_seal(request: HttpRequest, case_id: int):
    user = _staff(request)
    agreement.apply_seal(selectors.access_case(user, case_id), actor=user)
    return _detail_out(selectors.access_case(user, case_id), user)


# --- deadline and colour, risk, joint handling, judicial confirmation, documents and the case file ---------------
def _clock(case) -> ClockOut:  # noqa: ANN001
    info = colours.info(case)
    return ClockOut(colour=info.colour, colour_label=info.word, due_at=info.due, deadline_status=info.status,
                    countdown=info.countdown)


def _joint_out(row: selectors.TaskRow) -> JointOut:
    t = row.task
    return JointOut(id=t.pk, organisation_id=t.organisation_id, organisation=t.organisation.name, task=t.task,
                    due_at=t.due_at, status=t.status, late=row.late, replies=row.replies)


@router.get("/{case_id}/clock", response={200: ClockOut, **ERRORS}, summary="本阶段期限、颜色（五色管理）和倒计时")
def get_clock(request: HttpRequest, case_id: int):  # noqa: ANN201
    return _clock(selectors.access_case(_staff(request), case_id))


@router.post("/{case_id}/risk", response={200: ClockOut, **ERRORS}, summary="提高风险等级（立即报告上级）")
def post_risk(request: HttpRequest, case_id: int, body: RiskIn):  # noqa: ANN201
    user = _staff(request)
    case = deadlines.raise_risk(selectors.access_case(user, case_id), body.level, actor=user, reason=body.reason,
                                report=body.report.as_input() if body.report is not None else None)
    return _clock(case)


@router.post("/{case_id}/risk-reports", response={201: RiskReportOut, **ERRORS},
             summary="记录向公安机关或有关部门的报告（重大风险，人民调解法第二十五条）")
def post_risk_report(request: HttpRequest, case_id: int, body: RiskReportBody):  # noqa: ANN201
    user = _staff(request)
    r = deadlines.report_risk(selectors.access_case(user, case_id), body.as_input(), actor=user)
    return Status(201, RiskReportOut(id=r.pk, recipient=r.recipient, reported_to=r.reported_to, method=r.method,
                                     reported_at=r.reported_at, reference=r.reference, note=r.note))


@router.get("/{case_id}/joint-tasks", response={200: page_of(JointOut), **ERRORS},
            summary="联动协办任务（谁已答复、谁已超期）")
def list_joint(request: HttpRequest, case_id: int, page: Query[PageIn]):  # noqa: ANN201
    case = selectors.access_case(_staff(request), case_id)
    return paginate(request, selectors.overview(case), page, _joint_out)


@router.post("/{case_id}/joint-tasks", response={201: JointOut, **ERRORS}, summary="邀请部门联动协办")
@idempotent
def post_joint(request: HttpRequest, case_id: int, body: JointIn):  # noqa: ANN201
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    task = joint.invite(case, actor=user, organisation_id=body.organisation_id, task=body.task, due_at=body.due_at,
                        contact_name=body.contact_name, contact_phone=body.contact_phone)
    return Status(201, _joint_out(selectors.TaskRow(task=task, late=False, replies=0)))


@router.post("/joint-tasks/{task_id}/replies", response={201: JointOut, **ERRORS}, summary="协办单位答复（联络员）")
@idempotent
def post_joint_reply(request: HttpRequest, task_id: int, body: ReplyIn):  # noqa: ANN201
    task = selectors.access_task(request.auth, task_id)
    joint.reply(task, actor=request.auth, text=body.text)
    task = JointTask.objects.select_related("organisation").get(pk=task.pk)
    return Status(201, _joint_out(selectors.TaskRow(task=task, late=False, replies=task.replies.count())))


@router.post("/{case_id}/judicial", response={201: JudicialOut, **ERRORS}, summary="记录双方共同申请司法确认（30日内）")
def post_judicial(request: HttpRequest, case_id: int, body: JudicialIn):  # noqa: ANN201
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    jc = judicial.apply(case, actor=user, court=body.court, applied_at=body.applied_at)
    return Status(201, JudicialOut(status=jc.status, court=jc.court, applied_at=jc.applied_at,
                                   accepted_at=jc.accepted_at, decided_at=jc.decided_at,
                                   window_closes=rules.window_closes(case)))


@router.post("/{case_id}/extension", response={201: ExtensionOut, **ERRORS},
             summary="延长调解期限（一次；各方当事人同意，逐一记录同意方式和时间）")
def post_extension(request: HttpRequest, case_id: int, body: ExtensionIn):  # noqa: ANN201
    user = _staff(request)
    ext = deadlines.extend_mediation(selectors.access_case(user, case_id), actor=user, reason=body.reason, consents=[
        ExtensionConsentIn(party_id=c.party_id, method=c.method, consented_at=c.consented_at) for c in body.consents])
    ext = selectors.extension_of(ext.case)
    return Status(201, ExtensionOut(months=ext.months, reason=ext.reason, granted_at=ext.granted_at, consents=[
        ExtensionConsentOut(party_id=c.party_id, role=c.party.role, method=c.method, consented_at=c.consented_at)
        for c in ext.consents.all()]))


DocumentKind = Literal[tuple(documents.KINDS)]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
REASON = Query("", max_length=200, description="查看完整个人信息的理由（须有个人信息查看权限；每次查看记入日志）")
PARTY_ID = Query(None, description="权利义务告知书：按当事人生成（该当事人的 id）")


@router.get("/{case_id}/documents/{kind}", response={200: None, **ERRORS}, openapi_extra=_download(DOCX, "Word 文书"),
            summary="下载文书（.docx；不改变案件；个人信息脱敏，有权限者填写 reason 可得完整版并记录查看日志）")
def get_document(request: HttpRequest, case_id: int, kind: DocumentKind, reason: str = REASON,  # noqa: ANN201
                 party_id: int | None = PARTY_ID):
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    party = case_documents.addressed_to(case, kind, party_id)
    return HttpResponse(case_documents.download(case, kind, actor=user, reason=reason, party=party),
                        content_type=DOCX)


@router.post("/{case_id}/documents/{kind}", response={200: None, **ERRORS}, openapi_extra=_download(DOCX, "Word 文书"),
             summary="签发文书（记入办理经过并存证 SHA-256；协议书、司法确认申请书须有权限并填写 reason）")
def post_document(request: HttpRequest, case_id: int, kind: DocumentKind, body: DocumentIn):  # noqa: ANN201
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    party = case_documents.addressed_to(case, kind, body.party_id)
    return HttpResponse(case_documents.generate(case, kind, actor=user, reason=body.reason, party=party),
                        content_type=DOCX)


@router.get("/{case_id}/documents", response={200: page_of(DocumentOfferOut), **ERRORS},
            summary="本案适用的文书（按阶段和结果：已达成协议的案件没有终止调解告知书，未申请司法确认没有申请书…）")
def list_documents(request: HttpRequest, case_id: int, page: Query[PageIn]):  # noqa: ANN201
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    return paginate(request, case_documents.offered(case), page, lambda k: DocumentOfferOut(
        kind=k, title=documents.KINDS[k], full_data=k in documents.FULL_DATA_KINDS,
        issuable=rules.can_issue_kind(user, case, full_data=k in documents.FULL_DATA_KINDS)))


@router.put("/{case_id}/agreement", response={200: CaseDetailOut, **ERRORS},
            summary="修改尚未生效的书面协议（新版本：已有签名和印章须重新进行；人民调解法第29条）")
def put_agreement(request: HttpRequest, case_id: int, body: AgreementIn):  # noqa: ANN201
    user = _staff(request)
    agreement.revise_agreement(selectors.access_case(user, case_id), transitions.Agree(
        text=body.agreement_text, amount=body.agreement_amount, facts=body.agreement_facts,
        responsibilities=body.agreement_responsibilities, performance=body.agreement_performance,
        due=body.agreement_due), actor=user, reason=body.reason)
    return _detail_out(selectors.access_case(user, case_id), user)


@router.post("/{case_id}/parties/{party_id}/details", response={200: CaseDetailOut, **ERRORS},
             summary="当事人基本情况（性别、民族、职业或工作单位、住址；协议书载明）")
def post_party_details(request: HttpRequest, case_id: int, party_id: int, body: PartyDetailsIn):  # noqa: ANN201
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    party = case.parties.filter(pk=party_id).first()
    if party is None:
        raise NotFound("NOT_FOUND", "没有这个当事人。")
    agreement.set_party_details(case, party, actor=user, sex=body.sex, ethnicity=body.ethnicity,
                                occupation=body.occupation, address=body.address)
    return _detail_out(selectors.access_case(user, case_id), user)


def _investigation_out(r: InvestigationRecord) -> InvestigationOut:
    return InvestigationOut(id=r.pk, heard=r.heard, held_at=r.held_at, place=r.place, investigators=r.investigators,
                            content=r.content)


@router.get("/{case_id}/investigations", response={200: page_of(InvestigationOut), **ERRORS}, summary="调查笔录")
def list_investigations(request: HttpRequest, case_id: int, page: Query[PageIn]):  # noqa: ANN201
    case = selectors.access_case(_staff(request), case_id)
    return paginate(request, case.investigations.order_by("held_at", "id"), page, _investigation_out)


@router.post("/{case_id}/investigations", response={201: InvestigationOut, **ERRORS},
             summary="记录调查笔录（被调查人、时间、地点、调查人、内容）")
@idempotent
def post_investigation(request: HttpRequest, case_id: int, body: InvestigationIn):  # noqa: ANN201
    user = _staff(request)
    row = archive.record_investigation(selectors.access_case(user, case_id), archive.InvestigationIn(
        heard=body.heard, held_at=body.held_at, place=body.place, investigators=body.investigators,
        content=body.content), actor=user)
    return Status(201, _investigation_out(row))


def _case_file_out(f: CaseFile) -> CaseFileOut:
    return CaseFileOut(number=f.number, organisation=f.organisation.name, year=f.year, retention=f.retention,
                       item_count=f.items, remarks=f.remarks, filed_by=f.filed_by.display_name or f.filed_by.username,
                       filed_at=f.filed_at)


@router.get("/{case_id}/file", response={200: CaseFileOut, **ERRORS}, summary="立卷情况（卷宗号、保管期限、件数）")
def get_case_file(request: HttpRequest, case_id: int):  # noqa: ANN201
    row = casefiles.filed(selectors.access_case(_staff(request), case_id))
    if row is None:
        raise NotFound("NOT_FILED", "该案件尚未立卷归档。")
    return _case_file_out(row)


@router.post("/{case_id}/file", response={201: CaseFileOut, **ERRORS},
             summary="立卷归档：编本调解委员会卷宗号（按年度），确定保管期限")
def post_case_file(request: HttpRequest, case_id: int, body: FileIn):  # noqa: ANN201
    user = _staff(request)
    row = archive.file_case(selectors.access_case(user, case_id), actor=user, remarks=body.remarks)
    return Status(201, _case_file_out(row))


@router.get("/{case_id}/casefile", response={200: None, **ERRORS},
            openapi_extra=_download("application/zip", "一案一卷 ZIP"), summary="一案一卷 ZIP（目录、全部材料、SHA-256）")
def get_casefile(request: HttpRequest, case_id: int, reason: str = REASON):  # noqa: ANN201
    user = _staff(request)
    return HttpResponse(case_documents.casefile(selectors.access_case(user, case_id), actor=user, reason=reason),
                        content_type="application/zip")


# --- import of historical cases (background job) ---------------------------------------------------------------
def _importer(request: HttpRequest) -> User:
    if not rules.can_import(request.auth):
        raise Http404
    return request.auth


def _job_out(job: ImportJob) -> ImportJobOut:
    return ImportJobOut(
        id=job.pk, file_name=job.file_name, mode=job.mode, status=job.status, status_label=job.get_status_display(),
        percent=job.percent, expected_rows=job.expected_rows, total_rows=job.total_rows,
        processed_rows=job.processed_rows, valid_rows=job.valid_rows, imported_rows=job.imported_rows,
        error_count=job.error_count, errors=[] if job.running else job.errors, message=job.message,
        created_at=job.created_at, started_at=job.started_at, updated_at=job.updated_at, finished_at=job.finished_at)


@router.post("/imports/jobs", response={202: ImportJobOut, **ERRORS},
             summary="上传历史案件文件（.xlsx/.csv；后台逐行校验后导入，返回任务）")
def post_import(request: HttpRequest, file: UploadedFile = File(...),  # noqa: ANN201, B008
                mode: Literal[importing.MODES] = Form("all")):  # noqa: B008
    job = importing.start_import(file, actor=_importer(request), mode=mode)
    return Status(202, _job_out(job))


@router.get("/imports/jobs/{job_id}", response={200: ImportJobOut, **ERRORS},
            summary="导入任务进度（已校验/已写入行数）和逐行错误清单")
def get_import(request: HttpRequest, job_id: int):  # noqa: ANN201
    return _job_out(selectors.access_job(_importer(request), job_id))


# --- the case page's actions the API lacked: contacts, extension, hand-overs, judicial steps, visits, QR and slip -
@router.get("/{case_id}/contacts", response={200: page_of(ContactOut), **ERRORS},
            summary="承办调解员查看当事人完整姓名和电话（每次查看记入个人信息查看记录；其他人无权查看）")
def get_contacts(request: HttpRequest, case_id: int, page: Query[PageIn]):
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    parties = list(case.parties.select_related("person"))
    contacts = mediation.party_contacts(case, actor=user, parties=parties)
    if not contacts:
        raise XiangzhiError("FORBIDDEN", "只有本案承办调解员可以查看当事人完整联系方式。", status=403)
    return paginate(request, [p for p in parties if p.pk in contacts], page, lambda p: ContactOut(
        party_id=p.pk, role=p.role, name=contacts[p.pk]["name"], phone=contacts[p.pk]["phone"]))


def _handover_out(h: Handover) -> HandoverOut:
    return HandoverOut(id=h.pk, direction=h.direction, counterpart=h.counterpart, reference=h.reference, note=h.note,
                       at=h.at)


@router.get("/{case_id}/handovers", response={200: page_of(HandoverOut), **ERRORS}, summary="诉调对接、移交记录")
def list_handovers(request: HttpRequest, case_id: int, page: Query[PageIn]):
    case = selectors.access_case(_staff(request), case_id)
    return paginate(request, case.handovers.order_by("at", "id"), page, _handover_out)


@router.post("/{case_id}/handovers", response={201: HandoverOut, **ERRORS}, summary="记录诉调对接、移交（移出或接收）")
@idempotent
def post_handover(request: HttpRequest, case_id: int, body: HandoverIn):
    user = _staff(request)
    h = joint.record_handover(selectors.access_case(user, case_id), actor=user, direction=body.direction,
                              counterpart=body.counterpart, reference=body.reference, note=body.note)
    return Status(201, _handover_out(h))


@router.post("/{case_id}/judicial/steps", response={200: JudicialOut, **ERRORS},
             summary="记录法院司法确认的进展（受理、裁定确认有效或驳回等）")
def post_judicial_step(request: HttpRequest, case_id: int, body: JudicialStepIn):
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    jc = judicial.record_court(case, actor=user, status=body.status, at=body.at,
                               court_case_number=body.court_case_number, note=body.note)
    return JudicialOut(status=jc.status, court=jc.court, applied_at=jc.applied_at, accepted_at=jc.accepted_at,
                       decided_at=jc.decided_at, window_closes=rules.window_closes(case))


def _visit_out(v: FollowUpVisit) -> VisitOut:
    return VisitOut(id=v.pk, performed=v.performed, satisfaction=v.satisfaction, note=v.note, visited_at=v.visited_at)


@router.get("/{case_id}/visits", response={200: page_of(VisitOut), **ERRORS}, summary="回访记录")
def list_visits(request: HttpRequest, case_id: int, page: Query[PageIn]):
    case = selectors.access_case(_staff(request), case_id)
    return paginate(request, case.visits.order_by("visited_at", "id"), page, _visit_out)


@router.post("/{case_id}/visits", response={201: VisitOut, **ERRORS}, summary="记录回访（协议履行情况、满意度）")
@idempotent
def post_visit(request: HttpRequest, case_id: int, body: VisitIn):
    user = _staff(request)
    v = feedback.record_visit(selectors.access_case(user, case_id), actor=user, performed=body.performed,
                              satisfaction=body.satisfaction, note=body.note,
                              visited_at=body.visited_at)
    return Status(201, _visit_out(v))


def _slip_out(request: HttpRequest, case: Case, base: str) -> SlipOut:
    return SlipOut(number=case.number, archive_number=case.archive_number, public_url=case.public_url,
                   qr_svg_url=request.build_absolute_uri(f"{base}/qr.svg"),
                   qr_png_url=request.build_absolute_uri(f"{base}/qr.png"))


@router.get("/{case_id}/slip", response={200: SlipOut, **ERRORS}, summary="案件告知单：编号、卷宗号、二维码地址（不含个人信息）")
def get_slip(request: HttpRequest, case_id: int):
    case = selectors.access_case(_staff(request), case_id)
    return _slip_out(request, case, f"/api/v1/cases/{case.pk}")


def _svg(case: Case) -> HttpResponse:
    return HttpResponse(qr.svg_text(case.public_url), content_type="image/svg+xml")


def _png(case: Case) -> HttpResponse:
    return HttpResponse(qr.png_bytes(case.public_url), content_type="image/png")


@router.get("/{case_id}/qr.svg", response={200: None, **ERRORS}, openapi_extra=_download("image/svg+xml", "二维码 SVG"),
            summary="案件二维码（SVG）")
def get_qr_svg(request: HttpRequest, case_id: int):
    return _svg(selectors.access_case(_staff(request), case_id))


@router.get("/{case_id}/qr.png", response={200: None, **ERRORS}, openapi_extra=_download("image/png", "二维码 PNG"),
            summary="案件二维码（PNG）")
def get_qr_png(request: HttpRequest, case_id: int):
    return _png(selectors.access_case(_staff(request), case_id))


@router.get("/public/{token}/slip", auth=None, response={200: SlipOut, 404: ErrorOut}, openapi_extra=PUBLIC,
            summary="公开：凭二维码令牌取案件告知单（编号、二维码地址；不含个人信息）")
def public_slip(request: HttpRequest, token: str):
    return _slip_out(request, selectors.case_for_token(token), f"/api/v1/cases/public/{token}")


@router.get("/public/{token}/qr.svg", auth=None, response={200: None, 404: ErrorOut},
            openapi_extra={**PUBLIC, **_download("image/svg+xml", "二维码 SVG")}, summary="公开：案件二维码（SVG）")
def public_qr_svg(request: HttpRequest, token: str):  # noqa: ARG001
    return _svg(selectors.case_for_token(token))


@router.get("/public/{token}/qr.png", auth=None, response={200: None, 404: ErrorOut},
            openapi_extra={**PUBLIC, **_download("image/png", "二维码 PNG")}, summary="公开：案件二维码（PNG）")
def public_qr_png(request: HttpRequest, token: str):  # noqa: ARG001
    return _png(selectors.case_for_token(token))


# --- the department's task: read it, hand it back --------------------------------------------------------------
@router.get("/joint-tasks/{task_id}", response={200: JointTaskOut, **ERRORS}, summary="一项协办任务（协办单位或牵头单位）")
def get_joint_task(request: HttpRequest, task_id: int):
    task = selectors.access_task(request.auth, task_id)
    out = _task_out(task)
    out.replies_text = [r.text for r in task.replies.order_by("id")]
    out.replies = len(out.replies_text)
    return out


@router.post("/joint-tasks/{task_id}/hand-back", response={200: JointTaskOut, **ERRORS},
             summary="协办单位退回任务（须说明理由；只能退回尚未答复的任务）")
def post_hand_back(request: HttpRequest, task_id: int, body: HandBackIn):
    task = joint.hand_back(selectors.access_task(request.auth, task_id), actor=request.auth, reason=body.reason)
    return _task_out(task)


# --- the import template ----------------------------------------------------------------------------------------
@router.get("/imports/template.xlsx", response={200: None, **ERRORS}, openapi_extra=_download(XLSX, "导入模板 Excel"),
            summary="历史案件导入模板（.xlsx）")
def get_import_template(request: HttpRequest):
    _importer(request)
    return HttpResponse(import_format.template_xlsx(), content_type=XLSX)


# --- the parties' actions on their status page (a citizen session whose phone is the party's) -------------------
def _party_status(case: Case, party: Party) -> PartyStatusOut:
    party.refresh_from_db(fields=["consent"])
    case.refresh_from_db(fields=["stage", "agreement_effective_at"])
    return PartyStatusOut(number=case.number, stage=case.stage, stage_label=stage_info(case)["stage_label"],
                          consent=party.consent)


@router.post("/party/{token}/consent", response={200: PartyStatusOut, **ERRORS},
             summary="当事人（手机验证登录）：同意或明确拒绝调解")
def party_consent(request: HttpRequest, token: str, body: ConsentIn):
    case, party = _own_party(request, token)
    mediation.answer_consent(case, party, actor=request.auth, agree=body.agree)
    return _party_status(case, party)


@router.post("/party/{token}/recusal-request", response={201: RecusalOut, **ERRORS},
             summary="当事人（手机验证登录）：申请更换调解员（说明理由，由调解委员会决定）")
def party_recusal_request(request: HttpRequest, token: str, body: PartyRecusalIn):
    case, party = _own_party(request, token)
    return Status(201, _recusal_out(recusal.request_recusal(case, party, actor=request.auth, reason=body.reason)))


@router.post("/party/{token}/withdraw", response={200: PartyStatusOut, **ERRORS},
             summary="申请人（手机验证登录）：撤回调解申请")
def party_withdraw(request: HttpRequest, token: str, body: PartyReasonIn):
    case, party = _own_party(request, token)
    mediation.withdraw(case, party, actor=request.auth, reason=body.reason)
    return _party_status(case, party)


@router.post("/party/{token}/attachments", response={201: AttachmentOut, **ERRORS},
             summary="当事人（手机验证登录）：补充材料（JPG/PNG/PDF）")
@idempotent
def party_attachment(request: HttpRequest, token: str, file: UploadedFile = File(...)):  # noqa: B008
    case, party = _own_party(request, token)
    att = uploads.add_attachment(case, Upload.from_django(file), actor=request.auth, party=party)
    return Status(201, AttachmentOut(id=att.pk, original_name=att.original_name, content_type=att.content_type,
                                     size=att.size, sha256=att.sha256, created_at=att.created_at))


@router.post("/party/{token}/rating", response={201: PartyStatusOut, **ERRORS},
             summary="当事人（手机验证登录）：结案后评价满意度（每人一次）")
def party_rating(request: HttpRequest, token: str, body: RatingIn):
    case, party = _own_party(request, token)
    feedback.rate(case, party, actor=request.auth, rating=body.rating, comment=body.comment)
    return Status(201, _party_status(case, party))


@router.post("/party/{token}/not-performed", response={200: PartyStatusOut, **ERRORS},
             summary="当事人（手机验证登录）：反映调解协议未履行")
def party_not_performed(request: HttpRequest, token: str, body: NotPerformedIn):
    case, party = _own_party(request, token)
    feedback.report_not_performed(case, party, actor=request.auth, note=body.note)
    return _party_status(case, party)
