"""/api/v1/insights: the same selectors and services as the pages (report, dashboard, warnings)."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Query, Router

from xiangzhi.core.errors import ValidationFailed
from xiangzhi.core.models import User
from xiangzhi.core.pagination import PageIn, page_of, paginate
from xiangzhi.core.schemas import ErrorOut

from . import rules, selectors, services
from .schemas import AckIn, ChartOut, DashboardOut, ReportOut, ReportRowOut, ReportSectionOut, WarningOut

router = Router(tags=["insights 研判"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _staff(request: HttpRequest) -> User:
    if not rules.can_view_insights(request.auth):
        raise Http404
    return request.auth


def _period(raw: str) -> selectors.Period:
    try:
        return selectors.parse_period(raw)
    except ValueError as exc:
        raise ValidationFailed("INVALID_PERIOD", str(exc)) from None


def _plain(values: dict) -> dict:
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in values.items()}


@router.get("/report", response={200: ReportOut, **ERRORS}, summary="人民调解统计表（按统计期和区域）")
def report(request: HttpRequest, period: str = "", region: str = ""):
    user = _staff(request)
    scope = selectors.access_scope(user, region or None)
    rep = selectors.mediation_report(user, period=_period(period), region_code=scope.code)
    return ReportOut(title=rep.title, period=rep.period.key, region_code=rep.region.code,
                     columns={c.key: c.header for c in rep.columns},
                     sections=[ReportSectionOut(title=s.title, dimension=s.dimension,
                                                rows=[ReportRowOut(label=label, values=_plain(row)) for label, row in s.rows])
                               for s in rep.sections],
                     totals=_plain(rep.totals), screenings=rep.screenings, screening_disputes=rep.screening_disputes,
                     screening_reported=rep.screening_reported)


@router.get("/dashboard", response={200: DashboardOut, **ERRORS}, summary="研判看板数据（县、镇、村）")
def dashboard(request: HttpRequest, period: str = "", region: str = ""):
    user = _staff(request)
    scope = selectors.access_scope(user, region or None)
    board = selectors.dashboard(user, region=scope, period=_period(period), link_base="/insights/cases/")
    return DashboardOut(region_code=scope.code, region_name=scope.display_name, period=board.period.key,
                        cards=_plain(board.cards),
                        charts=[ChartOut(key=c.key, title=c.title, kind=c.kind, columns=c.columns,
                                         rows=[{"label": r.label, "values": [float(v) if isinstance(v, Decimal) else v
                                                                              for v in r.values], "href": r.href}
                                               for r in c.rows]) for c in board.charts])


def _warning_out(w) -> WarningOut:  # noqa: ANN001
    return WarningOut(id=w.pk, kind=w.kind, state=w.state, region_code=w.region_code, title=w.title,
                      reasons=list(w.reasons), link=w.link, score=w.score, first_seen_at=w.first_seen_at,
                      opened_at=w.opened_at, acknowledged_at=w.acknowledged_at, ack_note=w.ack_note)


@router.get("/warnings", response={200: page_of(WarningOut), **ERRORS}, summary="风险预警列表")
def warnings(request: HttpRequest, page: Query[PageIn], all: bool = False):  # noqa: A002
    user = _staff(request)
    return paginate(request, selectors.warnings_visible_to(user, show_all=all), page, _warning_out)


@router.post("/warnings/{pk}/ack", response={200: WarningOut, **ERRORS}, summary="签收预警（须填写说明）")
def acknowledge(request: HttpRequest, pk: int, payload: AckIn):
    user = _staff(request)
    warning = selectors.access_warning(user, pk)
    return _warning_out(services.acknowledge_warning(warning, actor=user, note=payload.note))
