"""普法资源库 and 以案释法 Top 10 through the pages and /api/v1/outreach: the public sees only published items (list,
detail, filters), the bureau creates and publishes, others cannot, citizens vote once, the OpenAPI lists it all."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.outreach.conftest import library_item
from xiangzhi.outreach.enums import ItemState
from xiangzhi.outreach.models import LibraryItem, Vote
from xiangzhi.outreach.services import library, topten

pytestmark = pytest.mark.usefixtures("outreach_media")

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 2000


def test_public_pages_show_only_published_items(county_admin):
    shown = library_item(county_admin.user, audiences=("elderly",), title="老年人防诈骗")
    draft = library_item(county_admin.user, publish=False, title="草稿未发布")
    gone = library_item(county_admin.user, title="已下架的资源")
    library.set_published(gone, actor=county_admin.user, published=False)
    c = Client()
    page = c.get("/outreach/library/").content.decode()
    assert "老年人防诈骗" in page and "草稿未发布" not in page and "已下架的资源" not in page
    assert "老年人防诈骗" not in c.get("/outreach/library/?audience=students").content.decode()
    assert "老年人普法清单" in c.get("/outreach/library/?audience=elderly").content.decode()
    assert c.get(f"/outreach/library/{shown.pk}/").status_code == 200
    assert c.get(f"/outreach/library/{draft.pk}/").status_code == 404
    assert c.get(f"/outreach/library/{gone.pk}/").status_code == 404
    listed = c.get("/api/v1/outreach/items").json()
    assert [i["id"] for i in listed["items"]] == [shown.pk]
    assert c.get(f"/api/v1/outreach/items/{draft.pk}").status_code == 404


def test_bureau_creates_and_publishes_through_the_api_others_cannot(county_admin, lawyer):
    c = county_admin.client()
    made = c.post("/api/v1/outreach/items", {"kind": "class", "title": "农民工讨薪课", "audiences": "migrants",
                                            "topics": "劳动争议", "lessons": "第一课|签劳动合同\n第二课|申请仲裁"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["state"] == ItemState.DRAFT and [x["title"] for x in body["lessons"]] == ["第一课", "第二课"]
    assert lawyer.client().post(f"/api/v1/outreach/items/{body['id']}/publish").status_code == 404
    denied = lawyer.client().post("/api/v1/outreach/items", {"kind": "article", "title": "x", "body": "y",
                                                            "audiences": "farmers"})
    assert denied.status_code == 403 and denied.json()["code"] == "FORBIDDEN"
    assert c.post(f"/api/v1/outreach/items/{body['id']}/publish").json()["state"] == ItemState.PUBLISHED
    assert [i["id"] for i in Client().get("/api/v1/outreach/items?audience=migrants&topic=劳动争议").json()["items"]] \
        == [body["id"]]


def test_wrong_media_refused_through_the_api(county_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = county_admin.client().post("/api/v1/outreach/items", {
        "kind": "video", "title": "微视频", "audiences": "farmers",
        "file": SimpleUploadedFile("普法.mp4", EXE, content_type="video/mp4")})
    assert bad.status_code == 422 and bad.json()["code"] == "MEDIA_TYPE_NOT_ALLOWED"
    assert not LibraryItem.objects.exists()


def test_workbench_for_the_bureau_only(county_admin, lawyer):
    c = county_admin.client()
    assert c.get("/outreach/staff/library/").status_code == 200
    r = c.post("/outreach/staff/library/", {"action": "create", "kind": "article", "title": "宅基地怎么确权",
                                            "body": "正文", "audience": ["farmers"], "topic": ["房屋宅基地"]})
    assert r.status_code == 302
    item = LibraryItem.objects.get(title="宅基地怎么确权")
    c.post("/outreach/staff/library/", {"action": "publish", "item": item.pk})
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED
    assert lawyer.client().get("/outreach/staff/library/").status_code in (302, 403, 404)


def test_vote_api_once_per_phone_and_top_ten_page(county_admin, villager_a):
    item = library_item(county_admin.user, kind="case", title="拖欠工资以案释法")
    n = topten.nominate(item, 2025, actor=county_admin.user)
    topten.set_jury_score(n, 90, actor=county_admin.user)
    c = villager_a[1]
    assert c.post(f"/api/v1/outreach/top-ten/nominations/{n.pk}/vote").json()["votes"] == 1
    again = c.post(f"/api/v1/outreach/top-ten/nominations/{n.pk}/vote")
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_VOTED"
    assert Client().post(f"/api/v1/outreach/top-ten/nominations/{n.pk}/vote").status_code == 401
    assert Vote.objects.count() == 1
    ranked = Client().get("/api/v1/outreach/top-ten/2025").json()["items"]
    assert ranked[0]["nomination_id"] == n.pk and ranked[0]["score"] == pytest.approx(0.95)
    page = Client().get("/outreach/top-ten/2025/").content.decode()
    assert "拖欠工资以案释法" in page and "2025年度以案释法十佳" in page


def test_the_openapi_describes_the_library_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in ("/api/v1/outreach/items", "/api/v1/outreach/items/{item_id}", "/api/v1/outreach/items/{item_id}/publish",
              "/api/v1/outreach/top-ten/{year}", "/api/v1/outreach/top-ten/nominations/{nomination_id}/vote"):
        assert p in paths, p


def test_comic_through_the_api_and_its_pictures_public_once_published(county_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xiangzhi.outreach import media

    c = county_admin.client()
    made = c.post("/api/v1/outreach/items", {
        "kind": "comic", "title": "漫画：签合同", "audiences": "migrants",
        "images": [SimpleUploadedFile("1.png", media.png_panel(), content_type="image/png"),
                   SimpleUploadedFile("2.png", media.png_panel(rgb=(1, 2, 3)), content_type="image/png")]})
    assert made.status_code == 201, made.content
    pages = made.json()["pages"]
    assert len(pages) == 2
    assert Client().get(pages[0]).status_code == 404  # a draft's pictures are not public
    c.post(f"/api/v1/outreach/items/{made.json()['id']}/publish")
    shown = Client().get(pages[1])
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    bad = c.post("/api/v1/outreach/items", {"kind": "comic", "title": "x", "audiences": "migrants",
                                           "images": [SimpleUploadedFile("1.png", EXE, content_type="image/png")]})
    assert bad.status_code == 422 and bad.json()["code"] == "MEDIA_TYPE_NOT_ALLOWED"


def test_control_characters_sent_as_multipart_form_fields_are_taken_out(county_admin):
    """Multipart API fields are not schemas (TextIn) and the page middleware skips /api/: the service cleans them, so
    no control character reaches the item, its lessons or a later export."""
    made = county_admin.client().post("/api/v1/outreach/items", {
        "kind": "class", "title": "讨薪\x1b[31m课\x00", "summary": "摘\x07要", "audiences": "migrants",
        "topics": "劳动争议", "lessons": "第一\x08课|签\x01劳动合同"})
    assert made.status_code == 201, made.content
    item = LibraryItem.objects.get(pk=made.json()["id"])
    lesson = item.lessons.get()
    assert (item.title, item.summary, lesson.title, lesson.body) == ("讨薪[31m课", "摘要", "第一课", "签劳动合同")
