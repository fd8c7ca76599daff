"""A town's 司法所 on the office screen: opens the 普法资源库 from the navigation, edits its town's comic, tries an
.exe named .png (refused, nothing added), adds a real picture, publishes it; a county jury member scores a case once."""

import pytest

from tests.browser.conftest import login_staff, screenshot
from tests.conftest import CHONGFU, COUNTY, make_staff
from tests.outreach.conftest import library_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 2000


def test_a_town_office_edits_its_comic_and_a_juror_scores_once(live_server, desktop_page, settings, tmp_path,
                                                               tongxiang, county_admin):
    from xiangzhi.disputes.services.uploads import Upload
    from xiangzhi.outreach import media
    from xiangzhi.outreach.enums import ItemState
    from xiangzhi.outreach.models import ComicPage, JuryScore, LibraryItem
    from xiangzhi.outreach.services import library, topten

    settings.STORAGES = {**settings.STORAGES, "outreach": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                           "OPTIONS": {"location": str(tmp_path / "media")}}}
    from django.core.files.storage import storages

    storages._storages.pop("outreach", None)
    sfs = make_staff("sfs_cf", "town_staff", CHONGFU, {"region__code": CHONGFU, "kind": "justice_office"})
    comic = library.create_item(library.ItemDraft(kind="comic", title="漫画：签合同", audiences=["migrants"]),
                                actor=sfs.user, images=[Upload(name="1.png", content=media.png_panel(160, 100))])
    case = library_item(county_admin.user, kind="case", title="宅基地纠纷案")
    topten.nominate(case, 2026, actor=county_admin.user)

    page = desktop_page
    login_staff(page, live_server.url, sfs.user.username, sfs.password)
    page.get_by_role("link", name="普法资源库").first.click()
    page.wait_for_selector("h1:has-text('普法资源库管理')")
    assert "宅基地纠纷案" not in page.content()  # the bureau's item is not the town's
    page.get_by_role("link", name="编辑").first.click()
    page.wait_for_selector("h1:has-text('编辑：漫画：签合同')")
    page.fill("input[name=title]", "漫画：外出务工先签合同")
    page.get_by_role("button", name="保存修改").click()
    page.wait_for_selector("text=已保存修改")
    bad = tmp_path / "evil.png"  # (Playwright's set_input_files does not take a non-ASCII file name here)
    bad.write_bytes(EXE)
    page.set_input_files("input[name=file]", str(bad))
    page.get_by_role("button", name="上传").click()
    page.wait_for_selector("text=不是图片")
    screenshot(page, "outreach-item-edit-refused-upload")
    assert ComicPage.objects.filter(item=comic).count() == 1
    good = tmp_path / "2.png"
    good.write_bytes(media.png_panel(160, 100, (200, 220, 250)))
    page.set_input_files("input[name=file]", str(good))
    page.get_by_role("button", name="上传").click()
    page.wait_for_selector("text=已有 2 张图片")
    page.goto(f"{live_server.url}/outreach/staff/library/")
    page.get_by_role("button", name="发布").first.click()
    page.wait_for_selector("text=已发布。")
    screenshot(page, "outreach-workbench-town-office")
    assert LibraryItem.objects.get(pk=comic.pk).state == ItemState.PUBLISHED

    juror = make_staff("juror_browser", "centre_staff", COUNTY, {"kind": "county_centre"})
    page.context.clear_cookies()
    login_staff(page, live_server.url, juror.user.username, juror.password)
    page.goto(f"{live_server.url}/outreach/staff/library/")
    page.fill("input[name=score]", "86")
    page.get_by_role("button", name="打分").click()
    page.wait_for_selector("text=评审分已保存")
    assert page.get_by_role("button", name="打分").count() == 0  # scored once: no second form
    screenshot(page, "outreach-jury-scored")
    assert list(JuryScore.objects.values_list("score", flat=True)) == [86]
