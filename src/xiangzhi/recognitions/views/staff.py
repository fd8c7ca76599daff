"""The workbench of recognitions: coverage per village, the list by state, nominating, one recognition with its
steps (review, notice, approval, registration, revocation), its objections and training records; the e法贷 totals
for the county. Thin: selectors read, services write."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.core import rules as core_rules
from xiangzhi.core.access import staff_required
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.models import Region
from xiangzhi.core.selectors import region_q

from .. import certificates, rules, selectors
from ..enums import ALLOWED_TRANSITIONS, State, Title, TrainingKind
from ..services import selection

SEE_ROLES = tuple(rules.SEE_ROLES)


def _year(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year


@staff_required(*SEE_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    visible = selectors.visible_to(request.user)
    state = request.GET.get("state", "")
    listed = visible.filter(year=year)
    if state in State.values:
        listed = listed.filter(state=state)
    by_state = dict(visible.filter(year=year).values_list("state").annotate(n=Count("pk")).order_by())
    rows = selectors.coverage(request.user, year)
    target = settings.XIANGZHI_RECOGNITIONS_COVERAGE_TARGET
    covered = sum(1 for r in rows if r["counts"][0] >= target)
    roles = core_rules.roles_of(request.user)
    return render(request, "recognitions/dashboard.html", {
        "year": year, "titles": Title.choices, "states": [(s, label, by_state.get(s, 0)) for s, label in State.choices],
        "state": state, "items": listed.order_by("state", "region__code", "pk")[:200], "coverage": rows,
        "target": target, "covered": covered, "can_nominate": rules.can_nominate(roles),
        "can_set_quota": bool(rules.COUNTY_ROLES & roles),
        "totals": selectors.loan_totals(request.user) if rules.can_see_loan_totals(roles) else None})


@staff_required(*rules.NOMINATE_ROLES)
def nominate(request: HttpRequest) -> HttpResponse:
    villages = Region.objects.filter(region_q(request.user, "code", codes=selectors.scope_codes(request.user)),
                                     level=RegionLevel.VILLAGE, is_active=True).order_by("code")
    if request.method == "POST":
        region = villages.filter(code=request.POST.get("region", "")).first()
        try:
            if region is None:
                raise XiangzhiError("NOT_A_VILLAGE", "请选择本辖区的村（社区）。")
            rec = selection.nominate(
                selection.Nominee(name=request.POST.get("name", ""), id_number=request.POST.get("id_number", ""),
                                  phone=request.POST.get("phone", "")),
                title=request.POST.get("title", ""), year=int(request.POST.get("year") or 0), region=region,
                reason=request.POST.get("reason", ""), actor=request.user)
            messages.success(request, "已提名。")
            return redirect("recognitions:detail", pk=rec.pk)
        except (XiangzhiError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "请检查填写内容。"))
    return render(request, "recognitions/nominate.html", {
        "villages": villages[:500], "titles": Title.choices, "year": timezone.localdate().year})


@staff_required(*SEE_ROLES)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    rec = selectors.access_recognition(request.user, pk)
    roles = core_rules.roles_of(request.user)
    steps = [(to, State(to).label) for to in ALLOWED_TRANSITIONS[rec.state] if rules.can_transition(roles, rec.state, to)]
    return render(request, "recognitions/detail.html", {
        "rec": rec, "steps": steps, "events": rec.events.all(), "objections": rec.objections.all(),
        "trainings": rec.trainings.all(), "can_answer": rules.can_answer_objection(roles, rec.state),
        "can_train": rules.can_record_training(roles, rec.state), "training_kinds": TrainingKind.choices,
        "certificate_url": certificates.certificate_url(rec) if rec.serial and rec.is_certified else None,
        "quota": selection.quota_for(rec.region, rec.year, rec.title),
        "used": selectors.used_quota(rec.region_id, rec.year, rec.title)})


@staff_required(*SEE_ROLES)
@require_POST
def step(request: HttpRequest, pk: int) -> HttpResponse:
    rec = selectors.access_recognition(request.user, pk)
    try:
        selection.transition(rec, request.POST.get("to", ""), actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, "已办理。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("recognitions:detail", pk=rec.pk)


@staff_required(*SEE_ROLES)
@require_POST
def answer(request: HttpRequest, pk: int, objection_id: int) -> HttpResponse:
    rec = selectors.access_recognition(request.user, pk)
    objection = get_object_or_404(rec.objections, pk=objection_id)
    try:
        selection.answer_objection(objection, answer=request.POST.get("answer", ""), actor=request.user)
        messages.success(request, "已答复。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("recognitions:detail", pk=rec.pk)


@staff_required(*SEE_ROLES)
@require_POST
def training(request: HttpRequest, pk: int) -> HttpResponse:
    rec = selectors.access_recognition(request.user, pk)
    try:
        score = request.POST.get("score") or None
        selection.add_training(
            rec, kind=request.POST.get("kind", ""), on=dt.date.fromisoformat(request.POST.get("on", "")),
            topic=request.POST.get("topic", ""), hours=request.POST.get("hours") or "0",
            score=int(score) if score is not None else None,
            passed={"yes": True, "no": False}.get(request.POST.get("passed", "")), actor=request.user)
        messages.success(request, "已登记。")
    except ValueError:
        messages.error(request, "日期或成绩格式不正确。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("recognitions:detail", pk=rec.pk)


@staff_required(*rules.COUNTY_ROLES)
@require_POST
def quota(request: HttpRequest) -> HttpResponse:
    """The county sets a village's yearly quota of one title."""
    village = Region.objects.filter(region_q(request.user, "code"), level=RegionLevel.VILLAGE,
                                    code=request.POST.get("region", "")).first()
    try:
        if village is None:
            raise XiangzhiError("NOT_A_VILLAGE", "请选择本辖区的村（社区）。")
        selection.set_quota(village, year=int(request.POST.get("year", "")), title=request.POST.get("title", ""),
                            limit=int(request.POST.get("limit", "")), actor=request.user)
        messages.success(request, "名额已保存。")
    except ValueError:
        messages.error(request, "年度和名额应为整数。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('recognitions:dashboard')}?year={request.POST.get('year', '')}")
