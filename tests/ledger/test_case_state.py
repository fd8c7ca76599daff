"""A case's attested fields (application text, request, parties, agreement, stage) are tied to the log: an edit in
the database behind the application's back is named by ``xiangzhi ledger verify``; changes through the services are
attested as they happen and verify.

The append-only triggers are off in the test settings, so raw SQL plays the part of someone with database access.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import valid_id_number
from tests.disputes.conftest import new_case, walk
from tests.ledger.helpers import run_ledger
from xiangzhi.core.models import Person, User
from xiangzhi.disputes import attestation
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case, Party
from xiangzhi.disputes.services import agreement, intake, mediation, transitions
from xiangzhi.ledger import services as ledger
from xiangzhi.ledger.models import Leaf

pytestmark = pytest.mark.django_db

APPLICANT_ID = valid_id_number("33048319700101001")
RESPONDENT_ID = valid_id_number("33048319850505123")


@pytest.fixture
def agreed(mediator):
    """A case with both parties' 身份证号, walked to a written agreement."""
    case = new_case(applicant_id=APPLICANT_ID, respondent_id=RESPONDENT_ID)
    return walk(case, S.AGREEMENT_WRITTEN, mediator.user)


def _sql(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _verify_fails_naming(case, *fields):
    status, out, _ = run_ledger("verify")
    assert status == 1, out
    line = next((x for x in out.splitlines() if f"disputes.case.state:{case.pk} " in x), "")
    assert "[LEDGER_STATE_CHANGED]" in line and case.number in line, out
    named = line.rsplit(" in: ", 1)[-1].split(", ")
    assert sorted(named) == sorted(fields), line


def _state_leaves(case):
    return list(Leaf.objects.filter(kind=attestation.CASE_STATE_KIND, ref_id=str(case.pk)).order_by("index"))


def test_a_case_changed_through_the_services_is_attested_at_each_change_and_verifies(mediator):
    case = new_case(applicant_id=APPLICANT_ID, respondent_id=RESPONDENT_ID)
    intake.retriage(case, actor=mediator.user, type_code="labour", reroute=False, reason="实为拖欠工资")
    case = walk(case, S.AGREEMENT_WRITTEN, mediator.user)
    parties = list(case.parties.order_by("order"))
    for party in parties:
        agreement.sign_agreement(case, actor=mediator.user, party=party)
    agreement.sign_agreement(case, actor=mediator.user, as_mediator=True)
    agreement.apply_seal(case, actor=mediator.user)
    case = transitions.transition(case, S.FOLLOW_UP, actor=mediator.user)
    case = transitions.transition(case, S.CLOSED, actor=mediator.user)
    status, out, _ = run_ledger("verify")
    assert status == 0, out
    # one state leaf per change of an attested field: created, each of the seven stage changes, and the
    # respondent's consent recorded before the rights-notice stage (人民调解法 第17条)
    leaves = _state_leaves(case)
    stages = [json.loads(bytes(leaf.data))["stage"] for leaf in leaves]
    assert stages == ["reported", "accepted", "assigned", "assigned", "notice_served", "in_mediation",
                      "agreement_written", "follow_up", "closed"]
    assert [p["consent"] for p in json.loads(bytes(leaves[3].data))["parties"]] == ["agreed", "agreed"]
    assert all(leaf.group == attestation.case_group(case.pk, public=False) for leaf in leaves)
    # the parties' bundle is unchanged: public events only
    bundle = ledger.bundle_for_ref(attestation.CASE_REF, [case.pk])
    assert not Leaf.objects.filter(index__in=[e["index"] for e in bundle["leaves"]],
                                   kind=attestation.CASE_STATE_KIND).exists()


def test_a_consent_answer_is_a_new_attested_state(mediator):
    case = new_case()
    respondent = case.parties.get(role="respondent")
    user = User.objects.create(username="c_resp2", kind="citizen")
    Person.objects.filter(pk=respondent.person_id).update(user=user)
    mediation.answer_consent(case, respondent, actor=user, agree=True)
    last = json.loads(bytes(_state_leaves(case)[-1].data))
    assert [p["consent"] for p in last["parties"]] == ["agreed", "agreed"]
    assert run_ledger("verify")[0] == 0


@pytest.mark.parametrize(("table", "column", "value", "where", "field"), [
    ("disputes_case", "description", "其实是对方先动手打人，我要求赔偿十万元", "id", "description"),
    ("disputes_case", "request", "请求对方赔偿十万元", "id", "request"),
    ("disputes_case", "agreement_text", "李四赔偿张三十万元", "id", "agreement_text"),
    ("disputes_case", "agreement_amount", "100000.00", "id", "agreement_amount"),
    ("disputes_case", "stage", "closed", "id", "stage"),
    ("disputes_case", "number", "桐解〔2026〕99999号", "id", "number"),
    ("core_person", "name", "王五", "respondent", "parties[1].name"),
    ("disputes_party", "role", "applicant", "respondent_party", "parties[1].role"),
    ("disputes_party", "consent", "refused", "respondent_party", "parties[1].consent"),
])
def test_a_field_edited_with_raw_sql_is_named_by_verify(agreed, table, column, value, where, field):
    case = agreed
    assert run_ledger("verify")[0] == 0
    respondent = case.parties.get(role="respondent")
    pk = {"id": case.pk, "respondent": respondent.person_id, "respondent_party": respondent.pk}[where]
    _sql(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608 - test literals
    _verify_fails_naming(case, field)


def test_fields_edited_through_queryset_update_are_named_by_verify(agreed):
    case = agreed
    parties = list(case.parties.order_by("order"))
    Case.objects.filter(pk=case.pk).update(description="改写后的纠纷事实，与当事人提交的不同", agreement_text="改写的协议")
    Person.objects.filter(pk=parties[0].person_id).update(id_number=valid_id_number("33048319990909999"))
    Party.objects.filter(pk=parties[1].pk).update(person=Person.objects.create(name="赵六"))
    _verify_fails_naming(case, "description", "agreement_text", "parties[0].id_number", "parties[1].id_number",
                         "parties[1].name")


def test_a_party_added_or_removed_in_the_database_is_named(agreed):
    case = agreed
    Party.objects.create(case=case, role="respondent", person=Person.objects.create(name="钱七"), order=2)
    _verify_fails_naming(case, "parties")


def test_the_log_holds_no_personal_data_or_case_text_in_clear(agreed):
    case = agreed
    data = b"".join(bytes(leaf.data) for leaf in _state_leaves(case)).decode()
    for secret in ("张三", "李四", APPLICANT_ID, RESPONDENT_ID, "13800000001", case.description, case.request,
                   case.agreement_text):
        assert secret not in data
    assert case.number in data


def test_a_case_created_behind_the_application_is_unattested_until_the_baseline(agreed):
    case = agreed
    twin = Case.objects.get(pk=case.pk)
    twin.pk, twin.number, twin.archive_number, twin.token, twin.seq = None, "桐解〔2026〕88888号", "x-88888", "t" * 40, 88888
    twin.save()
    status, out, _ = run_ledger("verify")
    assert status == 1 and f"[LEDGER_STATE_UNATTESTED] disputes.case.state:{twin.pk} (桐解〔2026〕88888号)" in out
    # the baseline (an upgraded installation) attests records that never had a state, never a changed one
    Case.objects.filter(pk=case.pk).update(request="改过的申请事项")
    status, out, _ = run_ledger("attest-baseline")
    assert status == 0 and "attested the state of 1 record(s)" in out
    status, out, _ = run_ledger("verify")
    assert status == 1 and "UNATTESTED" not in out
    _verify_fails_naming(case, "request")


def test_a_party_whose_id_number_no_longer_decrypts_is_reported_and_the_others_still_checked(agreed, mediator):
    case, other = agreed, new_case()
    _sql("UPDATE core_person SET id_number = %s WHERE id = %s",
         ["k1:bm90IGEgY2lwaGVydGV4dA==", case.parties.get(role="applicant").person_id])
    Case.objects.filter(pk=other.pk).update(request="改过的申请事项")
    status, out, _ = run_ledger("verify")
    assert status == 1
    assert f"[LEDGER_RECOMPUTE_FAILED] disputes.case.state:{case.pk}: its state cannot be recomputed" in out
    assert f"[LEDGER_STATE_CHANGED] disputes.case.state:{other.pk} ({other.number})" in out
    assert "no longer exists" not in out


def test_a_deleted_case_is_named(agreed):
    case = agreed
    for table, column in (("disputes_timelineevent", "case_id"), ("disputes_mediationsession", "case_id"),
                          ("disputes_party", "case_id"), ("disputes_case", "id")):
        _sql(f"DELETE FROM {table} WHERE {column} = %s", [case.pk])  # noqa: S608 - test literals
    status, out, _ = run_ledger("verify")
    assert status == 1 and f"disputes.case.state:{case.pk} was attested but no longer exists" in out


def test_verifying_the_states_is_a_streaming_pass_not_queries_per_case(mediator):
    new_case()
    report = ledger.VerifyReport()
    with CaptureQueriesContext(connection) as few:
        ledger._verify_states(report, chunk=500)  # noqa: SLF001
    for _ in range(5):
        new_case()
    report = ledger.VerifyReport()
    with CaptureQueriesContext(connection) as more:
        ledger._verify_states(report, chunk=500)  # noqa: SLF001
    assert report.ok and report.states_checked == Case.objects.count() == 6
    assert len(more.captured_queries) == len(few.captured_queries)
