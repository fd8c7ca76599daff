"""一案一卷 (domain.md 2.5): the case file as a ZIP in the standard file order —

    卷宗封面 (cover: 卷名, the committee's own 卷宗号, mediator, mediation dates, filer, filing date, 保管期限, remarks),
    卷内目录 (contents: every item with its number, title, file and whether the template requires it),
    01 受理登记表 / 不予受理告知书, 02 权利义务告知书, 03 身份证明, 04 授权委托书, 05 调查笔录, 06 证据材料,
    07 调解笔录, 08 调解协议书 / 口头协议登记表 / 终止调解告知书, 09 履行凭证, 10 回访记录 (and 第25条 reports),
    11 司法确认申请书, 12 结案报告表, 卷内备考表 (closing note sheet: number of items, filer, date, remarks),

each generated document only where it fits the case (``rules.document_applies``), each uploaded material under its
category; plus 目录.csv with each file's number, title, path, size and SHA-256, and SHA256SUMS.

Personal data: as the given disclosure has them (``services.documents.casefile`` decides, under the reveal's rule);
otherwise every document in the file is masked. Writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from xiangzhi.core import word

from . import documents, rules, selectors
from .enums import AttachmentCategory, CaseStage
from .models import Case, CaseFile

S = CaseStage
C = AttachmentCategory


@dataclass(frozen=True)
class Item:
    """One item of the case file: its section of the standard template, its title, what it is (a document kind, a
    sheet of the file, or "attachment:<id>") and whether the template requires it (必须) or not (按需)."""
    section: str
    title: str
    source: str
    required: bool


# (section, title, document kind or attachment category, required) in the template's order
_ORDER: list[tuple[str, str, str, bool]] = [
    ("01", "受理登记表", "register", True),
    ("01", "不予受理告知书", "not_accepted", True),
    ("02", "权利义务告知书", "rights", True),
    ("03", "身份证明", "cat:" + C.IDENTITY, True),
    ("04", "授权委托书", "cat:" + C.PROXY, False),
    ("05", "调查笔录", "investigation", False),
    ("06", "证据材料", "cat:" + C.EVIDENCE, False),
    ("07", "调解笔录", "record", True),
    ("08", "人民调解协议书", "agreement", True),
    ("08", "口头协议登记表", "oral", True),
    ("08", "终止调解告知书", "termination", True),
    ("09", "履行凭证", "cat:" + C.PERFORMANCE, False),
    ("10", "回访记录", "visit", False),
    ("10", "纠纷激化风险报告记录", "risk", False),
    ("11", "司法确认申请书", "judicial", False),
    ("12", "结案报告表", "closing", False),
]


def plan(case: Case) -> list[Item]:
    """Every item of the case's file, in order: the cover and the contents, the documents that fit the case, its
    materials by category, the closing note sheet."""
    facts = selectors.document_facts(case)
    attachments = list(case.attachments.all().order_by("created_at", "id"))
    items = [Item("00", "卷宗封面", "sheet:cover", True), Item("00", "卷内目录", "sheet:contents", True)]
    for section, title, source, required in _ORDER:
        if source.startswith("cat:"):
            items += [Item(section, f"{title}：{a.original_name}", f"attachment:{a.pk}", required)
                      for a in attachments if a.category == source[4:]]
        elif rules.document_applies(source, case, facts):
            items.append(Item(section, title, source, required))
    items.append(Item("12", "卷内备考表", "sheet:notes", True))
    return items


def item_count(case: Case) -> int:
    """The number of items in the case's file (the closing note sheet's 本卷共 N 件)."""
    return len(plan(case))


def wants_personal_data(case: Case) -> bool:
    """Does the case file hold a document that carries the parties' personal data in full when disclosed?"""
    return any(item.source in documents.FULL_DATA_KINDS for item in plan(case))


def filed(case: Case) -> CaseFile | None:
    return CaseFile.objects.filter(case=case).select_related("filed_by", "organisation").first()


def _path(n: int, item: Item, case: Case) -> str:
    if item.source.startswith("attachment:"):
        att_id = item.source.split(":")[1]
        att = case.attachments.get(pk=int(att_id))
        ext = att.original_name.rsplit(".", 1)[-1] if "." in att.original_name else "bin"
        return f"{n:02d}-{item.section}-{att.get_category_display()}-{att_id}.{ext}"
    name = documents.FILE_SHEETS[item.source[6:]] if item.source.startswith("sheet:") else documents.KINDS[item.source]
    return f"{n:02d}-{item.section}-{name}.docx"


