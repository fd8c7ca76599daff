"""Import of historical cases as a background job: upload → stored file + queued job → the worker claims it once →
progress (rows validated / written) → per-row error report; the same through the API; every imported case attested
in the tamper-evident ledger, the job audited."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tests.conftest import WUZHEN, first_village

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def rows(n: int, village: str) -> list[list[str]]:
    return [["2024-03-05", "邻里纠纷", village, f"张{i}", f"138{i:08d}", f"李{i}", f"第{i}号纠纷：围墙占地",
             "调解成功", "拆除围墙", "100", "2024-03-20"] for i in range(n)]


def xlsx_bytes(data: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    from xiangzhi.disputes.import_format import COLUMNS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("历史案件")
    ws.append(COLUMNS)
    for r in data:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(data: list[list[str]]) -> bytes:
    from xiangzhi.disputes.import_format import COLUMNS

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(COLUMNS)
    w.writerows(data)
    return out.getvalue().encode("utf-8-sig")


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, XLSX if name.endswith(".xlsx") else "text/csv")


def imported_count() -> int:
    from xiangzhi.disputes.models import Case

    return Case.objects.filter(outcome_note="历史案件导入").count()


def test_the_page_stores_the_file_queues_the_job_and_shows_progress_then_the_result(
        town_staff, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from xiangzhi.disputes import tasks
    from xiangzhi.disputes.models import ImportJob

    c = town_staff.client()
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/cases/import/", {"file": upload("历史.xlsx", xlsx_bytes(rows(5, first_village(WUZHEN).code))),
                                      "mode": "all"})
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/import/{job.pk}/"
    assert job.status == "queued" and job.file_name == "历史.xlsx" and job.file.name.endswith(".xlsx")
    assert job.created_by == town_staff.user and imported_count() == 0  # nothing imported inside the request
    queued = DBTaskResult.objects.get(task_path__endswith="import_cases")
    assert queued.args_kwargs["args"] == [job.pk]
    page = c.get(f"/cases/import/{job.pk}/").content.decode()
    assert "排队等待" in page and 'hx-trigger="every 2s"' in page  # htmx polls while the job runs

    result = tasks.import_cases.call(job.pk)  # what the worker runs
    assert result == {"job": job.pk, "status": "done", "imported": 5, "errors": 0}
    card = c.get(f"/cases/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert card.startswith('<div id="import-job"') and "hx-trigger" not in card  # polling stops when done
    assert "已完成" in card and "已写入 5 / 5 行" in card and "已导入 5 件历史案件" in card
    assert imported_count() == 5


def test_a_refused_file_shows_the_per_row_error_report_and_writes_nothing(town_staff):
    from xiangzhi.disputes import tasks
    from xiangzhi.disputes.services import importing

    data = rows(30, first_village(WUZHEN).code)
    data[7][0] = "2024-02-30"
    data[20][2] = "110101001001"
    job = importing.start_import(upload("h.csv", csv_bytes(data)), actor=town_staff.user, mode="all")
    tasks.import_cases.call(job.pk)
    job.refresh_from_db()
    assert job.status == "refused" and job.total_rows == 30 and job.valid_rows == 28 and job.imported_rows == 0
    assert job.errors == [{"row": 9, "column": "登记日期", "problem": "日期格式应为 YYYY-MM-DD"},
                          {"row": 22, "column": "村（社区）区划代码", "problem": "不是本市的村（社区）或网格代码"}]
    page = town_staff.client().get(f"/cases/import/{job.pk}/").content.decode()
    assert "错误清单" in page and "<td>22</td>" in page and "未导入任何案件" in page
    assert imported_count() == 0


def test_running_the_job_twice_imports_it_once(town_staff):
    from xiangzhi.disputes import tasks
    from xiangzhi.disputes.services import importing

    job = importing.start_import(upload("h.xlsx", xlsx_bytes(rows(4, first_village(WUZHEN).code))),
                                actor=town_staff.user)
    assert tasks.import_cases.call(job.pk)["imported"] == 4
    again = tasks.import_cases.call(job.pk)  # a re-enqueued or retried task finds the job taken
    assert again["status"].startswith("not queued") and imported_count() == 4
    assert importing.run_job(job.pk) is None and importing.claim(job.pk, worker="other") is False


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_picking_the_same_job_import_it_once(town_staff):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL and real concurrent connections")
    from django.db import connections

    from xiangzhi.disputes.services import importing
    from xiangzhi.disputes.services.routing import ensure_reference_data

    ensure_reference_data()
    job = importing.start_import(upload("h.csv", csv_bytes(rows(50, first_village(WUZHEN).code))),
                                actor=town_staff.user)
    barrier, results = threading.Barrier(2), []

    def worker(name: str) -> None:
        try:
            barrier.wait()
            results.append(importing.run_job(job.pk, worker=name))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in results if r is not None]
    assert len(results) == 2 and len(done) == 1 and done[0].status == "done"
    assert imported_count() == 50


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_written_rows_are_visible_to_other_requests_during_the_write_transaction(town_staff):
    """On PostgreSQL the write phase is one transaction; its progress goes through a second connection."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SQLite has a single writer)")
    from django.db import transaction

    from xiangzhi.disputes.models import ImportJob
    from xiangzhi.disputes.services.importing import _Progress

    job = ImportJob.objects.create(file_name="x.xlsx", created_by=town_staff.user)
    progress = _Progress(job.pk)
    try:
        with transaction.atomic():
            progress.in_write_transaction = True
            progress(imported_rows=2000)
            seen = []

            def look() -> None:  # another request, on its own connection
                from django.db import connections

                seen.append(ImportJob.objects.get(pk=job.pk).imported_rows)
                connections.close_all()

            t = threading.Thread(target=look)
            t.start()
            t.join()
            assert seen == [2000]
    finally:
        progress.close()


