"""民主法治村 fixtures: the checklists of every level (a veto item each), the villages of 乌镇镇 and 崇福镇, an assessor,
a tiny PNG and PDF for evidence, and helpers that take a village through 规划 and 培育."""

from __future__ import annotations

import datetime as dt
import struct
import zlib

import pytest

from tests.conftest import CHONGFU, WUZHEN, first_village, make_staff


def png_bytes() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type)


@pytest.fixture(autouse=True)
def _evidence_dir(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "villages": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "ev")}}}
    from django.core.files.storage import storages

    storages._storages.pop("villages", None)
    yield tmp_path / "ev"
    storages._storages.pop("villages", None)


@pytest.fixture
def standards(county_admin):
    """A checklist for every level: three scored items (40 + 30 + 30) and one veto item, pass mark 80."""
    from xiangzhi.villages.enums import LADDER
    from xiangzhi.villages.services.standards import IndicatorIn, save_standard

    out = {}
    for level in LADDER:
        out[level] = save_standard(actor=county_admin.user, name=f"{level} 标准", level=level, pass_mark="80",
                                   indicators=[
                                       IndicatorIn("村级组织健全完善", "村党组织书记通过法定程序担任村委会主任", 40),
                                       IndicatorIn("基层民主规范有序", "“四议两公开”，会议记录完整", 30),
                                       IndicatorIn("法治建设扎实推进", "村民代表会议每季度至少一次，到会三分之二以上", 30),
                                       IndicatorIn("一票否决", "村“两委”成员有刑事犯罪或村霸、涉黑涉恶问题", 0, True),
                                   ])
    return out


@pytest.fixture
def wz_village(tongxiang):
    return first_village(WUZHEN)


@pytest.fixture
def cf_village(tongxiang):
    return first_village(CHONGFU)


@pytest.fixture
def assessor(tongxiang):
    return make_staff("assessor_lawyer", "lawyer", "330483", {"kind": "law_firm"})


@pytest.fixture
def second_assessor(tongxiang):
    return make_staff("assessor_two", "lawyer", "330483", {"kind": "law_firm"})


def cultivate(village, actor, level: str = "county"):  # noqa: ANN001
    """规划 for ``level`` and one 培育 task done with a PNG: the village is ready to apply."""
    from xiangzhi.villages.services import cultivation
    from xiangzhi.villages.services.records import record_of

    rec = record_of(village)
    plan = cultivation.create_plan(rec, actor=actor, target_level=level, year_from=2025, year_to=2027,
                                   targets=["村规民约修订并公示", "村民代表会议按季召开"])
    task = cultivation.add_task(plan, actor=actor, title="修订村规民约", due_on=dt.date(2026, 6, 30))
    cultivation.add_evidence(task, upload("村规民约.png", png_bytes(), "image/png"), actor=actor)
    cultivation.complete_task(task, actor=actor)
    rec.refresh_from_db()
    return rec


def full_marks(app, *, veto: bool = False, scores: tuple = ()) -> dict:  # noqa: ANN001
    """A score sheet for ``app``: every scored item at its maximum (or ``scores`` in order), the veto item hit or
    not."""
    from xiangzhi.villages.services.assessment import LineIn

    lines, scored = {}, iter(scores)
    for ind in app.standard.indicators.all():
        if ind.is_veto:
            lines[ind.pk] = LineIn(veto_hit=veto)
        else:
            lines[ind.pk] = LineIn(score=next(scored, ind.max_score))
    return lines


def named(village, admin, assessor, level: str = "county"):  # noqa: ANN001
    """Take ``village`` through the whole flow to a title at ``level``."""
    from xiangzhi.villages.services import assessment, titles

    rec = cultivate(village, admin, level)
    app = assessment.apply(rec, actor=admin, level=level)
    assessment.assign_assessors(app, [assessor], actor=admin)
    assessment.score(app, actor=assessor, lines=full_marks(app))
    app.refresh_from_db()
    return titles.name(app, actor=admin, named_on=dt.date(2026, 10, 1), document_no="桐司〔2026〕1号")
