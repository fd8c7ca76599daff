"""The SQL budget of one intake (issue 16, speed): at most 25 queries, whatever the channel, with its side effects
unchanged — the same rows, and the same ledger leaves in the same order with the payloads ``ledger verify``
recomputes. The figures themselves (cases/s against the bulk_create floor) are in bench/disputes_intake.py."""

from __future__ import annotations

import pytest

from tests.conftest import first_village, valid_id_number
from tests.disputes.conftest import WUZHEN, intake_data
from xiangzhi.core.models import AuditLog, Notification, Person
from xiangzhi.disputes.models import Case, Party, TimelineEvent
from xiangzhi.disputes.services import intake, records
from xiangzhi.disputes.services.intake import IntakeIn, PartyIn
from xiangzhi.disputes.services.uploads import Upload
from xiangzhi.ledger import services as ledger
from xiangzhi.ledger.canonical import parse_canonical_leaf
from xiangzhi.ledger.models import Leaf

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
QUERY_BUDGET = 25


def _warm(actor=None, channel="online") -> None:
    # the first intake of a year creates its counter row, and the triage model is trained once per process
    intake.create_case(intake_data(applicant_phone="13900000009", respondent_name="王五"), actor=actor, channel=channel)


def test_an_online_intake_with_one_respondent_and_one_file_stays_within_the_query_budget(
        tongxiang, django_assert_max_num_queries):
    _warm()
    with django_assert_max_num_queries(QUERY_BUDGET):
        case = intake.create_case(intake_data(files=[Upload(name="现场照片.png", content=PNG)]), actor=None,
                                    channel="online")
    assert case.parties.count() == 2 and case.attachments.count() == 1


def test_a_window_intake_stays_within_the_query_budget(town_staff, django_assert_max_num_queries):
    _warm(town_staff.user, "window")
    data = IntakeIn(applicant=PartyIn(name="张三", phone="13800000001", id_number=valid_id_number("33048319800101001")),
                    respondents=[PartyIn(name="李四")], region_code=first_village(WUZHEN).code,
                    description="两家因宅基地界线发生口角，要求调解，电话13812345678", request="请求调解")
    with django_assert_max_num_queries(QUERY_BUDGET):
        case = intake.create_case(data, actor=town_staff.user, channel="window")
    assert case.channel == "window" and case.parties.count() == 2


def _leaves_since(size: int) -> list[tuple[str, dict]]:
    out = []
    for leaf in Leaf.objects.filter(index__gte=size).order_by("index"):
        _, kind, payload = parse_canonical_leaf(bytes(leaf.data))
        out.append((kind, payload))
    return out


def test_an_intake_writes_the_same_rows_and_leaves_in_the_same_order(tongxiang):
    _warm()
    size = ledger.tree_size()
    case = intake.create_case(intake_data(applicant_id=valid_id_number("33048319800101002"),
                                              files=[Upload(name="现场照片.png", content=PNG)]), actor=None, channel="online")
    leaves = _leaves_since(size)
    # every event is recorded with its audit row (services.records.record): the attachment's too
    assert [k for k, _ in leaves] == ["audit", "audit", "audit", "case.created", "state.case", "audit",
                                      "case.attachment"]
    audits = list(AuditLog.objects.filter(pk__in=[p["id"] for k, p in leaves if k == "audit"]).order_by("pk"))
    assert [a.action for a in audits] == ["person.created", "person.created", "case.created", "case.attachment_added"]
    parties = list(Party.objects.filter(case=case).order_by("order"))
    assert [a.object_id for a in audits[:2]] == [str(p.person_id) for p in parties]
    assert Person.objects.get(pk=parties[0].person_id).id_number == valid_id_number("33048319800101002")  # encrypted, read back
    events = list(TimelineEvent.objects.filter(case=case).order_by("pk"))
    assert [p["id"] for k, p in leaves if k.startswith("case.")] == [e.pk for e in events]
    from xiangzhi.disputes import attestation

    assert leaves[4][1] == attestation.case_states([str(case.pk)])[str(case.pk)]  # the state verify recomputes
    assert Notification.objects.filter(dedupe_key=f"case:{case.pk}:created:{parties[0].pk}").count() == 1
    assert ledger.verify_log().ok


def test_a_known_applicant_is_the_same_person_and_a_repeat_is_linked(tongxiang):
    first = intake.create_case(intake_data(applicant_id=valid_id_number("33048319800101003")), actor=None, channel="online")
    size = ledger.tree_size()
    again = intake.create_case(intake_data(applicant_id=valid_id_number("33048319800101003"), applicant_phone="13800000002"), actor=None,
                                 channel="online")
    assert again.repeat_of == first
    assert again.parties.get(role="applicant").person_id == first.parties.get(role="applicant").person_id
    assert [k for k, _ in _leaves_since(size)] == ["audit", "audit", "case.created", "state.case", "audit",
                                                   "case.repeat"]
    assert Case.objects.count() == 2 and ledger.verify_log().ok


def test_a_failed_intake_appends_no_leaf(tongxiang, monkeypatch):
    size = ledger.tree_size()

    def boom(*args, **kwargs):
        raise RuntimeError("notification outbox down")

    monkeypatch.setattr(records.core, "enqueue_sms_once", boom)
    with pytest.raises(RuntimeError):
        intake.create_case(intake_data(), actor=None, channel="online")
    assert ledger.tree_size() == size and not Case.objects.exists()


def test_an_edit_of_the_routing_table_is_seen_by_the_next_intake(tongxiang):
    from xiangzhi.core.models import Organisation
    from xiangzhi.disputes.models import DisputeType, RoutingRule

    intake.create_case(intake_data(), actor=None, channel="online")  # the routing table is now cached
    RoutingRule.objects.create(dispute_type=DisputeType.objects.get(code="neighbour"), region_prefix=WUZHEN,
                               target_level="town", org_kind="town_committee")
    case = intake.create_case(intake_data(type_code="neighbour", applicant_phone="13800000003"), actor=None,
                                channel="online")
    assert case.level == "town" and case.organisation == Organisation.objects.filter(
        kind="town_committee", region__code=WUZHEN).order_by("id").first()
