"""The batch forms of the services (issue #16: one state machine): ``transitions.advance`` and
``mediation.confirm_assignments`` move many saved cases with the rows, audit rows, ledger leaves and notices that one
``transition`` / ``confirm_assignment`` each would write, and refuse as they do; ``records.Batch`` writes them with
one INSERT per table and one ledger append."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import first_village, make_staff
from tests.disputes.conftest import TZ, WUZHEN, new_case
from xiangzhi.core.errors import Conflict, XiangzhiError
from xiangzhi.core.models import AuditLog, Notification
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case, TimelineEvent
from xiangzhi.disputes.services import mediation, records, transitions
from xiangzhi.ledger import services as ledger
from xiangzhi.ledger.models import Leaf

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=TZ)


def _mark() -> tuple[int, int, int, int]:
    """Where the rows written from now on begin (events, audit rows, leaves, notifications)."""
    def last(model):
        return model.objects.order_by("-id").values_list("id", flat=True).first() or 0

    return last(TimelineEvent), last(AuditLog), ledger.tree_size(), last(Notification)


def _history(case: Case, since: tuple[int, int, int, int]) -> dict:
    """What was written for a case since ``since``, without ids, case numbers and the audit rows' wall-clock time."""
    def norm(value):
        return json.loads(re.sub(r"〔\d+〕\d+号", "N", re.sub(r'"(case_id|id|object_id)": "?\d+"?', r'"\1": 0',
                                                             json.dumps(value, ensure_ascii=False))))

    row = Case.objects.get(pk=case.pk)
    leaves = []
    for leaf in Leaf.objects.filter(group__startswith=f"disputes.case:{case.pk}", index__gte=since[2]).order_by(
            "index"):
        data = json.loads(bytes(leaf.data))
        if leaf.kind == "audit":
            data.pop("at")
        leaves.append((leaf.kind, leaf.group.removeprefix(f"disputes.case:{case.pk}"), norm(data)))
    return {
        "case": (row.stage, row.stage_changed_at, row.organisation_id, row.mediator_id, row.assigned_at,
                 row.confirm_due, row.mediator_confirmed_at),
        "events": [(e.kind, e.stage_from, e.stage_to, e.text, e.at, e.actor_id, e.actor_label, e.public,
                    norm(e.payload)) for e in TimelineEvent.objects.filter(case=case, id__gt=since[0]).order_by("id")],
        "audit": [(a.action, a.actor_id, norm(a.before), norm(a.after), a.note) for a in AuditLog.objects.filter(
            object_type="disputes.case", object_id=str(case.pk), id__gt=since[1]).order_by("id")],
        "leaves": leaves,
        "notices": sorted((m.channel, m.recipient_user_id, re.sub(r"〔\d+〕\d+号", "N", m.body)) for m in Notification.objects.filter(
            dedupe_key__startswith=f"case:{case.pk}:", id__gt=since[3])),
    }


def test_advance_writes_what_one_transition_each_writes(mediator, town_staff):
    one, two, three = new_case(), new_case(applicant_phone="13800000002"), new_case(applicant_phone="13800000003")
    staff = town_staff.user
    since = _mark()
    transitions.transition(one, S.ACCEPTED, actor=mediator.user, now=NOW)
    transitions.transition(one, S.ASSIGNED, actor=staff, details=transitions.Assign(mediator.user.pk), now=NOW)
    moved = transitions.advance([two, three], S.ACCEPTED, actor=mediator.user, now=NOW)
    assert [c.stage for c in moved] == [S.ACCEPTED, S.ACCEPTED]
    transitions.advance([two, three], S.ASSIGNED, actor=staff, details=transitions.Assign(mediator.user.pk), now=NOW)
    assert _history(one, since) == _history(two, since) == _history(three, since)
    history = _history(one, since)
    assert [leaf[0] for leaf in history["leaves"]] == ["audit", "case.transition", "state.case"] * 2
    assert len(history["notices"]) >= 2  # the parties told of each move
    report = ledger.verify_log()
    assert report.ok, report.summary()


def test_advance_writes_each_table_once_and_appends_the_ledger_once(mediator, town_staff):
    cases = [new_case(applicant_phone=f"138000000{i:02d}") for i in range(6)]
    with CaptureQueriesContext(connection) as many:
        transitions.advance(cases, S.ACCEPTED, actor=town_staff.user, now=NOW)
    inserts = [q["sql"] for q in many.captured_queries if q["sql"].startswith("INSERT")]
    tables = [re.match(r'INSERT INTO "(\w+)"', sql).group(1) for sql in inserts]
    assert tables.count("disputes_timelineevent") == 1 and tables.count("core_auditlog") == 1
    assert tables.count("ledger_leaf") == 1  # one append: audit rows, events and states of all six
    assert Leaf.objects.filter(kind="state.case", ref_id__in=[str(c.pk) for c in cases]).count() == 12


