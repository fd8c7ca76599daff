"""Stored files: readable by the service only, named at random (never after the case), and every kept upload —
attachments and joint-task replies alike — checked by type and size and streamed to storage."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.disputes.conftest import new_case
from xiangzhi.disputes.models import JointReply

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_stored_attachment_is_private_and_named_at_random(media, villager_a):
    user, c = villager_a
    from tests.conftest import first_village
    from tests.disputes.conftest import WUZHEN
    from xiangzhi.disputes.models import Case

    r = c.post("/cases/apply/", {
        "applicant_name": "张三", "respondent_kind": "person", "respondent_name": "李四",
        "region_code": first_village(WUZHEN).code, "description": "隔壁邻居把围墙砌到我家院子里来了", "request": "拆除围墙",
        "consent": "on", "files": [SimpleUploadedFile("photo.png", PNG, content_type="image/png")],
    })
    assert r.status_code == 302
    case = Case.objects.get()
    att = case.attachments.get()
    stored = Path(att.file.path)
    assert stored.read_bytes() == PNG and _mode(stored) == 0o640
    for folder in stored.relative_to(media).parents:
        if folder != Path("."):
            assert _mode(media / folder) == 0o750, folder
    assert case.token[:8] not in att.file.name and len(stored.stem) == 32  # 128 random bits, nothing of the case


# --- joint-task replies ------------------------------------------------------------------------------------------
@pytest.fixture
def task(mediator, liaison):
    from xiangzhi.disputes.services import joint

    return joint.invite(new_case(), actor=mediator.user, organisation_id=liaison.organisation.pk, task="提供出警记录",
                        due_at=dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(days=2), contact_name="王警官")


def _reply(liaison, task, upload):
    return liaison.client().post(f"/cases/joint/{task.pk}/", {"action": "reply", "text": "出警记录见附件",
                                                                "file": upload}, follow=True)


@pytest.mark.parametrize("size", [64, 64 * 1024])  # the second arrives as a temporary file, moved not read
def test_a_joint_reply_keeps_a_checked_file_privately(media, settings, liaison, task, size):
    import hashlib

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 4096
    pdf = PDF + b"1" * size
    r = _reply(liaison, task, SimpleUploadedFile("出警记录.pdf", pdf, content_type="application/pdf"))
    assert "已答复" in r.content.decode()
    reply = JointReply.objects.get(task=task)
    stored = Path(reply.file.path)
    assert stored.read_bytes() == pdf and _mode(stored) == 0o640
    assert reply.sha256 == hashlib.sha256(pdf).hexdigest()
    assert reply.original_name == "出警记录.pdf" and task.case.token[:8] not in reply.file.name


@pytest.mark.parametrize(("name", "content", "message"), [
    ("出警记录.pdf", b"MZ\x90\x00" + b"0" * 64, "类型不支持"),   # a program dressed as a PDF
    ("run.exe", b"MZ\x90\x00" + b"0" * 64, "类型不支持"),
    ("大文件.pdf", PDF + b"0" * 4096, "超过"),
])
def test_a_joint_reply_refuses_a_disguised_or_oversize_file(media, settings, liaison, task, name, content, message):
    settings.XIANGZHI_MAX_UPLOAD_BYTES = 2048
    r = _reply(liaison, task, SimpleUploadedFile(name, content))
    assert message in r.content.decode()
    assert not JointReply.objects.filter(task=task).exists()
    assert not any(p.is_file() for p in Path(media).rglob("*"))