def _title(case: Case) -> str:
    names = [p.person.name if p.person_id else p.org_name for p in case.parties.select_related("person")]
    return f"{'与'.join(names[:2])}{'等' if len(names) > 2 else ''}{case.dispute_type.name}纠纷"


def _sheet(case: Case, which: str, items: list[Item], paths: list[str], record: CaseFile | None) -> bytes:
    doc = word.document()
    doc.add_heading(documents.FILE_SHEETS[which], level=1)
    number = record.number if record else "（未立卷）"
    if which == "cover":
        sessions = list(case.sessions.values_list("held_at", flat=True))
        dates = (f"{documents._fmt(min(sessions))} 至 {documents._fmt(max(sessions))}" if sessions else "—")
        documents._kv(doc, [
            ("卷名", _title(case)), ("卷宗号", number), ("案件编号", case.number),
            ("调解委员会", record.organisation.name if record else (case.organisation.name if case.organisation_id else "")),
            ("调解员", (case.mediator.display_name or case.mediator.username) if case.mediator_id else ""),
            ("调解日期", dates), ("立卷人", _user(record.filed_by) if record else ""),
            ("立卷日期", documents._fmt(record.filed_at) if record else ""),
            ("保管期限", record.retention if record else f"{settings.XIANGZHI_CASEFILE_RETENTION}（立卷时确定）"),
            ("备注", record.remarks if record else "")])
    elif which == "contents":
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ["件号", "目录项", "材料名称", "文件", "要求"], strict=True):
            cell.text = text
        for n, (item, path) in enumerate(zip(items, paths, strict=True), start=1):
            cells = table.add_row().cells
            cells[0].text, cells[1].text, cells[2].text = f"{n}", item.section, item.title
            cells[3].text, cells[4].text = path, "必须" if item.required else "按需"
    else:
        documents._kv(doc, [
            ("卷宗号", number), ("本卷材料", f"共{len(items)}件（含封面、卷内目录和本表）"),
            ("立卷人", _user(record.filed_by) if record else "（未立卷）"),
            ("立卷时间", documents._fmt(record.filed_at) if record else "—"),
            ("保管期限", record.retention if record else "—"), ("备考", record.remarks if record else "")])
        documents._signatures(doc, ["立卷人", "检查人"])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _user(user) -> str:  # noqa: ANN001
    return user.display_name or user.username


def build(case: Case, disclosure: documents.Disclosure = documents.MASKED) -> tuple[bytes, int]:
    """The ZIP bytes and the number of files in it. Each file is written once; the contents list and SHA256SUMS name
    every file with its hash. Writes nothing: who gets the file with what personal data is
    ``services.documents.casefile``."""
    items = plan(case)
    record = filed(case)
    paths = [_path(n, item, case) for n, item in enumerate(items, start=1)]
    out = io.BytesIO()
    rows: list[tuple[str, str, str, int, str]] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, (item, path) in enumerate(zip(items, paths, strict=True), start=1):
            if item.source.startswith("attachment:"):
                att = case.attachments.get(pk=int(item.source.split(":")[1]))
                with att.file.open("rb") as fh:
                    data = fh.read()
            elif item.source.startswith("sheet:"):
                data = _sheet(case, item.source[6:], items, paths, record)
            else:
                data = documents.render(case, item.source, disclosure)
            zf.writestr(path, data)
            rows.append((f"{n:02d}", item.title, path, len(data), hashlib.sha256(data).hexdigest()))
        listing = io.StringIO()
        w = csv.writer(listing)
        w.writerow(["序号", "材料名称", "文件", "字节数", "SHA-256"])
        w.writerows(rows)
        w.writerow([])
        w.writerow(["案件编号", case.number, "卷宗号", record.number if record else "（未立卷）",
                    timezone.localtime().isoformat()])
        zf.writestr("目录.csv", "\ufeff" + listing.getvalue())
        zf.writestr("SHA256SUMS", "".join(f"{r[4]}  {r[2]}\n" for r in rows))
    return out.getvalue(), len(rows)
