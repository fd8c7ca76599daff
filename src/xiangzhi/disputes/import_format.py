"""The import file of historical cases (.xlsx or .csv): the downloadable template, the streamed readers (lxml
iterparse of the sheet / csv reader, so memory stays flat at any size), the row checks collecting a per-row error
report (row, column, problem), and the progress file of a running import. Writes nothing to the database: the job
that stores the upload, claims it, validates and writes the cases is ``services.importing``."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import pickle
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.models import Region
from xiangzhi.core.text import clean_text

from .enums import CaseStage, ImportStatus
from .models import DisputeType, ImportJob

log = logging.getLogger(__name__)
S = CaseStage
COLUMNS = ["登记日期", "纠纷类型", "村（社区）区划代码", "申请人姓名", "申请人手机号", "被申请人姓名", "纠纷事实",
           "办理结果", "协议内容", "协议金额", "结案日期"]
REQUIRED = {"登记日期", "纠纷类型", "村（社区）区划代码", "申请人姓名", "被申请人姓名", "纠纷事实", "办理结果"}
RESULTS = {"调解成功": S.CLOSED, "已结案": S.CLOSED, "调解终止": S.TERMINATED, "调解不成": S.TERMINATED,
           "不予受理": S.NOT_ACCEPTED}
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
CHUNK = 2000
MAX_STORED_ERRORS = 1000


@dataclass
class RowError:
    row: int
    column: str
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "problem": self.problem}


@dataclass
class Report:
    total: int = 0
    valid: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # validate / write / attest, for the benchmark

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def template_xlsx() -> bytes:
    from xiangzhi.core import xlsx

    wb = xlsx.workbook(write_only=True)
    ws = wb.create_sheet("历史案件")
    xlsx.append(ws, COLUMNS)
    xlsx.append(ws, ["2024-03-05", "邻里纠纷", "330483100201", "张三", "13800000001", "李四",
                     "李四砌围墙占用张三宅基地约一米", "调解成功", "李四拆除占地部分围墙", "0", "2024-03-20"])
    return xlsx.to_bytes(wb)


def read_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(row number as the user sees it, cell texts) for each data row; the header row is checked."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            check_header(header)
            for n, row in enumerate(reader, start=2):
                if any(c.strip() for c in row):
                    yield n, [clean_text(c).strip() for c in row]
        return
    rows = xlsx_rows(path)
    try:
        first = next(rows, None)
        check_header([str(c or "").strip() for c in (first[1] if first else [])])
        for n, row in rows:
            cells = [_cell(c) for c in row]
            if any(cells):
                yield n, cells
    finally:
        rows.close()


# ----------------------------------------------------------------------------------------------------------------
# A streaming reader of the first sheet of an .xlsx (lxml iterparse): the same values as openpyxl's read-only mode
# (shared and inline strings, numbers, booleans, dates from the cell's number format, the 1904 calendar) at several
# times its speed. The shared-string table, which an .xlsx must keep whole, is spilled to a temporary file with an
# offset array once it is large (read back with pread, not mmap, so it stays out of the resident set), so memory
# stays flat in the file size for Excel/WPS files too.
# ----------------------------------------------------------------------------------------------------------------
_M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CJK_DATE_FORMATS = set(range(27, 37)) | set(range(50, 59))  # built-in 年月日 formats of Chinese Excel
SPILL_STRINGS = 20_000


class _SharedStrings:
    def __init__(self) -> None:
        import array

        self.items: list[str] = []
        self.offsets = array.array("q")
        self.file: Any = None

    def add(self, text: str) -> None:
        if self.file is None and len(self.items) < SPILL_STRINGS:
            self.items.append(text)
            return
        if self.file is None:
            import tempfile

            self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
            for item in self.items:
                self._write(item)
            self.items = []
        self._write(text)

    def _write(self, text: str) -> None:
        self.offsets.append(self.file.tell())
        self.file.write(text.encode())

    def freeze(self) -> None:
        if self.file is not None:
            self.offsets.append(self.file.tell())
            self.file.flush()

    def __getitem__(self, i: int) -> str:
        if self.file is None:
            return self.items[i]
        start = self.offsets[i]
        return os.pread(self.file.fileno(), self.offsets[i + 1] - start, start).decode()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _text_of(element: Any) -> str:
    """The text of a shared-string item or an inline string, without phonetic runs (rPh)."""
    return "".join(t.text or "" for t in element.iter(f"{_M}t") if t.getparent().tag != f"{_M}rPh")


def _column_index(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n - 1


def xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, cell values) of the first sheet, streamed; missing cells are None."""
    import posixpath
    import zipfile

    from lxml import etree
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    zf = zipfile.ZipFile(path)
    strings = _SharedStrings()
    try:
        names = set(zf.namelist())
        book = etree.fromstring(zf.read("xl/workbook.xml"), parser)
        pr = book.find(f"{_M}workbookPr")
        epoch = CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") else CALENDAR_WINDOWS_1900
        sheet = book.find(f"{_M}sheets/{_M}sheet")
        if sheet is None:
            return
        rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"), parser)
        target = next(r.get("Target") for r in rels if r.get("Id") == sheet.get(f"{_R}id"))
        sheet_path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        date_styles: set[int] = set()
        if "xl/styles.xml" in names:
            styles = etree.fromstring(zf.read("xl/styles.xml"), parser)
            custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in styles.iter(f"{_M}numFmt")}
            xfs = styles.find(f"{_M}cellXfs")
            for i, xf in enumerate(xfs if xfs is not None else []):
                fid = int(xf.get("numFmtId", 0))
                code = custom.get(fid, BUILTIN_FORMATS.get(fid, "General"))
                if fid in _CJK_DATE_FORMATS or is_date_format(code):
                    date_styles.add(i)
        if "xl/sharedStrings.xml" in names:
            with zf.open("xl/sharedStrings.xml") as fh:
                for _, si in etree.iterparse(fh, tag=f"{_M}si", resolve_entities=False, huge_tree=True):
                    strings.add(_text_of(si))
                    si.clear()
                    while si.getprevious() is not None:
                        del si.getparent()[0]
        strings.freeze()
        v_tag, is_tag, t_tag = f"{_M}v", f"{_M}is", f"{_M}t"
        digits = "0123456789"
        with zf.open(sheet_path) as fh:
            counter = 0
            for _, row in etree.iterparse(fh, tag=f"{_M}row", resolve_entities=False, huge_tree=True):
                counter = int(row.get("r") or counter + 1)
                values: list[Any] = []
                for c in row:  # <c> elements; children: <f>? then <v>, or <is> for inline strings
                    ref = c.get("r")
                    if ref:
                        letters = ref.rstrip(digits)
                        col = ord(letters) - 65 if len(letters) == 1 else _column_index(letters)
                        if col > len(values):
                            values.extend([None] * (col - len(values)))
                    kind = c.get("t", "n")
                    v = None
                    for child in c:
                        if child.tag == v_tag:
                            v = child.text
                        elif child.tag == is_tag:
                            v = child[0].text or "" if len(child) == 1 and child[0].tag == t_tag else _text_of(child)
                            kind = "inline"
                    if not v:  # no value, or a formula never calculated
                        values.append("" if kind == "inline" and v == "" else None)
                    elif kind == "s":
                        values.append(strings[int(v)])
                    elif kind == "n":
                        number: Any = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
                        if int(c.get("s", 0)) in date_styles:
                            number = from_excel(number, epoch)
                        values.append(number)
                    elif kind == "b":
                        values.append(v == "1")
                    else:  # inline, "str" (formula result), "d" (ISO date text), "e" (error)
                        values.append(v)
                row.clear()
                while row.getprevious() is not None:
                    del row.getparent()[0]
                yield counter, values
    finally:
        strings.close()
        zf.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value)).strip()


