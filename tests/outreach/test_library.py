"""普法资源库: who may publish (truth table), items created with lessons and tags, media checked by content
(through the answers' checks), and the public seeing only published items, filtered by audience and topic."""

from __future__ import annotations

import itertools

import pytest

from tests.outreach.conftest import library_item
from xiangzhi.core.enums import Role
from xiangzhi.core.errors import Conflict, Forbidden, ValidationFailed
from xiangzhi.core.models import AuditLog
from xiangzhi.disputes.services.uploads import Upload
from xiangzhi.outreach import media, rules
from xiangzhi.outreach.enums import ItemState
from xiangzhi.outreach.models import Lesson, LibraryItem
from xiangzhi.outreach.services import library

pytestmark = pytest.mark.usefixtures("outreach_media")

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 2000


@pytest.mark.parametrize(("role", "state", "mine"), list(itertools.product(
    [Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF, Role.LAWYER, Role.AUDITOR, None],
    [ItemState.DRAFT, ItemState.PUBLISHED, ItemState.UNPUBLISHED], [True, False])))
def test_publish_rights_truth_table(role, state, mine):
    roles = {role} if role else set()
    editor = role in (Role.COUNTY_ADMIN, Role.TOWN_STAFF)  # the bureau and the towns' 司法所
    assert rules.can_manage_library(roles) is editor
    assert rules.can_edit_item(roles, in_jurisdiction=mine) is (editor and mine)
    assert rules.can_publish_item(roles, state, in_jurisdiction=mine) is (
        editor and mine and state != ItemState.PUBLISHED)
    assert rules.can_unpublish_item(roles, state, in_jurisdiction=mine) is (
        editor and mine and state == ItemState.PUBLISHED)
    assert rules.can_nominate(roles, is_case=True) is (role == Role.COUNTY_ADMIN)
    assert rules.can_nominate(roles, is_case=False) is False
    assert rules.can_score(roles, already_scored=False) is (role in (Role.COUNTY_ADMIN, Role.CENTRE_STAFF))
    assert rules.can_score(roles, already_scored=True) is False


@pytest.mark.parametrize(("citizen", "phone", "published"), list(itertools.product([True, False], repeat=3)))
def test_vote_rights_truth_table(citizen, phone, published):
    assert rules.can_vote(is_citizen=citizen, has_phone=phone, item_published=published) is (
        citizen and phone and published)


def test_bureau_creates_publishes_and_unpublishes_with_audit(county_admin):
    item = library_item(county_admin.user, kind="class", publish=False)
    assert item.state == ItemState.DRAFT
    assert list(Lesson.objects.filter(item=item).values_list("position", "title")) == [(1, "第一课"), (2, "第二课")]
    item = library.set_published(item, actor=county_admin.user, published=True)
    assert item.state == ItemState.PUBLISHED and item.published_at is not None
    with pytest.raises(Conflict):
        library.set_published(item, actor=county_admin.user, published=True)
    item = library.set_published(item, actor=county_admin.user, published=False)
    assert item.state == ItemState.UNPUBLISHED
    actions = list(AuditLog.objects.filter(object_id=str(item.pk), action__startswith="outreach.item")
                   .values_list("action", flat=True).order_by("pk"))
    assert actions == ["outreach.item_created", "outreach.item_published", "outreach.item_unpublished"]


def test_others_cannot_create_or_publish_even_calling_the_service(county_admin, centre_staff, lawyer):
    item = library_item(county_admin.user, publish=False)
    for persona in (centre_staff, lawyer):
        with pytest.raises(Forbidden):
            library.set_published(item, actor=persona.user, published=True)
        with pytest.raises(Forbidden):
            library.create_item(library.ItemDraft(kind="article", title="x", body="y", audiences=["farmers"]),
                                actor=persona.user)
    item.refresh_from_db()
    assert item.state == ItemState.DRAFT


def test_bad_input_is_refused_and_nothing_written(county_admin):
    for draft in (library.ItemDraft(kind="podcast", title="x", body="y", audiences=["farmers"]),
                  library.ItemDraft(kind="article", title="", body="y", audiences=["farmers"]),
                  library.ItemDraft(kind="article", title="x", body="y", audiences=["aliens"]),
                  library.ItemDraft(kind="article", title="x", body="y", topics=["炼金术"], audiences=["farmers"]),
                  library.ItemDraft(kind="class", title="x", audiences=["farmers"]),
                  library.ItemDraft(kind="video", title="x", audiences=["farmers"])):
        with pytest.raises(ValidationFailed):
            library.create_item(draft, actor=county_admin.user)
    assert not LibraryItem.objects.exists()


