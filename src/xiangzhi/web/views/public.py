"""Public mobile pages: the first page a villager sees after scanning a code."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from xiangzhi.core import selectors
from xiangzhi.core.access import public


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
        {"label": "找法律顾问", "hint": "本村法律顾问、调解组织和服务点", "url": reverse("web:advisers"), "icon": "找"},
        {"label": "为你推荐", "hint": "按您关心的问题推荐普法内容", "url": _maybe("outreach:feed"), "icon": "荐"},
        {"label": "普法资源库", "hint": "图文、漫画、微视频、课程、以案释法", "url": _maybe("outreach:library"), "icon": "学"},
        {"label": "以案释法十佳", "hint": "年度典型案例，参与投票", "url": _maybe("outreach:top_ten"), "icon": "案"},
    ]
    towns = selectors.public_towns()
    village_code = request.GET.get("v", "")
    return render(request, "web/home.html", {"entries": entries, "towns": towns, "village_code": village_code})


@public
def healthz(request: HttpRequest) -> JsonResponse:  # noqa: ARG001
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
