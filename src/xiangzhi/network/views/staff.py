"""The network in the staff workbench: the coverage of villages by advisers (uncovered ones flagged), the service
points and teams, and the terminal registry with visit statistics (register a terminal, rotate its token)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from xiangzhi.core import selectors as core_selectors
from xiangzhi.core.access import predicate_required
from xiangzhi.core.errors import XiangzhiError

from .. import selectors
from ..enums import TerminalKind
from ..services import codes, terminals


@predicate_required(selectors.may_view, "network.view")
def coverage(request: HttpRequest) -> HttpResponse:
    data = selectors.coverage(request.user)
    only_uncovered = request.GET.get("uncovered") == "1"
    rows = [r for r in data.rows if not r.covered] if only_uncovered else data.rows
    return render(request, "network/staff_coverage.html", {
        "cov": data, "rows": rows, "only_uncovered": only_uncovered,
        "sites": list(selectors.sites_visible_to(request.user).order_by("region__code", "name")[:500]),
        "teams": list(selectors.teams_visible_to(request.user).order_by("region__code", "name")[:500])})


@predicate_required(selectors.may_view, "network.view")
@require_http_methods(["GET", "POST"])
def terminal_list(request: HttpRequest) -> HttpResponse:
    """The terminal registry with each terminal's visits; the justice office registers a terminal here (its token is
    shown once)."""
    token = None
    if request.method == "POST":
        if not selectors.may_manage(request.user):
            return redirect("network:terminals")
        try:
            region = core_selectors.access_region(request.user, request.POST.get("region", ""))
            terminal, token = terminals.register_terminal(
                region, code=request.POST.get("code", ""), name=request.POST.get("name", ""),
                kind=request.POST.get("kind", ""), actor=request.user)
            messages.success(request, f"终端 {terminal.code} 已登记。令牌只显示这一次，请立即填入终端。")
        except XiangzhiError as exc:
            messages.error(request, exc.message)
    rows = list(selectors.terminals_visible_to(request.user).order_by("code"))
    return render(request, "network/staff_terminals.html", {
        "rows": rows, "total": sum(t.visit_total or 0 for t in rows), "token": token,
        "kinds": TerminalKind.choices, "may_manage": selectors.may_manage(request.user),
        "regions": list(core_selectors.regions_visible_to(request.user).filter(level__in=["county", "town", "village"])
                        .order_by("code")[:400])})


@predicate_required(selectors.may_manage, "network.manage")
@require_POST
def rotate_token(request: HttpRequest, pk: int) -> HttpResponse:
    terminal = selectors.access_terminal_to_manage(request.user, pk)
    token = terminals.rotate_token(terminal, actor=request.user)
    messages.success(request, f"终端 {terminal.code} 的新令牌：{token}（只显示这一次；旧令牌已失效）")
    return redirect("network:terminals")


@predicate_required(selectors.may_view, "network.view")
def youfa_code(request: HttpRequest, code: str) -> HttpResponse:
    """The printable 有法码 (PNG) of a village of the user's jurisdiction (or of a town's/the county's service
    point) — the same image as ``xiangzhi network youfa-code``. GET only, checked after the access check so that the
    method tells nothing of a region one may not see."""
    region = selectors.access_region_for_code(request.user, code)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        _title, url = codes.code_target(region.code)
    except XiangzhiError as exc:
        raise Http404 from exc
    response = HttpResponse(codes.qr_png(url), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="youfa-{region.code}.png"'
    return response
