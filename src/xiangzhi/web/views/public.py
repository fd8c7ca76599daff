"""Public mobile pages: the first page a villager sees after scanning a code."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from xiangzhi.core import selectors
from xiangzhi.core.access import public
from xiangzhi.core.enums import OrgKind
from xiangzhi.core.models import Organisation


def _maybe(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@public
def home(request: HttpRequest) -> HttpResponse:
    entries = [
        {"label": "申请调解", "hint": "邻里、婚姻家庭、土地、欠款等纠纷", "url": _maybe("disputes:apply"), "icon": "调"},
        {"label": "查询案件", "hint": "扫码或输入案件编号查看进度", "url": _maybe("disputes:lookup"), "icon": "查"},
        {"label": "法律咨询", "hint": "智能问答，解答不了转人工", "url": _maybe("consultation:chat"), "icon": "问"},
        {"label": "找法律顾问", "hint": "本村法律顾问和调解组织", "url": reverse("web:advisers"), "icon": "找"},
        {"label": "为你推荐", "hint": "按您关心的问题推荐普法内容", "url": _maybe("outreach:feed"), "icon": "荐"},
        {"label": "普法资源库", "hint": "图文、漫画、微视频、课程、以案释法", "url": _maybe("outreach:library"), "icon": "学"},
        {"label": "以案释法十佳", "hint": "年度典型案例，参与投票", "url": _maybe("outreach:top_ten"), "icon": "案"},
    ]
    towns = selectors.public_towns()
    village_code = request.GET.get("v", "")
    return render(request, "web/home.html", {"entries": entries, "towns": towns, "village_code": village_code})


@public
def advisers(request: HttpRequest) -> HttpResponse:
    """Pick a town and village; see its mediation committee and the town's justice office and committee."""
    town_code = request.GET.get("town", "")
    village_code = request.GET.get("village", "")
    towns = list(selectors.public_towns())
    villages = list(selectors.public_villages(town_code)) if town_code else []
    orgs = []
    error = ""
    if village_code:
        village = next((v for v in selectors.public_villages(village_code[:9]) if v.code == village_code), None)
        if village is None:
            error = "未找到该村（社区），请重新选择。"
        else:
            orgs = list(
                Organisation.objects.filter(is_active=True, region__code__in=[village.code, village.code[:9]])
                .filter(kind__in=[OrgKind.VILLAGE_COMMITTEE, OrgKind.TOWN_COMMITTEE, OrgKind.JUSTICE_OFFICE])
                .select_related("region")
                .order_by("-region__code", "kind")
            )
    return render(request, "web/advisers.html", {
        "towns": towns, "villages": villages, "town_code": town_code, "village_code": village_code,
        "orgs": orgs, "error": error,
    })


@public
def healthz(request: HttpRequest) -> JsonResponse:  # noqa: ARG001
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
