"""Intake from every channel: numbers and tokens, validation (pages and API), uploads, repeat disputes, triage,
routing and re-routing, 一米调解."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import first_village, valid_id_number
from tests.disputes.conftest import CHONGFU, WUZHEN, intake_data, new_case
from xiangzhi.core.errors import ValidationFailed
from xiangzhi.disputes.enums import CaseStage
from xiangzhi.disputes.models import Attachment, Case, TimelineEvent
from xiangzhi.disputes.services import intake, records, transitions
from xiangzhi.disputes.services.uploads import Upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


def test_numbers_are_readable_sequential_and_unique(tongxiang):
    a, b = new_case(), new_case(applicant_phone="13800000009")
    assert re.fullmatch(r"桐解〔20\d\d〕\d{5}号", a.number)
    assert b.seq == a.seq + 1
    assert a.archive_number == f"({a.year})桐人调字第{a.seq}号"
    assert len(a.token) >= 32 and a.token != b.token
    assert a.public_url == settings.XIANGZHI_PUBLIC_URL + f"/cases/s/{a.token}/"


def test_the_applicant_gets_an_sms_with_the_number_and_link(tongxiang):
    from xiangzhi.core.models import Notification

    case = new_case()
    note = Notification.objects.filter(body__contains=case.number).first()
    assert note is not None and note.link == case.public_url and note.recipient_phone == "13800000001"


def test_intake_validation_collects_chinese_messages(tongxiang):
    data = intake_data(description="太短", consent=False)
    data.respondents = []
    data.region_code = "330483100"  # a town, not a village
    with pytest.raises(ValidationFailed) as exc:
        intake.create_case(data, actor=None, channel="online")
    assert exc.value.code == "INVALID_INTAKE"
    detail = exc.value.detail
    assert set(detail) >= {"respondents", "region_code", "description", "consent"}
    assert "村（社区）" in detail["region_code"][0]
    assert Case.objects.count() == 0


def test_a_bad_id_number_of_the_applicant_is_refused(tongxiang):
    with pytest.raises(ValidationFailed) as exc:
        intake.create_case(intake_data(applicant_id="330483199001011230"), actor=None, channel="online")
    assert "applicant.id_number" in exc.value.detail


@pytest.mark.parametrize(("name", "content", "code"), [
    ("virus.exe", b"MZ" + b"0" * 100, "FILE_TYPE_NOT_ALLOWED"),
    ("fake.png", b"GIF89a" + b"0" * 100, "FILE_TYPE_NOT_ALLOWED"),
    ("empty.pdf", b"", "FILE_EMPTY"),
])
def test_a_refused_upload_leaves_no_case_and_no_file(tongxiang, name, content, code):
    files_before = _media_files()
    with pytest.raises(ValidationFailed) as exc:
        new_case(files=[Upload(name="ok.png", content=PNG), Upload(name=name, content=content)])
    assert exc.value.code == code
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0
    assert _media_files() == files_before


def test_an_oversize_upload_is_refused(tongxiang, settings):
    settings.XIANGZHI_MAX_UPLOAD_BYTES = 2048
    with pytest.raises(ValidationFailed) as exc:
        new_case(files=[Upload(name="big.pdf", content=PDF + b"0" * 4096)])
    assert exc.value.code == "FILE_TOO_LARGE" and "MB" in exc.value.message
    assert Case.objects.count() == 0


def test_files_written_are_removed_when_the_transaction_fails(tongxiang, monkeypatch):
    files_before = _media_files()

    def boom(*args, **kwargs):
        raise RuntimeError("notification outbox down")

    monkeypatch.setattr(records, "_notify_parties", boom)
    with pytest.raises(RuntimeError):
        new_case(files=[Upload(name="photo.png", content=PNG)])
    assert Case.objects.count() == 0 and _media_files() == files_before


def _media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_accepted_files_are_stored_with_their_sha256(tongxiang):
    import hashlib

    case = new_case(files=[Upload(name="现场照片.png", content=PNG), Upload(name="收条.pdf", content=PDF)])
    atts = list(case.attachments.order_by("id"))
    assert [a.content_type for a in atts] == ["image/png", "application/pdf"]
    assert atts[0].sha256 == hashlib.sha256(PNG).hexdigest()
    assert Path(atts[0].file.path).read_bytes() == PNG
    assert TimelineEvent.objects.filter(case=case, kind="attachment", payload__sha256=atts[1].sha256).exists()


def test_a_repeat_dispute_is_linked_not_silently_duplicated(tongxiang):
    rid = valid_id_number("33048319800101123")
    first = new_case(respondent_id=rid)
    again = new_case(respondent_id=rid, description="李四又把围墙往我家这边砌了半米，上次说好的不算数")
    assert again.pk != first.pk and again.repeat_of_id == first.pk
    assert TimelineEvent.objects.filter(case=again, kind="repeat").exists()
    other_applicant = new_case(applicant_phone="13811112222", respondent_id=rid)
    assert other_applicant.repeat_of_id is None


def test_same_applicant_same_village_within_90_days_is_a_repeat(tongxiang):
    first = new_case(respondent_name="王五")
    second = new_case(respondent_name="赵六", description="赵六家的狗经常跑到我家咬鸡，已经咬死三只了")
    assert second.repeat_of_id == first.pk
    elsewhere = new_case(region_code=first_village(CHONGFU).code, respondent_name="钱七",
                         description="钱七借了我两万元到期不还，多次催讨无果")
    assert elsewhere.repeat_of_id is None


def test_triage_suggests_a_type_and_routes_traffic_to_the_professional_committee(tongxiang):
    case = new_case(description="电瓶车和小汽车在路口相撞，对方司机不肯垫付医药费，交警已出认定书")
    assert case.suggested_type.code == "traffic" and case.dispute_type.code == "traffic"
    assert case.organisation.kind == "professional_committee" and case.organisation.specialty == "traffic"
    assert case.level == "town"


def test_ordinary_disputes_go_to_the_village_committee_and_major_risk_to_the_county_centre(tongxiang):
    village = first_village(WUZHEN)
    ordinary = new_case(type_code="neighbour")
    assert ordinary.organisation.kind == "village_committee" and ordinary.organisation.region == village
    major = new_case(type_code="neighbour", risk_level="major", applicant_phone="13822223333")
    assert major.organisation.kind == "county_centre" and major.colour == "red"
    medical = new_case(type_code="medical", applicant_phone="13833334444")
    assert medical.organisation.specialty == "medical" and medical.organisation.region.code == "330483"


def test_an_administrator_edits_the_routing_table(tongxiang):
    from xiangzhi.disputes.models import DisputeType, RoutingRule

    RoutingRule.objects.create(dispute_type=DisputeType.objects.get(code="neighbour"), region_prefix=WUZHEN,
                               target_level="town", org_kind="town_committee")
    assert new_case(type_code="neighbour").organisation.kind == "town_committee"
    assert new_case(type_code="neighbour", region_code=first_village(CHONGFU).code,
                    applicant_phone="13844445555").organisation.kind == "village_committee"


def test_retriage_reroutes_and_keeps_number_token_and_history(mediator):
    case = new_case(type_code="neighbour")
    number, token, events = case.number, case.token, case.timeline.count()
    fixed = intake.retriage(case, actor=mediator.user, type_code="labour", reason="实为拖欠工资")
    assert (fixed.number, fixed.token) == (number, token)
    assert fixed.dispute_type.code == "labour" and fixed.organisation.specialty == "labour"
    assert fixed.timeline.count() == events + 1
    assert Case.objects.count() == 1


def test_grid_worker_resolves_on_the_spot(grid_worker):
    data = intake_data(on_spot="李四当场同意拆除多砌的围墙，张三不再追究")
    case = intake.create_case(data, actor=grid_worker.user, channel="grid")
    assert case.stage == CaseStage.CLOSED and case.level == "grid" and case.resolved_on_spot
    assert case.region_code == grid_worker.region.code
    assert case.agreement_effective_at is not None and case.colour == "green"
    stages = list(case.timeline.filter(kind="transition").values_list("stage_to", flat=True))
    assert stages == ["agreement_oral", "closed"]


def test_only_grid_intake_may_record_on_the_spot(mediator):
    with pytest.raises(ValidationFailed):
        intake.create_case(intake_data(on_spot="当场和解"), actor=mediator.user, channel="window")


def test_citizens_cannot_use_staff_channels(villager_a):
    from xiangzhi.core.errors import XiangzhiError

    with pytest.raises(XiangzhiError) as exc:
        intake.create_case(intake_data(), actor=villager_a[0], channel="window")
    assert exc.value.code == "FORBIDDEN"


# Pages ----------------------------------------------------------------------------------------------------------
def test_the_apply_page_asks_an_anonymous_visitor_to_verify_the_phone(client, tongxiang):
    village = first_village(WUZHEN)
    r = client.get(f"/cases/apply/?v={village.code}")
    assert r.status_code == 200 and "验证" in r.content.decode()
    assert "/citizen/login/?next=/cases/apply/" in r.content.decode()


def test_the_apply_page_preselects_the_scanned_village_and_shows_chinese_errors(villager_a, tongxiang):
    user, c = villager_a
    village = first_village(WUZHEN)
    r = c.get(f"/cases/apply/?v={village.code}")
    assert f'value="{village.code}" selected' in r.content.decode()
    r = c.post("/cases/apply/", {"applicant_name": "张三", "region_code": village.code, "description": "短"})
    body = r.content.decode()
    assert r.status_code == 422
    assert "请至少填写一名被申请人" in body or "请填写" in body
    assert "请用至少10个字说明发生了什么" in body
    assert Case.objects.count() == 0


def test_an_empty_application_says_whose_name_is_missing_and_lists_each_problem_once(villager_a, tongxiang):
    """Sent empty, the apply page listed "请填写姓名。" three times (the headline, the applicant, the other party)
    without saying whose name; each problem now names its field, as the form's own errors do."""
    import re

    _, c = villager_a
    r = c.post("/cases/apply/", {"applicant_phone": "13800000001", "respondent_kind": "person"})
    assert r.status_code == 422
    box = r.content.decode()
    box = box[box.index('<div class="error" role="alert">'):]
    box = box[:box.index("</div>")]
    items = re.findall(r"<li>(.*?)</li>", box)
    assert "您的姓名：请填写姓名。" in items and "对方姓名或单位名称：请填写姓名。" in items
    assert "纠纷发生在哪个村（社区）：请选择纠纷发生地所在的村（社区）。" in items
    assert len(items) == len(set(items))
    assert "<p>输入有误，请检查后重新提交。</p>" in box
    assert Case.objects.count() == 0


