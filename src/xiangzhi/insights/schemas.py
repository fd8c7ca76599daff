from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import Strict

from .models import WarningKind, WarningState


class ReportRowOut(Schema):
    label: str
    values: dict[str, Any]


class ReportSectionOut(Schema):
    title: str
    dimension: str
    rows: list[ReportRowOut]


class ReportOut(Schema):
    title: str
    period: str
    region_code: str
    columns: dict[str, str]
    sections: list[ReportSectionOut]
    totals: dict[str, Any]
    screenings: int
    screening_disputes: int = Field(..., description="排查发现纠纷（件）：受理的排查发现案件，等于 totals.screened")
    screening_reported: int = Field(..., description="各次排查登记的发现纠纷数（随排查记录填报，不对应案件）")


class ChartOut(Schema):
    key: str
    title: str
    kind: str
    columns: list[str]
    rows: list[dict[str, Any]]


class DashboardOut(Schema):
    region_code: str
    region_name: str
    period: str
    cards: dict[str, Any]
    charts: list[ChartOut]


class WarningOut(Schema):
    id: int
    kind: WarningKind
    state: WarningState
    region_code: str
    title: str
    reasons: list[str]
    link: str
    score: float
    first_seen_at: dt.datetime
    opened_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    ack_note: str


class AckIn(Strict):
    note: str = Field(..., min_length=2, max_length=300, examples=["已联系村调委会，明日上门化解"])
