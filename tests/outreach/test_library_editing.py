"""Editing the 普法资源库: the bureau edits every item, a town's 司法所 its town's (another town's item is 404 on the
pages and the API, Forbidden in the service); content edits and file attachments (checked by content, nothing left
behind on refusal) go through the services with an audit row; a GET changes nothing; publish/unpublish decides what
the public library shows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import CHONGFU, WUZHEN, make_staff
from tests.outreach.conftest import library_item
from xiangzhi.core.errors import Forbidden, ValidationFailed
from xiangzhi.core.models import AuditLog
from xiangzhi.disputes.services.uploads import Upload
from xiangzhi.outreach import media
from xiangzhi.outreach.enums import ItemState
from xiangzhi.outreach.models import ComicPage, Lesson, LibraryItem
from xiangzhi.outreach.services import library

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 2000


@pytest.fixture
def sfs_cf(tongxiang):
    return make_staff("sfs_cf", "town_staff", CHONGFU, {"region__code": CHONGFU, "kind": "justice_office"})


def files_in(folder) -> list:  # noqa: ANN001
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_town_office_creates_its_towns_items_and_edits_only_those(outreach_media, town_staff, sfs_cf,
                                                                    county_admin, lawyer, centre_staff):
    wz = library_item(town_staff.user, publish=False, title="乌镇的普法文章")
    cf = library_item(sfs_cf.user, kind="class", publish=False, title="崇福的课程")
    county = library_item(county_admin.user, publish=False, title="全县的资源")
    assert (wz.region.code, cf.region.code, county.region) == (WUZHEN, CHONGFU, None)
    draft = library.ItemDraft(kind="article", title="改过", body="正文", audiences=["farmers"])
    # another town's item, a county-wide item, a role that edits nothing: refused by the service itself
    for actor, item in ((town_staff.user, cf), (town_staff.user, county), (lawyer.user, wz), (centre_staff.user, wz)):
        with pytest.raises(Forbidden):
            library.update_item(item, draft, actor=actor)
        with pytest.raises(Forbidden):
            library.set_published(item, actor=actor, published=True)
    assert not AuditLog.objects.filter(action="outreach.item_edited").exists()
    assert LibraryItem.objects.filter(state=ItemState.PUBLISHED).count() == 0
    # … and 404 on the pages and the API (the item is not in their list)
    c = town_staff.client()
    assert c.get(f"/outreach/staff/library/{cf.pk}/").status_code == 404
    assert c.get(f"/api/v1/outreach/manage/items/{cf.pk}").status_code == 404
    r = c.patch(f"/api/v1/outreach/manage/items/{cf.pk}", {"title": "x"}, content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    assert c.post(f"/api/v1/outreach/items/{cf.pk}/publish").status_code == 404
    assert [i["id"] for i in c.get("/api/v1/outreach/manage/items").json()["items"]] == [wz.pk]
    # the bureau edits every item, the town office its own
    library.update_item(cf, draft, actor=county_admin.user)
    library.update_item(wz, draft, actor=town_staff.user)
    assert {i["id"] for i in county_admin.client().get("/api/v1/outreach/manage/items").json()["items"]} == {
        wz.pk, cf.pk, county.pk}
    assert AuditLog.objects.filter(action="outreach.item_edited").count() == 2


def test_edit_through_the_api_replaces_lessons_and_is_audited(outreach_media, sfs_cf):
    item = library_item(sfs_cf.user, kind="class", publish=False, title="讨薪课")
    c = sfs_cf.client()
    r = c.patch(f"/api/v1/outreach/manage/items/{item.pk}", {
        "title": "农民工讨薪三课", "audiences": ["migrants", "farmers"], "topics": ["劳动争议"],
        "lessons": [{"title": "签合同", "body": "一"}, {"title": "留证据", "body": "二"}, {"title": "去仲裁", "body": "三"}]},
        content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["title"] == "农民工讨薪三课" and body["region_code"] == CHONGFU
    assert body["audiences"] == ["farmers", "migrants"] and body["topics"] == ["劳动争议"]
    assert list(Lesson.objects.filter(item=item).values_list("position", "title")) == [
        (1, "签合同"), (2, "留证据"), (3, "去仲裁")]
    item.refresh_from_db()
    assert item.tags == ",t:劳动争议,a:farmers,a:migrants," and item.updated_at is not None
    log = AuditLog.objects.get(action="outreach.item_edited")
    assert log.before["title"] == "讨薪课" and log.after["title"] == "农民工讨薪三课"
    assert log.after["lessons"] == ["签合同", "留证据", "去仲裁"]
    # bad edits: 422, nothing changed
    for bad in ({"title": ""}, {"kind": "video"}, {"audiences": ["aliens"]}, {"topics": ["炼金术"]}, {"lessons": []}):
        refused = c.patch(f"/api/v1/outreach/manage/items/{item.pk}", bad, content_type="application/json")
        assert refused.status_code == 422, (bad, refused.content)
        assert set(refused.json()) >= {"code", "message", "detail"}
    item.refresh_from_db()
    assert item.title == "农民工讨薪三课" and item.kind == "class" and item.lessons.count() == 3
    assert AuditLog.objects.filter(action="outreach.item_edited").count() == 1
    # a class turned into an article drops its lessons
    r = c.patch(f"/api/v1/outreach/manage/items/{item.pk}", {"kind": "article", "body": "正文"},
                content_type="application/json")
    assert r.status_code == 200 and r.json()["kind"] == "article" and r.json()["lessons"] == []
    assert not Lesson.objects.filter(item=item).exists()
    assert AuditLog.objects.filter(action="outreach.item_edited").order_by("pk").last().before["lessons"] == [
        "签合同", "留证据", "去仲裁"]


def test_a_get_changes_nothing(outreach_media, sfs_cf):
    item = library_item(sfs_cf.user, publish=False)
    before = (AuditLog.objects.count(), LibraryItem.objects.get(pk=item.pk).updated_at)
    c = sfs_cf.client()
    assert c.get(f"/outreach/staff/library/{item.pk}/").status_code == 200
    assert c.get("/outreach/staff/library/").status_code == 200
    assert c.get(f"/api/v1/outreach/manage/items/{item.pk}").status_code == 200
    assert c.get("/api/v1/outreach/manage/items?state=draft").json()["count"] == 1
    assert (AuditLog.objects.count(), LibraryItem.objects.get(pk=item.pk).updated_at) == before


def test_workbench_edit_page_saves_through_the_service(outreach_media, sfs_cf):
    item = library_item(sfs_cf.user, publish=False, title="旧标题")
    c = sfs_cf.client()
    r = c.post(f"/outreach/staff/library/{item.pk}/", {
        "action": "edit", "kind": "article", "title": "新标题", "body": "新正文", "audience": ["elderly"],
        "topic": ["婚姻家庭"]})
    assert r.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.body, item.audiences) == ("新标题", "新正文", ["elderly"])
    bad = c.post(f"/outreach/staff/library/{item.pk}/", {"action": "edit", "kind": "article", "title": "",
                                                          "body": "x", "audience": ["elderly"]})
    assert bad.status_code == 422 and "请检查填写的内容" in bad.content.decode()


def test_bad_upload_refused_leaving_nothing(outreach_media, sfs_cf, settings):
    comic = library.create_item(library.ItemDraft(kind="comic", title="漫画", audiences=["farmers"]),
                                actor=sfs_cf.user, images=[Upload(name="1.png", content=media.png_panel(8, 8))])
    kept = files_in(outreach_media)
    c = sfs_cf.client()
    # an .exe named .png, by the API and by the page
    r = c.post(f"/api/v1/outreach/manage/items/{comic.pk}/media",
               {"file": SimpleUploadedFile("2.png", EXE, content_type="image/png")})
    assert r.status_code == 422 and r.json()["code"] == "MEDIA_TYPE_NOT_ALLOWED"
    page = c.post(f"/outreach/staff/library/{comic.pk}/", {"action": "media",
                                                          "file": SimpleUploadedFile("2.png", EXE, "image/png")})
    assert page.status_code == 422
    # too big
    settings.XIANGZHI_OUTREACH_MAX_IMAGE_BYTES = 100
    r = c.post(f"/api/v1/outreach/manage/items/{comic.pk}/media",
               {"file": SimpleUploadedFile("3.png", media.png_panel(), content_type="image/png")})
    assert r.status_code == 422 and r.json()["code"] == "FILE_TOO_LARGE"
    # an article takes no file
    article = library_item(sfs_cf.user, publish=False)
    with pytest.raises(ValidationFailed) as exc:
        library.attach_media(article, Upload(name="x.png", content=media.png_panel(8, 8)), actor=sfs_cf.user)
    assert exc.value.code == "NO_MEDIA_FOR_KIND"
    assert files_in(outreach_media) == kept and ComicPage.objects.filter(item=comic).count() == 1
    assert not AuditLog.objects.filter(action="outreach.item_media_attached").exists()
    # a good picture is appended after the last
    settings.XIANGZHI_OUTREACH_MAX_IMAGE_BYTES = 5 * 1024 * 1024
    ok = c.post(f"/api/v1/outreach/manage/items/{comic.pk}/media",
                {"file": SimpleUploadedFile("2.png", media.png_panel(8, 8, (1, 2, 3)), content_type="image/png")})
    assert ok.status_code == 200, ok.content
    assert len(ok.json()["pages"]) == 2 and len(files_in(outreach_media)) == len(kept) + 1


def test_a_micro_videos_file_replaced_and_the_old_one_removed(outreach_media, county_admin,
                                                             django_capture_on_commit_callbacks):
    mp4 = _mp4(30.0)
    item = library.create_item(library.ItemDraft(kind="video", title="一分钟普法", audiences=["farmers"]),
                               actor=county_admin.user, upload=Upload(name="v.mp4", content=mp4))
    old = item.media
    with django_capture_on_commit_callbacks(execute=True):
        library.attach_media(item, Upload(name="a.wav", content=media.wav_tone(1.0)), actor=county_admin.user)
    item.refresh_from_db()
    assert item.content_type == "audio/wav" and item.media != old and item.duration == pytest.approx(1.0)
    assert files_in(outreach_media) == [item.media.rsplit("/", 1)[-1]]
    with pytest.raises(ValidationFailed) as exc:  # too long
        library.attach_media(item, Upload(name="long.mp4", content=_mp4(10_000.0)), actor=county_admin.user)
    assert exc.value.code == "MEDIA_TOO_LONG"
    assert files_in(outreach_media) == [item.media.rsplit("/", 1)[-1]]


def _mp4(seconds: float) -> bytes:
    import struct

    mvhd = struct.pack(">I4sB3xIIII", 108, b"mvhd", 0, 0, 0, 1000, int(seconds * 1000)) + b"\x00" * 80
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    return struct.pack(">I4s4sI", 16, b"ftyp", b"isom", 0) + moov


def test_publish_and_unpublish_decide_the_public_library(outreach_media, sfs_cf):
    item = library_item(sfs_cf.user, publish=False, audiences=("elderly",), title="崇福老年人防骗")
    c, public = sfs_cf.client(), Client()

    def shown() -> bool:
        listed = [i["id"] for i in public.get("/api/v1/outreach/items?audience=elderly").json()["items"]]
        page = "崇福老年人防骗" in public.get("/outreach/library/").content.decode()
        detail = public.get(f"/api/v1/outreach/items/{item.pk}").status_code
        assert (item.pk in listed) == page == (detail == 200)
        return page

    assert not shown()
    assert c.post(f"/api/v1/outreach/items/{item.pk}/publish").json()["state"] == ItemState.PUBLISHED
    assert shown()
    again = c.post(f"/api/v1/outreach/items/{item.pk}/publish")
    assert again.status_code == 409 and again.json()["code"] == "ITEM_STATE"
    assert c.post(f"/api/v1/outreach/items/{item.pk}/unpublish").json()["state"] == ItemState.UNPUBLISHED
    assert not shown()
    assert public.get(f"/outreach/library/{item.pk}/").status_code == 404
    actions = list(AuditLog.objects.filter(object_id=str(item.pk), action__startswith="outreach.item")
                   .order_by("pk").values_list("action", "region_code"))
    assert actions == [("outreach.item_created", CHONGFU), ("outreach.item_published", CHONGFU),
                       ("outreach.item_unpublished", CHONGFU)]


def test_the_workbench_navigation_marks_only_the_library_active(county_admin):
    page = county_admin.client().get("/outreach/staff/library/")
    active = [e["label"] for e in page.context["staff_nav"] if e["active"]]
    assert active == ["普法资源库"]
    board = county_admin.client().get("/outreach/staff/")
    assert [e["label"] for e in board.context["staff_nav"] if e["active"]] == ["普法抢单"]
