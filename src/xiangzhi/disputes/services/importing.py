"""Import of historical cases from .xlsx or .csv (the file format, the template and the row checks are
``disputes.import_format``), as a background job.

The page or the API stores the upload and creates a queued ImportJob (:func:`start_import`); the task
(``tasks.import_cases``, run by ``xiangzhi worker``) claims it with one guarded UPDATE (:func:`claim`), so a job
re-run or picked by two workers is imported once, then:
1. validates every row in one streamed pass over the file (lxml iterparse of the sheet / csv reader, so memory stays
   flat at any size), collecting a per-row error report (row, column, problem), progress committed as it goes, and
   spooling the cleaned valid rows to a temporary file chunk by chunk;
2. writes them, in one transaction: all-or-nothing by default (nothing is written if any row is invalid), or only the
   valid rows (``mode="valid"``), chunk by chunk through ``intake.create_historical`` and a ``records.Batch``: cases
   get numbers from the year's counter, parties are stored with encrypted phones and blind indexes, and each case
   gets a "历史案件导入" timeline row, one INSERT per table; then every timeline row and each case's state are attested
   in the ledger (``records.attest_written``, batched) and the job is audited, in the same transaction. Progress (rows validated / written of the total) is kept on the ImportJob row.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import pickle
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.errors import ValidationFailed, XiangzhiError
from xiangzhi.core.models import User

from .. import rules
from ..enums import EventKind, ImportStatus
from ..import_format import (
    HeaderError,
    Report,
    RowError,
    check_header,
    file_progress,
    progress_file,
    validate,
)
from ..models import ImportJob
from .intake import create_historical
from .records import Batch, attest_written

log = logging.getLogger(__name__)


def _spooled(spool: Any) -> Iterator[list[dict[str, Any]]]:
    spool.seek(0)
    while True:
        try:
            yield pickle.load(spool)  # noqa: S301 - our own temporary file, written by validate() above
        except EOFError:
            return


def _write_chunk(rows: list[dict[str, Any]], job_id: int | None) -> tuple[int, tuple[int, int]]:
    """Write one chunk of validated rows (``intake.create_historical``: cases, persons, parties, the numbers in their
    texts, one "历史案件导入" event each; the ledger leaves come at the end, :func:`_attest`). Returns the count and the
    id range of the timeline rows written."""
    batch = Batch()
    cases = create_historical(rows, job_id=job_id, batch=batch)
    ids = [e.pk for e in batch.write(attest=False, notify=False)]
    return len(cases), (min(ids), max(ids))


# ----------------------------------------------------------------------------------------------------------------
# Upload → background job
# ----------------------------------------------------------------------------------------------------------------
SUFFIXES = (".xlsx", ".csv")
MODES = ("all", "valid")
_DIMENSION_RE = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')


def check_upload(name: str, size: int, mode: str) -> str:
    """The file's suffix, or ValidationFailed with a Chinese message (type, size, mode)."""
    suffix = Path(name or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationFailed("IMPORT_FILE_TYPE", "请上传 .xlsx 或 UTF-8 编码的 .csv 文件（可下载模板填写）。")
    if size <= 0:
        raise ValidationFailed("IMPORT_FILE_EMPTY", "文件是空的。")
    if size > settings.XIANGZHI_MAX_UPLOAD_BYTES:
        limit = settings.XIANGZHI_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise ValidationFailed("IMPORT_FILE_TOO_LARGE", f"文件超过 {limit} MB，请分成几个文件导入。")
    if mode not in MODES:
        raise ValidationFailed("IMPORT_MODE", "导入方式应为“全部正确才导入”或“只导入正确的行”。")
    return suffix


def start_import(upload: Any | None, *, actor: User, mode: str = "all") -> ImportJob:
    """Store an uploaded file (any object with ``name``, ``size`` and ``chunks()``, e.g. an UploadedFile), create its
    ImportJob (queued) and enqueue the background task once the transaction commits. A file that is not an .xlsx
    (zip) or whose csv header differs from the template is refused here, before anything is stored.
    Side effects: the stored file, the ImportJob row, an audit row, one task queued."""
    if not rules.can_import(actor):
        raise XiangzhiError("FORBIDDEN", "只有县、镇司法行政人员可以导入历史案件。", status=403)
    if upload is None:
        raise ValidationFailed("IMPORT_FILE_REQUIRED", "请选择要导入的文件。")
    suffix = check_upload(upload.name, upload.size, mode)
    head = next(iter(upload.chunks()), b"")
    if hasattr(upload, "seek"):
        upload.seek(0)
    if suffix == ".xlsx" and not head.startswith(b"PK"):
        raise ValidationFailed("IMPORT_FILE_UNREADABLE", "无法读取该文件：不是有效的 .xlsx 文件。")
    if suffix == ".csv":
        try:
            first = head.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
        except UnicodeDecodeError:
            raise ValidationFailed("IMPORT_FILE_UNREADABLE", "无法读取该文件：CSV 须为 UTF-8 编码。") from None
        try:
            check_header(next(csv.reader([first])))
        except HeaderError as exc:
            raise ValidationFailed("IMPORT_HEADER", str(exc)) from None
    from django.core.files.base import File

    with transaction.atomic():
        job = ImportJob(file_name=Path(upload.name).name[:200], mode=mode, created_by=actor)
        job.file.save(f"upload{suffix}", File(upload, name=f"upload{suffix}"), save=False)
        job.save()
        core.audit("case.import_queued", actor=actor, obj=job,
                   after={"file": job.file_name, "mode": mode, "bytes": upload.size})
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from ..tasks import import_cases

    import_cases.enqueue(job_id)


STALLED_AFTER = dt.timedelta(minutes=30)


def requeue_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=10),
                  stalled_after: dt.timedelta = STALLED_AFTER) -> int:
    """Enqueue again the jobs still queued after ``older_than`` (an enqueue lost with its transaction, a task row
    deleted), and put back in the queue the jobs whose worker stopped reporting progress for ``stalled_after`` (a
    worker killed mid-job: its write transaction was rolled back, so nothing of the job is stored). Harmless when
    the first task is merely waiting: whichever task runs first claims the job, the other finds it taken; and a
    worker that was only slow finds at its commit that the job is no longer its own and rolls back
    (:class:`LostClaim`), so a job is never imported twice. Run by ``runperiodic``."""
    now = timezone.now()
    stalled = list(ImportJob.objects.filter(status__in=[ImportStatus.VALIDATING, ImportStatus.IMPORTING],
                                            updated_at__lt=now - stalled_after)
                   .exclude(file="").values_list("id", "worker", "status")[:100])
    # a SQLite write phase reports through its progress file, not the row (see _Progress)
    stalled = [job for job in stalled if not _reported_since(job[0], now - stalled_after)]
    for job_id, worker, status in stalled:
        with transaction.atomic():
            taken_back = ImportJob.objects.filter(pk=job_id, worker=worker, status=status).update(
                status=ImportStatus.QUEUED, worker="", processed_rows=0, valid_rows=0, imported_rows=0,
                error_count=0, errors=[], message="上次处理中断，已重新排队。", updated_at=now)
            if taken_back:
                core.audit("case.import_requeued", actor=None, obj=ImportJob(pk=job_id),
                           after={"stalled_worker": worker, "stage": status})
    ids = list(ImportJob.objects.filter(status=ImportStatus.QUEUED)
               .filter(models.Q(created_at__lt=now - older_than) | models.Q(pk__in=[j for j, _, _ in stalled]))
               .values_list("id", flat=True)[:100])
    for job_id in ids:
        _enqueue(job_id)
    return len(ids)


