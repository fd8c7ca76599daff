"""Every read of 研判: the people's-mediation report and the dashboards, computed with GROUP BY queries whose number
does not depend on the number of cases, always over ``cases_visible_to(user)`` (STYLE.md practice 5).

Definitions (人民调解统计口径, domain.md 2.6), for cases registered (``created_at``) in the period:
- 受理 (accepted): every case except those still awaiting acceptance (已申报) and those not accepted (不予受理);
- 调解成功 / 成功调处: accepted cases whose agreement is in effect (oral agreement, or written agreement signed and
  sealed) and was not reopened as not performed since (``disputes.selectors.successful_q``, which says it exactly);
- 镇、村调解组织调处纠纷占比 (the county report's headline, dashboard card ``local_share``): of the successful
  mediations (``success``), the share handled by town and village organisations (``local``; a grid's on-the-spot
  settlement counts as the village's, ``disputes.selectors.local_q``): 100 × local / success;
- 成功率 = 调解成功 / 受理; 协议金额 = sum of the agreement amounts of the successful cases;
- 协议履行, 排查发现, 防止民转刑 / 防止群体性上访 (cases and people): ``insights.CaseFlags`` (or the case's own field
  once the disputes app has one); 排查次数: ``insights.Screening`` rounds held in the period.
- 超期 (overdue): an open case past the deadline of its stage, and the colour (五色管理): both as the disputes app's
  one rule says (``disputes.colours``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case as Case_
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Substr, TruncMonth
from django.http import Http404
from django.utils import timezone

from xiangzhi.core import selectors as core_selectors
from xiangzhi.core.enums import OrgKind, RegionLevel
from xiangzhi.core.models import Region
from xiangzhi.disputes import colours
from xiangzhi.disputes import selectors as dsel
from xiangzhi.disputes.enums import OPEN_STAGES, CaseSource, CaseStage, JudicialStatus, Level, RiskLevel
from xiangzhi.disputes.models import Case, DisputeType, Feedback, FollowUpVisit

from . import summary
from .models import Screening

TZ = ZoneInfo("Asia/Shanghai")
S = CaseStage
NOT_ACCEPTED_YET = dsel.NOT_ACCEPTED_YET
LOCAL_LEVELS = dsel.LOCAL_LEVELS


# ----------------------------------------------------------------------------------------------------------------
# Periods and scope
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: dt.datetime
    end: dt.datetime  # exclusive

    @property
    def year(self) -> int:
        return self.start.year


def parse_period(raw: str | None, *, today: dt.date | None = None) -> Period:
    """``2026-10`` (month), ``2026Q4`` (quarter) or ``2026`` (year); empty → the current year. ValueError if bad."""
    raw = (raw or "").strip().upper()
    if not raw:
        raw = str((today or timezone.localdate()).year)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", raw):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError("月份应为 1–12。")
        start = dt.datetime(year, month, 1, tzinfo=TZ)
        end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=TZ)
        return Period(f"{year}-{month:02d}", f"{year}年{month}月", start, end)
    if m := re.fullmatch(r"(\d{4})Q([1-4])", raw):
        year, q = int(m[1]), int(m[2])
        start = dt.datetime(year, 3 * q - 2, 1, tzinfo=TZ)
        end = dt.datetime(year + (q == 4), (3 * q) % 12 + 1, 1, tzinfo=TZ)
        return Period(f"{year}Q{q}", f"{year}年第{q}季度", start, end)
    if re.fullmatch(r"\d{4}", raw):
        year = int(raw)
        return Period(raw, f"{year}年", dt.datetime(year, 1, 1, tzinfo=TZ), dt.datetime(year + 1, 1, 1, tzinfo=TZ))
    raise ValueError("统计期应为 2026-10（月）、2026Q4（季度）或 2026（年）。")


def region_for(code: str | None) -> Region:
    region = Region.objects.filter(code=code or settings.XIANGZHI_COUNTY_CODE).first()
    if region is None:
        raise Http404
    return region


def scopes_for(user) -> list[Region]:  # noqa: ANN001
    """The regions whose dashboard ``user`` may open: each jurisdiction held, county/town/village."""
    return list(core_selectors.regions_visible_to(user).filter(
        code__in=core_selectors.jurisdiction_codes(user)).order_by("code"))


def access_scope(user, code: str | None) -> Region:  # noqa: ANN001
    """The region of a dashboard or report: inside the user's jurisdiction (404 otherwise). Default: the first one."""
    if not code:
        scopes = scopes_for(user)
        if not scopes:
            raise Http404
        return scopes[0]
    if not core_selectors.in_jurisdiction(user, code):
        raise Http404
    return core_selectors.access_region(user, code)


