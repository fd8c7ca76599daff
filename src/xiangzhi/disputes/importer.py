"""Import of historical cases from .xlsx or .csv (downloadable template).

Two streamed passes over the file (openpyxl ``read_only`` / csv reader, so memory stays flat at any size):
1. validate every row, collecting a per-row error report (row, column, problem);
2. write: all-or-nothing by default (one transaction; nothing is written if any row is invalid), or only the valid
   rows (``mode="valid"``, chunk by chunk). Cases get numbers from the year's counter, parties are stored with
   encrypted phones and blind indexes, and each case gets a "历史案件导入" timeline row; rows are written with
   ``bulk_create`` in chunks. Progress is kept on the ImportJob row (rows validated / written).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xiangzhi.core import crypto
from xiangzhi.core import services as core
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.models import Person, Region, User

from .enums import CaseSource, CaseStage, Channel, Consent, EventKind, Level, PartyRole
from .models import Case, CaseCounter, DisputeType, Party, TimelineEvent
from .models_part2 import ImportJob

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
    bad_rows: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("历史案件")
    ws.append(COLUMNS)
    ws.append(["2024-03-05", "邻里纠纷", "330483100201", "张三", "13800000001", "李四",
               "李四砌围墙占用张三宅基地约一米", "调解成功", "李四拆除占地部分围墙", "0", "2024-03-20"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(row number as the user sees it, cell texts) for each data row; the header row is checked."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            _check_header(header)
            for n, row in enumerate(reader, start=2):
                if any(c.strip() for c in row):
                    yield n, [c.strip() for c in row]
        return
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        _check_header([str(c or "").strip() for c in next(rows, ())])
        for n, row in enumerate(rows, start=2):
            cells = [_cell(c) for c in row]
            if any(cells):
                yield n, cells
    finally:
        wb.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class HeaderError(ValueError):
    pass


def _check_header(header: list[str]) -> None:
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
        clean.update(type_id=self.types[v["纠纷类型"]], region_id=region[0], region_code=v["村（社区）区划代码"],
                     applicant=v["申请人姓名"], phone=v["申请人手机号"], respondent=v["被申请人姓名"],
                     description=v["纠纷事实"], stage=result, agreement=v["协议内容"][:5000], amount=amount)
        clean.setdefault("closed", clean["created"])
        return clean, []


def validate(path: Path, *, progress: Callable[[int], None] | None = None) -> Report:
    report = Report()
    validator = Validator()
    for n, cells in read_rows(path):
        report.total += 1
        _, errs = validator.check(n, cells)
        if errs:
            report.error_count += len(errs)
            report.bad_rows.add(n)
            if len(report.errors) < MAX_STORED_ERRORS:
                report.errors.extend(errs[: MAX_STORED_ERRORS - len(report.errors)])
        else:
            report.valid += 1
        if progress and report.total % CHUNK == 0:
            progress(report.total)
    return report


def _reserve(year: int, count: int) -> int:
    """Reserve ``count`` sequence numbers of ``year``; returns the first."""
    counter = CaseCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        CaseCounter.objects.create(year=year, last=0)
        counter = CaseCounter.objects.select_for_update().get(year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return first


def _write_chunk(rows: list[dict[str, Any]], job_id: int | None) -> int:
    from .services import format_archive_number, format_number, new_token

    by_year: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        by_year.setdefault(timezone.localtime(r["created"]).year, []).append(r)
    cases: list[Case] = []
    for year, items in sorted(by_year.items()):
        seq = _reserve(year, len(items))
        for r in items:
            cases.append(Case(
                year=year, seq=seq, number=format_number(year, seq), archive_number=format_archive_number(year, seq),
                token=new_token(), stage=r["stage"], stage_changed_at=r["closed"], channel=Channel.WINDOW,
                source=CaseSource.APPLICATION, dispute_type_id=r["type_id"], region_id=r["region_id"],
                region_code=r["region_code"], level=Level.VILLAGE, description=r["description"],
                agreement_text=r["agreement"], agreement_amount=r["amount"],
                agreement_effective_at=r["closed"] if r["stage"] == S.CLOSED else None,
                outcome_reason="no_agreement" if r["stage"] == S.TERMINATED else (
                    "other" if r["stage"] == S.NOT_ACCEPTED else ""),
                outcome_note="历史案件导入", created_at=r["created"], closed_at=r["closed"],
            ))
            seq += 1
    Case.objects.bulk_create(cases, batch_size=1000)
    if cases[0].pk is None:  # backends that do not return ids from bulk inserts
        ids = dict(Case.objects.filter(number__in=[c.number for c in cases]).values_list("number", "id"))
        for c in cases:
            c.pk = ids[c.number]
    people = []
    for c, r in zip(cases, [r for _, items in sorted(by_year.items()) for r in items], strict=True):
        phone_index = crypto.blind_index(r["phone"], purpose="person.phone") if r["phone"] else None
        people.append((c, Person(name=r["applicant"], phone=r["phone"], phone_index=phone_index,
                                 region_id=r["region_id"]), Person(name=r["respondent"])))
    Person.objects.bulk_create([p for _, a, b in people for p in (a, b)], batch_size=1000)
    Party.objects.bulk_create(
        [Party(case=c, role=PartyRole.APPLICANT, person=a, order=0, consent=Consent.AGREED) for c, a, _ in people]
        + [Party(case=c, role=PartyRole.RESPONDENT, person=b, order=1) for c, _, b in people], batch_size=1000)
    TimelineEvent.objects.bulk_create([
        TimelineEvent(case=c, kind=EventKind.CREATED, at=c.created_at, actor_label="历史导入", text="历史案件导入",
                      stage_to=c.stage, public=False, payload={"case": c.number, "import_job": job_id})
        for c in cases], batch_size=1000)
    return len(cases)


def import_file(path: Path, *, actor: User | None, mode: str = "all",
                progress: Callable[[str, int], None] | None = None) -> tuple[ImportJob, Report]:
    """Validate then import. ``mode="all"``: nothing is written if any row is invalid. ``mode="valid"``: the valid
    rows are written and the invalid ones reported. Side effects: the ImportJob row (progress, errors), cases,
    persons, parties, timeline rows, one audit row."""
    if mode not in ("all", "valid"):
        raise ValueError(mode)
    job = ImportJob.objects.create(file_name=path.name[:200], mode=mode, created_by=actor)

    def tick(stage: str, n: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=n, status=stage)
        if progress:
            progress(stage, n)

    try:
        report = validate(path, progress=lambda n: tick("validating", n))
    except HeaderError as exc:
        report = Report(errors=[RowError(1, "表头", str(exc))], error_count=1)
    job.total_rows, job.errors = report.total, [e.as_dict() for e in report.errors]
    if report.total == 0 or (mode == "all" and not report.ok):
        job.status, job.finished_at = "refused", timezone.now()
        job.save(update_fields=["total_rows", "errors", "status", "finished_at"])
        return job, report
    validator = Validator()
    written = 0
    buffer: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal written
        if buffer:
            with transaction.atomic():
                written += _write_chunk(buffer, job.pk)
            buffer.clear()
            if mode == "valid":
                tick("importing", written)

    with transaction.atomic():  # all-or-nothing in "all" mode; chunks commit in savepoints either way
        for n, cells in read_rows(path):
            if n in report.bad_rows:
                continue
            clean, errs = validator.check(n, cells)
            if clean is None:
                continue
            buffer.append(clean)
            if len(buffer) >= CHUNK:
                flush()
        flush()
        core.audit("case.imported", actor=actor, object_type="import", object_id=job.pk,
                   after={"rows": report.total, "imported": written, "errors": report.error_count, "mode": mode})
    report.imported = written
    job.imported_rows, job.processed_rows, job.status, job.finished_at = written, report.total, "done", timezone.now()
    job.save(update_fields=["total_rows", "errors", "imported_rows", "processed_rows", "status", "finished_at"])
    return job, report
