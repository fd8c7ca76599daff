"""联动联办 pages of a department liaison: the tasks shared with their department, and one task to answer or hand
back. Thin: every change is a service call; every task comes through ``selectors.access_task`` (404 for what the user
may not see)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from xiangzhi.core.access import predicate_required
from xiangzhi.core.errors import XiangzhiError

from .. import rules, selectors
from ..services import joint
from ..services.uploads import Upload

liaison_required = predicate_required(rules.is_liaison, "disputes.liaison")


@liaison_required
def joint_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [(task, rules.task_late(task, now)) for task in selectors.tasks_for_liaison(request.user)[:200]]
    return render(request, "disputes/joint_list.html", {"rows": rows})


@predicate_required(rules.can_open_joint_pages, "disputes.joint")
@require_http_methods(["GET", "POST"])
def joint_task(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.access_task(request.user, pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "reply":
                f = request.FILES.get("file")
                joint.reply(task, actor=request.user, text=request.POST.get("text", ""),
                            upload=Upload.from_django(f) if f else None)
                messages.success(request, "已答复。")
            elif request.POST.get("action") == "return":
                joint.hand_back(task, actor=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, "已退回。")
        except XiangzhiError as exc:
            messages.error(request, exc.message)
        return redirect("disputes:joint_task", pk=pk)
    return render(request, "disputes/joint_task.html", {
        "task": task, "case": task.case, "replies": list(task.replies.select_related("author")),
        "can_reply": rules.can_reply(request.user, task), "can_hand_back": rules.can_hand_back(request.user, task),
    })
