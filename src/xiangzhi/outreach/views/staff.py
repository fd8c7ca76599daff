"""Lawyers' and the bureau's side of 精准普法 (phone-friendly workbench pages): the 抢单 board, one 求助 with its
claim, answer and review actions, and the bureau's alert rules. Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from xiangzhi.consultation.retrieval import TOPICS
from xiangzhi.core import rules as core_rules
from xiangzhi.core.access import staff_required
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.disputes.services.uploads import Upload

from .. import rules, selectors
from ..enums import AlertState
from ..models import AlertRule
from ..services import alerts, answers, claims

SEE_ROLES = tuple(rules.CLAIM_ROLES | rules.REVIEW_ROLES)


@staff_required(*SEE_ROLES)
def board(request: HttpRequest) -> HttpResponse:
    visible = selectors.alerts_visible_to(request.user)
    roles = core_rules.roles_of(request.user)
    ctx = {
        "open": selectors.claimable_for(request.user)[:100],
        "mine": visible.filter(claimed_by=request.user, state__in=[AlertState.CLAIMED, AlertState.ANSWERED]),
        "review": visible.filter(state=AlertState.ANSWERED)[:50] if rules.REVIEW_ROLES & roles else [],
        "published": visible.filter(state=AlertState.PUBLISHED).order_by("-published_at")[:20],
        "can_edit_rules": rules.can_edit_rules(roles),
        "topics": TOPICS if rules.is_claimer(roles) else [],
        "mine_topics": selectors.specialities_of(request.user),
    }
    return render(request, "outreach/board.html", ctx)


@staff_required(*rules.CLAIM_ROLES)
@require_POST
def specialities(request: HttpRequest) -> HttpResponse:
    try:
        claims.set_specialities(request.user, request.POST.getlist("topic"), actor=request.user)
        messages.success(request, "擅长领域已保存。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("outreach:board")


@staff_required(*rules.CLAIM_ROLES)
@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    try:
        alert = claims.take_next(actor=request.user)
    except XiangzhiError as exc:
        messages.error(request, exc.message)
        return redirect("outreach:board")
    if alert is None:
        messages.info(request, "暂无可认领的求助。")
        return redirect("outreach:board")
    messages.success(request, "抢单成功，请在时限内录制解答。")
    return redirect("outreach:alert", pk=alert.pk)


@staff_required(*SEE_ROLES)
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.access_alert(request.user, pk)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "claim":
                claims.claim(alert, actor=request.user)
                messages.success(request, "抢单成功，请在时限内录制解答。")
            elif action == "release":
                claims.release(alert, actor=request.user)
                messages.success(request, "已放弃认领，求助回到抢单池。")
            elif action == "answer":
                f = request.FILES.get("media")
                citations = [c for c in request.POST.get("citations", "").replace("，", ",").split(",") if c.strip()]
                alert = answers.submit_answer(alert, actor=request.user, text=request.POST.get("text", ""),
                                              citations=[c.strip() for c in citations],
                                              upload=Upload.from_django(f) if f else None)
                messages.success(request, "已发布并推送。" if alert.state == AlertState.PUBLISHED else "已提交，等待审核。")
            elif action in ("approve", "reject"):
                answers.review_answer(alert, actor=request.user, approve=action == "approve",
                                      note=request.POST.get("note", ""))
                messages.success(request, "已发布并推送。" if action == "approve" else "已退回。")
            else:
                raise Http404
            return redirect("outreach:alert", pk=alert.pk)
        except XiangzhiError as exc:
            error = exc.message
        alert = selectors.access_alert(request.user, pk)
    roles = core_rules.roles_of(request.user)
    answer = getattr(alert, "answer", None)
    peak = max(alert.series or [0]) or 1
    ctx = {
        "a": alert, "answer": answer, "error": error, "events": alert.events.select_related("actor"),
        "bars": [{"n": n, "pct": round(100 * n / peak)} for n in alert.series],
        "can_claim": selectors.may_claim(request.user, alert),
        "can_answer": rules.can_answer(request.user.pk, alert.state, alert.claimed_by_id),
        "can_review": rules.can_review(roles, alert.state, is_author=bool(answer and answer.author_id == request.user.pk)),
        "deliveries": selectors.delivery_counts(alert) if rules.can_see_deliveries(roles) else None,
        "audience": alert.deliveries.count(),
    }
    return render(request, "outreach/alert.html", ctx, status=422 if error else 200)


@staff_required(*rules.BUREAU_ROLES)
def rule_list(request: HttpRequest) -> HttpResponse:
    return render(request, "outreach/rules.html", {"rules": selectors.rules_for(request.user)})


@staff_required(*rules.BUREAU_ROLES)
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = selectors.rules_for(request.user).filter(pk=pk).first() if pk else None
    if pk and rule is None:
        raise Http404
    error, detail = "", {}
    values = {f: getattr(rule, f) for f in alerts.RULE_FIELDS} if rule else {
        f: getattr(AlertRule, f).field.default for f in alerts.RULE_FIELDS}
    if request.method == "POST":
        values = {f: request.POST.get(f) for f in alerts.RULE_FIELDS}
        for f in ("per_town", "needs_review", "is_active"):
            values[f] = f in request.POST
        try:
            alerts.save_rule(rule, values, actor=request.user)
            messages.success(request, "预警规则已保存。")
            return redirect("outreach:rules")
        except XiangzhiError as exc:
            error, detail = exc.message, exc.detail or {}
    return render(request, "outreach/rule_edit.html", {"rule": rule, "v": values, "error": error, "detail": detail},
                  status=422 if error else 200)
