"""一案一码 self-signing: a party signed in with phone + SMS code reads the written agreement on the status page and
signs it for themselves, once; the agreement takes effect only when every party and the mediator have signed and the
seal is applied. Anyone else gets nothing. Page and API."""

from __future__ import annotations

import json

import pytest

from tests.conftest import first_village, make_citizen
from tests.disputes.conftest import WUZHEN, session, walk
from xiangzhi.disputes.services import agreement, intake, routing, transitions

pytestmark = pytest.mark.django_db
TEXT = "李四于2026年12月31日前拆除占用张三宅基地的围墙，张三不再追究。"


@pytest.fixture
def agreement_case(mediator):
    """A case with two parties who both verified their phones, at a written agreement awaiting signatures."""
    from xiangzhi.disputes.enums import CaseStage as S

    routing.ensure_reference_data()
    case = intake.create_case(intake.IntakeIn(
        applicant=intake.PartyIn(name="张三", phone="13800000001"),
        respondents=[intake.PartyIn(name="李四", phone="13900000002")],
        region_code=first_village(WUZHEN).code, description="隔壁邻居把围墙砌到我家院子里来了，占了一米多",
        request="拆除围墙", consent=True), actor=None, channel="online")
    case = walk(case, S.IN_MEDIATION, mediator.user)
    session(case, mediator.user)
    return transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator.user, reason="达成协议",
                               details=transitions.Agree(TEXT))


def _signatures(case):
    from xiangzhi.disputes.models import Signature

    return list(Signature.objects.filter(case=case).values_list("party__role", "method"))


def _sign(client, case, **extra):
    from xiangzhi.disputes import selectors

    data = {"action": "sign", "confirm": "1", "digest": selectors.agreement_digest(case), **extra}
    return client.post(f"/cases/s/{case.token}/act/", data, follow=True)


def test_a_party_reads_the_agreement_and_signs_it_once(agreement_case, villager_a):
    _, c = villager_a
    html = c.get(f"/cases/s/{agreement_case.token}/").content.decode()
    assert TEXT in html and "确认并签名" in html and "未签名" in html
    r = _sign(c, agreement_case)
    assert "您已在调解协议上签名" in r.content.decode()
    assert _signatures(agreement_case) == [("applicant", "electronic")]
    html = c.get(f"/cases/s/{agreement_case.token}/").content.decode()
    assert "您已于" in html and 'id="sign-agreement"' not in html
    r = _sign(c, agreement_case)  # a second time
    assert "已经签过名" in r.content.decode()
    assert _signatures(agreement_case) == [("applicant", "electronic")]
    kinds = list(agreement_case.timeline.values_list("kind", "text"))
    assert [t for k, t in kinds if k == "signature"] == ["当事人张*在协议上签名"]


def test_the_agreement_takes_effect_only_when_all_have_signed_and_the_seal_is_applied(
        agreement_case, villager_a, villager_b, mediator):
    from xiangzhi.disputes.models import Case

    _sign(villager_a[1], agreement_case)
    _sign(villager_b[1], agreement_case)
    assert sorted(_signatures(agreement_case)) == [("applicant", "electronic"), ("respondent", "electronic")]
    assert Case.objects.get(pk=agreement_case.pk).agreement_effective_at is None  # mediator and seal missing
    agreement.sign_agreement(agreement_case, actor=mediator.user, as_mediator=True)
    assert Case.objects.get(pk=agreement_case.pk).agreement_effective_at is None  # seal missing
    agreement.apply_seal(agreement_case, actor=mediator.user)
    assert Case.objects.get(pk=agreement_case.pk).agreement_effective_at is not None
    html = villager_a[1].get(f"/cases/s/{agreement_case.token}/").content.decode()
    assert "达成协议（协议已生效）" in html and "确认并签名" not in html


def test_a_party_signs_only_for_themselves_whatever_the_form_says(agreement_case, villager_a):
    respondent = agreement_case.parties.get(role="respondent")
    _sign(villager_a[1], agreement_case, party=respondent.pk, signer=respondent.pk)
    assert _signatures(agreement_case) == [("applicant", "electronic")]


@pytest.mark.parametrize("extra, message", [
    ({"confirm": ""}, "请先阅读协议全文"),
    ({"digest": "0" * 64}, "协议内容已有变更"),
])
def test_signing_without_confirmation_or_on_a_changed_text_writes_nothing(agreement_case, villager_a, extra, message):
    r = _sign(villager_a[1], agreement_case, **extra)
    assert message in r.content.decode()
    assert _signatures(agreement_case) == []