@pytest.mark.parametrize(("name", "content", "code", "words"), [
    ("h.txt", b"x", "IMPORT_FILE_TYPE", "请上传 .xlsx"),
    ("h.csv", b"a,b,c\n1,2,3\n", "IMPORT_HEADER", "表头与模板不一致"),
    ("h.csv", "登记日期,纠纷类型\n".encode("gbk"), "IMPORT_FILE_UNREADABLE", "UTF-8"),
    ("h.xlsx", b"not a zip file", "IMPORT_FILE_UNREADABLE", "不是有效的 .xlsx"),
    ("h.csv", b"", "IMPORT_FILE_EMPTY", "空的"),
])
def test_a_bad_upload_is_refused_at_once_with_a_chinese_message_and_nothing_stored(
        town_staff, name, content, code, words):
    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.disputes.models import ImportJob
    from xiangzhi.disputes.services import importing

    with pytest.raises(ValidationFailed) as exc:
        importing.start_import(upload(name, content), actor=town_staff.user)
    assert exc.value.code == code and words in exc.value.message
    assert not ImportJob.objects.exists()
    r = town_staff.client().post("/cases/import/", {"file": upload(name, content)})
    assert r.status_code == 200 and words in r.content.decode() and not ImportJob.objects.exists()


def test_a_file_too_large_is_refused(town_staff, settings):
    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.disputes.services import importing

    settings.XIANGZHI_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationFailed, match="超过"):
        importing.start_import(upload("h.csv", csv_bytes(rows(40, "330483100201"))), actor=town_staff.user)


def test_a_corrupt_xlsx_fails_the_job_with_a_message_and_writes_nothing(town_staff):
    from xiangzhi.disputes import tasks
    from xiangzhi.disputes.services import importing

    job = importing.start_import(upload("h.xlsx", b"PK\x03\x04 truncated"), actor=town_staff.user)
    assert tasks.import_cases.call(job.pk)["status"] == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "无法读取" in job.message and imported_count() == 0


def test_the_api_uploads_and_reports_progress_and_errors(town_staff, centre_staff, mediator):
    from xiangzhi.disputes import tasks

    village = first_village(WUZHEN).code
    data = rows(6, village)
    data[2][1] = "不存在的类型"
    c = town_staff.client()
    r = c.post("/api/v1/cases/imports/jobs", {"file": upload("h.csv", csv_bytes(data)), "mode": "valid"})
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "queued" and body["status_label"] == "排队等待" and body["mode"] == "valid"
    assert body["expected_rows"] == 0 and body["errors"] == []
    tasks.import_cases.call(body["id"])
    done = c.get(f"/api/v1/cases/imports/jobs/{body['id']}").json()
    assert done["status"] == "done" and done["percent"] == 100 and done["expected_rows"] == 6
    assert (done["total_rows"], done["valid_rows"], done["imported_rows"], done["error_count"]) == (6, 5, 5, 1)
    assert done["errors"] == [{"row": 4, "column": "纠纷类型", "problem": "未知类型“不存在的类型”"}]
    # another importer's job, and a mediator (who may not import), get 404 with the structured error
    assert centre_staff.client().get(f"/api/v1/cases/imports/jobs/{body['id']}").json()["code"] == "NOT_FOUND"
    assert mediator.client().get(f"/api/v1/cases/imports/jobs/{body['id']}").status_code == 404
    r = mediator.client().post("/api/v1/cases/imports/jobs", {"file": upload("h.csv", csv_bytes(data))})
    assert r.status_code == 404
    bad = c.post("/api/v1/cases/imports/jobs", {"file": upload("h.csv", b"a,b\n"), "mode": "all"})
    assert bad.status_code == 422 and bad.json()["code"] == "IMPORT_HEADER"
    bad = c.post("/api/v1/cases/imports/jobs", {"file": upload("h.csv", csv_bytes(data)), "mode": "some"})
    assert bad.status_code == 422 and bad.json()["code"] == "INVALID_INPUT"  # the schema lists the modes
    assert bad.json()["detail"][0]["loc"][-1] == "mode"


