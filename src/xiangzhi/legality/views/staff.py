"""The workbench of 合法性审查 (justice office, bureau, reviewers, auditors): the list, the submit form, one
submission with its assign / opinion / revise / issue actions, and the dashboard per town. Thin: selectors read,
services write."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from xiangzhi.consultation import selectors as law
from xiangzhi.core import rules as core_rules
from xiangzhi.core.access import staff_required
from xiangzhi.core.errors import ValidationFailed, XiangzhiError

from .. import rules, selectors
from ..enums import Conclusion, DocKind, State
from ..services import deadlines, review, submissions

SEE_ROLES = tuple(rules.SEE_ROLES)


def _split(text: str) -> list[str]:
    return [c.strip() for c in (text or "").replace("，", ",").replace("、", ",").split(",") if c.strip()]


@staff_required(*SEE_ROLES)
def board(request: HttpRequest) -> HttpResponse:
    roles = core_rules.roles_of(request.user)
    qs = selectors.submissions_visible_to(request.user).prefetch_related("reviewers")
    state = request.GET.get("state", "")
    if state in State.values:
        qs = qs.filter(state=state)
    mine = qs.filter(reviewers=request.user, state=State.UNDER_REVIEW) if rules.is_reviewer(roles) else []
    ctx = {"rows": qs.order_by("-submitted_at", "-pk")[:200], "mine": mine, "state": state, "states": State.choices,
           "can_submit": rules.can_submit(roles), "can_oversee": rules.can_oversee(roles),
           "today": timezone.localdate()}
    return render(request, "legality/board.html", ctx)


@staff_required(*rules.MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    error, detail, values = "", {}, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("region", "kind", "title", "text")}
        try:
            region = selectors.submit_regions(request.user).filter(code=values["region"]).first()
            if region is None:
                raise ValidationFailed("INVALID_REGION", "请选择报送单位所在的乡镇（街道）或村（社区）。", {"region": "必填"})
            sub = submissions.submit(region=region, kind=values["kind"], title=values["title"], text=values["text"],
                                     actor=request.user)
            messages.success(request, "已报送，请指定审查人。")
            return redirect("legality:submission", pk=sub.pk)
        except XiangzhiError as exc:
            error, detail = exc.message, exc.detail or {}
    ctx = {"regions": selectors.submit_regions(request.user), "kinds": DocKind.choices, "v": values, "error": error,
           "detail": detail}
    return render(request, "legality/submit.html", ctx, status=422 if error else 200)


def _act(request: HttpRequest, sub) -> list | None:  # noqa: ANN001
    """Run the posted action; the numbers in full for ``reveal`` (shown once, on that answer), else None."""
    action = request.POST.get("action")
    user = request.user
    if action == "assign":
        ids = [int(i) for i in request.POST.getlist("reviewer") if i.isdigit()]
        chosen = list(selectors.eligible_reviewers(sub).filter(pk__in=ids))
        days = request.POST.get("deadline_workdays", "").strip()
        if len(chosen) != len(set(ids)):
            raise ValidationFailed("INVALID_REVIEWER", "审查人须为管辖范围覆盖该单位的律师或法律顾问。")
        review.assign(sub, reviewers=chosen, deadline_workdays=int(days) if days.isdigit() else None, actor=user)
        messages.success(request, "已指定审查人。")
    elif action == "opinion":
        review.give_opinion(sub, conclusion=request.POST.get("conclusion", ""), reasons=request.POST.get("reasons", ""),
                            citations=_split(request.POST.get("citations", "")), digest=request.POST.get("digest", ""),
                            actor=user)
        messages.success(request, "审查意见已出具。")
    elif action == "revise":
        submissions.revise(sub, text=request.POST.get("text", ""), note=request.POST.get("note", ""), actor=user)
        messages.success(request, "修改稿已提交，将重新审查。")
    elif action == "reveal":
        return submissions.reveal_numbers(sub, actor=user, reason=request.POST.get("reason", ""))
    elif action == "issue":
        submissions.issue(sub, digest=request.POST.get("digest", ""), actor=user)
        messages.success(request, "已标记为印发。")
    else:
        raise Http404
    return None


@staff_required(*SEE_ROLES)
@require_http_methods(["GET", "POST"])
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sub = selectors.access_submission(request.user, pk)
    error, revealed = "", None
    if request.method == "POST":
        try:
            revealed = _act(request, sub)
            if revealed is None:
                return redirect("legality:submission", pk=sub.pk)
        except XiangzhiError as exc:
            error = exc.message
        sub = selectors.access_submission(request.user, pk)
    roles = core_rules.roles_of(request.user)
    reviewer_ids = list(sub.reviewers.values_list("pk", flat=True))
    current = selectors.current_version(sub)
    opinions = list(sub.opinions.select_related("version", "reviewer").order_by("-given_at"))
    labels = {k: law.article_label(k) for k in {k for o in opinions for k in o.citations}}  # once per distinct key
    for o in opinions:
        o.cites = [(k, labels[k]) for k in o.citations]
    ctx = {
        "s": sub, "current": current, "error": error, "versions": sub.versions.order_by("-number"),
        "opinions": opinions,
        "events": sub.events.all(), "reviewers": sub.reviewers.all(),
        "overdue": deadlines.is_overdue(sub.state, sub.due_date, timezone.localdate()),
        "can_assign": rules.can_assign(roles, sub.state),
        "eligible": selectors.eligible_reviewers(sub) if rules.can_assign(roles, sub.state) else [],
        "default_reviewers": review.default_reviewers(sub) if rules.can_assign(roles, sub.state) else [],
        "default_workdays": sub.deadline_workdays or deadlines.check_workdays(None),
        "can_opinion": rules.can_give_opinion(request.user.pk, sub.state, reviewer_ids),
        "conclusions": Conclusion.choices,
        "can_revise": rules.can_revise(roles, sub.state),
        "can_issue": rules.can_issue(roles, sub.state),
        "masked_numbers": selectors.masked_numbers(current) if core_rules.can_view_personal_data(request.user) else [],
        "revealed": revealed,
    }
    return render(request, "legality/submission.html", ctx, status=422 if error else 200)


@staff_required(*rules.OVERSEE_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    year = request.GET.get("year", "")
    rows, total = selectors.dashboard(request.user, year=int(year) if year.isdigit() and len(year) == 4 else None)
    years = range(timezone.localdate().year, timezone.localdate().year - 4, -1)
    return render(request, "legality/dashboard.html", {"rows": rows, "total": total, "year": year, "years": years})
