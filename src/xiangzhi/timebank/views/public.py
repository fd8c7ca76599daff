"""The volunteer's own page (mobile first): their balance, statement, the catalogue they can redeem from, donations
and their leaderboard consent. Reached by the villager signed in by phone or by a staff volunteer; thin."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from xiangzhi.core.access import authenticated, public
from xiangzhi.core.errors import XiangzhiError

from .. import selectors
from ..services import exchange, volunteers


def _own(request: HttpRequest):  # noqa: ANN202
    v = selectors.volunteer_of(request.user)
    if v is None:
        raise Http404
    return v


@public  # anyone reaches the page; it shows only the signed-in volunteer's own account
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('web:citizen_login')}?next={request.get_full_path()}")
    v = selectors.volunteer_of(request.user)
    ctx = {"v": v}
    if v is not None:
        ctx.update(lines=selectors.statement(v, limit=50),
                   items=selectors.catalogue_for_volunteer(v).order_by("category", "cost_minutes", "pk"))
    return render(request, "timebank/me.html", ctx)


@authenticated
@require_POST
def redeem(request: HttpRequest, pk: int) -> HttpResponse:
    v = _own(request)
    item = selectors.catalogue_for_volunteer(v).filter(pk=pk).first()
    if item is None:
        raise Http404
    try:
        exchange.redeem(v, item, actor=request.user)
        messages.success(request, f"已兑换“{item.name}”，扣除 {item.cost_minutes} 分钟。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("timebank:me")


@authenticated
@require_POST
def donate(request: HttpRequest) -> HttpResponse:
    v = _own(request)
    try:
        recipient = selectors.donation_recipient(int(request.POST.get("to") or 0))
        exchange.donate(v, recipient, minutes=int(request.POST.get("minutes") or 0), actor=request.user,
                        memo=request.POST.get("memo", ""))
        messages.success(request, "转赠成功。")
    except (ValueError, Http404):
        messages.error(request, "请填写正确的志愿者编号和分钟数。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("timebank:me")


@authenticated
@require_POST
def consent(request: HttpRequest) -> HttpResponse:
    v = _own(request)
    volunteers.set_public_consent(v, public=request.POST.get("public") == "on", actor=request.user)
    messages.success(request, "已保存。")
    return redirect("timebank:me")
