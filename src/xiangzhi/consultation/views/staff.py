"""Legal workers' consultation workbench: the hand-off queue, FAQ editing and review, the rewriting table, demand."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from xiangzhi.core.access import staff_required
from xiangzhi.core.errors import XiangzhiError

from .. import guidance, rules, selectors, services
from ..models import HandoffStatus, StepAction
from ..retrieval import TOPICS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@staff_required(*rules.LEGAL_ROLES)
def workbench(request: HttpRequest) -> HttpResponse:
    visible = selectors.handoffs_visible_to(request.user)
    ctx = {
        "open": visible.filter(status=HandoffStatus.OPEN)[:100],
        "mine": visible.filter(claimed_by=request.user).exclude(status=HandoffStatus.ANSWERED)[:100],
        "answered": visible.filter(status=HandoffStatus.ANSWERED).order_by("-replied_at")[:20],
        "candidates": selectors.faq_candidates(),
        "kb": selectors.knowledge_base_status(),
        "can_edit_guidance": rules.can_edit_guidance(request.user),
    }
    return render(request, "consultation/workbench.html", ctx)


@staff_required(*rules.LEGAL_ROLES)
@require_http_methods(["GET", "POST"])
def handoff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = selectors.access_handoff(request.user, pk)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "claim":
                services.claim_handoff(handoff, actor=request.user)
                messages.success(request, "已认领。")
            elif action == "reply":
                services.reply_handoff(handoff, text=request.POST.get("text", ""), actor=request.user)
                messages.success(request, "已答复，群众会收到通知。")
            elif action == "faq":
                faq = services.faq_from_reply(handoff, actor=request.user)
                messages.success(request, "已生成待审核的常见问答。")
                return redirect("consultation:faq_edit", pk=faq.pk)
            return redirect("consultation:handoff", pk=handoff.pk)
        except XiangzhiError as exc:
            error = exc.message
    questions = list(handoff.conversation.questions.order_by("pk"))
    cited = selectors.cited_articles(questions)
    thread = [{"q": q, "lines": selectors.answer_lines(q), "citations": cited[q.pk], "kinds": guidance.kinds_of(q)}
              for q in questions]
    return render(request, "consultation/handoff.html", {"h": handoff, "thread": thread, "error": error},
                  status=409 if error else 200)


def _faq_form(request: HttpRequest, faq=None) -> HttpResponse:  # noqa: ANN001
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "review" and faq is not None:
                services.review_faq(faq, actor=request.user)
                messages.success(request, "已审核通过，即刻生效。")
            else:
                valid = request.POST.get("valid_until") or None
                faq = services.save_faq(
                    faq, question=request.POST.get("question", ""), answer=request.POST.get("answer", ""),
                    citations=request.POST.get("citations", "").replace("，", ",").split(","),
                    variants=request.POST.get("variants", "").splitlines(), topic=request.POST.get("topic", ""),
                    audience=request.POST.get("audience", "村民"),
                    valid_until=dt.date.fromisoformat(valid) if valid else None, actor=request.user,
                )
                messages.success(request, "已保存，待其他法律工作者审核后生效。")
            return redirect("consultation:faq_edit", pk=faq.pk)
        except (XiangzhiError, ValueError) as exc:
            error = getattr(exc, "message", str(exc))
    return render(request, "consultation/faq_edit.html", {"faq": faq, "topics": TOPICS, "error": error},
                  status=422 if error else 200)


@staff_required(*rules.LEGAL_ROLES)
@require_http_methods(["GET", "POST"])
def faq_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _faq_form(request)
    return render(request, "consultation/faq_list.html", {"faqs": selectors.faqs_for(request.user)[:200],
                                                          "topics": TOPICS})


@staff_required(*rules.LEGAL_ROLES)
@require_http_methods(["GET", "POST"])
def faq_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _faq_form(request, selectors.access_faq(request.user, pk))


@staff_required(*rules.LEGAL_ROLES)
@require_http_methods(["GET", "POST"])
def rewrites(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            services.save_rewrite(phrase=request.POST.get("phrase", ""), terms=request.POST.get("terms", ""),
                                  is_active=request.POST.get("is_active", "1") == "1", actor=request.user)
            messages.success(request, "已保存，下一个问题即生效。")
            return redirect("consultation:rewrites")
        except XiangzhiError as exc:
            error = exc.message
    q = request.GET.get("q", "").strip()
    rows = selectors.rewrites_for(request.user, q)
    return render(request, "consultation/rewrites.html", {"rows": rows[:300], "q": q, "error": error},
                  status=422 if error else 200)


@staff_required(*rules.DASHBOARD_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    d = selectors.demand_dashboard(request.user)
    return render(request, "consultation/dashboard.html", {"d": d, "chart": selectors.demand_chart_data(d)})


@staff_required(*rules.DASHBOARD_ROLES)
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """The demand dashboard as an Excel workbook (one sheet per table), for the bureau's own reports."""
    name = f"consult-demand-{timezone.localdate():%Y%m%d}.xlsx"
    return HttpResponse(services.export_demand(request.user), content_type=XLSX,
                        headers={"Content-Disposition": content_disposition_header(True, name)})


# --- guidance per kind of matter ----------------------------------------------------------------------------------
GUIDANCE_BLANK_STEPS = 2  # empty step rows offered under the existing ones


@staff_required(*rules.GUIDANCE_ROLES)
def guidance_list(request: HttpRequest) -> HttpResponse:
    """Every kind of matter with its guidance (or none yet), for the justice administration to keep."""
    kept = selectors.guidance_by_kind()
    return render(request, "consultation/guidance_list.html",
                  {"rows": [(kind, kept.get(kind)) for kind in services.guidance_kinds()]})


@staff_required(*rules.GUIDANCE_ROLES)
@require_http_methods(["GET", "POST"])
def guidance_edit(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in services.guidance_kinds():
        raise Http404
    row = selectors.guidance_by_kind().get(kind)
    error = ""
    steps = list(row.steps) if row else []
    if request.method == "POST":
        steps = [services.GuidanceStep(label=label, detail=detail, action=action) for label, detail, action in zip(
            request.POST.getlist("step_label"), request.POST.getlist("step_detail"),
            request.POST.getlist("step_action"), strict=False)]
        try:
            services.save_guidance(
                kind, summary=request.POST.get("summary", ""), steps=steps,
                time_limits=request.POST.get("time_limits", "").splitlines(),
                evidence=request.POST.get("evidence", "").splitlines(), office=request.POST.get("office", ""),
                actor=request.user)
            messages.success(request, "已保存，群众下次看到的解答即按新的指引。")
            return redirect("consultation:guidance_edit", kind=kind)
        except XiangzhiError as exc:
            error = exc.message
            steps = [{"label": s.label, "detail": s.detail, "action": s.action} for s in steps]
    ctx = {"kind": kind, "g": row, "error": error, "actions": StepAction.choices,
           "steps": steps + [{"label": "", "detail": "", "action": ""}] * GUIDANCE_BLANK_STEPS,
           "summary": request.POST.get("summary", row.summary if row else ""),
           "time_limits": request.POST.get("time_limits", "\n".join(row.time_limits) if row else ""),
           "evidence": request.POST.get("evidence", "\n".join(row.evidence) if row else ""),
           "office": request.POST.get("office", row.office if row else "")}
    return render(request, "consultation/guidance_edit.html", ctx, status=422 if error else 200)
