"""The mediator's workbench: lists, intake at the window and by grid workers, the case page (the actions this
user may take in the current stage, deadline and risk, joint handling, judicial confirmation, follow-up visits,
documents and the case file) with its one action dispatcher, and the export. Thin: every change is a service
call; every case comes through ``selectors.access_case`` (404 for what the user may not see)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from xiangzhi.core import rules as core_rules
from xiangzhi.core import selectors as core_selectors
from xiangzhi.core.access import predicate_required
from xiangzhi.core.errors import XiangzhiError

from .. import casefile, colours, documents, exports, qr, rules, selectors
from ..enums import (
    AttachmentCategory,
    CaseStage,
    Channel,
    Colour,
    HandoverDirection,
    JudicialStatus,
    NotAcceptedGround,
    NoticeMethod,
    ReportMethod,
    ReportRecipient,
    RightsMethod,
    Sex,
    TerminationReason,
)
from ..forms import (
    EXTENSION_CONSENT_METHODS,
    AgreementForm,
    ExtendForm,
    GridIntakeForm,
    InvestigationForm,
    InviteForm,
    JudicialApplyForm,
    JudicialStepForm,
    PartyActionForm,
    PartyDetailsForm,
    RecusalDecisionForm,
    RiskReportForm,
    SessionForm,
    SignActionForm,
    TransitionActionForm,
    VisitForm,
    WindowIntakeForm,
    risk_report,
    type_choices,
)
from ..models import DisputeType
from ..services import (
    agreement,
    archive,
    deadlines,
    feedback,
    intake,
    joint,
    judicial,
    mediation,
    recusal,
    transitions,
    uploads,
)
from ..services import documents as case_documents
from ..services.deadlines import RiskReportIn
from ..services.uploads import Upload
from .common import form_errors, intake_errors, parsed, show_error, stage_info, valid_form

dispute_staff = predicate_required(rules.is_dispute_staff, "disputes.staff")
intake_staff = predicate_required(rules.can_take_intake, "disputes.intake")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dispute_staff
def workbench(request: HttpRequest) -> HttpResponse:
    if not request.GET:  # the first page is 待办; the list is "全部案件" (?scope=all) and any filter
        return _todo_page(request)
    filters = selectors.CaseFilters.from_params(request.GET)
    try:
        after = int(request.GET.get("after") or 0) or None
    except ValueError:
        after = None
    now = timezone.now()  # one instant for the colour filter and the colour and countdown each row shows
    cases, next_after = selectors.workbench_cases(request.user, filters, after=after, now=now)
    params = request.GET.copy()
    params.pop("after", None)
    return render(request, "disputes/workbench.html", {
        "rows": [{"case": c, **stage_info(c, with_due=False)} for c in cases], "now": now, "filters": filters,
        "next_after": next_after,
        "params": params.urlencode(), "stages": CaseStage.choices, "types": type_choices("全部类型"),
        "colours": [(v, str(label)) for v, label in Colour.choices], "scope": request.GET.get("scope", ""),
        "can_intake": rules.can_take_intake(request.user),
        "places": selectors.place_choices(request.user),
    })


def _todo_page(request: HttpRequest) -> HttpResponse:
    """待办: what the user has to do now, by group (``selectors.todo``), each with its count, its oldest cases and a
    link to all of them in the list."""
    now = timezone.now()
    groups = selectors.todo(request.user, now)
    return render(request, "disputes/todo.html", {
        "groups": groups, "now": now, "total": sum(g.count for g in groups),
        "can_intake": rules.can_take_intake(request.user),
    })


def _intake(request: HttpRequest, form_class, channel: str, template: str, *, grid_codes=None) -> HttpResponse:  # noqa: ANN001
    form = form_class(request.POST or None, initial={"region_code": request.GET.get("v", "")}, grid_codes=grid_codes)
    error, errors = "", {}
    if request.method == "POST" and not form.is_valid():
        error, errors = "输入有误，请检查后重新提交。", form_errors(form)
    elif request.method == "POST":
        try:
            case = intake.create_case(form.to_intake(request.FILES.getlist("files")), actor=request.user,
                                      channel=channel)
        except XiangzhiError as exc:
            error, errors = intake_errors(form, exc)
        else:
            messages.success(request, f"已登记，案件编号 {case.number}。")
            return redirect("disputes:case", pk=case.pk)
    return render(request, template, {"form": form, "error": error, "errors": errors}, status=422 if error else 200)


@intake_staff
@require_http_methods(["GET", "POST"])
def window_intake(request: HttpRequest) -> HttpResponse:
    """窗口无差别受理: any dispute, any source (party, own initiative, referral)."""
    return _intake(request, WindowIntakeForm, Channel.WINDOW, "disputes/intake_window.html")


@intake_staff
@require_http_methods(["GET", "POST"])
def grid_intake(request: HttpRequest) -> HttpResponse:
    """扫码代办 by a grid worker on a phone, with "resolved on the spot" (一米调解)."""
    return _intake(request, GridIntakeForm, Channel.GRID, "disputes/intake_grid.html",
                   grid_codes=[("", "请选择村（社区）")] + selectors.intake_villages(request.user))


@dispute_staff
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    user = request.user
    parties = list(case.parties.select_related("person__region"))
    actions = rules.available_transitions(user, case)
    mediators = selectors.assignable_mediators(user, case) if any(to == CaseStage.ASSIGNED for to, _ in actions) else []
    # The mediator the applicant named at intake (人民调解法 第23条), when one of the organisation's mediators
    preferred = next((m for m in mediators if case.preferred_mediator
                      and case.preferred_mediator in (m.display_name, m.username)), None)
    signing = selectors.agreement_signing(case)
    reports = list(case.risk_reports.select_related("recorded_by"))
    now = timezone.now()
    tasks = selectors.overview(case, now)
    can_raise = rules.can_raise_risk(user, case, task_orgs={r.task.organisation_id for r in tasks
                                                            if r.task.status in rules.JOINT_ACTIVE})
    judicial_row = getattr(case, "judicial", None) if hasattr(case, "judicial") else None
    offered = case_documents.offered(case)
    case_file = casefile.filed(case)
    for p in parties:  # what the staff may record for each party (consent, notice, rights notice), by the rules
        p.can_agree = rules.can_record_consent(user, case, p, agree=True)
        p.can_refuse = rules.can_record_consent(user, case, p, agree=False)
        p.can_notice = rules.can_record_notice(user, case, p)
        p.needs_notice = selectors.party_needs_notice(case, p)
        p.can_serve = rules.can_serve_rights(user, case, p)
    pending_recusal = selectors.pending_recusal(case)
    revealed_numbers = None
    if request.method == "POST":  # the numbers typed into the free text, in full: the right, a reason, logged
        try:
            revealed_numbers = intake.reveal_text_numbers(case, actor=user, reason=request.POST.get("reason", ""))
        except XiangzhiError as exc:
            messages.error(request, exc.message)
    return render(request, "disputes/case.html", {
        "text_numbers": list(core_selectors.text_numbers_of(case)), "revealed_numbers": revealed_numbers,
        "can_reveal": core_rules.can_view_personal_data(user),
        "case": case, **stage_info(case), "parties": parties, "actions": actions, "mediators": mediators,
        "contacts": _contacts(case, user, parties),
        "preferred": preferred, "proposal": rules.proposed_non_acceptance(case),
        "timeline": selectors.staff_timeline(user, case), "repeat": selectors.repeat_link(user, case),
        "sessions": case.sessions.all(), "attachments": case.attachments.all(),
        "grounds": NotAcceptedGround.choices, "termination_reasons": TerminationReason.choices,
        "can_confirm": rules.can_confirm_assignment(user, case),
        "can_session": rules.can_record_session(user, case), "can_sign": rules.can_sign_or_seal(user, case),
        "can_retriage": rules.can_retriage(user, case), "can_add": rules.can_add_material(user, case),
        "signed_parties": set(signing.signed_parties), "mediator_signed": signing.mediator_signed,
        "sealed": signing.sealed, "can_sign_as_mediator": rules.can_sign_as_mediator(user, case),
        "missing": agreement.agreement_missing(case) if case.stage == CaseStage.AGREEMENT_WRITTEN else [],
        "types": [(t.code, t.name) for t in DisputeType.objects.filter(is_active=True)],
        "now_local": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M"),
        # deadline and risk, joint handling, judicial confirmation, follow-up visits, documents and the case file
        "info": colours.info(case, now), "tasks": tasks,
        "handovers": list(case.handovers.all()), "directions": HandoverDirection.choices,
        "departments": selectors.departments(),
        "risk_reports": reports, "report_missing": rules.report_missing(case, reported=bool(reports)),
        "report_recipients": ReportRecipient.choices, "report_methods": ReportMethod.choices,
        "can_raise_risk": can_raise, "can_report": can_raise and rules.needs_report(case.risk_level),
        "can_extend": rules.can_extend(user, case), "extension": selectors.extension_of(case),
        "consent_methods": [(m, m.label) for m in EXTENSION_CONSENT_METHODS], "can_invite": rules.can_invite(user, case),
        "can_lead": rules.can_lead(user, case), "can_record_judicial": rules.can_record_judicial(user, case),
        "can_record_visit": rules.can_record_visit(user, case),
        "judicial": judicial_row,
        # consent, notice and the rights notice per party; recusal (回避)
        "staff_consent_methods": [(m, m.label) for m in EXTENSION_CONSENT_METHODS],
        "notice_methods": NoticeMethod.choices, "rights_methods": RightsMethod.choices,
        "can_serve_any": any(p.can_serve for p in parties),
        "can_declare_conflict": rules.can_declare_conflict(user, case),
        "can_request_recusal": rules.can_request_recusal_for(user, case, pending=pending_recusal is not None),
        "can_decide_recusal": pending_recusal is not None and rules.can_decide_recusal(user, case),
        "pending_recusal": pending_recusal, "recusal_requests": selectors.recusal_requests(case),
        "conflicts": selectors.conflicts_of(case),
        "recusal_mediators": [m for m in selectors.assignable_mediators(user, case) if m.pk != case.mediator_id]
        if pending_recusal is not None else [],
        "judicial_offer": rules.can_offer(case, now=now, applied=judicial_row is not None),
        "judicial_closes": rules.window_closes(case),
        "judicial_steps": JudicialStatus.choices, "visits": list(case.visits.select_related("visitor")),
        "documents": [(k, documents.KINDS[k]) for k in offered], "full_data_kinds": documents.FULL_DATA_KINDS,
        "issuable": [k for k in offered if rules.can_issue_kind(user, case, full_data=k in documents.FULL_DATA_KINDS)],
        # 一案一卷: investigation records, the written agreement's particulars, filing
        "investigations": list(case.investigations.all()),
        "can_investigate": rules.can_record_investigation(user, case),
        "can_revise": rules.can_revise_agreement(user, case), "sexes": Sex.choices,
        "can_party_details": rules.can_revise_agreement(user, case) or rules.can_record_session(user, case),
        "categories": AttachmentCategory.choices, "case_file": case_file,
        "can_file": rules.can_file(user, case, filed=case_file is not None),
    })



def _contacts(case, user, parties: list) -> dict:  # noqa: ANN001
    """The parties' full names and phones for the handling mediator (each view logged); each party carries its own
    as ``full_contact`` (None: shown masked)."""
    contacts = mediation.party_contacts(case, actor=user, parties=parties)
    for p in parties:
        p.full_contact = contacts.get(p.pk)
    return contacts


def _transition(request: HttpRequest, case) -> str:  # noqa: ANN001
    form = valid_form(TransitionActionForm, request)
    to = form.cleaned_data["to"]
    transitions.transition(case, to, actor=request.user, reason=form.cleaned_data["reason"], details=form.details())
    return f"已{rules.ACTION_LABELS.get(to, '操作')}。"


def _confirm(request: HttpRequest, case) -> str:  # noqa: ANN001
    mediation.confirm_assignment(case, actor=request.user)
    return "已确认接案。"


def _session(request: HttpRequest, case) -> str:  # noqa: ANN001
    post = request.POST
    mediation.record_session(case, actor=request.user, held_at=parsed(SessionForm, request)["held_at"],
                            place=post.get("place", ""), attendees=post.get("attendees", ""),
                            summary=post.get("summary", ""))
    return "调解记录已保存。"


def _sign(request: HttpRequest, case) -> str:  # noqa: ANN001
    post = request.POST
    signer = parsed(SignActionForm, request)["signer"]
    if signer == "mediator":
        agreement.sign_agreement(case, actor=request.user, as_mediator=True)
    else:
        party = case.parties.filter(pk=signer).first() if signer is not None else None
        agreement.sign_agreement(case, actor=request.user, party=party, method=post.get("method", "handwritten"))
    return "签名已记录。"


def _seal(request: HttpRequest, case) -> str:  # noqa: ANN001
    agreement.apply_seal(case, actor=request.user)
    return "已加盖调解委员会印章。"


def _retriage(request: HttpRequest, case) -> str:  # noqa: ANN001
    post = request.POST
    intake.retriage(case, actor=request.user, type_code=post.get("type_code", ""),
                      risk_level=post.get("risk_level") or None, reroute=bool(post.get("reroute")),
                      reason=post.get("reason", ""))
    return "已更正类型。"


def _material(request: HttpRequest, case) -> str:  # noqa: ANN001
    upload = request.FILES.get("file")
    uploads.add_attachment(case, Upload.from_django(upload) if upload else None, actor=request.user,
                           category=request.POST.get("category") or AttachmentCategory.EVIDENCE)
    return "材料已上传。"


def _investigation(request: HttpRequest, case) -> str:  # noqa: ANN001
    p = request.POST
    archive.record_investigation(case, archive.InvestigationIn(
        heard=p.get("heard", ""), held_at=parsed(InvestigationForm, request)["held_at"], place=p.get("place", ""),
        investigators=p.get("investigators", ""), content=p.get("content", "")), actor=request.user)
    return "调查笔录已保存。"


def _revise(request: HttpRequest, case) -> str:  # noqa: ANN001
    agreement.revise_agreement(case, valid_form(AgreementForm, request).agreed(), actor=request.user,
                               reason=request.POST.get("reason", ""))
    return "协议已修改，须各方重新签名、盖章。"


def _party_details(request: HttpRequest, case) -> str:  # noqa: ANN001
    p = request.POST
    party = case.parties.filter(pk=parsed(PartyDetailsForm, request)["party"]).first()
    if party is None:
        raise XiangzhiError("PARTY_REQUIRED", "请选择本案当事人。")
    agreement.set_party_details(case, party, actor=request.user, sex=p.get("sex", ""),
                                ethnicity=p.get("ethnicity", ""), occupation=p.get("occupation", ""),
                                address=p.get("address", ""))
    return "当事人基本情况已保存。"


def _file(request: HttpRequest, case) -> str:  # noqa: ANN001
    row = archive.file_case(case, actor=request.user, remarks=request.POST.get("remarks", ""))
    return f"已立卷归档，卷宗号{row.number}。"


def _risk(request: HttpRequest, case) -> str:  # noqa: ANN001
    p = request.POST
    report = _risk_report(request)
    deadlines.raise_risk(case, p.get("level", ""), actor=request.user, reason=p.get("reason", ""), report=report)
    return "已保存。" if report is None else "已保存，并记录了向有关机关的报告。"


def _risk_report(request: HttpRequest) -> RiskReportIn | None:
    return risk_report(parsed(RiskReportForm, request))


def _report(request: HttpRequest, case) -> str:  # noqa: ANN001
    report = _risk_report(request)
    if report is None:
        raise XiangzhiError("REPORT_REQUIRED", "请填写报告对象、接收单位、方式和时间。")
    deadlines.report_risk(case, report, actor=request.user)
    return "已记录向有关机关的报告。"


def _extend(request: HttpRequest, case) -> str:  # noqa: ANN001
    form = valid_form(partial(ExtendForm, parties=case.parties.select_related("person")), request)
    deadlines.extend_mediation(case, actor=request.user, consents=form.consents(),
                               reason=form.cleaned_data["reason"])
    return "已保存。"


def _invite(request: HttpRequest, case) -> str:  # noqa: ANN001
    p, d = request.POST, parsed(InviteForm, request)
    joint.invite(case, actor=request.user, organisation_id=d["organisation"], task=p.get("task", ""),
                 due_at=d["due_at"], contact_name=p.get("contact_name", ""),
                 contact_phone=p.get("contact_phone", ""))
    return "已保存。"


def _handover(request: HttpRequest, case) -> str:  # noqa: ANN001
    p = request.POST
    joint.record_handover(case, actor=request.user, direction=p.get("direction", ""),
                          counterpart=p.get("counterpart", ""), reference=p.get("reference", ""),
                          note=p.get("note", ""))
    return "已保存。"


def _judicial_apply(request: HttpRequest, case) -> str:  # noqa: ANN001
    d = parsed(JudicialApplyForm, request)
    judicial.apply(case, actor=request.user, court=d["court"], applied_at=d["applied_at"])
    return "已保存。"


def _judicial_step(request: HttpRequest, case) -> str:  # noqa: ANN001
    p = request.POST
    judicial.record_court(case, actor=request.user, status=p.get("status", ""),
                          at=parsed(JudicialStepForm, request)["at"],
                          court_case_number=p.get("court_case_number", ""), note=p.get("note", ""))
    return "已保存。"


def _visit(request: HttpRequest, case) -> str:  # noqa: ANN001
    p, d = request.POST, parsed(VisitForm, request)
    feedback.record_visit(case, actor=request.user, performed=d["performed"], satisfaction=d["satisfaction"],
                          note=p.get("note", ""), visited_at=d["visited_at"])
    return "已保存。"


def _party(case, pk: int | None):  # noqa: ANN001, ANN202
    party = case.parties.filter(pk=pk).select_related("person").first() if pk is not None else None
    if party is None:
        raise XiangzhiError("INVALID_PARTY", "请选择本案的当事人。")
    return party


def _consent(request: HttpRequest, case) -> str:  # noqa: ANN001
    d = parsed(PartyActionForm, request)
    if d["agree"] is None:
        raise XiangzhiError("INVALID_CONSENT", "请选择当事人的答复。")
    mediation.record_consent(case, _party(case, d["party"]), actor=request.user, agree=d["agree"],
                             method=request.POST.get("method", ""), at=d["at"], note=request.POST.get("note", ""))
    return "已记录当事人的答复。" if d["agree"] else "已记录当事人明确拒绝调解，调解依法不予受理或终止，并已告知当事人。"


def _notice(request: HttpRequest, case) -> str:  # noqa: ANN001
    d = parsed(PartyActionForm, request)
    mediation.record_notice(case, _party(case, d["party"]), actor=request.user, method=request.POST.get("method", ""),
                            by=request.POST.get("by", ""), at=d["at"])
    return "已记录通知方式。"


def _rights(request: HttpRequest, case) -> str:  # noqa: ANN001
    d = parsed(PartyActionForm, request)
    ids = [int(v) for v in request.POST.getlist("parties") if v.isdigit()]
    parties = list(case.parties.filter(pk__in=ids).select_related("person"))
    if len(parties) != len(set(ids)) or not parties:
        raise XiangzhiError("INVALID_PARTY", "请选择本案的当事人。")
    mediation.serve_rights(case, parties, actor=request.user, method=request.POST.get("method", ""), at=d["at"])
    return "已记录告知书送达。"


def _conflict(request: HttpRequest, case) -> str:  # noqa: ANN001
    recusal.declare_conflict(case, actor=request.user, reason=request.POST.get("reason", ""))
    return "已申明回避，案件退回待指派。"


def _recusal_request(request: HttpRequest, case) -> str:  # noqa: ANN001
    d = parsed(PartyActionForm, request)
    recusal.request_recusal(case, _party(case, d["party"]), actor=request.user, reason=request.POST.get("reason", ""))
    return "已记录更换调解员的申请，待调解委员会决定。"


def _recusal_decision(request: HttpRequest, case) -> str:  # noqa: ANN001
    d = parsed(RecusalDecisionForm, request)
    if d["grant"] is None:
        raise XiangzhiError("INVALID_DECISION", "请选择准许或不予更换。")
    recusal.decide_recusal(case, actor=request.user, grant=d["grant"], note=request.POST.get("note", ""),
                           mediator_id=d["mediator"])
    return "已准许更换调解员。" if d["grant"] else "已决定不予更换，并告知当事人。"


# Every action of the case page: name → handler (request, case) → the success message. The handler calls one
# service, which guards; a refusal comes back as a message on the case page.
ACTIONS: dict[str, Callable[[HttpRequest, object], str]] = {
    "transition": _transition, "confirm": _confirm, "session": _session, "sign": _sign, "seal": _seal,
    "retriage": _retriage, "material": _material, "risk": _risk, "report": _report, "extend": _extend, "invite": _invite,
    "handover": _handover, "judicial_apply": _judicial_apply, "judicial_step": _judicial_step, "visit": _visit,
    "investigation": _investigation, "revise_agreement": _revise, "party_details": _party_details, "file": _file,
    "consent": _consent, "notice": _notice, "rights": _rights, "conflict": _conflict,
    "recusal_request": _recusal_request, "recusal_decision": _recusal_decision,
}


@dispute_staff
@require_POST
def case_action(request: HttpRequest, pk: int) -> HttpResponse:
    """The case page's one action dispatcher (``ACTIONS``); back to the case page with what happened."""
    case = selectors.access_case(request.user, pk)
    action = request.POST.get("action", "")
    try:
        handler = ACTIONS.get(action)
        if handler is None:
            raise XiangzhiError("UNKNOWN_ACTION", "未知操作。")
        messages.success(request, handler(request, case))
    except XiangzhiError as exc:
        show_error(request, exc)
    return redirect("disputes:case", pk=case.pk)