def test_imported_cases_are_attested_in_the_ledger_and_the_job_is_audited(town_staff):
    from xiangzhi.core.models import AuditLog
    from xiangzhi.disputes import attestation, tasks
    from xiangzhi.disputes.models import Case, TimelineEvent
    from xiangzhi.disputes.services import importing
    from xiangzhi.ledger import services as ledger
    from xiangzhi.ledger.models import Leaf

    before = ledger.tree_size()
    job = importing.start_import(upload("h.xlsx", xlsx_bytes(rows(7, first_village(WUZHEN).code))),
                                actor=town_staff.user)
    tasks.import_cases.call(job.pk)
    events = TimelineEvent.objects.filter(payload__import_job=job.pk).order_by("id")
    assert events.count() == 7
    leaves = Leaf.objects.filter(ref_type=attestation.CASE_EVENT_REF, ref_id__in=[str(e.pk) for e in events])
    assert sorted(int(x) for x in leaves.values_list("ref_id", flat=True)) == [e.pk for e in events]
    case = Case.objects.get(pk=events[0].case_id)
    assert leaves.filter(group=attestation.case_group(case.pk, public=False), kind="case.created").count() == 1
    actions = list(AuditLog.objects.filter(object_id=str(job.pk), object_type="disputes.importjob")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["case.import_queued", "case.imported"]
    assert ledger.tree_size() == before + 7 + 7 + 2  # seven case events, seven case states, two audit rows
    report = ledger.verify_log()
    assert report.ok, report.summary()


def test_the_ledger_verify_catches_an_imported_case_event_changed_afterwards(town_staff):
    from xiangzhi.disputes import tasks
    from xiangzhi.disputes.models import TimelineEvent
    from xiangzhi.disputes.services import importing
    from xiangzhi.ledger import services as ledger

    job = importing.start_import(upload("h.csv", csv_bytes(rows(3, first_village(WUZHEN).code))),
                                actor=town_staff.user)
    tasks.import_cases.call(job.pk)
    event = TimelineEvent.objects.filter(payload__import_job=job.pk).order_by("id").first()
    with connection.cursor() as cursor:  # the test database runs without the append-only triggers
        cursor.execute("UPDATE disputes_timelineevent SET text = %s WHERE id = %s", ["改过的记录", event.pk])
    report = ledger.verify_log()
    assert not report.ok
    assert f"record disputes.timelineevent:{event.pk} was changed after it was attested (fields: text)" in report.summary()


@pytest.mark.django_db(transaction=True)
def test_end_to_end_with_the_db_worker(town_staff):
    """The real worker command picks the queued task from the database and runs it."""
    from django.core.management import call_command

    from xiangzhi.disputes.models import ImportJob
    from xiangzhi.disputes.services.routing import ensure_reference_data

    ensure_reference_data()
    c = town_staff.client()
    r = c.post("/cases/import/", {"file": upload("h.csv", csv_bytes(rows(3, first_village(WUZHEN).code))),
                                  "mode": "all"})
    assert r.status_code == 302 and ImportJob.objects.get().status == "queued"
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload")
    job = ImportJob.objects.get()
    assert job.status == "done" and job.imported_rows == 3 and job.worker
    assert imported_count() == 3


def test_progress_is_recorded_chunk_by_chunk_while_validating_and_writing(town_staff, monkeypatch, settings, tmp_path):
    from xiangzhi.disputes import import_format, selectors, tasks
    from xiangzhi.disputes.services import importing

    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(import_format, "CHUNK", 4)
    seen: list[dict] = []
    shown: list[int] = []
    real = importing._Progress.__call__

    def spy(self, **fields):  # records what the real progress writer is asked to write, then writes it
        seen.append({k: v for k, v in fields.items() if k != "updated_at"})
        real(self, **fields)
        if "imported_rows" in fields:  # what the job's page shows meanwhile (SQLite: from the progress file)
            shown.append(selectors.access_job(town_staff.user, self.job_id).imported_rows)

    monkeypatch.setattr(importing._Progress, "__call__", spy)
    job = importing.start_import(upload("h.csv", csv_bytes(rows(10, first_village(WUZHEN).code))),
                                actor=town_staff.user)
    tasks.import_cases.call(job.pk)
    assert seen[0] == {"expected_rows": 10}
    assert [s["processed_rows"] for s in seen if "processed_rows" in s] == [4, 8]
    assert [s["imported_rows"] for s in seen if "imported_rows" in s] == [4, 8, 10]
    if connection.vendor == "sqlite":  # (on PostgreSQL the job row of this test's open transaction is not visible
        assert shown == [4, 8, 10]     # to the progress connection; the transactional test below covers it)
    job.refresh_from_db()
    assert (job.processed_rows, job.imported_rows, job.percent) == (10, 10, 100)


@pytest.mark.parametrize(("status", "counts", "percent", "text"), [
    ("queued", {}, 0, "正在排队"),
    ("validating", {"expected_rows": 1000, "processed_rows": 500, "valid_rows": 498, "error_count": 2}, 25,
     "已校验 500 行，共 约 1000 行；正确 498 行，发现错误 2 处"),
    ("importing", {"total_rows": 1000, "processed_rows": 1000, "valid_rows": 1000, "imported_rows": 300}, 65,
     "已写入 300 / 1000 行"),
])
def test_the_progress_card_shows_rows_validated_and_written_of_the_total(town_staff, status, counts, percent, text):
    from xiangzhi.disputes.models import ImportJob

    job = ImportJob.objects.create(file_name="h.xlsx", created_by=town_staff.user, status=status, **counts)
    assert job.percent == percent
    card = town_staff.client().get(f"/cases/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert text in card and f'value="{percent}"' in card and 'hx-trigger="every 2s"' in card


def test_the_uploaded_spreadsheet_is_deleted_once_the_job_is_over(town_staff, settings):
    from pathlib import Path

    from xiangzhi.disputes import tasks
    from xiangzhi.disputes.models import ImportJob
    from xiangzhi.disputes.services import importing

    job = importing.start_import(upload("h.csv", csv_bytes(rows(2, first_village(WUZHEN).code))), actor=town_staff.user)
    stored = Path(settings.MEDIA_ROOT) / job.file.name
    assert stored.exists() and "张0" in stored.read_text(encoding="utf-8-sig")
    tasks.import_cases.call(job.pk)
    assert not stored.exists() and ImportJob.objects.get(pk=job.pk).file.name == ""


def test_a_job_left_queued_is_enqueued_again_by_runperiodic_and_still_imported_once(
        town_staff, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from xiangzhi.disputes import tasks
    from xiangzhi.disputes.models import ImportJob
    from xiangzhi.disputes.services import importing

    with django_capture_on_commit_callbacks(execute=True):
        job = importing.start_import(upload("h.csv", csv_bytes(rows(3, first_village(WUZHEN).code))),
                                    actor=town_staff.user)
    from xiangzhi.core.periodic import discover_jobs

    assert "disputes.requeue_imports" in {j.name for j in discover_jobs()}
    assert importing.requeue_stale() == 0  # fresh: left alone
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=11))
    assert importing.requeue_stale() == 1
    queued = DBTaskResult.objects.filter(task_path__endswith="import_cases", status="READY")
    assert queued.count() == 2
    results = [tasks.import_cases.call(r.args_kwargs["args"][0]) for r in queued]
    assert [r["status"] for r in results] == ["done", "not queued (already claimed or finished)"]
    assert imported_count() == 3 and importing.requeue_stale() == 0


def test_a_stalled_job_is_taken_back_by_runperiodic_and_imported_once(town_staff):
    """A worker killed mid-job leaves it 'importing' with nothing written; once it has reported no progress for
    30 minutes, runperiodic puts it back in the queue and the next worker imports it."""
    import datetime as dt

    from django.utils import timezone

    from xiangzhi.core.models import AuditLog
    from xiangzhi.disputes import tasks
    from xiangzhi.disputes.models import ImportJob
    from xiangzhi.disputes.services import importing

    job = importing.start_import(upload("h.csv", csv_bytes(rows(3, first_village(WUZHEN).code))),
                                actor=town_staff.user)
    assert importing.claim(job.pk, worker="dead-host:1")
    ImportJob.objects.filter(pk=job.pk).update(status="importing", processed_rows=3)
    assert importing.requeue_stale() == 0  # still reporting recently: left alone
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=31))
    assert importing.requeue_stale() == 1
    job.refresh_from_db()
    assert (job.status, job.worker, job.processed_rows) == ("queued", "", 0) and "中断" in job.message
    assert AuditLog.objects.filter(action="case.import_requeued", object_id=str(job.pk)).exists()
    assert tasks.import_cases.call(job.pk)["imported"] == 3
    assert imported_count() == 3 and importing.requeue_stale() == 0