def test_a_refused_move_refuses_the_whole_call(mediator, town_staff):
    fine, closed = new_case(), new_case(applicant_phone="13800000002")
    transitions.transition(closed, S.ACCEPTED, actor=town_staff.user, now=NOW)
    events = TimelineEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        transitions.advance([fine, closed], S.ACCEPTED, actor=town_staff.user, now=NOW)
    assert exc.value.code == "ALREADY_ACCEPTED"
    assert Case.objects.get(pk=fine.pk).stage == S.REPORTED and TimelineEvent.objects.count() == events
    with pytest.raises(XiangzhiError) as exc:  # a guard of the target stage, for every case of the call
        transitions.advance([fine], S.NOT_ACCEPTED, actor=town_staff.user, now=NOW, reason="已由法院受理")
    assert exc.value.code == "GROUND_REQUIRED" and Case.objects.get(pk=fine.pk).stage == S.REPORTED


@pytest.fixture
def second_mediator(tongxiang):
    village = first_village(WUZHEN)
    return make_staff("mediator_wz2", "mediator", village.code, {"region": village, "kind": "village_committee"})


def _assigned(staff, mediator_user, phone):
    case = transitions.transition(new_case(applicant_phone=phone), S.ACCEPTED, actor=mediator_user, now=NOW)
    return transitions.transition(case, S.ASSIGNED, actor=staff, details=transitions.Assign(mediator_user.pk), now=NOW)


def test_confirm_assignments_writes_what_one_confirmation_each_writes(mediator, town_staff):
    one, two, three = (_assigned(town_staff.user, mediator.user, f"1380000000{i}") for i in range(3))
    later = NOW + dt.timedelta(hours=2)
    since = _mark()
    mediation.confirm_assignment(one, actor=mediator.user, now=later)
    confirmed = mediation.confirm_assignments([two, three], actor=mediator.user, now=later)
    assert [c.mediator_confirmed_at for c in confirmed] == [later, later]
    assert _history(one, since) == _history(two, since) == _history(three, since)
    history = _history(one, since)
    assert [e[0] for e in history["events"]] == ["assignment_confirmed"] and history["case"][-1] == later
    assert [leaf[0] for leaf in history["leaves"]] == ["audit", "case.assignment_confirmed"]  # the state is as it was
    report = ledger.verify_log()
    assert report.ok, report.summary()


def test_confirm_assignments_keeps_the_guards(mediator, second_mediator, town_staff):
    mine = _assigned(town_staff.user, mediator.user, "13800000001")
    theirs = _assigned(town_staff.user, second_mediator.user, "13800000002")
    with pytest.raises(Conflict) as exc:  # only the mediator assigned, and the whole call
        mediation.confirm_assignments([mine, theirs], actor=mediator.user, now=NOW)
    assert exc.value.code == "CANNOT_CONFIRM"
    assert Case.objects.get(pk=mine.pk).mediator_confirmed_at is None
    with pytest.raises(Conflict) as exc:  # past the 3 working days
        mediation.confirm_assignments([mine], actor=mediator.user, now=NOW + dt.timedelta(days=30))
    assert exc.value.code == "CONFIRMATION_EXPIRED"
    mediation.confirm_assignments([mine], actor=mediator.user, now=NOW)
    with pytest.raises(Conflict) as exc:  # once
        mediation.confirm_assignments([mine], actor=mediator.user, now=NOW)
    assert exc.value.code == "CANNOT_CONFIRM"


def test_a_batch_writes_its_changes_in_the_order_record_would(mediator, town_staff):
    """Two changes of one saved case in one batch: its state is read from the row at write, and appended once,
    after its last change; a change without an audit row (``action=None``) cannot be left unattested with one."""
    case = new_case()
    batch = records.Batch()
    batch.record(case, "session", {"n": 1}, actor=town_staff.user, action="case.note", text="一")
    case.agreement_text = "双方同意"  # a change the batch's caller saved
    Case.objects.filter(pk=case.pk).update(agreement_text="双方同意")
    batch.record(case, "session", {"n": 2}, actor=town_staff.user, action="case.note", text="二")
    before = ledger.tree_size()
    events = batch.write(notify=False)
    kinds = list(Leaf.objects.filter(index__gte=before).order_by("index").values_list("kind", flat=True))
    assert kinds == ["audit", "case.session", "audit", "case.session", "state.case"]
    assert [e.payload["n"] for e in events] == [1, 2]
    assert ledger.verify_log().ok
    batch.record(case, "session", {"n": 3}, actor=None, action="case.note")
    with pytest.raises(ValueError, match="attested"):
        batch.write(attest=False)
