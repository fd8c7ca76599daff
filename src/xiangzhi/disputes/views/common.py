"""Small helpers shared by the public and staff pages."""

from __future__ import annotations

from django.utils import timezone

from .. import colours
from ..enums import NEXT_STEP, CaseStage


def stage_info(case, *, with_due: bool = True) -> dict:  # noqa: ANN001
    """What the status pages say about the case's stage: its label, colour, what comes next and the real deadline of
    the stage (``colours``: the same rule as the workbench's countdown)."""
    info = colours.info(case, timezone.now())
    step, _days = NEXT_STEP.get(case.stage, ("", None))
    due = info.due if with_due else None
    label = str(CaseStage(case.stage).label)
    if case.stage == CaseStage.AGREEMENT_WRITTEN and case.agreement_effective_at:
        label, step, due = "达成协议（协议已生效）", "调解员将回访协议履行情况", None
    return {"stage_label": label, "colour": info.colour, "colour_label": info.word, "next_step": step, "due": due}