def scoped_cases(user, region_code: str, period: Period | None = None) -> QuerySet[Case]:  # noqa: ANN001
    """The cases of a report or dashboard: visible to ``user`` (None = the command line: all), in the region."""
    qs = Case.objects.all() if user is None else dsel.cases_visible_to(user)
    if region_code and region_code != "":
        qs = qs.filter(region_code__startswith=region_code)
    if period is not None:
        qs = qs.filter(created_at__gte=period.start, created_at__lt=period.end)
    return qs


def use_summary(user, region_code: str) -> bool:  # noqa: ANN001
    """Whether the figures of ``region_code`` for ``user`` can be read from the summary cells (``summary.py``): the
    user sees every case of the region (a dispute jurisdiction covering it; None = the command line) and the code is
    a county, town, village or grid code. Otherwise they are computed from the visible cases directly."""
    if not summary.covers(region_code):
        return False
    if user is None:
        return True
    from xiangzhi.disputes import rules as dispute_rules

    return any(region_code.startswith(c) for c in dispute_rules.codes_for(user, dispute_rules.DISPUTE_ROLES))


# ----------------------------------------------------------------------------------------------------------------
# What the disputes app records after the agreement (its models, read directly)
# ----------------------------------------------------------------------------------------------------------------
def judicial_q() -> Q:
    """Cases whose agreement a court confirmed (司法确认)."""
    return Q(judicial__status=JudicialStatus.CONFIRMED)


def performed_exists() -> dict[str, Exists]:
    """By relation: a follow-up visit, or a party's feedback, says the agreement was performed."""
    return {"visits": Exists(FollowUpVisit.objects.filter(case_id=OuterRef("pk"), performed=True)),
            "feedback": Exists(Feedback.objects.filter(case_id=OuterRef("pk"), performed=True))}


def performed_q() -> Q:
    """协议履行: a follow-up visit or a party's feedback says the agreement was performed, or the report flag."""
    q = Q(insight_flags__agreement_performed=True)
    for exists in performed_exists().values():
        q |= Q(exists)
    return q


def overdue_q(now: dt.datetime) -> Q:
    """Open and past the deadline of its stage (``disputes.colours``, the rule the workbench shows)."""
    return colours.overdue_q(now)


ACCEPTED_Q = dsel.accepted_q()
SUCCESS_Q = dsel.successful_q()
COLOUR_LABELS = {v: str(label) for v, label in colours.Colour.choices}  # red, orange, yellow, blue, green


def colour_expr(now: dt.datetime) -> Case_:
    """The colour of a case (五色管理) at ``now`` as an SQL expression (``disputes.colours``)."""
    return colours.colour_expr(now)


# ----------------------------------------------------------------------------------------------------------------
# The official report (人民调解工作统计表)
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "int"  # int | rate | money


def report_columns() -> list[Column]:
    cols = [Column("accepted", "受理纠纷（件）"), Column("success", "调解成功（件）"),
            Column("rate", "调解成功率", "rate"), Column("amount", "协议涉及金额（元）", "money"),
            Column("judicial", "司法确认（件）")]
    cols += [Column("performed", "协议履行（件）"), Column("screened", "排查发现纠纷（件）"),
             Column("criminal", "防止民转刑（件）"), Column("criminal_people", "防止民转刑（人）"),
             Column("petition", "防止群体性上访（件）"), Column("petition_people", "防止群体性上访（人）")]
    return cols


