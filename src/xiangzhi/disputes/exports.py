"""Export of the filtered case list to .xlsx with masked personal data. Uses the workbench's own selector
(``selectors.workbench_cases``: the user's visibility and filters), page after page by keyset, into a write-only
workbook, so memory stays flat whatever the number of rows."""

from __future__ import annotations

from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core import xlsx
from xiangzhi.core.models import User

from . import colours, selectors
from .enums import CaseSource, CaseStage, Level
from .models import Party

HEADER = ["案件编号", "卷宗号", "登记时间", "纠纷类型", "纠纷发生地", "承办层级", "承办组织", "阶段", "颜色", "期限",
          "案件来源", "申请人", "申请人电话", "被申请人", "协议金额", "结案时间"]
PAGE = 500
MAX_ROWS = 200_000


def export_xlsx(user: User, filters: selectors.CaseFilters, *, max_rows: int = MAX_ROWS) -> tuple[bytes, int]:
    """(workbook bytes, rows written). Names and phones are masked; text stays text (``core.xlsx``). Side effect: one
    audit row."""
    wb = xlsx.workbook(write_only=True)
    ws = wb.create_sheet("案件清单")
    xlsx.append(ws, HEADER)
    after, written, now = None, 0, timezone.now()
    while written < max_rows:
        cases, after = selectors.workbench_cases(user, filters, after=after, limit=PAGE)
        parties: dict[int, list[Party]] = {}
        for p in Party.objects.filter(case_id__in=[c.pk for c in cases]).select_related("person").order_by("order", "id"):
            parties.setdefault(p.case_id, []).append(p)
        for c in cases:
            ps = parties.get(c.pk, [])
            app = next((p for p in ps if p.role == "applicant"), None)
            resp = [p.masked_name for p in ps if p.role != "applicant"]
            info = colours.info(c, now)
            xlsx.append(ws, [
                c.number, c.archive_number, timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M"),
                c.dispute_type.name, c.region.display_name, str(Level(c.level).label),
                c.organisation.name if c.organisation_id else "", str(CaseStage(c.stage).label),
                info.word, info.countdown, str(CaseSource(c.source).label),
                app.masked_name if app else "", app.person.masked_phone if app and app.person_id else "",
                "、".join(resp), float(c.agreement_amount) if c.agreement_amount is not None else None,
                timezone.localtime(c.closed_at).strftime("%Y-%m-%d") if c.closed_at else "",
            ])
            written += 1
        if after is None:
            break
    data = xlsx.to_bytes(wb)
    core.audit("case.exported", actor=user, object_type="case_list", after={"rows": written})
    return data, written