def test_a_villager_applies_with_a_photo_and_lands_on_the_status_page(villager_a, tongxiang):
    user, c = villager_a
    village = first_village(WUZHEN)
    r = c.post("/cases/apply/", {
        "applicant_name": "张三", "respondent_kind": "person", "respondent_name": "李四", "region_code": village.code,
        "description": "隔壁邻居把围墙砌到我家院子里来了", "request": "拆除围墙", "consent": "on",
        "files": [SimpleUploadedFile("photo.png", PNG, content_type="image/png")],
    })
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/s/{case.token}/"
    assert case.attachments.count() == 1 and case.channel == "online"
    page = c.get(r["Location"]).content.decode()
    assert case.number in page and "已申报" in page


def test_an_upload_of_the_wrong_type_on_the_page_leaves_no_case(villager_a, tongxiang):
    user, c = villager_a
    r = c.post("/cases/apply/", {
        "applicant_name": "张三", "respondent_kind": "person", "respondent_name": "李四",
        "region_code": first_village(WUZHEN).code, "description": "隔壁邻居把围墙砌到我家院子里来了",
        "request": "拆除围墙", "consent": "on", "files": [SimpleUploadedFile("a.exe", b"MZ" * 40)],
    })
    assert r.status_code == 422 and "只能上传" in r.content.decode()
    assert Case.objects.count() == 0


