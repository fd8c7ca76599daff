"""Part-2 pages: the party's feedback page (QR token + verified phone session), the department liaison's joint-task
pages, the case tools page for staff (deadline, colour, risk, joint handling, hand-overs, judicial confirmation,
follow-up visits, documents, case file), import of historical cases and the export. Thin: every change is a service
call; every case comes through ``selectors.access_case`` (404 for what the user may not see)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from xiangzhi.core import rules as core_rules
from xiangzhi.core.access import predicate_required, public
from xiangzhi.core.enums import OrgKind, Role
from xiangzhi.core.errors import NotFound, XiangzhiError
from xiangzhi.core.models import Organisation

from .. import casefile, deadlines, documents, exports, feedback, importer, joint, judicial, rules, selectors
from ..colours import info as colour_info
from ..models_part2 import HandoverDirection, ImportJob, JudicialStatus
from ..services import Upload
from .common import stage_info

dispute_staff = predicate_required(rules.is_dispute_staff, "disputes.staff")
liaison_required = predicate_required(lambda u: bool(rules.org_ids_for(u, frozenset({Role.LIAISON}))),
                                      "disputes.liaison")
importer_required = predicate_required(importer.can_import, "disputes.import")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _when(raw: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


# --- party -----------------------------------------------------------------------------------------------------
@public
@require_http_methods(["GET", "POST"])
def party_feedback(request: HttpRequest, token: str) -> HttpResponse:
    """The status page's feedback part: stage, colour word and countdown; after closing, the satisfaction rating;
    "the agreement was not performed". Only a party (verified phone session) may act."""
    case = selectors.case_for_token(token)
    party = selectors.party_of(request.user, case)
    if party is None:
        return redirect("disputes:status", token=token)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "rate":
                feedback.rate(case, party, actor=request.user, rating=request.POST.get("rating"),
                              comment=request.POST.get("comment", ""))
                messages.success(request, "感谢您的评价。")
            elif action == "not_performed":
                feedback.report_not_performed(case, party, actor=request.user, note=request.POST.get("note", ""))
                messages.success(request, "已记录，调解员将跟进协议履行情况。")
            else:
                messages.error(request, "未知操作。")
        except XiangzhiError as exc:
            messages.error(request, exc.message)
        return redirect("disputes_part2:feedback", token=token)
    return render(request, "disputes/part2/feedback.html", {
        "case": case, "party": party, **stage_info(case),
        "can_rate": feedback.party_can_rate(party, case),
        "can_report": feedback.party_can_report_not_performed(party, case),
        "rated": case.feedback.filter(party=party).first(),
    })


# --- department liaison ----------------------------------------------------------------------------------------
@liaison_required
def joint_list(request: HttpRequest) -> HttpResponse:
    rows = list(joint.tasks_for_liaison(request.user)[:200])
    return render(request, "disputes/part2/joint_list.html", {"rows": rows, "now": timezone.now()})


@predicate_required(lambda u: u.is_authenticated and not getattr(u, "is_citizen", False), "disputes.joint")
@require_http_methods(["GET", "POST"])
def joint_task(request: HttpRequest, pk: int) -> HttpResponse:
    task = joint.access_task(request.user, pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "reply":
                f = request.FILES.get("file")
                joint.reply(task, actor=request.user, text=request.POST.get("text", ""),
                            upload=Upload.from_django(f) if f else None)
                messages.success(request, "已答复。")
            elif request.POST.get("action") == "return":
                joint.hand_back(task, actor=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, "已退回。")
        except XiangzhiError as exc:
            messages.error(request, exc.message)
        return redirect("disputes_part2:joint_task", pk=pk)
    return render(request, "disputes/part2/joint_task.html", {
        "task": task, "case": task.case, "replies": list(task.replies.select_related("author")),
        "is_department": task.organisation_id in rules.org_ids_for(request.user, frozenset({Role.LIAISON})),
    })


# --- staff case tools ------------------------------------------------------------------------------------------
@dispute_staff
def case_tools(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    now = timezone.now()
    return render(request, "disputes/part2/case_tools.html", {
        "case": case, **stage_info(case), "info": colour_info(case, now),
        "tasks": joint.overview(case, now), "handovers": list(case.handovers.all()),
        "departments": Organisation.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True).order_by("name")[:200],
        "judicial": getattr(case, "judicial", None) if hasattr(case, "judicial") else None,
        "judicial_offer": judicial.can_offer(case, now), "judicial_closes": judicial.window_closes(case),
        "judicial_steps": JudicialStatus.choices, "visits": list(case.visits.select_related("visitor")),
        "documents": documents.KINDS.items(), "directions": HandoverDirection.choices,
        "full_data_kinds": documents.FULL_DATA_KINDS, "can_reveal": core_rules.can_view_personal_data(request.user),
        "can_issue": rules.can_issue_document(request.user, case),
    })


@dispute_staff
@require_POST
def case_tools_action(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    p, user, action = request.POST, request.user, request.POST.get("action", "")
    try:
        if action == "risk":
            deadlines.raise_risk(case, p.get("level", ""), actor=user, reason=p.get("reason", ""))
        elif action == "invite":
            joint.invite(case, actor=user, organisation_id=int(p.get("organisation") or 0), task=p.get("task", ""),
                         due_at=_when(p.get("due_at", "")), contact_name=p.get("contact_name", ""),
                         contact_phone=p.get("contact_phone", ""))
        elif action == "handover":
            joint.record_handover(case, actor=user, direction=p.get("direction", ""),
                                  counterpart=p.get("counterpart", ""), reference=p.get("reference", ""),
                                  note=p.get("note", ""))
        elif action == "judicial_apply":
            judicial.apply(case, actor=user, court=p.get("court", ""))
        elif action == "judicial_step":
            judicial.record_court(case, actor=user, status=p.get("status", ""), at=_when(p.get("at", "")) or timezone.now(),
                                  court_case_number=p.get("court_case_number", ""), note=p.get("note", ""))
        elif action == "visit":
            sat = p.get("satisfaction") or None
            feedback.record_visit(case, actor=user, performed=p.get("performed") == "1",
                                  satisfaction=int(sat) if sat else None, note=p.get("note", ""),
                                  visited_at=_when(p.get("visited_at", "")) or timezone.now())
        elif action == "extend":
            deadlines.extend_mediation(case, actor=user, applicant_consent_at=_when(p.get("applicant_at", "")) or timezone.now(),
                                       respondent_consent_at=_when(p.get("respondent_at", "")) or timezone.now(),
                                       reason=p.get("reason", ""))
        else:
            messages.error(request, "未知操作。")
            return redirect("disputes_part2:case_tools", pk=pk)
        messages.success(request, "已保存。")
    except (XiangzhiError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "输入有误。"))
    return redirect("disputes_part2:case_tools", pk=pk)


@dispute_staff
@require_http_methods(["GET", "POST"])
def document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """GET downloads (changes nothing on the case); POST issues (recorded and attested). Personal data in full only
    with the right and a ``reason`` (documents.disclose)."""
    case = selectors.access_case(request.user, pk)
    if kind not in documents.KINDS:
        raise Http404
    try:
        if request.method == "POST":
            data = documents.generate(case, kind, actor=request.user, reason=request.POST.get("reason", ""))
        else:
            data = documents.download(case, kind, actor=request.user, reason=request.GET.get("reason", ""))
    except XiangzhiError as exc:
        messages.error(request, exc.message)
        return redirect("disputes_part2:case_tools", pk=pk)
    resp = HttpResponse(data, content_type=DOCX)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(documents.filename(case, kind))}"
    return resp


@dispute_staff
def case_file(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    try:
        data = casefile.build(case, actor=request.user, reason=request.GET.get("reason", ""))
    except XiangzhiError as exc:
        messages.error(request, exc.message)
        return redirect("disputes_part2:case_tools", pk=pk)
    resp = HttpResponse(data, content_type="application/zip")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(case.archive_number + '.zip')}"
    return resp


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


# --- import and export -----------------------------------------------------------------------------------------
@importer_required
def import_template(request: HttpRequest) -> HttpResponse:  # noqa: ARG001
    resp = HttpResponse(importer.template_xlsx(), content_type=XLSX)
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''" + _quote("历史案件导入模板.xlsx")
    return resp


@importer_required
@require_http_methods(["GET", "POST"])
def import_cases(request: HttpRequest) -> HttpResponse:
    """Upload: the file is checked and stored, the job queued for the background worker; then its progress page."""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "请选择要导入的文件。")
        else:
            try:
                job = importer.start_import(upload, actor=request.user, mode=request.POST.get("mode") or "all")
            except XiangzhiError as exc:
                messages.error(request, exc.message)
            else:
                return redirect("disputes_part2:import_status", pk=job.pk)
    return render(request, "disputes/part2/import.html", {"job": None, "jobs": _my_jobs(request)})


def _my_jobs(request: HttpRequest) -> list[ImportJob]:
    return list(importer.jobs_of(request.user)[:10])


@importer_required
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress and, when finished, its per-row error report; htmx polls the progress card."""
    try:
        job = importer.access_job(request.user, pk)
    except NotFound:
        raise Http404 from None
    if request.headers.get("HX-Request"):
        return render(request, "disputes/part2/import_progress.html", {"job": job})
    return render(request, "disputes/part2/import.html", {"job": job, "jobs": _my_jobs(request)})


@dispute_staff
def export(request: HttpRequest) -> HttpResponse:
    filters = selectors.CaseFilters.from_params(request.GET)
    data, _ = exports.export_xlsx(request.user, filters)
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''" + _quote(f"案件清单-{timezone.localdate():%Y%m%d}.xlsx")
    return resp