def test_a_worker_whose_job_was_taken_back_writes_nothing(town_staff, monkeypatch):
    """The slow worker finds at its commit that the job is no longer its own: its whole write rolls back, the job is
    neither finished nor failed by it, and the upload stays for the worker that now holds the job."""
    from xiangzhi.disputes.models import ImportJob
    from xiangzhi.disputes.services import importing

    job = importing.start_import(upload("h.csv", csv_bytes(rows(5, first_village(WUZHEN).code))),
                                actor=town_staff.user)
    real_attest = importing._attest

    def taken_back_meanwhile(job_id, ranges):  # what requeue_stale + another worker's claim do, seen at commit
        ImportJob.objects.filter(pk=job_id).update(worker="other-host:2")
        return real_attest(job_id, ranges)

    monkeypatch.setattr(importing, "_attest", taken_back_meanwhile)
    assert importing.run_job(job.pk, worker="slow-host:1") is None
    assert imported_count() == 0
    job.refresh_from_db()
    assert job.status == "importing" and job.file  # rolled back to where the write began; file kept


@pytest.mark.django_db(transaction=True)
def test_the_write_phase_shows_its_progress_and_stays_claimed_on_either_database(town_staff, settings, tmp_path):
    """While the write transaction runs, the job's page and API show the rows written so far (PostgreSQL: a second
    connection; SQLite, whose single writer is busy: a progress file), and runperiodic does not take a job back that
    is still reporting, however long ago its row was last committed. The file is gone when the job ends."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from xiangzhi.disputes import selectors
    from xiangzhi.disputes.import_format import progress_file
    from xiangzhi.disputes.models import ImportJob
    from xiangzhi.disputes.services import importing
    from xiangzhi.disputes.services.importing import _Progress

    settings.DATA_DIR = tmp_path
    long_ago = timezone.now() - dt.timedelta(hours=2)
    job = ImportJob.objects.create(file_name="x.xlsx", file="imports/x.xlsx", created_by=town_staff.user,
                                   status="importing", worker="host:1", valid_rows=5000, total_rows=5000,
                                   updated_at=long_ago)
    progress = _Progress(job.pk)
    try:
        with transaction.atomic():
            progress.in_write_transaction = True
            progress(imported_rows=2000)
            seen = selectors.access_job(town_staff.user, job.pk)
            assert seen.imported_rows == 2000 and seen.percent == 70
            if connection.vendor == "sqlite":
                assert progress_file(job.pk).exists()
                assert ImportJob.objects.filter(pk=job.pk).values_list("imported_rows", flat=True).get() == 0
                assert importing.requeue_stale() == 0  # reporting through the file: not stalled
            page = town_staff.client().get(f"/cases/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
            assert "已写入 2000 / 5000 行（正在写入，全部写入后一并提交）" in page
    finally:
        progress.close()
    assert not progress_file(job.pk).exists()
    assert selectors.access_job(town_staff.user, job.pk).imported_rows == (2000 if connection.vendor == "postgresql" else 0)


def test_only_importers_may_start_an_import_even_calling_the_service(mediator, town_staff):
    """The page and the API check ``rules.can_import`` too, but the guard is the service's: nothing is stored."""
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.disputes.models import ImportJob
    from xiangzhi.disputes.services import importing

    with pytest.raises(XiangzhiError) as exc:
        importing.start_import(upload("h.csv", csv_bytes(rows(2, first_village(WUZHEN).code))), actor=mediator.user)
    assert (exc.value.code, exc.value.status) == ("FORBIDDEN", 403)
    assert not ImportJob.objects.exists()


def test_the_page_without_a_file_or_with_an_unknown_mode_is_a_message_and_queues_nothing(town_staff):
    from xiangzhi.disputes.models import ImportJob

    c = town_staff.client()
    r = c.post("/cases/import/", {"mode": "all"})
    assert r.status_code == 200 and "请选择要导入的文件。" in r.content.decode()
    r = c.post("/cases/import/", {"file": upload("历史.csv", csv_bytes(rows(2, first_village(WUZHEN).code))),
                                  "mode": "some"})
    assert r.status_code == 200 and "导入方式应为" in r.content.decode()
    assert not ImportJob.objects.exists()