def test_a_grid_worker_sending_the_form_empty_is_told_of_the_name_and_the_phone_at_once(grid_worker):
    """The applicant's missing phone hid the missing name: the worker fixed one and was sent back for the other."""
    import re

    r = grid_worker.client().post("/cases/grid/new/", {"respondent_kind": "person"})
    assert r.status_code == 422
    items = re.findall(r"<li>(.*?)</li>", r.content.decode())
    assert "申请人姓名：请填写姓名。" in items and "申请人手机号：请填写手机号，用于接收办理进度。" in items
    assert Case.objects.count() == 0


def test_a_refused_file_is_one_message_not_its_detail_spelled_out_letter_by_letter(villager_a, tongxiang):
    """The refusal's detail (the file's name, the allowed types) is for the API; the page's error box listed each
    of its letters as a problem."""
    _, c = villager_a
    r = c.post("/cases/apply/", {
        "applicant_name": "张三", "respondent_kind": "person", "respondent_name": "李四",
        "region_code": first_village(WUZHEN).code, "description": "隔壁邻居把围墙砌到我家院子里来了",
        "request": "拆除围墙", "consent": "on", "files": [SimpleUploadedFile("a.exe", b"MZ" * 40)],
    })
    box = r.content.decode()
    box = box[box.index('<div class="error" role="alert">'):]
    box = box[:box.index("</div>")]
    assert r.status_code == 422 and "只能上传" in box and "<li>" not in box


