"""Small helpers shared by the public and staff pages."""

from __future__ import annotations

from django.utils import timezone

from xiangzhi.core.workdays import deadline_after

from ..colours import colour_for, colour_label
from ..enums import NEXT_STEP, CaseStage


def stage_info(case, *, with_due: bool = True) -> dict:  # noqa: ANN001
    colour = colour_for(case, timezone.now())
    step, days = NEXT_STEP.get(case.stage, ("", None))
    due = deadline_after(case.stage_changed_at, days) if days and with_due else None
    label = str(CaseStage(case.stage).label)
    if case.stage == CaseStage.AGREEMENT_WRITTEN and case.agreement_effective_at:
        label, step, due = "达成协议（协议已生效）", "调解员将回访协议履行情况", None
    return {"stage_label": label, "colour": colour, "colour_label": colour_label(colour), "next_step": step,
            "due": due}
