"""``{% report_flags case %}``: the report flags of a case (人民调解统计) on the case page, with a form for those who
may set them (rules.can_set_case_flags). Shown on disputes' case page through insights/_case_flags_slot.html, a case
panel that apps.py registers."""

from __future__ import annotations

from django import template

from xiangzhi.insights import rules
from xiangzhi.insights.forms import CaseFlagsForm
from xiangzhi.insights.models import CaseFlags

register = template.Library()


@register.inclusion_tag("insights/_case_flags.html", takes_context=True)
def report_flags(context, case) -> dict:  # noqa: ANN001
    request = context.get("request")
    user = getattr(request, "user", None)
    row = CaseFlags.objects.filter(case_id=case.pk).first()
    initial = {f: getattr(row, f) for f in CaseFlagsForm.base_fields} if row else {}
    return {"case": case, "flags": row, "can_edit": user is not None and rules.can_set_case_flags(user, case),
            "form": CaseFlagsForm(initial=initial), "csrf_token": context.get("csrf_token")}
