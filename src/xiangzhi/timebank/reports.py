"""Spreadsheets of the time bank (openpyxl through core.xlsx, user text written as text): a volunteer's statement,
and the activities of a jurisdiction with their categories, a sheet of minutes per category and the link to what
earned each credit. Names are masked; contact details never appear."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from xiangzhi.core import xlsx
from xiangzhi.core.services import absolute_link

from .models import Activity, Volunteer
from .selectors import statement, statement_count


def statement_xlsx(volunteer: Volunteer) -> bytes:
    wb = xlsx.workbook()
    ws = wb.create_sheet("对账单")
    xlsx.append(ws, ["志愿者", volunteer.person.masked_name, "身份", str(volunteer.get_kind_display()),
                     "余额（分钟）", volunteer.account.balance], font=xlsx.BOLD)
    xlsx.append(ws, ["时间", "类型", "收支（分钟）", "余额（分钟）", "因何入账/支出", "类别", "链接", "转账号"],
                font=xlsx.BOLD)
    for line in statement(volunteer, limit=statement_count(volunteer)):
        xlsx.append(ws, [line.at.strftime("%Y-%m-%d %H:%M"), line.kind_label, line.amount, line.balance, line.what,
                         line.category, absolute_link(line.link) if line.link else "", line.transfer_id])
    xlsx.widths(ws, [18, 10, 12, 12, 40, 14, 40, 10])
    return xlsx.to_bytes(wb)


def activities_xlsx(activities: Iterable[Activity]) -> bytes:
    wb = xlsx.workbook()
    ws = wb.create_sheet("服务记录")
    xlsx.append(ws, ["日期", "志愿者", "身份", "所在区划", "类别", "服务内容", "分钟", "状态", "来源", "组织单位",
                     "入账转账号", "链接"], font=xlsx.BOLD)
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a in activities:
        xlsx.append(ws, [a.occurred_on.isoformat(), a.volunteer.person.masked_name,
                         str(a.volunteer.get_kind_display()), a.region.display_name, str(a.get_kind_display()),
                         a.title, a.minutes, str(a.get_state_display()), str(a.get_source_display()),
                         a.organisation.name, a.transfer_id or "", absolute_link(a.link) if a.link else ""])
        if a.transfer_id:
            per_category[str(a.get_kind_display())][0] += 1
            per_category[str(a.get_kind_display())][1] += a.minutes
    xlsx.widths(ws, [12, 10, 16, 20, 14, 40, 8, 10, 12, 24, 10, 40])
    summary = wb.create_sheet("按类别汇总")
    xlsx.append(summary, ["类别", "已入账记录数", "已入账分钟", "折合小时"], font=xlsx.BOLD)
    for category, (n, minutes) in sorted(per_category.items()):
        xlsx.append(summary, [category, n, minutes, round(minutes / 60, 1)])
    xlsx.widths(summary, [18, 14, 14, 10])
    return xlsx.to_bytes(wb)
