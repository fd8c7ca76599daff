"""Public pages of the network (mobile first): 找法律顾问 (village search), a village's 有法码 page, a service
point's page, the deliberate tap that shows the adviser's mobile, and the kiosk of a terminal. Thin: selectors read,
services write."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiangzhi.core import selectors as core_selectors
from xiangzhi.core.access import public
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.middleware import client_ip
from xiangzhi.core.text import clean_text

from .. import selectors
from ..enums import CodeTarget, SiteService
from ..services import codes, terminals

KIOSK_COOKIE = "xz_terminal"
KIOSK_COOKIE_AGE = 5 * 365 * 24 * 3600


def _maybe(name: str, *args: str) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _scanned(request: HttpRequest) -> bool:
    return request.GET.get(codes.SCAN_PARAM) == codes.SCAN_VALUE


def _service_labels(site) -> list[str]:  # noqa: ANN001
    labels = dict(SiteService.choices)
    return [str(labels[s]) for s in site.services if s in labels] if site else []


@public
@require_GET
def villages(request: HttpRequest) -> HttpResponse:
    """找法律顾问: search villages by name or pick a town; each leads to its village page."""
    q = clean_text(request.GET.get("q", "")).strip()[:30]
    town = request.GET.get("town", "")[:9]
    rows = list(selectors.search_villages(q, town)) if (q or town) else []
    return render(request, "network/villages.html", {
        "towns": list(core_selectors.public_towns()), "town_code": town, "q": q, "rows": rows,
        "searched": bool(q or town)})


def _village_context(request: HttpRequest, code: str) -> dict:
    village = selectors.public_village(code)
    page = selectors.village_page(village)
    return {"page": page, "apply_url": _maybe("disputes:apply"), "chat_url": _maybe("consultation:chat"),
            "site_services": _service_labels(page.site), "revealed": None}


@public
@require_GET
def village(request: HttpRequest, code: str) -> HttpResponse:
    """A village's 有法码 page. A scan (``?src=qr``, as printed) is counted."""
    context = _village_context(request, code)
    if _scanned(request):
        codes.count_scan(CodeTarget.VILLAGE, code, context["page"].village)
    return render(request, "network/village.html", context)


@public
@require_POST
def reveal(request: HttpRequest, code: str) -> HttpResponse:
    """显示完整号码: the adviser's mobile in full, after a deliberate tap (rate-limited, logged)."""
    context = _village_context(request, code)
    page = context["page"]
    if page.adviser is None:
        return redirect("network:village", code=code)
    try:
        context["revealed"] = codes.reveal_mobile(page.adviser, page.village, viewer=request.user,
                                                  ip=client_ip(request))
    except XiangzhiError as exc:
        context["error"] = exc.message
        return render(request, "network/village.html", context, status=exc.status)
    response = render(request, "network/village.html", context)
    response["Cache-Control"] = "no-store"
    return response


@public
@require_GET
def site(request: HttpRequest, pk: int) -> HttpResponse:
    """A service point's page (its 有法码 opens it; a scan is counted)."""
    s = selectors.public_site(pk)
    if _scanned(request):
        codes.count_scan(CodeTarget.SITE, str(s.pk), s.region)
    return render(request, "network/site.html", {"site": s, "services": _service_labels(s),
                                                 "apply_url": _maybe("disputes:apply"),
                                                 "chat_url": _maybe("consultation:chat")})


# --- kiosk --------------------------------------------------------------------------------------------------------
@public
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest) -> HttpResponse:
    """The kiosk mode of the public site, bound to its terminal by the terminal's token (kept in a cookie once
    entered at setup). Without a valid token: the setup form; a wrong token is refused (403). Each opening of the
    kiosk page is one visit of the terminal."""
    if request.method == "POST":
        raw = (request.POST.get("token") or "").strip()[:200]
        try:
            terminal = terminals.bind_kiosk(raw, ip=client_ip(request))
        except XiangzhiError as exc:
            return render(request, "network/kiosk_bind.html", {"error": exc.message}, status=exc.status)
        if terminal is None:
            return render(request, "network/kiosk_bind.html", {"error": "终端令牌无效或终端已停用。"}, status=403)
        response = redirect("network:kiosk")
        response.set_cookie(KIOSK_COOKIE, raw, max_age=KIOSK_COOKIE_AGE, httponly=True, samesite="Lax",
                            secure=settings.SESSION_COOKIE_SECURE)
        return response
    raw = request.COOKIES.get(KIOSK_COOKIE, "")
    terminal = terminals.terminal_for(raw) if raw else None
    if terminal is None:
        response = render(request, "network/kiosk_bind.html", {"error": "终端令牌已失效，请重新设置。" if raw else ""},
                          status=403 if raw else 200)
        if raw:
            response.delete_cookie(KIOSK_COOKIE)
        return response
    terminals.count_visit(terminal)
    region = terminal.region
    village = region if region.level == RegionLevel.VILLAGE else None
    adviser_url = reverse("network:village", args=[village.code]) if village else reverse("web:advisers")
    page = selectors.village_page(village) if village else None
    apply_url = _maybe("disputes:apply")
    return render(request, "network/kiosk.html", {
        "terminal": terminal, "page": page, "site": terminal.site or selectors.nearest_site(region),
        "chat_url": _maybe("consultation:chat"),
        "apply_url": f"{apply_url}?v={village.code}" if apply_url and village else apply_url,
        "adviser_url": adviser_url})
