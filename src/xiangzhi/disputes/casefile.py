"""一案一卷: the case file as a ZIP — generated documents and all attachments in the standard file order (卷宗目录:
登记表, 权利义务告知书, 身份证明, 委托书, 调查记录, 证据, 调解记录, 协议书, 履行凭证, 回访记录, 司法确认材料, 卷内备考表),
a contents list (目录.csv) with each file's number, title, path, size and SHA-256, and SHA256SUMS.

Personal data: as the given disclosure has them (``services.documents.casefile`` decides, under the reveal's rule);
otherwise every document in the file is masked.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

from django.utils import timezone

from . import documents
from .enums import CaseStage
from .models import Case, Signature

S = CaseStage


def _plan(case: Case) -> list[tuple[str, str, str]]:
    """(order number, title, document kind or "attachment:<id>") in the standard order; documents that do not apply
    to the case's outcome are left out."""
    has_agreement = bool(case.agreement_text)
    plan = [("01", "受理登记表", "register")]
    if case.stage == S.NOT_ACCEPTED:
        plan.append(("01", "不予受理告知书", "not_accepted"))
    plan.append(("02", "权利义务告知书", "rights"))
    for att in case.attachments.all().order_by("created_at", "id"):
        plan.append(("06", f"证据材料：{att.original_name}", f"attachment:{att.pk}"))
    plan.append(("07", "调解记录", "record"))
    if has_agreement:
        written = case.stage == S.AGREEMENT_WRITTEN or Signature.objects.filter(case=case).exists()
        plan.append(("08", "人民调解协议书", "agreement") if written else ("08", "口头协议登记表", "oral"))
    if case.outcome_reason and case.stage in (S.TERMINATED, S.CLOSED) and not has_agreement:
        plan.append(("08", "终止调解告知书", "termination"))
    if case.visits.exists():
        plan.append(("10", "回访记录", "visit"))
    if case.risk_reports.exists():
        plan.append(("10", "纠纷激化风险报告记录", "risk"))
    if hasattr(case, "judicial"):
        plan.append(("11", "司法确认申请书", "judicial"))
    plan.append(("12", "结案报告表", "closing"))
    return plan


def wants_personal_data(case: Case) -> bool:
    """Does the case file hold a document that carries the parties' personal data in full when disclosed?"""
    return any(kind in documents.FULL_DATA_KINDS for _, _, kind in _plan(case))


def build(case: Case, disclosure: documents.Disclosure = documents.MASKED) -> tuple[bytes, int]:
    """The ZIP bytes and the number of files in it. Each file is written once; the contents list and SHA256SUMS name
    every file with its hash. Writes nothing: who gets the file with what personal data is
    ``services.documents.casefile``."""
    plan = _plan(case)
    out = io.BytesIO()
    rows: list[tuple[str, str, str, int, str]] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i, (num, title, kind) in enumerate(plan, start=1):
            if kind.startswith("attachment:"):
                att = case.attachments.get(pk=int(kind.split(":")[1]))
                with att.file.open("rb") as fh:
                    data = fh.read()
                ext = att.original_name.rsplit(".", 1)[-1] if "." in att.original_name else "bin"
                path = f"{i:02d}-{num}-证据材料-{att.pk}.{ext}"
            else:
                data = documents.render(case, kind, disclosure)
                path = f"{i:02d}-{num}-{documents.KINDS[kind]}.docx"
            zf.writestr(path, data)
            rows.append((f"{i:02d}", title, path, len(data), hashlib.sha256(data).hexdigest()))
        listing = io.StringIO()
        w = csv.writer(listing)
        w.writerow(["序号", "材料名称", "文件", "字节数", "SHA-256"])
        w.writerows(rows)
        w.writerow([])
        w.writerow(["案件编号", case.number, "卷宗号", case.archive_number, timezone.localtime().isoformat()])
        zf.writestr("目录.csv", "\ufeff" + listing.getvalue())
        zf.writestr("SHA256SUMS", "".join(f"{r[4]}  {r[2]}\n" for r in rows))
    return out.getvalue(), len(rows)
