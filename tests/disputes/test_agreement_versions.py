"""人民调解法 第29条: the written agreement takes effect when every party and the mediator have signed it and the
committee has sealed it — *that* text. Each signature and the seal bind the SHA-256 of the version they sign; a new
version (after "not performed" reopened the case) needs all of them again, and can take effect."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import new_case, walk
from xiangzhi.core.errors import Conflict
from xiangzhi.disputes import selectors
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Seal, Signature
from xiangzhi.disputes.services import agreement, feedback, transitions

pytestmark = pytest.mark.django_db
V2 = "李四赔偿张三1元，双方再无争议。"


def _sign_all(case, mediator_user, parties=None):
    for party in parties if parties is not None else case.parties.all():
        agreement.sign_agreement(case, actor=mediator_user, party=party)
    agreement.sign_agreement(case, actor=mediator_user, as_mediator=True)
    agreement.apply_seal(case, actor=mediator_user)


def _second_version(mediator):
    """A case whose version 1 took effect, was reported not performed, and now holds a version 2 to sign."""
    case = walk(new_case(), S.AGREEMENT_WRITTEN, mediator.user)
    _sign_all(case, mediator.user)
    case.refresh_from_db()
    assert case.agreement_effective_at is not None
    case = transitions.transition(case, S.FOLLOW_UP, actor=mediator.user, reason="转入回访")
    case = transitions.transition(case, S.CLOSED, actor=mediator.user, reason="结案")
    case = feedback.report_not_performed(case, case.parties.get(role="applicant"), actor=mediator.user,
                                         note="对方没有拆围墙")
    assert case.stage == S.ASSIGNED
    case = walk(case, S.IN_MEDIATION, mediator.user)
    case = transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator.user, reason="重新达成协议",
                                  details=transitions.Agree(V2))
    assert case.agreement_effective_at is None
    return case


def test_signatures_of_version_1_do_not_make_version_2_effective(mediator):
    case = _second_version(mediator)
    respondent = case.parties.get(role="respondent")
    agreement.sign_agreement(case, actor=mediator.user, party=respondent)  # only the respondent signs version 2
    case.refresh_from_db()
    assert case.agreement_effective_at is None
    assert agreement.agreement_missing(case) == [
        f"当事人{case.parties.get(role='applicant').masked_name}签名", "调解员签名", "调解委员会印章"]
    signing = selectors.agreement_signing(case)
    assert set(signing.signed_parties) == {respondent.pk} and not signing.sealed and not signing.mediator_signed


def test_a_new_version_is_signed_and_sealed_again_and_takes_effect(mediator):
    case = _second_version(mediator)
    _sign_all(case, mediator.user)
    case.refresh_from_db()
    assert case.agreement_effective_at is not None and case.agreement_text == V2
    digest = selectors.agreement_digest(case)
    assert Signature.objects.filter(case=case).count() == 6  # 2 parties + mediator, twice
    assert Signature.objects.filter(case=case, agreement_sha256=digest).count() == 3
    assert list(Seal.objects.filter(case=case).values_list("agreement_sha256", flat=True).order_by("pk"))[-1] == digest
    signed = case.timeline.filter(kind="signature").order_by("-pk")[0]
    assert signed.payload["agreement_sha256"] == digest


def test_the_same_version_is_signed_once_per_signer(mediator):
    case = walk(new_case(), S.AGREEMENT_WRITTEN, mediator.user)
    party = case.parties.get(role="applicant")
    agreement.sign_agreement(case, actor=mediator.user, party=party)
    with pytest.raises(Conflict) as exc:
        agreement.sign_agreement(case, actor=mediator.user, party=party)
    assert exc.value.code == "ALREADY_SIGNED"
    agreement.apply_seal(case, actor=mediator.user)
    with pytest.raises(Conflict) as exc:
        agreement.apply_seal(case, actor=mediator.user)
    assert exc.value.code == "ALREADY_SEALED"


def test_rows_signed_before_versions_existed_get_the_digest_their_event_recorded(mediator):
    """The migration binds each old signature and seal to the text its event recorded, and a row without an event
    to the case's current text."""
    import hashlib
    import importlib

    from django.apps import apps

    migration = importlib.import_module("xiangzhi.disputes.migrations.0010_agreement_versions")
    case = walk(new_case(), S.AGREEMENT_WRITTEN, mediator.user)
    sig = agreement.sign_agreement(case, actor=mediator.user, party=case.parties.get(role="applicant"))
    seal = agreement.apply_seal(case, actor=mediator.user)
    recorded = case.timeline.get(kind="signature").payload["agreement_sha256"]
    unrecorded = Signature.objects.create(case=case, mediator=mediator.user, recorded_by=mediator.user,
                                          agreement_sha256="")  # a row no event speaks of
    Signature.objects.filter(pk=sig.pk).update(agreement_sha256="")
    Seal.objects.filter(pk=seal.pk).update(agreement_sha256="")
    type(case).objects.filter(pk=case.pk).update(agreement_text="后来改过的文字")
    migration.bind_to_versions(apps, None)
    assert Signature.objects.get(pk=sig.pk).agreement_sha256 == recorded
    assert Seal.objects.get(pk=seal.pk).agreement_sha256 == recorded
    assert Signature.objects.get(pk=unrecorded.pk).agreement_sha256 == hashlib.sha256(
        "后来改过的文字".encode()).hexdigest() != recorded