@dispute_staff
def staff_slip(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    return render(request, "disputes/slip.html", {"case": case, "qr_svg": qr.svg_inline(case.public_url, scale=6)})


@dispute_staff
@require_http_methods(["GET", "POST"])
def document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """GET downloads (changes nothing on the case); POST issues (recorded and attested). Personal data in full only
    with the right and a ``reason`` (services.documents.disclose)."""
    case = selectors.access_case(request.user, pk)
    if kind not in documents.KINDS:
        raise Http404
    raw = (request.POST if request.method == "POST" else request.GET).get("party", "")
    try:
        party = case_documents.addressed_to(case, kind, int(raw) if raw.isdigit() else None)
        if request.method == "POST":
            data = case_documents.generate(case, kind, actor=request.user, reason=request.POST.get("reason", ""),
                                           party=party)
        else:
            data = case_documents.download(case, kind, actor=request.user, reason=request.GET.get("reason", ""),
                                           party=party)
    except XiangzhiError as exc:
        messages.error(request, exc.message)
        return redirect("disputes:case", pk=pk)
    resp = HttpResponse(data, content_type=DOCX)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(documents.filename(case, kind, party))}"
    return resp


@dispute_staff
def case_file(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    try:
        data = case_documents.casefile(case, actor=request.user, reason=request.GET.get("reason", ""))
    except XiangzhiError as exc:
        messages.error(request, exc.message)
        return redirect("disputes:case", pk=pk)
    resp = HttpResponse(data, content_type="application/zip")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(case.archive_number + '.zip')}"
    return resp


@dispute_staff
def export(request: HttpRequest) -> HttpResponse:
    filters = selectors.CaseFilters.from_params(request.GET)
    data, _ = exports.export_xlsx(request.user, filters)
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(f"案件清单-{timezone.localdate():%Y%m%d}.xlsx")
    return resp