class LostClaim(RuntimeError):
    """The job was taken back from this worker (it looked stalled); this run must write nothing."""


def _still_mine(job: ImportJob, held_in: str, **fields: Any) -> None:
    """Update the job only while this worker still holds it in status ``held_in``; else raise :class:`LostClaim`."""
    if not ImportJob.objects.filter(pk=job.pk, worker=job.worker, status=held_in).update(**fields):
        raise LostClaim(f"import job {job.pk} is no longer held by {job.worker}")


def _expected_rows(path: Path) -> int:
    """A cheap estimate of the data rows before validation: the sheet's <dimension> (written by Excel and WPS), or
    the csv's line count. 0 when unknown."""
    import zipfile

    try:
        if path.suffix.lower() == ".csv":
            with path.open("rb") as fh:
                return max(sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1, 0)
        with zipfile.ZipFile(path) as zf:
            sheets = sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
            if not sheets:
                return 0
            with zf.open(sheets[0]) as fh:
                m = _DIMENSION_RE.search(fh.read(4096))
            return max(int(m.group(1)) - 1, 0) if m else 0
    except (OSError, ValueError, zipfile.BadZipFile):
        return 0


class _Progress:
    """Writes the job's progress where other requests can read it at once. Outside a transaction that is a plain
    UPDATE. Inside the write transaction (all or nothing) an UPDATE in it would stay invisible until the commit, so on
    PostgreSQL it goes through a second, autocommit connection (the write transaction never locks the job row, so
    the two never wait for each other). SQLite has a single writer, whose lock the write transaction holds: there
    the figures go to a small file beside the database (one machine), which :func:`live_progress` lays over the
    row while the job is writing and which is removed when the job ends."""

    def __init__(self, job_id: int) -> None:
        from django.db import connection

        self.job_id = job_id
        self.side = None
        self.vendor = connection.vendor
        self.in_write_transaction = False

    def __call__(self, **fields: Any) -> None:
        from django.db import DatabaseError, connections

        fields["updated_at"] = timezone.now()
        if not self.in_write_transaction:
            ImportJob.objects.filter(pk=self.job_id).update(**fields)
            return
        if self.vendor != "postgresql":
            self._write_file(fields)
            return
        try:
            if self.side is None:
                self.side = connections.create_connection("default")
                with self.side.cursor() as cur:
                    cur.execute("SET lock_timeout = '2s'")
            meta = ImportJob._meta
            cols = [meta.get_field(k).column for k in fields]
            sets = ", ".join(f"{self.side.ops.quote_name(c)} = %s" for c in cols)
            with self.side.cursor() as cur:
                cur.execute(f"UPDATE {self.side.ops.quote_name(meta.db_table)} SET {sets} WHERE id = %s",  # noqa: S608 - column names from the model, values bound
                            [*fields.values(), self.job_id])
        except DatabaseError:  # progress is advisory; the import itself must not fail for it
            self.close()

    def _write_file(self, fields: dict[str, Any]) -> None:
        path = progress_file(self.job_id)
        data = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in fields.items()}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, path)  # readers see the old figures or the new ones, never half a file
        except OSError:  # progress is advisory; the import itself must not fail for it
            log.warning("could not write the progress of import job %s to %s", self.job_id, path, exc_info=True)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None
        progress_file(self.job_id).unlink(missing_ok=True)