class HeaderError(ValueError):
    pass


def check_header(header: list[str]) -> None:
    if [h.strip() for h in header[: len(COLUMNS)]] != COLUMNS:
        raise HeaderError("表头与模板不一致，请下载模板后按列填写：" + "、".join(COLUMNS))


class Validator:
    """Checks one row; lookups (types, regions) are loaded once."""

    def __init__(self) -> None:
        types = list(DisputeType.objects.filter(is_active=True).values_list("id", "code", "name"))
        self.types = ({code: pk for pk, code, _ in types} | {name: pk for pk, _, name in types}
                      | {f"{name}纠纷": pk for pk, _, name in types})  # "邻里" and "邻里纠纷" both accepted
        self.regions = {code: (pk, level) for pk, code, level in Region.objects.filter(
            is_active=True, code__startswith=settings.XIANGZHI_COUNTY_CODE).values_list("id", "code", "level")}
        self.tz = ZoneInfo(settings.TIME_ZONE)

    def check(self, n: int, cells: list[str]) -> tuple[dict[str, Any] | None, list[RowError]]:
        cells = (cells + [""] * len(COLUMNS))[: len(COLUMNS)]
        v = dict(zip(COLUMNS, cells, strict=True))
        errs: list[RowError] = []

        def bad(col: str, problem: str) -> None:
            errs.append(RowError(n, col, problem))

        for col in COLUMNS:
            if col in REQUIRED and not v[col]:
                bad(col, "必填")
        clean: dict[str, Any] = {}
        for col, key in (("登记日期", "created"), ("结案日期", "closed")):
            if v[col]:
                try:
                    day = dt.date.fromisoformat(v[col][:10])
                    clean[key] = dt.datetime.combine(day, dt.time(9, 0), tzinfo=self.tz)
                except ValueError:
                    bad(col, "日期格式应为 YYYY-MM-DD")
        if "created" in clean and clean["created"] > timezone.now():
            bad("登记日期", "不能晚于今天")
        if "created" in clean and "closed" in clean and clean["closed"] < clean["created"]:
            bad("结案日期", "不能早于登记日期")
        if v["纠纷类型"] and v["纠纷类型"] not in self.types:
            bad("纠纷类型", f"未知类型“{v['纠纷类型'][:20]}”")
        region = self.regions.get(v["村（社区）区划代码"])
        if v["村（社区）区划代码"] and (region is None or region[1] not in (RegionLevel.VILLAGE, RegionLevel.GRID)):
            bad("村（社区）区划代码", "不是本市的村（社区）或网格代码")
        for col in ("申请人姓名", "被申请人姓名"):
            if len(v[col]) > 60:
                bad(col, "姓名过长")
        if v["申请人手机号"] and not PHONE_RE.match(v["申请人手机号"]):
            bad("申请人手机号", "手机号应为11位数字")
        if len(v["纠纷事实"]) > 5000:
            bad("纠纷事实", "超过5000字")
        result = RESULTS.get(v["办理结果"])
        if v["办理结果"] and result is None:
            bad("办理结果", "应为：" + "、".join(RESULTS))
        if result == S.CLOSED and not v["协议内容"]:
            bad("协议内容", "调解成功的案件须填写协议内容")
        amount = None
        if v["协议金额"]:
            try:
                amount = Decimal(v["协议金额"]).quantize(Decimal("0.01"))
                if amount < 0:
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                bad("协议金额", "应为不小于0的数字")
        if errs:
            return None, errs
        # personal numbers typed into the free text: masked in the text, kept encrypted (as at intake)
        texts, numbers = core.protect_texts({"description": v["纠纷事实"], "agreement_text": v["协议内容"][:5000]})
        clean.update(type_id=self.types[v["纠纷类型"]], region_id=region[0], region_code=v["村（社区）区划代码"],
                     applicant=v["申请人姓名"], phone=v["申请人手机号"], respondent=v["被申请人姓名"],
                     description=texts["description"], stage=result, agreement=texts["agreement_text"], amount=amount,
                     text_numbers=numbers)
        clean.setdefault("closed", clean["created"])
        return clean, []


