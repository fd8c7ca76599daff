"""Small helpers shared by the public and staff pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from xiangzhi.core.errors import ValidationFailed

from ..selectors import stage_info

__all__ = ["form_errors", "intake_errors", "parsed", "show_error", "stage_info", "valid_form"]


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


# The intake service's field paths (IntakeIn) and the intake form's fields that hold them.
_INTAKE_FIELDS = {"applicant.": "applicant_", "respondents.0.": "respondent_"}
_INTAKE_RENAMED = {"respondent_org_name": "respondent_name"}


def intake_errors(form: forms.Form, exc: Exception) -> tuple[str, dict[str, list[str]]]:
    """The intake service's refusal for the intake pages' error box: with ``{field path: [messages]}`` in its detail,
    a headline and each message after its field's label ("您的姓名：请填写姓名。", "对方姓名或单位名称：请填写姓名。"),
    as ``form_errors`` gives the form's own; any other refusal (a file refused) as its message alone."""
    detail = getattr(exc, "detail", None)
    if getattr(exc, "code", "") != "INVALID_INTAKE" or not isinstance(detail, dict) or not detail:
        return exc.message, {}  # a file's detail (its name, the allowed types) is for machines, not a list of problems
    errors: dict[str, list[str]] = {}
    for path, msgs in detail.items():
        name = path
        for prefix, field_prefix in _INTAKE_FIELDS.items():
            if path.startswith(prefix):
                name = field_prefix + path[len(prefix):]
        name = _INTAKE_RENAMED.get(name, name)
        field = form.fields.get(name)
        errors.setdefault(name, []).extend(f"{field.label}：{m}" if field else str(m) for m in msgs)
    return "输入有误，请检查后重新提交。", errors
