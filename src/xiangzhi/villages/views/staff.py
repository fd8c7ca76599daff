"""The justice bureau's and the justice offices' workbench for 民主法治村 creation: the villages of their jurisdiction,
one village's record with the 规划/培育/申报/提升/复核 actions, an application with its assessors and score sheets, the
indicator checklists, the dashboard, and the printable archive. Thin: selectors read, services write."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from xiangzhi.core import rules as core_rules
from xiangzhi.core.access import staff_required
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.media import stored_file_response
from xiangzhi.core.models import User

from .. import rules, selectors, storage
from ..enums import LADDER, ReviewOutcome, Stage, TitleLevel
from ..models import Indicator
from ..services import assessment, cultivation, titles
from ..services import standards as standard_services
from ..services.assessment import LineIn
from ..services.records import record_of

VIEW = tuple(rules.VIEW_ROLES)


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@staff_required()
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    """The villages of the jurisdiction with their stage and highest title (filter by town, level, stage), and the
    applications waiting for this user's scores."""
    roles = core_rules.roles_of(request.user)
    villages = selectors.villages_visible_to(request.user).select_related("creation_record").order_by("code")
    town, level, stage = request.GET.get("town", ""), request.GET.get("level", ""), request.GET.get("stage", "")
    if town:
        villages = villages.filter(code__startswith=town)
    if level:
        villages = villages.filter(creation_record__highest_level=level) if level != "none" else villages.exclude(
            creation_record__highest_level__in=LADDER)
    if stage:
        villages = villages.filter(creation_record__stage=stage)
    page = Paginator(villages, 50).get_page(request.GET.get("page"))
    return render(request, "villages/workbench.html", {
        "page": page, "to_assess": selectors.to_assess(request.user)[:50],
        "due": selectors.due_for_review(request.user, timezone.localdate())[:20], "can_view": rules.can_view(roles),
        "can_manage": rules.can_manage(roles), "levels": TitleLevel.choices, "stages": Stage.choices,
        "towns": selectors.dashboard(request.user).towns if rules.can_view(roles) else [],
        "filters": {"town": town, "level": level, "stage": stage}})


@staff_required(*VIEW)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    d = selectors.dashboard(request.user)
    return render(request, "villages/dashboard.html", {
        "d": d, "levels": [(lv, TitleLevel(lv).label, d.by_level[lv]) for lv in reversed(LADDER)],
        "ladder": list(reversed(LADDER))})


@staff_required()
@require_http_methods(["GET", "POST"])
def record(request: HttpRequest, code: str) -> HttpResponse:
    village = selectors.access_village(request.user, code)
    roles = core_rules.roles_of(request.user)
    if request.method == "POST":
        if not rules.can_view(roles):
            raise Http404
        try:
            _record_action(request, village)
        except XiangzhiError as exc:
            messages.error(request, exc.message)
        return redirect("villages:record", code=village.code)
    rec = selectors.access_record(request.user, code)
    works_here = rules.can_work(roles) and selectors.may_work_on(request.user, village.code)
    plan = rec.plans.order_by("-created_at", "-pk").first() if rec else None
    return render(request, "villages/record.html", {
        "village": village, "rec": rec, "plan": plan,
        "tasks": plan.tasks.prefetch_related("evidence") if plan else [],
        "titles": rec.titles.all() if rec else [], "applications": rec.applications.all() if rec else [],
        "improvements": rec.improvements.all() if rec else [],
        "indicators": Indicator.objects.filter(standard__level=plan.target_level, standard__is_active=True)
        if plan else [],
        # an assessor from another town sees the village but does not work on it (the services refuse it too)
        "can_work": works_here, "can_manage": rules.can_manage(roles) and selectors.may_manage_in(request.user,
                                                                                                  village.code),
        "can_apply": works_here and rules.can_apply(roles, rec.stage if rec else Stage.NONE),
        "levels": TitleLevel.choices, "outcomes": ReviewOutcome.choices, "year": timezone.localdate().year,
        "today": timezone.localdate()})


def _record_action(request: HttpRequest, village) -> None:  # noqa: ANN001
    action, post, user = request.POST.get("action"), request.POST, request.user
    rec = record_of(village)
    if action == "plan":
        cultivation.create_plan(rec, actor=user, target_level=post.get("target_level", ""),
                                year_from=_int(post.get("year_from")) or 0, year_to=_int(post.get("year_to")) or 0,
                                targets=post.get("targets", "").splitlines())
        messages.success(request, "创建规划已保存。")
    elif action == "task":
        plan = rec.plans.order_by("-created_at", "-pk").first()
        if plan is None:
            messages.error(request, "请先制定创建规划。")
            return
        indicator = Indicator.objects.filter(pk=_int(post.get("indicator"))).first()
        cultivation.add_task(plan, actor=user, title=post.get("title", ""), indicator=indicator,
                             due_on=_date(post.get("due_on", "")))
        messages.success(request, "培育任务已布置。")
    elif action in ("evidence", "done"):
        task = selectors.task_of(rec, _int(post.get("task")))
        if action == "evidence":
            f = request.FILES.get("file")
            if f is None:
                messages.error(request, "请选择要上传的文件。")
                return
            cultivation.add_evidence(task, f, actor=user)
            messages.success(request, "材料已上传。")
        else:
            cultivation.complete_task(task, actor=user)
            messages.success(request, "任务已完成。")
    elif action == "apply":
        app = assessment.apply(rec, actor=user, level=post.get("level", ""), summary=post.get("summary", ""))
        messages.success(request, f"已申报{app.get_level_display()}民主法治村（社区）。")
    elif action == "improve":
        cultivation.plan_improvement(rec, actor=user, measures=post.get("measures", ""),
                                     due_on=_date(post.get("due_on", "")))
        messages.success(request, "提升计划已保存。")
    elif action == "register":
        titles.register_title(rec, actor=user, level=post.get("level", ""), named_on=_date(post.get("named_on", "")),
                              document_no=post.get("document_no", ""))
        messages.success(request, "存量命名已登记。")
    elif action == "review":
        title = selectors.access_title(user, _int(post.get("title")) or 0)
        if title.record_id != rec.pk:
            raise Http404
        titles.review(title, actor=user, outcome=post.get("outcome", ""), reviewed_on=_date(post.get("reviewed_on", "")),
                      note=post.get("note", ""))
        messages.success(request, "复核结论已记录。")
    else:
        messages.error(request, "未知操作。")