def test_window_intake_records_a_police_referral(centre_staff):
    from xiangzhi.core.models import Organisation

    police = Organisation.objects.filter(specialty="police", region__code=WUZHEN).first()
    r = centre_staff.client().post("/cases/workbench/new/", {
        "source": "referral_police", "referral_org": police.pk, "risk_level": "normal", "applicant_name": "张三",
        "applicant_phone": "13800000001", "respondent_kind": "person", "respondent_name": "李四",
        "region_code": first_village(WUZHEN).code, "description": "两家因宅基地界线发生口角，派出所出警后移送调解",
    })
    case = Case.objects.get()
    assert r.status_code == 302 and case.source == "referral_police" and case.referral_org == police
    assert case.channel == "window"


def test_window_intake_takes_each_persons_particulars_for_the_agreement(centre_staff):
    """人民调解法 第29条: sex, ethnicity and occupation asked at the window, kept on the parties (the last two
    encrypted), refused when the sex is not one of the choices."""
    form = centre_staff.client().get("/cases/workbench/new/").content.decode()
    for name in ("applicant_sex", "applicant_ethnicity", "applicant_occupation", "respondent_sex",
                 "respondent_ethnicity", "respondent_occupation"):
        assert f'name="{name}"' in form, name
    base = {"source": "application", "risk_level": "normal", "applicant_name": "张三", "respondent_kind": "person",
            "respondent_name": "李四", "region_code": first_village(WUZHEN).code,
            "description": "两家因宅基地界线发生口角，来窗口申请调解"}
    r = centre_staff.client().post("/cases/workbench/new/", {**base, "applicant_sex": "X"})
    assert r.status_code == 422 and Case.objects.count() == 0
    r = centre_staff.client().post("/cases/workbench/new/", {
        **base, "applicant_sex": "F", "applicant_ethnicity": "汉族", "applicant_occupation": "桐乡市某羊毛衫厂",
        "respondent_sex": "M", "respondent_ethnicity": "回族", "respondent_occupation": "务农"})
    assert r.status_code == 302
    applicant, respondent = Case.objects.get().parties.order_by("order")
    assert (applicant.sex, applicant.ethnicity, applicant.occupation) == ("F", "汉族", "桐乡市某羊毛衫厂")
    assert (respondent.sex, respondent.ethnicity, respondent.occupation) == ("M", "回族", "务农")