def test_wrong_media_refused_by_content(county_admin, outreach_media):
    draft = library.ItemDraft(kind="video", title="微视频", audiences=["farmers"])
    with pytest.raises(ValidationFailed) as exc:
        library.create_item(draft, actor=county_admin.user, upload=Upload(name="普法.mp4", content=EXE))
    assert exc.value.code == "MEDIA_TYPE_NOT_ALLOWED"
    # a real audio file is still no micro-video
    with pytest.raises(ValidationFailed) as exc:
        library.create_item(draft, actor=county_admin.user, upload=Upload(name="a.mp4", content=media.wav_tone(1.0)))
    assert exc.value.code == "MEDIA_TYPE_NOT_ALLOWED"
    assert not LibraryItem.objects.exists()
    assert not [p for p in outreach_media.rglob("*") if p.is_file()] if outreach_media.exists() else True


def test_oversized_media_refused(county_admin, settings):
    settings.XIANGZHI_OUTREACH_MAX_MEDIA_BYTES = 1024
    draft = library.ItemDraft(kind="video", title="微视频", audiences=["farmers"])
    with pytest.raises(ValidationFailed) as exc:
        library.create_item(draft, actor=county_admin.user, upload=Upload(name="big.mp4", content=b"\x00" * 4096))
    assert exc.value.code == "FILE_TOO_LARGE"


def test_public_selector_shows_only_published_filtered(county_admin):
    from xiangzhi.outreach import selectors

    shown = library_item(county_admin.user, audiences=("farmers", "elderly"), topics=("婚姻家庭",), title="已发布")
    library_item(county_admin.user, audiences=("farmers",), publish=False, title="草稿")
    gone = library_item(county_admin.user, audiences=("farmers",), title="已下架")
    library.set_published(gone, actor=county_admin.user, published=False)
    other = library_item(county_admin.user, audiences=("students",), topics=("劳动争议",), title="学生")
    assert {i.title for i in selectors.published_items()} == {"已发布", "学生"}
    assert list(selectors.published_items(audience="elderly")) == [shown]
    assert list(selectors.published_items(topic="劳动争议")) == [other]
    assert list(selectors.published_items(audience="students", topic="婚姻家庭")) == []


def test_comic_pictures_checked_by_content_and_kept_in_order(county_admin, outreach_media):
    draft = library.ItemDraft(kind="comic", title="漫画：讨薪", audiences=["migrants"])
    with pytest.raises(ValidationFailed) as exc:  # an .exe named .png
        library.create_item(draft, actor=county_admin.user,
                            images=[Upload(name="1.png", content=media.png_panel()), Upload(name="2.png", content=EXE)])
    assert exc.value.code == "MEDIA_TYPE_NOT_ALLOWED"
    with pytest.raises(ValidationFailed):  # a comic without pictures
        library.create_item(draft, actor=county_admin.user)
    assert not LibraryItem.objects.exists()
    assert not ([p for p in outreach_media.rglob("*") if p.is_file()] if outreach_media.exists() else [])
    item = library.create_item(draft, actor=county_admin.user,
                               images=[Upload(name=f"{i}.png", content=media.png_panel(rgb=(i, i, i))) for i in (1, 2)])
    assert list(item.pages.values_list("position", "content_type")) == [(1, "image/png"), (2, "image/png")]


def test_oversized_picture_refused(county_admin, settings):
    settings.XIANGZHI_OUTREACH_MAX_IMAGE_BYTES = 1024
    draft = library.ItemDraft(kind="comic", title="漫画", audiences=["farmers"])
    with pytest.raises(ValidationFailed) as exc:
        library.create_item(draft, actor=county_admin.user,
                            images=[Upload(name="big.png", content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096)])
    assert exc.value.code == "FILE_TOO_LARGE"


def test_a_membership_of_another_kind_does_not_widen_a_town_office_library(other_town_staff):
    """乌镇's justice-office official who is also a county lawyer edits 乌镇's items only: the lawyer membership is
    no library role, so 崇福's items are neither listed nor editable, nor may they file an item under 崇福."""
    from tests.conftest import CHONGFU, COUNTY, WUZHEN, make_staff
    from tests.outreach.conftest import library_item
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.core.models import Region
    from xiangzhi.outreach import selectors
    from xiangzhi.outreach.services import library

    item = library_item(other_town_staff.user, publish=False)
    make_staff("gzls_wz", "town_staff", WUZHEN, {"region__code": WUZHEN, "kind": "justice_office"})
    both = make_staff("gzls_wz", "lawyer", COUNTY, {"kind": "law_firm"}).user
    assert not selectors.library_for(both).filter(pk=item.pk).exists()
    with pytest.raises(XiangzhiError):
        library.set_published(item, actor=both, published=True)
    with pytest.raises(XiangzhiError):
        library.create_item(library.ItemDraft(kind="article", title="外镇", body="正文", audiences=["farmers"]),
                            actor=both, region=Region.objects.get(code=CHONGFU))
    # filed by default under their own town, not the county
    own = library.create_item(library.ItemDraft(kind="article", title="本镇", body="正文", audiences=["farmers"]),
                              actor=both)
    assert own.region.code == WUZHEN
