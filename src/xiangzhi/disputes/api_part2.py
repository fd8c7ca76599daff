"""/api/v1/cases (part 2): deadline and colour, risk, joint handling, judicial confirmation, documents and the case
file — the same service and selector functions as the pages. Mounted beside the part-1 router on the same prefix."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from xiangzhi.core.idempotency import idempotent
from xiangzhi.core.models import User
from xiangzhi.core.pagination import PageIn, page_of, paginate
from xiangzhi.core.schemas import ErrorOut, Int, IsoDateTime, Label, OptionalPhone, Strict

from . import casefile, colours, deadlines, documents, importer, joint, judicial, rules, selectors
from .enums import Colour, ImportStatus, JointStatus, JudicialStatus, RiskLevel
from .models import ImportJob, JointTask

router = Router(tags=["disputes 桐解码 (期限、五色、联动、司法确认、文书)"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class ClockOut(Schema):
    colour: Colour
    colour_label: Label
    due_at: dt.datetime | None
    deadline_status: str
    countdown: str


class RiskIn(Strict):
    level: RiskLevel
    reason: str = Field(..., min_length=2, examples=["双方情绪激动，有肢体冲突苗头"])


class JointIn(Strict):
    organisation_id: Int
    task: str = Field(..., min_length=4, max_length=500, examples=["核实出警记录"])
    due_at: IsoDateTime = Field(..., description="办理期限（须晚于现在）")
    contact_name: str = Field(..., min_length=1, max_length=40)
    contact_phone: OptionalPhone = ""


class JointOut(Schema):
    id: int
    organisation_id: int
    organisation: str
    task: str
    due_at: dt.datetime
    status: JointStatus
    late: bool
    replies: int


class ReplyIn(Strict):
    text: str = Field(..., min_length=2, examples=["已核实，出警记录附后"])


class JudicialIn(Strict):
    court: str = Field(..., min_length=1, max_length=80, examples=["桐乡市人民法院"])


class JudicialOut(Schema):
    status: JudicialStatus
    court: str
    applied_at: dt.datetime
    accepted_at: dt.datetime | None
    decided_at: dt.datetime | None
    window_closes: dt.datetime | None


def _staff(request: HttpRequest) -> User:
    if not rules.is_dispute_staff(request.auth):
        raise Http404
    return request.auth


def _clock(case) -> ClockOut:  # noqa: ANN001
    info = colours.info(case)
    return ClockOut(colour=info.colour, colour_label=info.word, due_at=info.due, deadline_status=info.status,
                    countdown=info.countdown)


def _joint_out(row: joint.TaskRow) -> JointOut:
    t = row.task
    return JointOut(id=t.pk, organisation_id=t.organisation_id, organisation=t.organisation.name, task=t.task,
                    due_at=t.due_at, status=t.status, late=row.late, replies=row.replies)


@router.get("/{case_id}/clock", response={200: ClockOut, **ERRORS}, summary="本阶段期限、颜色（五色管理）和倒计时")
def get_clock(request: HttpRequest, case_id: int):  # noqa: ANN201
    return _clock(selectors.access_case(_staff(request), case_id))


@router.post("/{case_id}/risk", response={200: ClockOut, **ERRORS}, summary="提高风险等级（立即报告上级）")
def post_risk(request: HttpRequest, case_id: int, body: RiskIn):  # noqa: ANN201
    user = _staff(request)
    case = deadlines.raise_risk(selectors.access_case(user, case_id), body.level, actor=user, reason=body.reason)
    return _clock(case)


@router.get("/{case_id}/joint-tasks", response={200: page_of(JointOut), **ERRORS},
            summary="联动协办任务（谁已答复、谁已超期）")
def list_joint(request: HttpRequest, case_id: int, page: Query[PageIn]):  # noqa: ANN201
    case = selectors.access_case(_staff(request), case_id)
    return paginate(request, joint.overview(case), page, _joint_out)


@router.post("/{case_id}/joint-tasks", response={201: JointOut, **ERRORS}, summary="邀请部门联动协办")
@idempotent
def post_joint(request: HttpRequest, case_id: int, body: JointIn):  # noqa: ANN201
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    task = joint.invite(case, actor=user, organisation_id=body.organisation_id, task=body.task, due_at=body.due_at,
                        contact_name=body.contact_name, contact_phone=body.contact_phone)
    return Status(201, _joint_out(joint.TaskRow(task=task, late=False, replies=0)))


@router.post("/joint-tasks/{task_id}/replies", response={201: JointOut, **ERRORS}, summary="协办单位答复（联络员）")
@idempotent
def post_joint_reply(request: HttpRequest, task_id: int, body: ReplyIn):  # noqa: ANN201
    task = joint.access_task(request.auth, task_id)
    joint.reply(task, actor=request.auth, text=body.text)
    task = JointTask.objects.select_related("organisation").get(pk=task.pk)
    return Status(201, _joint_out(joint.TaskRow(task=task, late=False, replies=task.replies.count())))


@router.post("/{case_id}/judicial", response={201: JudicialOut, **ERRORS}, summary="记录双方共同申请司法确认（30日内）")
def post_judicial(request: HttpRequest, case_id: int, body: JudicialIn):  # noqa: ANN201
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    jc = judicial.apply(case, actor=user, court=body.court)
    return Status(201, JudicialOut(status=jc.status, court=jc.court, applied_at=jc.applied_at,
                                   accepted_at=jc.accepted_at, decided_at=jc.decided_at,
                                   window_closes=judicial.window_closes(case)))


DocumentKind = Literal[tuple(documents.KINDS)]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
REASON = Query("", max_length=200, description="查看完整个人信息的理由（须有个人信息查看权限；每次查看记入日志）")


def _download(content_type: str, description: str) -> dict:
    return {"responses": {200: {"description": description,
                                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}}}}}


class DocumentIn(Strict):
    reason: str = Field("", max_length=200, description="签发协议书、司法确认申请书时查看完整个人信息的理由")


@router.get("/{case_id}/documents/{kind}", response={200: None, **ERRORS}, openapi_extra=_download(DOCX, "Word 文书"),
            summary="下载文书（.docx；不改变案件；个人信息脱敏，有权限者填写 reason 可得完整版并记录查看日志）")
def get_document(request: HttpRequest, case_id: int, kind: DocumentKind, reason: str = REASON):  # noqa: ANN201
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    return HttpResponse(documents.download(case, kind, actor=user, reason=reason), content_type=DOCX)


@router.post("/{case_id}/documents/{kind}", response={200: None, **ERRORS}, openapi_extra=_download(DOCX, "Word 文书"),
             summary="签发文书（记入办理经过并存证 SHA-256；协议书、司法确认申请书须有权限并填写 reason）")
def post_document(request: HttpRequest, case_id: int, kind: DocumentKind, body: DocumentIn):  # noqa: ANN201
    user = _staff(request)
    case = selectors.access_case(user, case_id)
    return HttpResponse(documents.generate(case, kind, actor=user, reason=body.reason), content_type=DOCX)


@router.get("/{case_id}/casefile", response={200: None, **ERRORS},
            openapi_extra=_download("application/zip", "一案一卷 ZIP"), summary="一案一卷 ZIP（目录、全部材料、SHA-256）")
def get_casefile(request: HttpRequest, case_id: int, reason: str = REASON):  # noqa: ANN201
    user = _staff(request)
    return HttpResponse(casefile.build(selectors.access_case(user, case_id), actor=user, reason=reason),
                        content_type="application/zip")


# --- import of historical cases (background job) ---------------------------------------------------------------
class ImportErrorOut(Schema):
    row: int
    column: str
    problem: str


class ImportJobOut(Schema):
    id: int
    file_name: str
    mode: Literal[importer.MODES]
    status: ImportStatus
    status_label: Label
    percent: int
    expected_rows: int
    total_rows: int
    processed_rows: int
    valid_rows: int
    imported_rows: int
    error_count: int
    errors: list[ImportErrorOut]
    message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    updated_at: dt.datetime | None
    finished_at: dt.datetime | None


def _importer(request: HttpRequest) -> User:
    if not importer.can_import(request.auth):
        raise Http404
    return request.auth


def _job_out(job: ImportJob) -> ImportJobOut:
    return ImportJobOut(
        id=job.pk, file_name=job.file_name, mode=job.mode, status=job.status, status_label=job.get_status_display(),
        percent=job.percent, expected_rows=job.expected_rows, total_rows=job.total_rows,
        processed_rows=job.processed_rows, valid_rows=job.valid_rows, imported_rows=job.imported_rows,
        error_count=job.error_count, errors=[] if job.running else job.errors, message=job.message,
        created_at=job.created_at, started_at=job.started_at, updated_at=job.updated_at, finished_at=job.finished_at)


@router.post("/imports/jobs", response={202: ImportJobOut, **ERRORS},
             summary="上传历史案件文件（.xlsx/.csv；后台逐行校验后导入，返回任务）")
def post_import(request: HttpRequest, file: UploadedFile = File(...),  # noqa: ANN201, B008
                mode: Literal[importer.MODES] = Form("all")):  # noqa: B008
    job = importer.start_import(file, actor=_importer(request), mode=mode)
    return Status(202, _job_out(job))


@router.get("/imports/jobs/{job_id}", response={200: ImportJobOut, **ERRORS},
            summary="导入任务进度（已校验/已写入行数）和逐行错误清单")
def get_import(request: HttpRequest, job_id: int):  # noqa: ANN201
    return _job_out(importer.access_job(_importer(request), job_id))
