"""The organisations' side of 时间银行 (workbench pages): record and verify activities, register volunteers, one
volunteer's statement, the catalogue, the leaderboards and the xlsx reports. Thin: selectors read, services write."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from xiangzhi.core import rules as core_rules
from xiangzhi.core.access import staff_required
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.models import Region
from xiangzhi.core.selectors import organisations_visible_to, region_q

from .. import reports, rules, selectors
from ..enums import ActivityKind, ActivityState, CatalogueCategory, VolunteerKind
from ..services import activities, exchange, volunteers

READ = tuple(rules.READ_ROLES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


def _date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return timezone.localdate()


@staff_required(*READ)
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    user = request.user
    visible = selectors.activities_visible_to(user)
    manage = rules.can_manage(core_rules.roles_of(user))
    pending = list(visible.filter(state=ActivityState.PROPOSED).order_by("occurred_on", "pk")[:100])
    ctx = {
        "pending": [(a, manage and rules.can_verify(core_rules.roles_of(user), a.state,
                                                    is_recorder=a.recorded_by_id == user.pk,
                                                    is_volunteer=a.volunteer.user_id == user.pk)) for a in pending],
        "recent": visible.exclude(state=ActivityState.PROPOSED).order_by("-pk")[:30],
        "members": selectors.volunteers_visible_to(user).order_by("pk")[:300],
        "can_manage": manage,
        "kinds": ActivityKind.choices, "volunteer_kinds": VolunteerKind.choices,
        "organisations": organisations_visible_to(user).order_by("pk")[:300] if manage else [],
        "regions": (Region.objects.filter(region_q(user, "code", codes=selectors.manage_codes(user)),
                                          level__in=["town", "village"]).order_by("code") if manage else []),
        "today": timezone.localdate(),
    }
    return render(request, "timebank/workbench.html", ctx)


@staff_required(*READ)
@require_POST
def record(request: HttpRequest) -> HttpResponse:
    v = selectors.access_volunteer(request.user, _int(request.POST.get("member")))
    try:
        activities.record_activity(v, kind=request.POST.get("kind", ""), title=request.POST.get("title", ""),
                                   occurred_on=_date(request.POST.get("occurred_on")),
                                   minutes=_int(request.POST.get("minutes")), organisation=v.organisation,
                                   link=request.POST.get("link", ""), actor=request.user)
        messages.success(request, "服务记录已录入，待其他工作人员核验。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("timebank:workbench")


@staff_required(*READ)
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    region = Region.objects.filter(code=request.POST.get("region", "")).first()
    org = organisations_visible_to(request.user).filter(pk=_int(request.POST.get("organisation"))).first()
    if region is None or org is None:
        messages.error(request, "请选择区划和登记组织。")
        return redirect("timebank:workbench")
    try:
        volunteers.register_volunteer(name=request.POST.get("name", ""), phone=request.POST.get("phone", ""),
                                      kind=request.POST.get("kind", ""), organisation=org, region=region,
                                      skills=request.POST.get("skills", ""),
                                      public_consent=request.POST.get("public") == "on", actor=request.user)
        messages.success(request, "志愿者已登记。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("timebank:workbench")


@staff_required(*READ)
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    a = selectors.access_activity(request.user, pk)
    try:
        if request.POST.get("reject"):
            activities.reject_activity(a, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, "已标记为未通过。")
        else:
            activities.verify_activity(a, actor=request.user)
            messages.success(request, f"已核验，{a.minutes} 分钟已入账。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("timebank:workbench")


@staff_required(*READ)
@require_GET
def member(request: HttpRequest, pk: int) -> HttpResponse:
    v = selectors.access_volunteer(request.user, pk)
    return render(request, "timebank/member.html", {
        "v": v, "lines": selectors.statement(v, limit=200),
        "contact": v.person.masked_phone if selectors.may_see_contact(request.user, v) else None})


@staff_required(*READ)
@require_GET
def member_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    v = selectors.access_volunteer(request.user, pk)
    response = HttpResponse(reports.statement_xlsx(v), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="timebank-statement-{v.pk}.xlsx"'
    return response


@staff_required(*READ)
@require_GET
def report_xlsx(request: HttpRequest) -> HttpResponse:
    year = _int(request.GET.get("year"), timezone.localdate().year)
    qs = (selectors.activities_visible_to(request.user).filter(occurred_on__year=year)
          .select_related("volunteer__person", "region", "organisation").order_by("occurred_on", "pk"))
    response = HttpResponse(reports.activities_xlsx(qs.iterator(chunk_size=2000)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="timebank-activities-{year}.xlsx"'
    return response


@staff_required(*READ)
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    manage = rules.can_manage(core_rules.roles_of(request.user))
    return render(request, "timebank/catalogue.html", {
        "items": selectors.catalogue_visible_to(request.user).order_by("category", "cost_minutes", "pk"),
        "can_manage": manage, "categories": CatalogueCategory.choices,
        "organisations": organisations_visible_to(request.user).order_by("pk")[:300] if manage else [],
        "regions": Region.objects.filter(code__in=selectors.manage_codes(request.user)) if manage else []})


@staff_required(*READ)
@require_POST
def item_save(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    item = selectors.managed_item(request.user, pk) if pk is not None else None
    region = Region.objects.filter(code=request.POST.get("region", "")).first()
    org = organisations_visible_to(request.user).filter(pk=_int(request.POST.get("organisation"))).first()
    if item is not None and request.POST.get("toggle"):
        region, org = item.region, item.organisation
    if region is None or org is None:
        messages.error(request, "请选择区划和提供单位。")
        return redirect("timebank:catalogue")
    try:
        exchange.save_item(
            organisation=org, region=region, item=item,
            category=request.POST.get("category") or (item.category if item else ""),
            name=request.POST.get("name") or (item.name if item else ""),
            description=request.POST.get("description") or (item.description if item else ""),
            cost_minutes=_int(request.POST.get("cost_minutes")) or (item.cost_minutes if item else 0),
            is_active=(not item.is_active) if item is not None and request.POST.get("toggle") else True,
            actor=request.user)
        messages.success(request, "兑换目录已保存。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("timebank:catalogue")


@staff_required(*READ)
@require_GET
def leaderboard(request: HttpRequest) -> HttpResponse:
    year = _int(request.GET.get("year"), timezone.localdate().year)
    since = dt.date(year, 1, 1)
    codes = selectors.read_codes(request.user)
    towns = selectors.towns_for(request.user, since=since)
    town_code = request.GET.get("town") or (codes[0][:9] if codes and len(codes[0]) >= 9 else "")
    town = selectors.access_leaderboard_town(request.user, town_code) if town_code else None
    rows = selectors.leaderboard(town, since=since) if town is not None else []
    return render(request, "timebank/leaderboard.html",
                  {"towns": towns, "town": town, "rows": rows, "year": year})
