"""Import of historical cases (town justice office and up): the template, the upload and the job's progress page
(polled by htmx). Thin: the importer checks, stores and queues; the background worker writes."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from xiangzhi.core.access import predicate_required
from xiangzhi.core.errors import NotFound, XiangzhiError

from .. import import_format, rules, selectors
from ..models import ImportJob
from ..services import importing

importer_required = predicate_required(rules.can_import, "disputes.import")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@importer_required
def import_template(request: HttpRequest) -> HttpResponse:  # noqa: ARG001
    resp = HttpResponse(import_format.template_xlsx(), content_type=XLSX)
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote("历史案件导入模板.xlsx")
    return resp


@importer_required
@require_http_methods(["GET", "POST"])
def import_cases(request: HttpRequest) -> HttpResponse:
    """Upload: the file is checked and stored, the job queued for the background worker; then its progress page."""
    if request.method == "POST":
        try:
            job = importing.start_import(request.FILES.get("file"), actor=request.user,
                                         mode=request.POST.get("mode") or "all")
        except XiangzhiError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("disputes:import_status", pk=job.pk)
    return render(request, "disputes/import.html", {"job": None, "jobs": _my_jobs(request)})


def _my_jobs(request: HttpRequest) -> list[ImportJob]:
    return list(selectors.jobs_of(request.user)[:10])


@importer_required
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress and, when finished, its per-row error report; htmx polls the progress card."""
    try:
        job = selectors.access_job(request.user, pk)
    except NotFound:
        raise Http404 from None
    if request.headers.get("HX-Request"):
        return render(request, "disputes/_import_progress.html", {"job": job})
    return render(request, "disputes/import.html", {"job": job, "jobs": _my_jobs(request)})
