"""The colour of a case (五色管理). For now by stage and risk; deadline-based rules come later, here, in one function."""

from __future__ import annotations

import datetime as dt

from .enums import CaseStage, RiskLevel

S = CaseStage
COLOUR_LABELS = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色", "green": "绿色"}
_BY_STAGE = {
    S.REPORTED: "blue", S.ACCEPTED: "blue", S.REOPENED: "blue", S.ASSIGNED: "blue", S.NOTICE_SERVED: "blue",
    S.IN_MEDIATION: "yellow", S.AGREEMENT_WRITTEN: "yellow", S.ESCALATED: "orange",
    S.AGREEMENT_ORAL: "green", S.FOLLOW_UP: "green", S.CLOSED: "green", S.ARCHIVED: "green",
    S.NOT_ACCEPTED: "green", S.TERMINATED: "green",
}
FINISHED = {S.AGREEMENT_ORAL, S.FOLLOW_UP, S.CLOSED, S.ARCHIVED, S.NOT_ACCEPTED, S.TERMINATED}


def colour_for(case, now: dt.datetime | None = None) -> str:  # noqa: ANN001, ARG001 - ``now`` is for deadline rules
    """blue = new/awaiting, yellow = in progress, orange = escalated, red = major risk, green = resolved/closed."""
    if case.stage in FINISHED:
        return "green"
    if case.stage == S.AGREEMENT_WRITTEN and case.agreement_effective_at is not None:
        return "green"
    if case.risk_level == RiskLevel.MAJOR:
        return "red"
    return _BY_STAGE.get(case.stage, "blue")


def colour_label(colour: str) -> str:
    return COLOUR_LABELS.get(colour, colour)