def _report_aggregates() -> dict[str, Any]:
    aggs: dict[str, Any] = {
        "accepted": Count("id", filter=ACCEPTED_Q),
        "success": Count("id", filter=SUCCESS_Q),
        "amount": Sum("agreement_amount", filter=SUCCESS_Q),
        "performed": Count("id", filter=ACCEPTED_Q & performed_q()),
        "screened": Count("id", filter=ACCEPTED_Q & Q(insight_flags__found_by_screening=True)),
        "criminal": Count("id", filter=ACCEPTED_Q & Q(insight_flags__prevented_criminal=True)),
        "criminal_people": Sum("insight_flags__prevented_criminal_people",
                               filter=ACCEPTED_Q & Q(insight_flags__prevented_criminal=True)),
        "petition": Count("id", filter=ACCEPTED_Q & Q(insight_flags__prevented_petition=True)),
        "petition_people": Sum("insight_flags__prevented_petition_people",
                               filter=ACCEPTED_Q & Q(insight_flags__prevented_petition=True)),
    }
    aggs["judicial"] = Count("id", filter=ACCEPTED_Q & judicial_q(), distinct=True)
    return aggs


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v or 0) for k, v in row.items()}
    out["amount"] = Decimal(out.get("amount") or 0).quantize(Decimal("0.01"))
    out["rate"] = round(out["success"] / out["accepted"], 4) if out.get("accepted") else 0.0
    return out


@dataclass
class ReportSection:
    title: str
    dimension: str  # 纠纷类型 / 调解组织层级 / 调解组织类型
    rows: list[tuple[str, dict[str, Any]]]


@dataclass
class Report:
    period: Period
    region: Region
    columns: list[Column]
    sections: list[ReportSection]
    totals: dict[str, Any]
    screenings: int  # 排查次数: the screening rounds held in the period and region
    screening_reported: int  # what those rounds recorded as found (typed with each round, not tied to cases)
    generated_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def screening_disputes(self) -> int:
        """排查发现纠纷 (cases): the accepted cases of the period found by screening — the column's total, one
        figure wherever the report shows it."""
        return self.totals["screened"]

    @property
    def title(self) -> str:
        return f"{self.region.display_name}人民调解工作统计表（{self.period.label}）"


def _report_cube(user, region: Region, period: Period, aggs: dict[str, Any],  # noqa: ANN001
                 source: str = "auto") -> list[dict[str, Any]]:
    """Rows of (dispute_type_id, level, organisation__kind) with the report sums: from the summary cells when they
    answer for this user and region, else one GROUP BY over the visible cases (``source`` forces one: tests)."""
    if source == "summary" or (source == "auto" and use_summary(user, region.code)):
        summary.sync()
        rows = []
        for _grp, _month, k1, k2, k3, *metrics in summary.read(region.code, summary.months_of(period.start, period.end),
                                                                groups=[summary.CUBE]):
            if _month == 0:
                continue
            row = dict(zip(summary.METRICS, metrics, strict=True))
            row["amount"] = summary.yuan(row["amount"])
            rows.append({"dispute_type_id": int(k1), "level": k2, "organisation__kind": k3 or None,
                         **{k: row[k] for k in aggs}})
        return rows
    qs = scoped_cases(user, region.code, period)
    return list(qs.values("dispute_type_id", "level", "organisation__kind").annotate(**aggs).order_by())


def mediation_report(user, *, period: Period, region_code: str, source: str = "auto") -> Report:  # noqa: ANN001
    """The people's-mediation report for a period and region, by dispute type, by organisation level and by
    organisation kind. A fixed number of queries whatever the number of cases: the summary cells of the region (or
    one GROUP BY over the cases), the types, the region, the screenings."""
    region = region_for(region_code)
    aggs = _report_aggregates()
    types = list(DisputeType.objects.order_by("order", "code").values_list("id", "name"))
    # type × level × organisation kind (a few hundred rows), folded three ways in Python
    cube = _report_cube(user, region, period, aggs, source)

    def fold(dim: str) -> dict[Any, dict[str, Any]]:
        out: dict[Any, dict[str, Any]] = {}
        for r in cube:
            acc = out.setdefault(r[dim], dict.fromkeys(aggs, 0))
            for k in aggs:
                acc[k] += r[k] or 0
        return {k: _clean(v) for k, v in out.items()}

    by_type, by_level, by_kind = fold("dispute_type_id"), fold("level"), fold("organisation__kind")
    zero = _clean(dict.fromkeys(aggs, 0))
    columns = report_columns()
    type_rows = [(name, by_type.get(pk, zero)) for pk, name in types]
    level_rows = [(str(label), by_level.get(value, zero)) for value, label in Level.choices]
    kinds = [k for k in OrgKind.values if k in by_kind] or []
    mediation_kinds = [OrgKind.VILLAGE_COMMITTEE, OrgKind.TOWN_COMMITTEE, OrgKind.PROFESSIONAL_COMMITTEE,
                       OrgKind.COUNTY_CENTRE]
    kind_rows = [(str(OrgKind(k).label), by_kind.get(k, zero)) for k in mediation_kinds]
    kind_rows += [(str(OrgKind(k).label), by_kind[k]) for k in kinds if k not in mediation_kinds]
    if None in by_kind:
        kind_rows.append(("未确定承办组织", by_kind[None]))
    totals = _clean({k: sum((row[k] for row in by_type.values()), 0) for k in aggs})
    # screening rounds in the period and region (a separate source: not per case)
    screen = Screening.objects.filter(region_code__startswith=region.code, held_at__gte=period.start,
                                      held_at__lt=period.end)
    if user is not None:
        screen = screen.filter(core_selectors.region_q(user, "region_code"))
    sc = screen.aggregate(n=Count("id"), found=Sum("disputes_found"))
    return Report(period=period, region=region, columns=columns, sections=[
        ReportSection("按纠纷类型", "纠纷类型", type_rows),
        ReportSection("按调解组织层级", "调解组织层级", level_rows),
        ReportSection("按调解组织类型", "调解组织类型", kind_rows),
    ], totals=totals, screenings=sc["n"] or 0, screening_reported=sc["found"] or 0)


