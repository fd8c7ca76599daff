"""研判 pages: dashboards (county/town/village, and the 大屏 wall), drill-down lists, the mediation report and the
warnings list. Thin: every number comes from ``selectors``; the one write (acknowledging) from ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xiangzhi.core import selectors as core_selectors
from xiangzhi.core.access import predicate_required
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.models import Region
from xiangzhi.core.xlsx import to_bytes

from . import forms, rules, selectors, services, xlsx

insights_staff = predicate_required(rules.can_view_insights, "insights.staff")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(request: HttpRequest) -> selectors.Period:
    try:
        return selectors.parse_period(request.GET.get("period"))
    except ValueError:
        raise Http404 from None


def _board(request: HttpRequest) -> selectors.Dashboard:
    region = selectors.access_scope(request.user, request.GET.get("region") or None)
    return selectors.dashboard(request.user, region=region, period=_period(request),
                               link_base=reverse("insights:cases"))


def _scope_context(request: HttpRequest, region) -> dict:  # noqa: ANN001
    scopes = selectors.scopes_for(request.user)
    children = []
    if len(region.code) <= 9:
        children = list(Region.objects.filter(parent__code=region.code, is_active=True).order_by("code"))
    return {"scopes": scopes, "children": children, "scope_codes": [r.code for r in scopes + children]}


def _context(request: HttpRequest, board: selectors.Dashboard) -> dict:
    return {"board": board, "cards": board.cards, "charts": board.charts, "period": board.period,
            "chart_data": [c.echarts() for c in board.charts], **_scope_context(request, board.region)}


@insights_staff
def dashboard_view(request: HttpRequest) -> HttpResponse:
    board = _board(request)
    return render(request, "insights/dashboard.html", _context(request, board))


@insights_staff
def wall(request: HttpRequest) -> HttpResponse:
    """大屏: the centre's wall display; refreshes itself every few minutes (meta refresh, and a JS timer)."""
    board = _board(request)
    return render(request, "insights/wall.html", {**_context(request, board), "refresh_seconds": 300})


@insights_staff
def dashboard_export(request: HttpRequest) -> HttpResponse:
    board = _board(request)
    only = request.GET.get("chart") or None
    if only and only not in {c.key for c in board.charts}:
        raise Http404
    response = HttpResponse(to_bytes(xlsx.dashboard_workbook(board, only)), content_type=XLSX)
    name = f"insights-{board.region.code}-{board.period.key}{'-' + only if only else ''}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@insights_staff
def cases(request: HttpRequest) -> HttpResponse:
    try:
        qs, shown = selectors.drill_cases(request.user, request.GET)
    except ValueError:
        raise Http404 from None
    try:
        after = int(request.GET.get("after") or 0) or None
    except ValueError:
        after = None
    total = qs.count()
    if after:
        qs = qs.filter(id__lt=after)
    rows = list(qs.select_related("dispute_type", "region", "organisation").order_by("-id")[:51])
    params = request.GET.copy()
    params.pop("after", None)
    from xiangzhi.disputes.selectors import stage_info

    return render(request, "insights/cases.html", {
        "rows": [{"case": c, **stage_info(c, with_due=False)} for c in rows[:50]], "total": total, "shown": shown,
        "next_after": rows[49].pk if len(rows) > 50 else None, "params": params.urlencode()})


def _report(request: HttpRequest) -> selectors.Report:
    region = selectors.access_scope(request.user, request.GET.get("region") or None)
    return selectors.mediation_report(request.user, period=_period(request), region_code=region.code)


@insights_staff
def report(request: HttpRequest) -> HttpResponse:
    rep = _report(request)
    return render(request, "insights/report.html", {
        "report": rep, **_scope_context(request, rep.region),
        "sections": [(s, [(label, [selectors.format_cell(c, row[c.key]) for c in rep.columns]) for label, row in s.rows])
                     for s in rep.sections],
        "totals": [selectors.format_cell(c, rep.totals[c.key]) for c in rep.columns]})


@insights_staff
def report_export(request: HttpRequest) -> HttpResponse:
    rep = _report(request)
    response = HttpResponse(to_bytes(xlsx.report_workbook(rep)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="mediation-{rep.region.code}-{rep.period.key}.xlsx"'
    return response


@insights_staff
def warnings(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    rows = list(selectors.warnings_visible_to(request.user, show_all=show_all))
    places = core_selectors.place_names(w.region_code for w in rows)  # places by name, never by code
    for w in rows:
        w.place = places.get(w.region_code, "")
    return render(request, "insights/warnings.html", {
        "rows": [(w, rules.can_acknowledge(request.user, w)) for w in rows], "show_all": show_all})


@insights_staff
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    warning = selectors.access_warning(request.user, pk)
    try:
        services.acknowledge_warning(warning, actor=request.user, note=request.POST.get("note", ""))
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "预警已签收。")
    return redirect("insights:warnings")


# ----------------------------------------------------------------------------------------------------------------
# Report flags of a case (a partial on the case page) and screening rounds
# ----------------------------------------------------------------------------------------------------------------
@insights_staff
@require_POST
def case_flags(request: HttpRequest, pk: int) -> HttpResponse:
    from xiangzhi.disputes import selectors as dispute_selectors

    case = dispute_selectors.access_case(request.user, pk)
    form = forms.CaseFlagsForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
    else:
        try:
            services.set_case_flags(case, actor=request.user, **form.flags())
        except XiangzhiError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "统计标记已保存。")
    return redirect(reverse("disputes:case", args=[case.pk]) + "#report-flags")


def _screening_regions(user) -> list[Region]:  # noqa: ANN001
    from django.db.models import Q

    codes = rules.screening_codes(user)
    if not codes:
        return []
    q = Q()
    for code in codes:
        q |= Q(code__startswith=code)
    return list(Region.objects.filter(q, level__in=["town", "village"], is_active=True).order_by("code"))


@insights_staff
def screenings(request: HttpRequest) -> HttpResponse:
    """矛盾纠纷排查: the rounds held in the user's jurisdiction, and a form for town and village staff."""
    regions = _screening_regions(request.user)
    form = forms.ScreeningForm(request.POST or None, regions=regions)
    if request.method == "POST":
        if not regions:
            raise Http404
        if form.is_valid():
            try:
                services.record_screening(form.regions[form.cleaned_data["region"]], actor=request.user,
                                          held_at=form.held_at(), disputes_found=form.cleaned_data["disputes_found"],
                                          note=form.cleaned_data["note"])
            except XiangzhiError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "排查记录已保存，将计入人民调解统计表。")
                return redirect("insights:screenings")
    return render(request, "insights/screenings.html", {
        "form": form if regions else None, "rows": selectors.screenings_visible_to(request.user)[:50]})