def test_a_non_party_staff_or_anonymous_visitor_gets_nothing(agreement_case, client, mediator):
    _, outsider = make_citizen("13700000077")
    for c in (outsider, client):
        html = c.get(f"/cases/s/{agreement_case.token}/").content.decode()
        assert TEXT not in html and "确认并签名" not in html
        assert ("不是本案当事人" in html) == (c is outsider)
        _sign(c, agreement_case)
    _sign(mediator.client(), agreement_case)  # staff who handle the case are sent to the workbench
    assert _signatures(agreement_case) == []


def test_no_signing_before_the_written_agreement(mediator, villager_a):
    from tests.disputes.conftest import new_case
    from xiangzhi.disputes.enums import CaseStage as S

    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    html = villager_a[1].get(f"/cases/s/{case.token}/").content.decode()
    assert "确认并签名" not in html
    r = _sign(villager_a[1], case)
    assert "只有待生效的书面协议可以签名" in r.content.decode()
    assert _signatures(case) == []


# API ------------------------------------------------------------------------------------------------------------
def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_lets_a_party_read_and_sign_once(agreement_case, villager_a, villager_b):
    _, c = villager_a
    base = f"/api/v1/cases/party/{agreement_case.token}"
    info = c.get(base + "/agreement").json()
    assert info["text"] == TEXT and info["signed_at"] is None and not info["mediator_signed"] and not info["sealed"]
    assert [s["signed_at"] for s in info["signers"]] == [None, None]
    sha = info["agreement_sha256"]
    r = _post(c, base + "/signature", {"agreement_sha256": sha, "confirm": False})
    assert r.status_code == 422 and r.json()["code"] == "CONFIRM_REQUIRED"
    r = _post(c, base + "/signature", {"agreement_sha256": "0" * 64, "confirm": True})
    assert r.status_code == 409 and r.json()["code"] == "AGREEMENT_CHANGED"
    r = _post(c, base + "/signature", {"agreement_sha256": sha, "confirm": True, "party_id": 1})
    assert r.status_code == 422  # no naming another signer
    assert _signatures(agreement_case) == []
    r = _post(c, base + "/signature", {"agreement_sha256": sha, "confirm": True})
    assert r.status_code == 201 and r.json()["method"] == "electronic" and not r.json()["agreement_effective"]
    r = _post(c, base + "/signature", {"agreement_sha256": sha, "confirm": True})
    assert r.status_code == 409 and r.json()["code"] == "ALREADY_SIGNED"
    assert c.get(base + "/agreement").json()["signed_at"] is not None
    r = _post(villager_b[1], base + "/signature", {"agreement_sha256": sha, "confirm": True})
    assert r.status_code == 201
    assert sorted(_signatures(agreement_case)) == [("applicant", "electronic"), ("respondent", "electronic")]


def test_the_api_answers_404_to_anyone_but_a_party(agreement_case, client, mediator):
    from xiangzhi.disputes import selectors

    base = f"/api/v1/cases/party/{agreement_case.token}"
    body = {"agreement_sha256": selectors.agreement_digest(agreement_case), "confirm": True}
    _, outsider = make_citizen("13700000077")
    for c in (outsider, mediator.client()):
        assert c.get(base + "/agreement").status_code == 404
        assert _post(c, base + "/signature", body).status_code == 404
    assert client.get(base + "/agreement").status_code in (401, 404)
    assert _post(client, base + "/signature", body).status_code in (401, 404)
    assert _signatures(agreement_case) == []


@pytest.mark.parametrize("digest, confirmed, code", [
    ("ok", False, "CONFIRM_REQUIRED"),
    ("0" * 64, True, "AGREEMENT_CHANGED"),
    ("", True, "AGREEMENT_CHANGED"),
])
def test_the_signing_service_itself_refuses_an_unconfirmed_or_changed_agreement(agreement_case, villager_a, digest,
                                                                                 confirmed, code):
    """The guard lives in the service: a caller other than the page or the API cannot skip it."""
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.disputes import selectors

    party = agreement_case.parties.get(role="applicant")
    digest = selectors.agreement_digest(agreement_case) if digest == "ok" else digest
    with pytest.raises(XiangzhiError) as exc:
        agreement.sign_as_party(agreement_case, party, actor=villager_a[0], digest=digest, confirmed=confirmed)
    assert exc.value.code == code
    assert _signatures(agreement_case) == []
    agreement.sign_as_party(agreement_case, party, actor=villager_a[0],
                           digest=selectors.agreement_digest(agreement_case), confirmed=True)
    assert _signatures(agreement_case) == [("applicant", "electronic")]