def _reported_since(job_id: int, since: dt.datetime) -> bool:
    data = file_progress(job_id)
    return data is not None and data["updated_at"] >= since


def claim(job_id: int, *, worker: str) -> bool:
    """Take a queued job for this worker with one guarded UPDATE; False when another worker (or an earlier run of the
    same task) has it already, so a job is never imported twice."""
    now = timezone.now()
    return bool(ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.VALIDATING, worker=worker[:100], started_at=now, updated_at=now))


def worker_name() -> str:
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(job_id: int, *, worker: str = "", path: Path | None = None) -> ImportJob | None:
    """Claim and run one import job (the background task calls this). Returns the finished job, or None when the job
    was not queued (already claimed, finished or unknown). An unexpected error marks the job failed; in that case
    nothing of it is written (the write phase is one transaction)."""
    if not claim(job_id, worker=worker or worker_name()):
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        if path is not None:
            _run(job, path)
        else:
            with _local_file(job) as local:
                _run(job, local)
            _discard_file(job)
    except LostClaim:
        log.warning("import job %s was taken back from %s; nothing written", job_id, job.worker)
        return None
    except Exception as exc:  # noqa: BLE001 - any failure ends the job visibly, nothing half-written
        log.exception("import job %s failed", job_id)
        message = "文件无法读取，请使用模板（.xlsx 或 UTF-8 编码的 .csv）。" if _unreadable(exc) else (
            "导入失败，未写入任何数据，请稍后重试或联系管理员。")
        with transaction.atomic():
            ImportJob.objects.filter(pk=job_id, worker=job.worker).update(status=ImportStatus.FAILED, message=message,
                                                       imported_rows=0, finished_at=timezone.now(),
                                                       updated_at=timezone.now())
            core.audit("case.import_failed", actor=job.created_by, obj=job, after={"error": type(exc).__name__})
        _discard_file(job)
    job.refresh_from_db()
    return job


