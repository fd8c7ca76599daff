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


def colour_for(case, now: dt.datetime | None = None) -> str:  # noqa: ANN001
    """Risk level × deadline status × stage (deadlines.COLOUR_RULES): red = major risk or overdue, orange = escalated
    or due within 3 days, yellow = in progress on time, blue = new/awaiting, green = resolved/closed/follow-up."""
    from .deadlines import colour_of

    return colour_of(case, now)


def colour_by_stage(case) -> str:  # noqa: ANN001
    """The colour without deadlines (stage and risk only)."""
    if case.stage in FINISHED:
        return "green"
    if case.stage == S.AGREEMENT_WRITTEN and case.agreement_effective_at is not None:
        return "green"
    if case.risk_level == RiskLevel.MAJOR:
        return "red"
    return _BY_STAGE.get(case.stage, "blue")


def colour_label(colour: str) -> str:
    return COLOUR_LABELS.get(colour, colour)
