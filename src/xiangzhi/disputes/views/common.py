"""Small helpers shared by the public and staff pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from xiangzhi.core.errors import ValidationFailed

from ..selectors import stage_info

__all__ = ["form_errors", "parsed", "show_error", "stage_info", "valid_form"]


def valid_form(form_class: type[forms.Form], request: HttpRequest) -> forms.Form:
    """An action's form bound to the POST and valid; bad input (a number, a time or a choice typed wrong) is
    ValidationFailed ``INVALID_INPUT`` with one Chinese line per problem, never a server error."""
    form = form_class(request.POST)
    if not form.is_valid():
        problems = [m for msgs in form_errors(form).values() for m in msgs]
        raise ValidationFailed("INVALID_INPUT", "输入有误。", detail=problems)
    return form


def parsed(form_class: type[forms.Form], request: HttpRequest) -> dict:
    """An action's typed fields (``valid_form``'s cleaned data)."""
    return valid_form(form_class, request).cleaned_data


def show_error(request: HttpRequest, exc: Exception) -> None:
    """A refusal as messages on the page: the message, then each problem of bad input."""
    messages.error(request, exc.message)
    if getattr(exc, "code", "") == "INVALID_INPUT" and isinstance(exc.detail, list):
        for problem in exc.detail:
            messages.error(request, problem)


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    """A bound form's errors as ``{field: ["label：message"]}`` for the pages' error box."""
    return {name: [f"{form.fields[name].label}：{e}" if name in form.fields else str(e) for e in errors]
            for name, errors in form.errors.items()}
