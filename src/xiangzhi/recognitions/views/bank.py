"""The bank officer's e法贷 desk: type the villager's one-time consent code, read what the check found, record the
loan granted after an eligible check, list this bank's own loans. Thin: every write is the service the API calls
(services/efadai.py); every read is scoped to the officer's bank by the selectors. A GET changes nothing."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.core.access import predicate_required
from xiangzhi.core.errors import XiangzhiError

from .. import selectors
from ..services import efadai

PAGE_SIZE = 30
bank_officer_required = predicate_required(selectors.is_bank_desk_user, "recognitions.bank_officer")


def _desk(request: HttpRequest, *, code: str = "", error: str = "", status: int = 200) -> HttpResponse:
    page = Paginator(selectors.loans_visible_to(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "recognitions/bank.html", {
        "bank": selectors.bank_of(request.user), "page": page, "code": code, "error": error}, status=status)


@bank_officer_required
def desk(request: HttpRequest) -> HttpResponse:
    return _desk(request)


@bank_officer_required
@require_POST
def check(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("code", "")[:64]
    try:
        row = efadai.check_eligibility(code, actor=request.user)
    except XiangzhiError as exc:
        return _desk(request, code=code, error=exc.message, status=exc.status)
    return redirect("recognitions:bank_check", pk=row.pk)


@bank_officer_required
def check_result(request: HttpRequest, pk: int) -> HttpResponse:
    row = selectors.access_bank_check(request.user, pk)
    return render(request, "recognitions/bank_check.html", {
        "check": row, "loan": getattr(row, "loan", None), "today": timezone.localdate(),
        "checked_on": timezone.localtime(row.at).date()})


@bank_officer_required
@require_POST
def record_loan(request: HttpRequest, pk: int) -> HttpResponse:
    row = selectors.access_bank_check(request.user, pk)
    try:
        granted_on = dt.date.fromisoformat(request.POST.get("granted_on", ""))
    except ValueError:
        messages.error(request, "请填写放款日期。")
        return redirect("recognitions:bank_check", pk=row.pk)
    try:
        efadai.record_loan(row, amount=request.POST.get("amount", "").strip(),
                           rate_discount=request.POST.get("rate_discount", "").strip() or "0",
                           granted_on=granted_on, actor=request.user)
    except XiangzhiError as exc:
        messages.error(request, exc.message)
        return redirect("recognitions:bank_check", pk=row.pk)
    messages.success(request, "已登记放款。")
    return redirect("recognitions:bank")