# API --------------------------------------------------------------------------------------------------------
def test_api_intake_errors_are_422_with_code_message_detail(mediator):
    r = mediator.client().post("/api/v1/cases/", json.dumps({
        "applicant": {"name": "张三", "phone": "13800000001", "id_number": "330483198001011230"},
        "respondents": [{"name": "李四"}], "region_code": first_village(WUZHEN).code,
        "description": "短", "channel": "window"}), content_type="application/json")
    body = r.json()
    assert r.status_code == 422 and body["code"] == "INVALID_INTAKE"
    assert set(body) == {"code", "message", "detail"} and "applicant.id_number" in body["detail"]
    r = mediator.client().post("/api/v1/cases/", json.dumps({
        "applicant": {"name": "张三", "phone": "123"}, "respondents": [], "region_code": "999",
        "description": "短", "channel": "window"}), content_type="application/json")
    body = r.json()  # what the published schema already refuses: every field named
    assert r.status_code == 422 and body["code"] == "INVALID_INPUT"
    assert {"phone", "respondents", "region_code"} <= {d["loc"][-1] for d in body["detail"]}
    r = mediator.client().post("/api/v1/cases/", json.dumps({"applicant": {}, "typo": 1}),
                               content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "INVALID_INPUT"


def test_api_intake_records_the_mediator_the_applicant_prefers(mediator):
    r = mediator.client().post("/api/v1/cases/", json.dumps({
        "applicant": {"name": "张三", "phone": "13800000001"}, "respondents": [{"name": "李四"}],
        "region_code": first_village(WUZHEN).code, "description": "隔壁邻居把围墙砌到我家院子里来了",
        "preferred_mediator": "王调解", "channel": "window"}), content_type="application/json")
    assert r.status_code == 201 and r.json()["preferred_mediator"] == "王调解"
    assert Case.objects.get().preferred_mediator == "王调解"

def test_a_department_refers_a_case_with_its_api_token(tongxiang, client):
    from xiangzhi.core import services as core
    from xiangzhi.core.models import Organisation, Region, User

    police = Organisation.objects.filter(specialty="police", region__code=WUZHEN).first()
    svc = User.objects.create(username="police_api", kind="service")
    core.add_membership(svc, role="liaison", region=Region.objects.get(code=WUZHEN), organisation=police, actor=None)
    token = core.issue_api_token(svc, name="乌镇派出所", actor=None)
    payload = {"applicant": {"name": "张三", "phone": "13800000001"}, "respondents": [{"name": "李四"}],
               "region_code": first_village(WUZHEN).code, "description": "两家因为排水沟发生争吵，出警后移送调解",
               "referral_ref": "桐公乌（2026）88号"}
    r = client.post("/api/v1/cases/referrals", json.dumps(payload), content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201, r.content
    case = Case.objects.get()
    assert (case.source, case.channel, case.referral_org) == ("referral_police", "api", police)
    assert r.json()["number"] == case.number
    assert client.post("/api/v1/cases/referrals", json.dumps(payload), content_type="application/json").status_code == 401


def test_a_villager_names_the_mediator_they_want_and_the_case_page_offers_that_choice(villager_a, mediator, tongxiang):
    """人民调解法 第23条: a party may choose the mediator. The applicant names one on the apply page; when the
    organisation has that mediator the assignment form pre-selects them and ticks 由当事人选定."""
    mediator.user.display_name = "王调解"
    mediator.user.save(update_fields=["display_name"])
    user, c = villager_a
    form = {"applicant_name": "张三", "respondent_kind": "person", "respondent_name": "李四",
            "region_code": first_village(WUZHEN).code, "description": "隔壁邻居把围墙砌到我家院子里来了",
            "request": "拆除围墙", "consent": "on"}
    assert "希望由哪位调解员调解" in c.get("/cases/apply/").content.decode()
    r = c.post("/cases/apply/", {**form, "preferred_mediator": " 王调解 "})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.preferred_mediator == "王调解"
    case = transitions.transition(case, CaseStage.ACCEPTED, actor=mediator.user)
    page = mediator.client().get(f"/cases/workbench/{case.pk}/").content.decode()
    assert "申请人希望由「王调解」调解" in page and "没有此人" not in page
    assert f'<option value="{mediator.user.pk}" selected>王调解</option>' in page
    assert 'name="chosen_by_party" value="1" checked' in page

    r = c.post("/cases/apply/", {**form, "preferred_mediator": "村里的老支书"})
    other = Case.objects.exclude(pk=case.pk).get()
    other = transitions.transition(other, CaseStage.ACCEPTED, actor=mediator.user)
    page = mediator.client().get(f"/cases/workbench/{other.pk}/").content.decode()
    assert "申请人希望由「村里的老支书」调解（本组织调解员中没有此人" in page
    assert 'name="chosen_by_party" value="1" checked' not in page


def test_a_preferred_mediator_longer_than_a_name_is_refused_in_chinese(tongxiang):
    data = intake_data()
    data.preferred_mediator = "我希望" * 30
    with pytest.raises(ValidationFailed) as exc:
        intake.create_case(data, actor=None, channel="online")
    assert "preferred_mediator" in exc.value.detail and Case.objects.count() == 0


def test_case_sms_name_the_number_once_end_with_one_full_stop_and_link_absolutely(mediator, sms_outbox):
    from xiangzhi.core.services import deliver_notifications
    from xiangzhi.disputes.enums import CaseStage

    case = new_case()
    transitions.transition(case, CaseStage.TERMINATED, actor=mediator.user, reason="申请人撤回",
                                details=transitions.Terminate("withdrawn"))
    deliver_notifications()
    texts = [m["text"] for m in sms_outbox]
    assert len(texts) == 2
    for text in texts:
        body, link = text.rsplit(" ", 1)
        assert body.count(case.number) == 1, body
        assert body.endswith("。") and not body.endswith("。。"), body
        assert link == case.public_url and link.startswith("http")


# Control characters ------------------------------------------------------------------------------------------
def test_control_characters_typed_on_the_apply_page_are_not_stored(villager_a, tongxiang):
    user, c = villager_a
    r = c.post("/cases/apply/", {
        "applicant_name": "张\x07三", "respondent_kind": "person", "respondent_name": "李\x1b四",
        "region_code": first_village(WUZHEN).code, "description": "隔壁邻居\x00把围墙砌到我家院子里来了\r\n占了一米",
        "request": "拆除\x1b[2J围墙", "consent": "on",
    })
    case = Case.objects.get()
    assert r.status_code == 302
    assert case.description == "隔壁邻居把围墙砌到我家院子里来了\r\n占了一米" and case.request == "拆除[2J围墙"
    assert sorted(p.person.name for p in case.parties.select_related("person")) == ["张三", "李四"]


def test_control_characters_in_an_api_intake_are_not_stored(mediator):
    r = mediator.client().post("/api/v1/cases/", json.dumps({
        "applicant": {"name": "张\x07三", "phone": "13800000001"}, "respondents": [{"name": "李\x00四"}],
        "region_code": first_village(WUZHEN).code, "description": "隔壁邻居\x1b把围墙砌到我家院子里来了，占了一米多",
        "request": "拆除\x08围墙", "consent": True, "channel": "window"}), content_type="application/json")
    assert r.status_code == 201, r.content
    case = Case.objects.get()
    assert case.description == "隔壁邻居把围墙砌到我家院子里来了，占了一米多" and case.request == "拆除围墙"
    assert sorted(p.person.name for p in case.parties.select_related("person")) == ["张三", "李四"]


# Guards inside the intake services (not in the page or the API function) ---------------------------------------
def test_only_a_liaison_may_refer_and_the_service_resolves_organisation_and_source(tongxiang, mediator, liaison):
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.core.models import Organisation

    with pytest.raises(XiangzhiError) as exc:
        intake.refer(intake_data(), actor=mediator.user)
    assert exc.value.code == "FORBIDDEN" and exc.value.status == 403
    assert not Case.objects.exists()
    data = intake_data()
    data.referral_ref = "桐公乌（2026）89号"
    case = intake.refer(data, actor=liaison.user)
    police = Organisation.objects.get(pk=case.referral_org_id)
    assert (case.source, case.channel, police.specialty) == ("referral_police", "api", "police")


def test_the_api_intake_channel_is_decided_by_the_service(villager_a, mediator):
    assert intake.channel_for(villager_a[0], "window") == "online"
    assert intake.channel_for(mediator.user, "grid") == "grid"
    for requested in ("online", "api", ""):
        with pytest.raises(ValidationFailed) as exc:
            intake.channel_for(mediator.user, requested)
        assert exc.value.code == "INVALID_CHANNEL"


def test_online_applications_are_limited_per_address_in_the_service(villager_a, mediator, tongxiang, settings):
    from xiangzhi.core.errors import RateLimited, XiangzhiError

    settings.XIANGZHI_RATE_LIMIT_APPLY_PER_HOUR = 2
    with pytest.raises(XiangzhiError) as exc:
        intake.apply_online(intake_data(), actor=mediator.user, client_ip="10.0.0.1")  # staff are not villagers
    assert exc.value.code == "FORBIDDEN"
    for _ in range(2):
        case = intake.apply_online(intake_data(), actor=villager_a[0], client_ip="10.0.0.1")
    assert (case.channel, case.source) == ("online", "application")
    with pytest.raises(RateLimited):
        intake.apply_online(intake_data(), actor=villager_a[0], client_ip="10.0.0.1")
    assert Case.objects.count() == 2
    intake.apply_online(intake_data(), actor=villager_a[0], client_ip="10.0.0.2")  # another address has its own count


def test_the_api_citizen_intake_shares_the_application_limit(villager_a, tongxiang, settings):
    """Before, only the application page was limited; a villager's API intake now counts against the same limit."""
    settings.XIANGZHI_RATE_LIMIT_APPLY_PER_HOUR = 1
    _, c = villager_a
    body = {"applicant": {"name": "张三"}, "respondents": [{"name": "李四"}], "region_code": first_village(WUZHEN).code,
            "consent": True, "description": "邻居家空调外机对着我家窗户吹热风", "request": "移走外机"}
    codes = [c.post("/api/v1/cases/", json.dumps(body), content_type="application/json").status_code
             for _ in range(2)]
    assert codes == [201, 429]
    assert Case.objects.count() == 1


def test_case_lookups_are_limited_per_address_in_the_service(villager_a, tongxiang, settings):
    from xiangzhi.core.errors import RateLimited

    settings.XIANGZHI_RATE_LIMIT_LOOKUP_PER_MINUTE = 2
    case = new_case()
    assert intake.lookup(case.number, actor=None, client_ip="10.0.0.3") == case
    assert intake.lookup("2026-99999", actor=None, client_ip="10.0.0.3") is None
    with pytest.raises(RateLimited):
        intake.lookup(case.number, actor=None, client_ip="10.0.0.3")
