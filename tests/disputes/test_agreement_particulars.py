"""人民调解法 第29条: the written agreement holds the parties' basic details, the main facts and issues in a neutral
statement the mediator edits, each party's responsibilities, what is agreed, how and by when it is performed — all
part of the version the signatures and the seal bind; editing it (or a party's details) is a new version that needs
every signature again. Official forms print the parties' names in full; ID numbers and phones follow the reveal."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.disputes.conftest import docx_text, new_case, session, walk
from xiangzhi.core.errors import Conflict, XiangzhiError
from xiangzhi.disputes import selectors
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Party
from xiangzhi.disputes.services import agreement, transitions
from xiangzhi.disputes.services import documents as case_documents

pytestmark = pytest.mark.django_db
AGREE = transitions.Agree(
    "李四于2026年12月31日前拆除占地围墙，张三不再追究。", facts="双方为相邻关系，李四砌墙占用张三宅基地约一米，双方就是否拆除发生争议。",
    responsibilities="李四对占地负主要责任。", performance="李四自行拆除，村委会到场见证；履行地点：张三宅基地东侧。",
    due=dt.date(2026, 12, 31))


def _written(mediator, **kw):
    case = walk(new_case(**kw), S.IN_MEDIATION, mediator.user)
    session(case, mediator.user)
    return transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator.user, details=AGREE)


def test_the_agreement_stores_and_prints_every_particular(mediator):
    case = _written(mediator, applicant_id="", respondent_name="李四")
    assert case.agreement_facts.startswith("双方为相邻关系") and case.agreement_due == dt.date(2026, 12, 31)
    text = docx_text(case_documents.download(case, "agreement", actor=mediator.user))
    for part in ("纠纷主要事实、争议事项", "双方为相邻关系", "各方当事人的责任", "李四对占地负主要责任",
                 "村委会到场见证", "2026年12月31日前", "李四于2026年12月31日前拆除"):
        assert part in text, part
    # names in full, as the paper forms print them; phones masked without a disclosure
    assert "申请人：张三" in text and "被申请人：李四" in text and "13800000001" not in text


def test_official_forms_print_names_in_full(mediator):
    case = walk(new_case(), S.ACCEPTED, mediator.user)
    text = docx_text(case_documents.download(case, "register", actor=mediator.user))
    assert "申请人：张三" in text and "13800000001" not in text


def test_the_digest_covers_the_particulars_and_a_party_details(mediator):
    case = _written(mediator)
    first = selectors.agreement_digest(case)
    case.agreement_responsibilities = "双方各负一半责任。"
    assert selectors.agreement_digest(case) != first
    case.refresh_from_db()
    party = case.parties.first()
    agreement.set_party_details(case, party, actor=mediator.user, sex="M", occupation="个体户")
    case.refresh_from_db()
    assert selectors.agreement_digest(case) != first
    assert Party.objects.get(pk=party.pk).occupation == "个体户"


def test_editing_after_a_signature_is_a_new_version_needing_every_signature(mediator):
    case = _written(mediator)
    parties = list(case.parties.all())
    agreement.sign_agreement(case, actor=mediator.user, party=parties[0])
    signed_digest = selectors.agreement_digest(case)
    revised = transitions.Agree(AGREE.text, facts=AGREE.facts, responsibilities="双方各负一半责任。",
                                performance=AGREE.performance, due=AGREE.due)
    case = agreement.revise_agreement(case, revised, actor=mediator.user, reason="当事人要求修改责任表述")
    assert selectors.agreement_digest(case) != signed_digest
    signing = selectors.agreement_signing(case)
    assert signing.signed_parties == {}  # the first signature bound the earlier version
    for p in parties:
        agreement.sign_agreement(case, actor=mediator.user, party=p)
    agreement.sign_agreement(case, actor=mediator.user, as_mediator=True)
    agreement.apply_seal(case, actor=mediator.user)
    case.refresh_from_db()
    assert case.agreement_effective_at is not None
    with pytest.raises(Conflict) as exc:  # in effect: frozen
        agreement.revise_agreement(case, revised, actor=mediator.user)
    assert exc.value.code == "NOT_SIGNABLE"


def test_revision_is_guarded_in_the_service(mediator, other_mediator):
    case = _written(mediator)
    with pytest.raises(XiangzhiError) as exc:
        agreement.revise_agreement(case, AGREE, actor=other_mediator.user)
    assert exc.value.code == "FORBIDDEN"
    with pytest.raises(Conflict) as exc:
        agreement.revise_agreement(case, AGREE, actor=mediator.user)
    assert exc.value.code == "AGREEMENT_UNCHANGED"


def test_the_api_takes_the_particulars(client, mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    session(case, mediator.user)
    client.force_login(mediator.user)
    r = client.post(f"/api/v1/cases/{case.pk}/transitions", {
        "to": "agreement_written", "agreement_text": "李四拆除围墙", "agreement_facts": "相邻占地争议",
        "agreement_responsibilities": "李四负主要责任", "agreement_performance": "自行拆除",
        "agreement_due": "2026-12-31"}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["agreement_facts"] == "相邻占地争议" and body["agreement_due"] == "2026-12-31"
    r = client.put(f"/api/v1/cases/{case.pk}/agreement", {
        "agreement_text": "李四拆除围墙并赔偿100元", "agreement_facts": "相邻占地争议"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["agreement_text"] == "李四拆除围墙并赔偿100元"


def test_the_intake_gathers_the_basic_details_kept_encrypted_and_the_disclosed_agreement_prints_them(mediator):
    from django.db import connection

    from tests.conftest import WUZHEN, first_village, valid_id_number
    from xiangzhi.disputes.services import intake

    ident = valid_id_number("33048319800102002")
    case = intake.create_case(intake.IntakeIn(
        applicant=intake.PartyIn(name="张三", phone="13800000001", id_number=ident, sex="M", ethnicity="汉族",
                                 occupation="桐乡市某羊毛衫厂职工"),
        respondents=[intake.PartyIn(name="李四", sex="F")], region_code=first_village(WUZHEN).code,
        description="隔壁邻居把围墙砌到我家院子里来了，占了一米多", request="拆除围墙", consent=True), actor=mediator.user, channel="window")
    applicant = case.parties.get(role="applicant")
    assert (applicant.sex, applicant.occupation) == ("M", "桐乡市某羊毛衫厂职工")
    with connection.cursor() as cur:
        cur.execute("SELECT occupation, ethnicity FROM disputes_party WHERE id = %s", [applicant.pk])
        stored = cur.fetchone()
    assert "羊毛衫" not in str(stored) and "汉族" not in str(stored)
    case = walk(case, S.IN_MEDIATION, mediator.user)
    session(case, mediator.user)
    case = transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator.user, details=AGREE)
    full = docx_text(case_documents.generate(case, "agreement", actor=mediator.user, reason="签署协议"))
    for part in ("张三，性别：男", "出生日期：1980年1月2日", "民族：汉族", "职业或工作单位：桐乡市某羊毛衫厂职工",
                 f"身份证号：{ident}", "李四，性别：女"):
        assert part in full, part
    masked = docx_text(case_documents.download(case, "agreement", actor=mediator.user))
    assert ident not in masked and "羊毛衫" not in masked and "张三，性别：男" in masked
