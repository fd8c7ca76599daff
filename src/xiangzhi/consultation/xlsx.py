"""The 智能咨询 demand dashboard as an Excel workbook (openpyxl): overview, towns × topics, weeks × topics, rising
topics and the most asked questions, one sheet each, Chinese headers, totals where they add up."""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook

from xiangzhi.core import xlsx


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], widths: list[int]):  # noqa: ANN202
    ws = wb.create_sheet(title)
    xlsx.append(ws, header, font=xlsx.BOLD)
    for row in rows:
        xlsx.append(ws, row)  # a question starting with "=" is text a villager typed, never a formula
    xlsx.widths(ws, widths)
    ws.freeze_panes = "B2"
    return ws


def demand_workbook(d: dict, *, generated_at: dt.datetime) -> bytes:
    wb = xlsx.workbook()
    topics = d["matrix"]["topics"]
    _sheet(wb, "概览", ["指标", "数值"], [
        ["统计期", "近 8 周"], ["生成时间", f"{generated_at:%Y-%m-%d %H:%M}"], ["问题数", d["total"]],
        ["未能直接解答", d["unanswered"]], ["未能直接解答占比", round(d["unanswered_rate"], 4)],
        ["转人工", d["handoffs"]], ["转人工占比", round(d["handoff_rate"], 4)], ["有用", d["useful"]],
        ["没用", d["useless"]], ["待认领", d["open_handoffs"]],
    ], [20, 20])
    ws = _sheet(wb, "各镇主题", ["镇（街道）", *topics, "合计"],
                [[r["town"], *(n for n, _heat in r["cells"]), r["total"]] for r in d["matrix"]["rows"]],
                [16] + [12] * (len(topics) + 1))
    xlsx.append(ws, ["合计", *d["matrix"]["totals"], d["total"]], font=xlsx.BOLD)
    _sheet(wb, "按周", ["周（自周一）", *topics, "合计"],
           [[r["week"], *r["values"], r["total"]] for r in d["weekly"]["rows"]], [14] + [12] * (len(topics) + 1))
    for row in wb["按周"].iter_rows(min_row=2, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    _sheet(wb, "上升主题", ["主题", "近7天", "前4周周均", "增加", "倍数"],
           [[r["topic"], r["this_week"], r["prev_avg"], r["change"], "新出现" if r["new"] else r["ratio"]]
            for r in d["rising"]], [16, 10, 12, 10, 10])
    _sheet(wb, "热门问题", ["问题", "次数"], [[text, n] for text, n in d["top_questions"]], [60, 8])
    return xlsx.to_bytes(wb)