def _discard_file(job: ImportJob) -> None:
    """The uploaded spreadsheet holds names and phone numbers in clear text: once the job is over it is deleted
    (what was imported is stored encrypted; the error report stays on the job)."""
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def _unreadable(exc: Exception) -> bool:
    """A file the readers cannot parse (not a server fault)."""
    import zipfile

    from openpyxl.utils.exceptions import InvalidFileException

    return isinstance(exc, (zipfile.BadZipFile, InvalidFileException, UnicodeDecodeError, csv.Error, KeyError,
                            ValueError, EOFError))


class _local_file:  # noqa: N801 - used as a context manager
    """The stored upload as a local path (the storage's own path, or a temporary copy for remote storages)."""

    def __init__(self, job: ImportJob) -> None:
        self.job, self.tmp = job, None

    def __enter__(self) -> Path:
        try:
            return Path(self.job.file.path)
        except NotImplementedError:
            import tempfile

            self.tmp = tempfile.NamedTemporaryFile(suffix=Path(self.job.file.name).suffix, delete=False)  # noqa: SIM115
            with self.job.file.open("rb") as src:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    self.tmp.write(chunk)
            self.tmp.close()
            return Path(self.tmp.name)

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            Path(self.tmp.name).unlink(missing_ok=True)


def _run(job: ImportJob, path: Path) -> Report:
    import tempfile

    progress = _Progress(job.pk)
    try:
        with tempfile.TemporaryFile(prefix="xz-import-") as spool:
            return _validate_and_write(job, path, progress, spool)
    finally:
        progress.close()


