"""The typed input of each target of ``transition`` (and ``plan_move``): checked against the target before anything
is read or written; the mediator given by id, resolved and scoped inside the service; and the guards and defaults
that used to sit in views, now in the services, called directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.disputes.conftest import intake_data, new_case, walk, walk_at
from xiangzhi.core.errors import ValidationFailed
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Attachment, Case, ImportJob, TimelineEvent
from xiangzhi.disputes.services import feedback, importing, intake, judicial, transitions, uploads

pytestmark = pytest.mark.django_db


def _unchanged(case: Case, stage: str, events: int) -> bool:
    return Case.objects.get(pk=case.pk).stage == stage and TimelineEvent.objects.filter(case=case).count() == events


@pytest.mark.parametrize(("to", "details"), [
    (S.NOT_ACCEPTED, transitions.Terminate("no_agreement")),  # another target's input
    (S.ASSIGNED, transitions.NotAccept("not_civil")),
    (S.ACCEPTED, transitions.Assign()),  # an input for a target that takes none
    (S.ACCEPTED, {"ground": "not_civil"}),  # the old loose dict is no input at all
])
def test_an_input_that_is_not_the_targets_is_a_clear_refusal_and_writes_nothing(mediator, to, details):
    case = new_case()
    events = TimelineEvent.objects.filter(case=case).count()
    with pytest.raises(ValidationFailed) as exc:
        transitions.transition(case, to, actor=mediator.user, reason="测试理由", details=details)
    assert exc.value.code == "INVALID_DETAILS" and exc.value.status == 422
    assert exc.value.detail["to"] == to
    assert _unchanged(case, S.REPORTED, events)
    with pytest.raises(ValidationFailed) as exc:  # the bulk path checks the same, before touching the case
        transitions.plan_move(case, to, actor=mediator.user, memo={}, reason="测试理由", details=details,
                              now=timezone.now())
    assert exc.value.code == "INVALID_DETAILS" and case.stage == S.REPORTED


def test_a_missing_input_is_the_targets_own_refusal(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    for to, code in ((S.AGREEMENT_ORAL, "AGREEMENT_REQUIRED"), (S.TERMINATED, "TERMINATION_REASON_REQUIRED")):
        with pytest.raises(ValidationFailed) as exc:
            transitions.transition(case, to, actor=mediator.user, reason="测试理由")
        assert exc.value.code == code
    assert Case.objects.get(pk=case.pk).stage == S.IN_MEDIATION


def test_the_mediator_is_resolved_by_id_and_must_be_an_active_mediator_in_scope(mediator, other_mediator, town_staff):
    from xiangzhi.core.models import User

    case = transitions.transition(new_case(), S.ACCEPTED, actor=town_staff.user)
    events = TimelineEvent.objects.filter(case=case).count()
    unknown = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    # none; another town's; no mediator; no id at all
    for mediator_id in (unknown, other_mediator.user.pk, town_staff.user.pk, str(mediator.user.pk), True, 2**64):
        with pytest.raises(ValidationFailed) as exc:
            transitions.transition(case, S.ASSIGNED, actor=town_staff.user, details=transitions.Assign(mediator_id))
        assert exc.value.code == "INVALID_MEDIATOR", mediator_id
    User.objects.filter(pk=mediator.user.pk).update(is_active=False)
    with pytest.raises(ValidationFailed) as exc:  # a deactivated account is no mediator, memberships or not
        transitions.transition(case, S.ASSIGNED, actor=town_staff.user, details=transitions.Assign(mediator.user.pk))
    assert exc.value.code == "INVALID_MEDIATOR"
    assert _unchanged(case, S.ACCEPTED, events)
    User.objects.filter(pk=mediator.user.pk).update(is_active=True)
    moved = transitions.transition(case, S.ASSIGNED, actor=town_staff.user,
                                   details=transitions.Assign(mediator.user.pk, chosen_by_party=True))
    assert (moved.mediator_id, moved.mediator_chosen_by_party, moved.mediator_confirmed_at) == (
        mediator.user.pk, True, None)


def test_an_assignment_without_a_named_mediator_goes_to_the_acting_mediator(mediator):
    case = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user)
    moved = transitions.transition(case, S.ASSIGNED, actor=mediator.user)
    assert moved.mediator_id == mediator.user.pk and moved.mediator_confirmed_at is not None


def test_details_for_takes_the_targets_fields_and_ignores_the_rest():
    fields = {"ground": "not_civil", "redirect_to": "请向法院起诉", "mediator_id": 7, "chosen_by_party": True,
              "agreement_text": "协议", "agreement_amount": Decimal("5.00"), "termination_reason": "no_agreement"}
    assert transitions.details_for(S.NOT_ACCEPTED, **fields) == transitions.NotAccept("not_civil", "请向法院起诉")
    assert transitions.details_for(S.ASSIGNED, **fields) == transitions.Assign(7, True)
    assert transitions.details_for(S.AGREEMENT_WRITTEN, **fields) == transitions.Agree("协议", Decimal("5.00"))
    assert transitions.details_for(S.TERMINATED, **fields) == transitions.Terminate("no_agreement")
    assert transitions.details_for(S.CLOSED, **fields) is None
    assert set(transitions.DETAILS) == {S.NOT_ACCEPTED, S.ASSIGNED, S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL,
                                        S.TERMINATED}


# --- guards and defaults that used to sit in the views -----------------------------------------------------------
def test_a_grid_worker_who_ticks_resolved_on_the_spot_must_say_what_was_agreed(grid_worker, mediator):
    data = intake_data()
    data.resolved_on_spot = True
    with pytest.raises(ValidationFailed) as exc:
        intake.create_case(data, actor=grid_worker.user, channel="grid")
    assert exc.value.code == "INVALID_INTAKE" and exc.value.detail["on_spot_agreement"] == ["请填写当场达成的内容。"]
    with pytest.raises(ValidationFailed) as exc:  # and only the grid channel resolves on the spot
        intake.create_case(data, actor=mediator.user, channel="window")
    assert "on_spot_agreement" in exc.value.detail
    assert not Case.objects.exists()
    data.on_spot_agreement = "李四当场同意拆除多砌的围墙"
    case = intake.create_case(data, actor=grid_worker.user, channel="grid")
    assert case.stage == S.CLOSED and case.resolved_on_spot


def test_the_court_step_and_the_visit_default_to_now_in_the_service(mediator):
    agreed = timezone.now() - dt.timedelta(hours=2)
    case = walk_at(new_case(), S.AGREEMENT_ORAL, mediator.user, agreed, agreement_text="李四赔偿张三5000元")
    judicial.apply(case, actor=mediator.user, court="桐乡市人民法院", applied_at=agreed + dt.timedelta(hours=1))
    before = timezone.now()
    jc = judicial.record_court(case, actor=mediator.user, status="accepted")
    assert before <= jc.accepted_at <= timezone.now()
    visit = feedback.record_visit(case, actor=mediator.user, performed=True)
    assert before <= visit.visited_at <= timezone.now()


def test_materials_and_imports_need_a_file(mediator, town_staff):
    case = walk(new_case(), S.ACCEPTED, mediator.user)
    with pytest.raises(ValidationFailed) as exc:
        uploads.add_attachment(case, None, actor=mediator.user)
    assert exc.value.code == "FILE_REQUIRED" and not Attachment.objects.filter(case=case).exists()
    with pytest.raises(ValidationFailed) as exc:
        importing.start_import(None, actor=town_staff.user)
    assert exc.value.code == "IMPORT_FILE_REQUIRED" and not ImportJob.objects.exists()


def test_an_unknown_mediator_id_in_the_api_is_422_not_the_caller_assigned(mediator):
    """Before, an id that named no one fell back to the caller: a mediator calling it took the case."""
    import json

    case = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user)
    r = mediator.client().post(f"/api/v1/cases/{case.pk}/transitions", json.dumps(
        {"to": "assigned", "mediator_id": 2**62}), content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "INVALID_MEDIATOR"
    assert Case.objects.get(pk=case.pk).stage == S.ACCEPTED



@pytest.mark.parametrize("body", [
    {"to": "flying"}, {"to": "assigned", "mediator_id": "abc"}, {"to": "not_accepted", "ground": "bored"},
    {"to": "agreement_oral", "agreement_text": "李四赔偿", "agreement_amount": "五百"},
    {"to": "terminated", "termination_reason": "bored", "reason": "调解不成"},
], ids=["stage", "mediator", "ground", "amount", "reason-code"])
def test_a_transition_typed_wrong_in_the_api_is_the_422_envelope_and_moves_nothing(mediator, body):
    import json

    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    r = mediator.client().post(f"/api/v1/cases/{case.pk}/transitions", json.dumps(body),
                               content_type="application/json")
    assert r.status_code == 422 and set(r.json()) == {"code", "message", "detail"}
    assert Case.objects.get(pk=case.pk).stage == S.IN_MEDIATION
