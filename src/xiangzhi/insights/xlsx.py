"""Excel exports (openpyxl): the mediation report and dashboard tables, with Chinese headers and a totals row.
Written through the platform's one spreadsheet writer (``core.xlsx``): text stays text."""

from __future__ import annotations

from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from xiangzhi.core import xlsx

from .selectors import Dashboard, Report


def _value(col, value):  # noqa: ANN001, ANN202
    if col.kind == "money":
        return float(Decimal(value))
    return value


def report_workbook(report: Report) -> Workbook:
    """One sheet per section (by type, by level, by kind); each ends with a 合计 row."""
    wb = xlsx.workbook()
    for section in report.sections:
        ws = wb.create_sheet(section.title)
        xlsx.append(ws, [report.title], font=Font(bold=True, size=14))
        xlsx.append(ws, [f"统计期：{report.period.label}", f"区域：{report.region.display_name}",
                         f"排查次数：{report.screenings}（登记发现 {report.screening_reported} 件）",
                         f"排查发现纠纷：{report.screening_disputes}",
                         f"生成时间：{report.generated_at:%Y-%m-%d %H:%M}"])
        xlsx.append(ws, [section.dimension] + [c.header for c in report.columns], font=xlsx.BOLD)
        for cell in ws[3]:
            cell.alignment = Alignment(wrap_text=True, horizontal="center")
        for label, row in section.rows:
            xlsx.append(ws, [label] + [_value(c, row[c.key]) for c in report.columns])
        xlsx.append(ws, ["合计"] + [_value(c, report.totals[c.key]) for c in report.columns], font=xlsx.BOLD)
        for ci, col in enumerate(report.columns, start=2):
            for r in range(4, ws.max_row + 1):
                cell = ws.cell(row=r, column=ci)
                cell.number_format = {"rate": "0.00%", "money": "#,##0.00"}.get(col.kind, "0")
        xlsx.widths(ws, [22] + [14] * len(report.columns))
        ws.freeze_panes = "B4"
    return wb


def dashboard_workbook(board: Dashboard, only: str | None = None) -> Workbook:
    wb = xlsx.workbook()
    cards = wb.create_sheet("概览")
    xlsx.append(cards, [f"{board.region.display_name} 研判概览（{board.period.label}）"])
    labels = {"total": "登记纠纷（件）", "accepted": "受理（件）", "success": "调解成功（件）", "success_rate": "调解成功率（%）",
              "local": "镇、村调解组织调处纠纷（件）",
              "local_share": "镇、村调解组织调处纠纷占比（%）", "amount": "协议金额（元）", "avg_days": "平均结案天数",
              "p90_days": "90%案件结案天数", "repeats": "重复纠纷（件）", "open": "在办（件）", "overdue": "超期（件）",
              "red": "红色（件）"}
    for key, label in labels.items():
        value = board.cards.get(key, 0)
        xlsx.append(cards, [label, float(value) if isinstance(value, Decimal) else value])
    xlsx.widths(cards, [24, 16])
    for chart in board.charts:
        if only and chart.key != only:
            continue
        ws = wb.create_sheet(chart.title[:31])
        xlsx.append(ws, ["项目"] + chart.columns, font=xlsx.BOLD)
        for row in chart.rows:
            xlsx.append(ws, [row.label] + list(row.values))
        xlsx.widths(ws, [24] + [16] * len(chart.columns))
    if only:
        wb.remove(cards)
    return wb