def format_cell(col: Column, value: Any) -> str:
    if col.kind == "rate":
        return f"{value * 100:.2f}%"
    if col.kind == "money":
        return f"{value:,.2f}"
    return str(value)


# ----------------------------------------------------------------------------------------------------------------
# Dashboards
# ----------------------------------------------------------------------------------------------------------------
class DaysBetween(Func):
    """Whole days from the first datetime expression to the second (portable: SQLite and PostgreSQL)."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):  # noqa: ANN001, ANN003, ARG002
        (s, sp), (e, ep) = (compiler.compile(x) for x in self.source_expressions)
        if connection.vendor == "sqlite":
            return f"CAST(julianday({e}) - julianday({s}) AS INTEGER)", (*ep, *sp)
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM ({e} - {s})) / 86400) AS INTEGER)", (*ep, *sp)


@dataclass
class ChartRow:
    label: str
    values: list[Any]
    href: str = ""


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # bar | line | pie | hbar
    columns: list[str]  # table headers after the label column
    rows: list[ChartRow]
    note: str = ""

    def echarts(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "kind": self.kind, "series": self.columns[0],
                "labels": [r.label for r in self.rows],
                "values": [float(r.values[0]) if r.values else 0 for r in self.rows],
                "links": [r.href for r in self.rows]}


@dataclass
class Dashboard:
    region: Region
    period: Period
    cards: dict[str, Any]
    charts: list[Chart]

    def chart(self, key: str) -> Chart:
        return next(c for c in self.charts if c.key == key)


def _pct(a: int, b: int) -> float:
    return round(100 * a / b, 2) if b else 0.0


def percentile(hist: dict[int, int], q: float) -> float:
    """The q-th percentile (nearest rank) of a histogram {value: count}."""
    total = sum(hist.values())
    if not total:
        return 0.0
    rank = max(1, -(-int(q * total * 1000) // 1000))  # ceil(q × total)
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return float(value)
    return float(max(hist))


_ZERO = {"n": 0, "accepted": 0, "success": 0, "amount": Decimal(0), "repeats": 0}


def _fold(rows: Iterable[dict], key) -> dict:  # noqa: ANN001
    """Sum GROUP BY rows (or summary cells) into coarser groups (in Python: a few thousand rows at most)."""
    out: dict = {}
    for r in rows:
        k = key(r)
        acc = out.get(k)
        if acc is None:
            acc = out[k] = dict(_ZERO)
        for name in acc:
            acc[name] += r.get(name) or 0
    return out


@dataclass
class Figures:
    """What the dashboard is drawn from, whichever source computed it."""

    months: dict[int, dict[str, Any]]  # month number → n, accepted, success, amount, repeats
    by_type: dict[int, dict[str, Any]]  # dispute type id → the same
    by_level: dict[str, dict[str, Any]]
    by_village: dict[str, dict[str, Any]]  # village code (first 12 digits) → the same
    by_source: dict[str, int]
    stage_n: dict[str, int]
    colour_n: dict[str, int]
    hist: dict[int, int]  # whole days to close → closed cases
    current: dict[str, int]  # open, overdue, major_open, red — now, whatever the period


def _figures_from_cases(user, region: Region, period: Period, now: dt.datetime) -> Figures:  # noqa: ANN001
    """Five GROUP BY passes over the cases the user sees (users who see only part of a region)."""
    base = scoped_cases(user, region.code)
    qs = base.filter(created_at__gte=period.start, created_at__lt=period.end)
    counts = {"n": Count("id"), "accepted": Count("id", filter=ACCEPTED_Q), "success": Count("id", filter=SUCCESS_Q),
              "amount": Sum("agreement_amount", filter=SUCCESS_Q),
              "repeats": Count("id", filter=Q(repeat_of__isnull=False))}
    # 1 by month × type (≤ 12 × 15 rows): the month chart and the type chart
    month_type = list(qs.annotate(m=TruncMonth("created_at", tzinfo=TZ)).values("m", "dispute_type_id").annotate(
        **counts).order_by())
    # 2 by level × stage × source × colour (a few hundred rows): levels, stages, sources, colours
    status = list(qs.annotate(c=colour_expr(now)).values("level", "stage", "source", "c").annotate(**counts).order_by())
    # 3 by village (towns are sums of their villages)
    by_village = {r.pop("v"): r for r in qs.annotate(v=Substr("region_code", 1, 12)).values("v").annotate(
        **counts).order_by()}
    # 4 days to close (histogram)
    hist = {r["d"]: r["n"] for r in qs.filter(closed_at__isnull=False).annotate(
        d=DaysBetween(F("created_at"), F("closed_at"))).values("d").annotate(n=Count("id")).order_by()}
    # 5 now, whatever the period: open, overdue, red
    current = base.annotate(c=colour_expr(now)).aggregate(
        open=Count("id", filter=Q(stage__in=OPEN_STAGES)), overdue=Count("id", filter=overdue_q(now)),
        major_open=Count("id", filter=Q(stage__in=OPEN_STAGES, risk_level=RiskLevel.MAJOR)),
        red=Count("id", filter=Q(c="red")))
    return Figures(
        months=_fold(month_type, lambda r: r["m"].astimezone(TZ).month),
        by_type=_fold(month_type, lambda r: r["dispute_type_id"]),
        by_level=_fold(status, lambda r: r["level"]),
        by_village={v: {k: r.get(k) or 0 for k in _ZERO} for v, r in by_village.items()},
        by_source={k: v["n"] for k, v in _fold(status, lambda r: r["source"]).items()},
        stage_n={k: v["n"] for k, v in _fold(status, lambda r: r["stage"]).items()},
        colour_n={k: v["n"] for k, v in _fold(status, lambda r: r["c"]).items()},
        hist=hist, current={k: v or 0 for k, v in current.items()})


def _fold_cells(cells: Iterable[tuple], key) -> dict:  # noqa: ANN001
    """Sum summary cells (grp, month, k1, k2, k3, n, accepted, success, amount in fen, repeats) into groups: the
    cells as the rows ``_fold`` sums (amounts in yuan, exact as Decimal), grouped by ``key`` of the cell."""
    return _fold(({"key": key(c), "n": c[5], "accepted": c[6], "success": c[7], "amount": summary.yuan(c[8]),
                   "repeats": c[9]} for c in cells), lambda r: r["key"])


def _figures_from_summary(region: Region, period: Period, now: dt.datetime) -> Figures:
    """The same figures from the summary cells of the region: one query for the cells, one for the deadlines
    near now (today's overdue cases, and the colours that deadlines near or past change)."""
    summary.sync()
    cells: dict[int, list[tuple]] = {g: [] for g in summary.GROUPS}
    for c in summary.read(region.code, summary.months_of(period.start, period.end),
                          metrics=("n", "accepted", "success", "amount", "repeats")):
        cells[c[0]].append(c)
    cube, status, now_cells = cells[summary.CUBE], cells[summary.STATUS], cells[summary.NOW]
    today = summary.day_key(now)
    overdue_today, shifts = summary.near_deadlines(region.code, now)
    overdue = sum(c[5] for c in cells[summary.DUE] if int(c[2]) < today) + overdue_today
    open_stages = set(OPEN_STAGES)
    # the colours the cells hold are those of deadlines not yet near: move the cases whose deadline is near or past
    colour_n = {k: v["n"] for k, v in _fold_cells(status, lambda c: c[4]).items()}
    red = sum(c[5] for c in now_cells if c[4] == "red")
    period_months = set(summary.months_of(period.start, period.end))
    for month, stored, shown, n in shifts:
        red += n * ((shown == "red") - (stored == "red"))
        if month in period_months:
            colour_n[stored] -= n
            colour_n[shown] = colour_n.get(shown, 0) + n
    return Figures(
        months=_fold_cells(cube, lambda c: c[1] % 100),
        by_type=_fold_cells(cube, lambda c: int(c[2])),
        by_level=_fold_cells(cube, lambda c: c[3]),
        by_village=_fold_cells(cells[summary.VILLAGE], lambda c: c[2]),
        by_source={k: v["n"] for k, v in _fold_cells(status, lambda c: c[3]).items()},
        stage_n={k: v["n"] for k, v in _fold_cells(status, lambda c: c[2]).items()},
        colour_n={k: n for k, n in colour_n.items() if n},
        hist={d: v["n"] for d, v in _fold_cells(cells[summary.DAYS], lambda c: int(c[2])).items()},
        current={"open": sum(c[5] for c in now_cells if c[2] in open_stages),
                 "overdue": overdue,
                 "major_open": sum(c[5] for c in now_cells if c[2] in open_stages and c[3] == RiskLevel.MAJOR),
                 "red": red})


def dashboard_figures(user, *, region: Region, period: Period, now: dt.datetime | None = None,  # noqa: ANN001
                      source: str = "auto") -> Figures:
    """The dashboard's figures: from the summary when it answers for this user and region (``source="auto"``), or
    forced from ``"summary"`` / ``"cases"`` (tests compare the two)."""
    now = now or timezone.now()
    if source == "summary" or (source == "auto" and use_summary(user, region.code)):
        return _figures_from_summary(region, period, now)
    return _figures_from_cases(user, region, period, now)


def dashboard(user, *, region: Region, period: Period, link_base: str = "",  # noqa: ANN001, C901
              now: dt.datetime | None = None, source: str = "auto") -> Dashboard:
    """Everything the county, town and village dashboards show, in a fixed number of queries: the summary cells of
    the region, or (for users who see only part of it) five GROUP BY passes over the cases they see."""
    now = now or timezone.now()
    fig = dashboard_figures(user, region=region, period=period, now=now, source=source)
    common = {"region": region.code, "period": period.key}

    def href(**params: Any) -> str:
        return f"{link_base}?{urlencode({**common, **params})}"

    months, by_level, by_village, hist, current = fig.months, fig.by_level, fig.by_village, fig.hist, fig.current
    by_source, stage_n, colour_n = fig.by_source, fig.stage_n, fig.colour_n
    by_type = sorted(({"dispute_type_id": k, **v} for k, v in fig.by_type.items()),
                     key=lambda r: (-r["n"], r["dispute_type_id"]))
    type_rows = list(DisputeType.objects.values_list("id", "name", "code"))
    type_names = {pk: name for pk, name, _ in type_rows}
    type_codes = {pk: code for pk, _, code in type_rows}
    red_now = current["red"]
    # region names
    regions = {r.code: r for r in Region.objects.filter(
        code__startswith=region.code, level__in=[RegionLevel.TOWN, RegionLevel.VILLAGE]).only(
        "code", "name", "short_name", "level", "population")}

    total = sum(r["n"] for r in by_type)
    accepted = sum(r["accepted"] for r in by_type)
    success = sum(r["success"] for r in by_type)
    amount = sum((r["amount"] or Decimal(0) for r in by_type), Decimal(0))
    # 镇、村调解组织调处纠纷占比: successful mediations by town and village organisations over all successful ones
    local = sum(by_level.get(lv, {}).get("success", 0) for lv in LOCAL_LEVELS)
    closed_n = sum(hist.values())
    avg_days = round(sum(d * n for d, n in hist.items()) / closed_n, 1) if closed_n else 0.0
    repeats = sum(r["repeats"] for r in by_village.values())
    cards = {
        "total": total, "accepted": accepted, "success": success, "success_rate": _pct(success, accepted),
        "local_share": _pct(local, success), "local": local, "amount": amount, "avg_days": avg_days,
        "p90_days": percentile(hist, 0.9), "closed": closed_n, "repeats": repeats,
        "open": current["open"], "overdue": current["overdue"], "red": red_now, "major_open": current["major_open"],
    }
    charts: list[Chart] = []
    year_months = [(period.start.year, m) for m in range(1, 13)] if period.key.isdigit() else None
    if year_months is None:
        cur, year_months = period.start, []
        while cur < period.end:
            year_months.append((cur.year, cur.month))
            cur = dt.datetime(cur.year + (cur.month == 12), cur.month % 12 + 1, 1, tzinfo=TZ)
    charts.append(Chart("month", "各月纠纷数", "line", ["登记（件）", "调解成功（件）", "成功率", "重复纠纷（件）"], [
        ChartRow(f"{m}月", [months.get(m, {}).get("n", 0), months.get(m, {}).get("success", 0),
                           f"{_pct(months.get(m, {}).get('success', 0), months.get(m, {}).get('accepted', 0))}%",
                           months.get(m, {}).get("repeats", 0)], href(period=f"{y}-{m:02d}"))
        for y, m in year_months]))
    charts.append(Chart("type", "纠纷类型", "hbar", ["登记（件）", "调解成功（件）", "协议金额（元）"], [
        ChartRow(type_names.get(r["dispute_type_id"], "?"), [r["n"], r["success"], f"{r['amount'] or 0:,.2f}"],
                 href(type=type_codes.get(r["dispute_type_id"], ""))) for r in by_type]))
    charts.append(Chart("source", "案件来源", "pie", ["登记（件）"], [
        ChartRow(str(label), [by_source[v]], href(source=v)) for v, label in CaseSource.choices if by_source.get(v)]))
    # towns (county scope) and villages
    towns: dict[str, dict[str, Any]] = {}
    for v, r in by_village.items():
        t = towns.setdefault(v[:9], {"n": 0, "success": 0, "accepted": 0})
        for k in t:
            t[k] += r[k]
    if len(region.code) <= 6:
        charts.append(Chart("town", "各镇（街道）纠纷数", "bar", ["登记（件）", "调解成功（件）", "成功率"], [
            ChartRow(regions[c].display_name if c in regions else c,
                     [t["n"], t["success"], f"{_pct(t['success'], t['accepted'])}%"], href(region=c))
            for c, t in sorted(towns.items(), key=lambda kv: (-kv[1]["n"], kv[0]))]))
    village_rows = sorted(by_village.items(), key=lambda kv: (-kv[1]["n"], kv[0]))
    charts.append(Chart("village", "各村（社区）纠纷数（前20）", "hbar", ["登记（件）", "调解成功（件）", "重复纠纷（件）"], [
        ChartRow(regions[v].display_name if v in regions else v, [r["n"], r["success"], r["repeats"]], href(region=v))
        for v, r in village_rows[:20]]))
    # stage and colour
    charts.append(Chart("stage", "办理阶段分布", "bar", ["案件（件）"], [
        ChartRow(str(label), [stage_n[v]], href(stage=v)) for v, label in CaseStage.choices if stage_n.get(v)]))
    charts.append(Chart("colour", "五色管理分布", "pie", ["案件（件）"], [
        ChartRow(COLOUR_LABELS[c], [colour_n.get(c, 0)], href(colour=c)) for c in COLOUR_LABELS]))
    charts.append(Chart("level", "各层级调处纠纷占比", "pie", ["调解成功（件）", "受理（件）", "占调解成功比例"], [
        ChartRow(str(label), [by_level.get(v, {}).get("success", 0), by_level.get(v, {}).get("accepted", 0),
                              f"{_pct(by_level.get(v, {}).get('success', 0), success)}%"], href(level=v, flag="success"))
        for v, label in Level.choices]))
    buckets = [(0, 0, "当天"), (1, 3, "1–3天"), (4, 7, "4–7天"), (8, 15, "8–15天"), (16, 30, "16–30天"),
               (31, 60, "31–60天"), (61, 10**6, "60天以上")]
    charts.append(Chart("days", "结案用时分布", "bar", ["结案（件）"], [
        ChartRow(label, [sum(n for d, n in hist.items() if lo <= d <= hi)], href(closed_days=f"{lo}-{hi}"))
        for lo, hi, label in buckets]))
    charts.append(Chart("watch", "超期与红色案件（当前）", "bar", ["案件（件）"], [
        ChartRow("在办", [current["open"]], href(flag="open", period="")),
        ChartRow("超期", [current["overdue"]], href(flag="overdue", period="")),
        ChartRow("红色", [cards["red"]], href(colour="red", period="")),
    ]))
    # ten villages with most disputes per 1,000 inhabitants (when population is known), else per village
    with_pop = [(v, r) for v, r in by_village.items() if v in regions and regions[v].population]
    if with_pop:
        ranked = sorted(with_pop, key=lambda kv: (-kv[1]["n"] * 1000 / regions[kv[0]].population, kv[0]))[:10]
        rows = [ChartRow(regions[v].display_name, [round(r["n"] * 1000 / regions[v].population, 2), r["n"],
                                                    regions[v].population], href(region=v)) for v, r in ranked]
        charts.append(Chart("top_villages", "千人纠纷数最高的十个村（社区）", "hbar",
                            ["每千人纠纷（件）", "纠纷（件）", "人口"], rows))
    else:
        rows = [ChartRow(regions[v].display_name if v in regions else v, [r["n"], r["success"]], href(region=v))
                for v, r in village_rows[:10]]
        charts.append(Chart("top_villages", "纠纷最多的十个村（社区）", "hbar", ["纠纷（件）", "调解成功（件）"], rows,
                            note="各村人口未登记，按纠纷件数排名。"))
    return Dashboard(region=region, period=period, cards=cards, charts=charts)


# ----------------------------------------------------------------------------------------------------------------
# Drill-down: the cases behind one chart entry
# ----------------------------------------------------------------------------------------------------------------
DRILL_KEYS = ("type", "source", "stage", "level", "colour", "flag", "closed_days", "accepted")


def drill_cases(user, params, *, now: dt.datetime | None = None) -> tuple[QuerySet[Case], dict[str, str]]:  # noqa: ANN001, C901
    """The cases behind a dashboard entry. ``params``: region, period (may be empty: any time) and one filter."""
    now = now or timezone.now()
    region = access_scope(user, params.get("region") or None)
    period = parse_period(params.get("period")) if params.get("period") else None
    qs = scoped_cases(user, region.code, period)
    shown = {"region": region.display_name, "period": period.label if period else "全部"}
    if code := params.get("type"):
        qs = qs.filter(dispute_type__code=code)
        shown["type"] = code
    if (v := params.get("source")) in CaseSource.values:
        qs = qs.filter(source=v)
    if (v := params.get("stage")) in CaseStage.values:
        qs = qs.filter(stage=v)
    if (v := params.get("level")) in Level.values:
        qs = qs.filter(level=v)
    if params.get("accepted"):
        qs = qs.filter(ACCEPTED_Q)
    if (v := params.get("colour")) in COLOUR_LABELS:
        qs = qs.annotate(_colour=colour_expr(now)).filter(_colour=v)
    flag = params.get("flag")
    if flag == "open":
        qs = qs.filter(stage__in=OPEN_STAGES)
    elif flag == "overdue":
        qs = qs.filter(overdue_q(now))
    elif flag == "repeat":
        qs = qs.filter(repeat_of__isnull=False)
    elif flag == "success":
        qs = qs.filter(SUCCESS_Q)
    if m := re.fullmatch(r"(\d+)-(\d+)", params.get("closed_days") or ""):
        lo, hi = int(m[1]), int(m[2])
        qs = qs.filter(closed_at__isnull=False).annotate(_d=DaysBetween(F("created_at"), F("closed_at"))).filter(
            _d__gte=lo, _d__lte=hi)
    return qs, shown


# ----------------------------------------------------------------------------------------------------------------
# Warnings
# ----------------------------------------------------------------------------------------------------------------
def warnings_visible_to(user, *, show_all: bool = False) -> QuerySet:  # noqa: ANN001
    """Warnings whose region lies in the user's jurisdiction; open and acknowledged ones unless ``show_all``.
    Pending warnings (still in their observation period) are listed only with ``show_all``."""
    from .models import RiskWarning, WarningState

    qs = RiskWarning.objects.filter(core_selectors.region_q(user, "region_code"))
    if not show_all:
        qs = qs.filter(state__in=[WarningState.OPEN, WarningState.ACKNOWLEDGED])
    return qs.select_related("acknowledged_by").order_by("state", "-opened_at", "-id")


def screenings_visible_to(user) -> QuerySet:  # noqa: ANN001
    """Screening rounds held in the user's jurisdiction, newest first."""
    return Screening.objects.filter(core_selectors.region_q(user, "region_code")).select_related(
        "region", "recorded_by").order_by("-held_at", "-id")


def access_warning(user, pk: int):  # noqa: ANN001, ANN201
    warning = warnings_visible_to(user, show_all=True).filter(pk=pk).first()
    if warning is None:
        raise Http404
    return warning