def validate(path: Path, *, progress: Callable[[int, int, int], None] | None = None,
             spool: Any = None) -> Report:
    """Check every row (streamed); ``progress(rows checked, valid rows, problems)`` is called every CHUNK rows. With a
    ``spool`` (a binary temporary file), the cleaned valid rows are pickled to it chunk by chunk, so the write pass
    neither parses nor validates the file again and memory stays flat."""
    report = Report()
    validator = Validator()
    clean_rows: list[dict[str, Any]] = []
    for n, cells in read_rows(path):
        report.total += 1
        clean, errs = validator.check(n, cells)
        if errs:
            report.error_count += len(errs)
            if len(report.errors) < MAX_STORED_ERRORS:
                report.errors.extend(errs[: MAX_STORED_ERRORS - len(report.errors)])
        else:
            report.valid += 1
            if spool is not None:
                clean_rows.append(clean)
                if len(clean_rows) >= CHUNK:
                    pickle.dump(clean_rows, spool, protocol=pickle.HIGHEST_PROTOCOL)
                    clean_rows = []
        if progress and report.total % CHUNK == 0:
            progress(report.total, report.valid, report.error_count)
    if spool is not None and clean_rows:
        pickle.dump(clean_rows, spool, protocol=pickle.HIGHEST_PROTOCOL)
    return report


def progress_file(job_id: int) -> Path:
    return Path(settings.DATA_DIR) / "run" / "imports" / f"job-{job_id}.json"


def file_progress(job_id: int) -> dict[str, Any] | None:
    try:
        data = json.loads(progress_file(job_id).read_text(encoding="utf-8"))
        data["updated_at"] = dt.datetime.fromisoformat(data["updated_at"])
        return data
    except (OSError, ValueError, KeyError, TypeError):
        return None


def live_progress(job: ImportJob) -> ImportJob:
    """``job`` with the progress of a write phase still in its transaction laid over it (SQLite: see
    :class:`_Progress`); a job in any other state, or on PostgreSQL, is returned as it is."""
    if job.status == ImportStatus.IMPORTING:
        data = file_progress(job.pk)
        if data is not None and data["updated_at"] >= (job.updated_at or data["updated_at"]):
            job.imported_rows = int(data.get("imported_rows", job.imported_rows))
            job.updated_at = data["updated_at"]
    return job