def _validate_and_write(job: ImportJob, path: Path, progress: _Progress, spool: Any) -> Report:
    actor = job.created_by
    progress(expected_rows=_expected_rows(path))
    # 1. validate every row (progress committed as it goes; nothing written yet)
    t0 = time.perf_counter()
    try:
        report = validate(path, progress=lambda n, valid, errs: progress(processed_rows=n, valid_rows=valid,
                                                                          error_count=errs), spool=spool)
    except HeaderError as exc:
        report = Report(errors=[RowError(1, "表头", str(exc))], error_count=1)
    report.seconds["validate"] = time.perf_counter() - t0
    job.total_rows, job.processed_rows, job.valid_rows = report.total, report.total, report.valid
    job.error_count, job.errors = report.error_count, [e.as_dict() for e in report.errors]
    if report.total == 0 and not report.errors:
        job.errors = [RowError(2, "", "文件中没有数据行").as_dict()]
        job.error_count = 1
    if report.valid == 0 or (job.mode == "all" and not report.ok):
        with transaction.atomic():
            job.message = "有错误，未导入任何案件。请按错误清单修改后重新上传。" if job.mode == "all" else "没有可导入的行。"
            _still_mine(job, ImportStatus.VALIDATING, total_rows=job.total_rows, processed_rows=job.processed_rows,
                        valid_rows=job.valid_rows, error_count=job.error_count, errors=job.errors,
                        status=ImportStatus.REFUSED, finished_at=timezone.now(), message=job.message)
            job.refresh_from_db()
            core.audit("case.import_refused", actor=actor, obj=job,
                       after={"rows": report.total, "errors": job.error_count, "mode": job.mode})
        return report
    _still_mine(job, ImportStatus.VALIDATING,
                status=ImportStatus.IMPORTING, total_rows=report.total, processed_rows=report.total,
                valid_rows=report.valid, error_count=job.error_count, errors=job.errors, updated_at=timezone.now())
    # 2. write the valid rows (as cleaned by the validation pass) and attest them — one transaction: the job is
    #    written whole or not at all
    written = 0
    event_ranges: list[tuple[int, int]] = []
    with transaction.atomic():
        progress.in_write_transaction = True
        for rows in _spooled(spool):
            n, ids = _write_chunk(rows, job.pk)
            written += n
            event_ranges.append(ids)
            progress(imported_rows=written)
        if written != report.valid:
            raise RuntimeError(f"rows changed during import: {written} written, {report.valid} validated")
        t1 = time.perf_counter()
        report.seconds["write"] = t1 - t0 - report.seconds["validate"]
        _attest(job.pk, event_ranges)
        report.seconds["attest"] = time.perf_counter() - t1
        core.audit("case.imported", actor=actor, obj=job, after={
            "file": job.file_name, "rows": report.total, "imported": written, "errors": report.error_count,
            "mode": job.mode})
        # still this worker's job? (taken back as stalled, it must not commit: the rollback undoes every row above)
        held = ImportJob.objects.select_for_update().filter(pk=job.pk).values_list("worker", "status").first()
        if held != (job.worker, ImportStatus.IMPORTING):
            raise LostClaim(f"import job {job.pk} is no longer held by {job.worker}")
        job.status, job.imported_rows, job.finished_at = ImportStatus.DONE, written, timezone.now()
        job.message = f"已导入 {written} 件历史案件。" + (
            f"另有 {report.total - report.valid} 行有错误，未导入。" if report.total > report.valid else "")
        job.updated_at = job.finished_at
        job.save(update_fields=["total_rows", "processed_rows", "valid_rows", "error_count", "errors", "status",
                                "imported_rows", "finished_at", "message", "updated_at"])
    progress.in_write_transaction = False
    report.imported = written
    return report


def _attest(job_id: int | None, event_ranges: list[tuple[int, int]]) -> int:
    """Append the import's timeline rows and each case's state to the tamper-evident ledger (区块链存证), like every
    other case event, inside the import's transaction, after all rows are written: the ledger's lock (which serialises
    every appender in the county) is held only for this phase, not for the whole import (``records.attest_written``:
    read back by id range, only this job's rows)."""
    return attest_written(event_ranges, kind=EventKind.CREATED, payload={"import_job": job_id})


def import_file(path: Path, *, actor: User | None, mode: str = "all") -> tuple[ImportJob, Report]:
    """Validate then import a local file at once, in this process (tests, benchmarks, the management shell): the
    same job and code path as the background task."""
    if mode not in MODES:
        raise ValueError(mode)
    job = ImportJob.objects.create(file_name=path.name[:200], mode=mode, created_by=actor)
    if not claim(job.pk, worker=worker_name()):
        raise RuntimeError("job claimed by another worker")
    job = ImportJob.objects.select_related("created_by").get(pk=job.pk)
    report = _run(job, path)
    job.refresh_from_db()
    return job, report