@staff_required()
@require_http_methods(["GET", "POST"])
def application(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.access_application(request.user, pk)
    roles = core_rules.roles_of(request.user)
    if request.method == "POST":
        action, post = request.POST.get("action"), request.POST
        try:
            if action == "assessors":
                people = list(User.objects.filter(username__in=post.get("usernames", "").split()))
                assessment.assign_assessors(app, people, actor=request.user)
                messages.success(request, "考核人员已指派。")
            elif action == "score":
                lines = {ind.pk: LineIn(score=post.get(f"score_{ind.pk}") or "0",
                                        veto_hit=post.get(f"veto_{ind.pk}") == "on",
                                        note=post.get(f"note_{ind.pk}", ""))
                         for ind in app.standard.indicators.all()}
                assessment.score(app, actor=request.user, lines=lines, note=post.get("note", ""))
                messages.success(request, "评分已提交。")
            elif action == "name":
                titles.name(app, actor=request.user, named_on=_date(post.get("named_on", "")),
                            document_no=post.get("document_no", ""))
                messages.success(request, "已命名。")
            elif action == "withdraw":
                assessment.withdraw(app, actor=request.user)
                messages.success(request, "申报已撤回。")
            else:
                messages.error(request, "未知操作。")
        except XiangzhiError as exc:
            messages.error(request, exc.message)
        return redirect("villages:application", pk=app.pk)
    is_assessor = app.assessors.filter(pk=request.user.pk).exists()
    has_scored = app.sheets.filter(assessor=request.user).exists()
    return render(request, "villages/application.html", {
        "app": app, "indicators": app.standard.indicators.all(), "evidence": selectors.evidence_of(app),
        "sheets": app.sheets.select_related("assessor").prefetch_related("lines__indicator"),
        "assessors": app.assessors.all(),
        "can_score": rules.can_score(is_assessor=is_assessor, state=app.state, has_scored=has_scored),
        "can_assign": rules.can_assign_assessors(roles, app.state), "can_name": rules.can_name(roles, app.state),
        "can_withdraw": rules.can_withdraw(roles, app.state), "today": timezone.localdate()})


@staff_required()
def evidence_file(request: HttpRequest, pk: int) -> HttpResponse:
    """An evidence file, for staff who may see it (its village's jurisdiction, or its assessors); 404 before the
    method is looked at, so another town's id answers alike to every method."""
    ev = selectors.access_evidence(request.user, pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return stored_file_response(request, storage.storage(), ev.file, ev.content_type,
                                cache_control="private, no-store", disposition="inline")


@staff_required(*VIEW)
@require_http_methods(["GET", "POST"])
def standards(request: HttpRequest) -> HttpResponse:
    roles = core_rules.roles_of(request.user)
    if request.method == "POST":
        if not rules.can_manage(roles):
            raise Http404
        items = []
        for line in request.POST.get("indicators", "").splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 3 or not parts[1]:
                continue
            veto = parts[2] in ("否决", "一票否决", "veto")
            items.append(standard_services.IndicatorIn(area=parts[0], text=parts[1], max_score="0" if veto else parts[2],
                                               is_veto=veto))
        try:
            standard_services.save_standard(actor=request.user, name=request.POST.get("name", ""),
                                    level=request.POST.get("level", ""), pass_mark=request.POST.get("pass_mark", "0"),
                                    indicators=items)
            messages.success(request, "考核标准已保存并启用。")
        except XiangzhiError as exc:
            messages.error(request, exc.message)
        return redirect("villages:standards")
    return render(request, "villages/standards.html", {
        "standards": selectors.standards_for(request.user), "can_manage": rules.can_manage(roles),
        "levels": TitleLevel.choices})


@staff_required(*VIEW)
@require_GET
def archive(request: HttpRequest, code: str) -> HttpResponse:
    village = selectors.access_village(request.user, code)
    rec = selectors.access_record(request.user, code)
    return render(request, "villages/archive.html", {
        "village": village, "rec": rec, "events": selectors.archive(rec) if rec else [],
        "titles": rec.titles.prefetch_related("reviews") if rec else []})
