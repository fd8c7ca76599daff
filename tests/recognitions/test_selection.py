"""The yearly selection as one state machine: nomination → town review → public notice (公示) with objections
recorded and answered → county approval (not before the notice ends, not with an objection unanswered, not past the
village's quota) → registration; revocation along the same path with its own notice."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from tests.conftest import make_citizen
from tests.recognitions.conftest import days_later, nominate, register, to_notice
from xiangzhi.core.enums import Role
from xiangzhi.core.errors import Conflict, NotFound, ValidationFailed
from xiangzhi.recognitions import rules
from xiangzhi.recognitions.enums import ALLOWED_TRANSITIONS, State


def test_no_approval_before_the_public_notice_ends(mediator, town_staff, county_admin, settings):
    from xiangzhi.recognitions.services import selection

    rec = to_notice(nominate(mediator.user), town_staff)
    assert rec.state == State.IN_NOTICE
    assert rec.notice_ends - rec.notice_starts == dt.timedelta(days=settings.XIANGZHI_RECOGNITIONS_NOTICE_DAYS)
    with pytest.raises(Conflict) as refused:
        selection.transition(rec, State.APPROVED, actor=county_admin.user)
    assert refused.value.code == "NOTICE_NOT_OVER"
    with days_later(6.9), pytest.raises(Conflict):
        selection.transition(rec, State.APPROVED, actor=county_admin.user)
    with days_later(7.01):
        assert selection.transition(rec, State.APPROVED, actor=county_admin.user).state == State.APPROVED


def test_the_notice_length_is_a_setting(mediator, town_staff, settings):
    settings.XIANGZHI_RECOGNITIONS_NOTICE_DAYS = 10
    rec = to_notice(nominate(mediator.user), town_staff)
    assert rec.notice_ends - rec.notice_starts == dt.timedelta(days=10)


def test_objections_must_be_answered_before_approval(client, mediator, town_staff, county_admin, villager_b):
    from xiangzhi.recognitions.models import Objection
    from xiangzhi.recognitions.services import selection

    rec = to_notice(nominate(mediator.user), town_staff)
    notices = client.get("/recognitions/notices/").content.decode()
    assert "张**" in notices and "张小明" not in notices
    villager = villager_b[1]
    assert villager.post(f"/recognitions/notices/{rec.pk}/object/", {"text": "此人曾经拒不履行调解协议。"}).status_code == 302
    objection = Objection.objects.get(recognition=rec)
    with days_later(), pytest.raises(Conflict) as refused:
        selection.transition(rec, State.APPROVED, actor=county_admin.user)
    assert refused.value.code == "OBJECTIONS_UNANSWERED"
    staff = town_staff.client()
    staff.post(f"/recognitions/staff/{rec.pk}/objections/{objection.pk}/answer/",
               {"answer": "经核实，该协议已于去年履行完毕。"})
    objection.refresh_from_db()
    assert objection.answered_by == town_staff.user and objection.answered_at is not None
    with pytest.raises(Conflict):
        selection.answer_objection(objection, answer="再次答复", actor=town_staff.user)
    with days_later():
        assert selection.transition(rec, State.APPROVED, actor=county_admin.user).state == State.APPROVED


def test_objections_only_while_the_notice_runs(mediator, town_staff, villager_b):
    from xiangzhi.recognitions.services import selection

    rec = nominate(mediator.user)
    with pytest.raises(Conflict):
        selection.raise_objection(rec, text="提名阶段的异议不受理", actor=villager_b[0])
    rec = to_notice(rec, town_staff)
    with days_later(), pytest.raises(Conflict):
        selection.raise_objection(rec, text="公示结束后的异议不受理", actor=villager_b[0])
    with pytest.raises(Conflict):  # staff do not object, villagers do
        selection.raise_objection(rec, text="工作人员不能提异议", actor=town_staff.user)
    assert selection.raise_objection(rec, text="公示期内的异议", actor=villager_b[0]).phase == State.IN_NOTICE


def test_a_village_quota_caps_approvals(mediator, town_staff, county_admin):
    from xiangzhi.recognitions.services import selection

    village = mediator.region
    selection.set_quota(village, year=timezone.localdate().year, title="understander", limit=1, actor=county_admin.user)
    first = register(nominate(mediator.user, n=1), town_staff, county_admin)
    second = to_notice(nominate(mediator.user, n=2, name="李四"), town_staff)
    other_title = to_notice(nominate(mediator.user, n=3, name="王五", title="leader"), town_staff)
    with days_later():
        with pytest.raises(Conflict) as refused:
            selection.transition(second, State.APPROVED, actor=county_admin.user)
        assert refused.value.code == "QUOTA_FULL" and refused.value.detail == {"limit": 1, "used": 1}
        assert selection.transition(other_title, State.APPROVED, actor=county_admin.user).state == State.APPROVED
    assert first.serial
    with pytest.raises(NotFound):  # only the county sets quotas
        selection.set_quota(village, year=2026, title="understander", limit=9, actor=town_staff.user)


def test_the_default_quota_is_a_setting(mediator, town_staff, county_admin, settings):
    from xiangzhi.recognitions.services import selection

    settings.XIANGZHI_RECOGNITIONS_DEFAULT_QUOTA = 1
    register(nominate(mediator.user, n=1), town_staff, county_admin)
    second = to_notice(nominate(mediator.user, n=2, name="李四"), town_staff)
    with days_later(), pytest.raises(Conflict):
        selection.transition(second, State.APPROVED, actor=county_admin.user)


def test_each_step_belongs_to_its_level(mediator, town_staff, other_town_staff, county_admin):
    from xiangzhi.recognitions.services import selection

    rec = nominate(mediator.user)
    with pytest.raises(Conflict):  # the village does not review its own nomination
        selection.transition(rec, State.TOWN_REVIEWED, actor=mediator.user)
    with pytest.raises(NotFound):  # another town does not even see it
        selection.transition(rec, State.TOWN_REVIEWED, actor=other_town_staff.user)
    with pytest.raises(Conflict):  # no skipping the review and the notice
        selection.transition(rec, State.APPROVED, actor=county_admin.user)
    rec = to_notice(rec, town_staff)
    with days_later(), pytest.raises(Conflict):  # the town does not approve
        selection.transition(rec, State.APPROVED, actor=town_staff.user)


def test_rejection_and_revocation_need_a_reason(mediator, town_staff, county_admin):
    from xiangzhi.recognitions.services import selection

    rec = nominate(mediator.user)
    with pytest.raises(ValidationFailed):
        selection.transition(rec, State.REJECTED, actor=town_staff.user)
    assert selection.transition(rec, State.REJECTED, actor=town_staff.user, reason="不符合条件").state == State.REJECTED
    again = nominate(mediator.user)  # a rejected nomination may be followed by a new one
    with pytest.raises(Conflict):
        nominate(mediator.user)
    holder = register(again, town_staff, county_admin)
    with pytest.raises(ValidationFailed):
        selection.transition(holder, State.REVOCATION_PROPOSED, actor=mediator.user)


def test_revocation_follows_the_same_path_and_can_be_withdrawn(mediator, town_staff, county_admin, villager_b):
    from xiangzhi.recognitions.services import selection

    holder = register(nominate(mediator.user), town_staff, county_admin)
    selection.transition(holder, State.REVOCATION_PROPOSED, actor=mediator.user, reason="举报其参与赌博")
    selection.transition(holder, State.REVOCATION_REVIEWED, actor=town_staff.user)
    rec = selection.transition(holder, State.REVOCATION_NOTICE, actor=town_staff.user)
    objection = selection.raise_objection(rec, text="举报不实，请核查。", actor=villager_b[0])
    with days_later(), pytest.raises(Conflict):
        selection.transition(rec, State.REVOKED, actor=county_admin.user)
    selection.answer_objection(objection, answer="经核查举报不实。", actor=county_admin.user)
    rec = selection.transition(rec, State.REGISTERED, actor=county_admin.user, reason="举报不实，撤回撤销")
    assert rec.state == State.REGISTERED and rec.serial == holder.serial and rec.notice_ends is None


def test_a_villager_nominates_themself(villager_a, tongxiang):
    from tests.conftest import WUZHEN, first_village
    from xiangzhi.recognitions.enums import Source

    rec = nominate(villager_a[0], village=first_village(WUZHEN))
    assert rec.source == Source.SELF and rec.person.user == villager_a[0] and rec.person.phone == "13800000001"
    assert rec.person.masked_id_number.startswith("330483") and "*" in rec.person.masked_id_number


def test_a_nomination_stays_in_the_nominators_jurisdiction(other_mediator, mediator):
    with pytest.raises(NotFound):
        nominate(other_mediator.user, village=mediator.region)


def test_training_and_assessment_records(mediator, town_staff):
    from xiangzhi.recognitions.services import selection

    rec = nominate(mediator.user)
    c = town_staff.client()
    c.post(f"/recognitions/staff/{rec.pk}/training/", {"kind": "training", "on": timezone.localdate().isoformat(),
                                                       "topic": "民法典婚姻家庭编", "hours": "4"})
    c.post(f"/recognitions/staff/{rec.pk}/training/", {"kind": "assessment", "on": timezone.localdate().isoformat(),
                                                       "topic": "任前考试", "score": "92", "passed": "yes"})
    kinds = [(t.kind, t.hours, t.score, t.passed) for t in rec.trainings.all()]
    assert [k[0] for k in kinds] == ["training", "assessment"] and kinds[1][2:] == (92, True)
    with pytest.raises(Conflict):
        selection.add_training(rec, kind="training", on=timezone.localdate(), topic="村里自己登记", actor=mediator.user)


def test_every_step_is_recorded_and_attested(mediator, town_staff, county_admin):
    from xiangzhi.core.models import AuditLog
    from xiangzhi.ledger.models import Leaf

    holder = register(nominate(mediator.user), town_staff, county_admin)
    kinds = list(holder.events.order_by("pk").values_list("kind", "payload__to"))  # approval ran "8 days later"
    assert kinds == [("nominated", None), ("transition", "town_reviewed"), ("transition", "in_notice"),
                     ("transition", "approved"), ("transition", "registered")]
    assert AuditLog.objects.filter(object_type="recognitions.recognition", object_id=str(holder.pk)).count() == 5
    leaves = Leaf.objects.filter(group=f"recognitions.recognition:{holder.pk}")
    assert leaves.filter(kind__startswith="recognitions.").count() == 5 and leaves.filter(kind="audit").count() == 5
    for leaf in Leaf.objects.all():
        data = bytes(leaf.data).decode()
        assert "张小明" not in data and holder.person.id_number not in data


def test_staff_pages_walk_the_workflow(mediator, town_staff, county_admin):
    from xiangzhi.recognitions.models import Recognition

    c = mediator.client()
    page = c.get("/recognitions/staff/nominate/")
    assert page.status_code == 200
    from tests.recognitions.conftest import id_number

    response = c.post("/recognitions/staff/nominate/", {
        "title": "leader", "year": timezone.localdate().year, "region": mediator.region.code, "name": "赵六",
        "id_number": id_number(9), "phone": "", "reason": "村里的法治带头人，热心调解。"})
    rec = Recognition.objects.get()
    assert response.status_code == 302 and rec.state == State.NOMINATED
    town = town_staff.client()
    assert "乡镇审查通过" in town.get(f"/recognitions/staff/{rec.pk}/").content.decode()
    town.post(f"/recognitions/staff/{rec.pk}/step/", {"to": "town_reviewed"})
    town.post(f"/recognitions/staff/{rec.pk}/step/", {"to": "in_notice"})
    rec.refresh_from_db()
    assert rec.state == State.IN_NOTICE
    dashboard = county_admin.client().get("/recognitions/staff/")
    assert dashboard.status_code == 200 and "赵*" in dashboard.content.decode()
    assert "赵六" not in dashboard.content.decode()
    assert county_admin.client().get(f"/recognitions/staff/{rec.pk}/").status_code == 200


def test_outsiders_see_nothing(mediator, liaison, bank_officer, lawyer, villager_a, client):
    rec = nominate(mediator.user)
    for persona in (liaison, bank_officer, lawyer):
        c = persona.client()
        assert c.get(f"/recognitions/staff/{rec.pk}/").status_code == 404
        assert c.get("/recognitions/staff/").status_code == 404
        assert c.get("/api/v1/recognitions/holders").json()["count"] == 0
    assert client.get("/recognitions/staff/").status_code == 302
    assert villager_a[1].get(f"/recognitions/staff/{rec.pk}/").status_code == 404


def test_coverage_counts_holders_per_village(mediator, town_staff, county_admin):
    from xiangzhi.recognitions import selectors

    register(nominate(mediator.user, n=1), town_staff, county_admin)
    register(nominate(mediator.user, n=2, name="李四", title="household"), town_staff, county_admin)
    rows = {r["village"].code: r["counts"] for r in selectors.coverage(town_staff.user, timezone.localdate().year)}
    assert rows[mediator.region.code] == [1, 0, 1]
    assert all(code.startswith("330483100") for code in rows)


ROLES = [Role.MEDIATOR, Role.GRID_WORKER, Role.TOWN_STAFF, Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.AUDITOR,
         Role.BANK_OFFICER, Role.LAWYER, Role.LIAISON]


def _expected(role: str, state: str, to: str) -> bool:
    return to in ALLOWED_TRANSITIONS[state] and (
        (role == Role.COUNTY_ADMIN and (state, to) in {
            (State.IN_NOTICE, State.APPROVED), (State.IN_NOTICE, State.REJECTED), (State.APPROVED, State.REGISTERED),
            (State.REVOCATION_NOTICE, State.REVOKED), (State.REVOCATION_NOTICE, State.REGISTERED),
            (State.REGISTERED, State.REVOCATION_PROPOSED)})
        or (role == Role.TOWN_STAFF and (state, to) in {
            (State.NOMINATED, State.TOWN_REVIEWED), (State.NOMINATED, State.REJECTED),
            (State.TOWN_REVIEWED, State.IN_NOTICE), (State.TOWN_REVIEWED, State.REJECTED),
            (State.REGISTERED, State.REVOCATION_PROPOSED), (State.REVOCATION_PROPOSED, State.REVOCATION_REVIEWED),
            (State.REVOCATION_PROPOSED, State.REGISTERED), (State.REVOCATION_REVIEWED, State.REVOCATION_NOTICE),
            (State.REVOCATION_REVIEWED, State.REGISTERED)})
        or (role in (Role.MEDIATOR, Role.GRID_WORKER) and (state, to) == (State.REGISTERED, State.REVOCATION_PROPOSED)))


@pytest.mark.parametrize("role", ROLES)
def test_transition_truth_table(role):
    for state, to in itertools.product(State.values, State.values):
        assert rules.can_transition({role}, state, to) is _expected(role, state, to), (state, to)


@pytest.mark.parametrize("state", State.values)
def test_objection_truth_table(state):
    for is_citizen, notice_open in itertools.product((True, False), repeat=2):
        expected = is_citizen and notice_open and state in (State.IN_NOTICE, State.REVOCATION_NOTICE)
        assert rules.can_object(is_citizen=is_citizen, state=state, notice_open=notice_open) is expected


def test_a_citizen_without_sign_in_cannot_object(client, mediator, town_staff):
    rec = to_notice(nominate(mediator.user), town_staff)
    response = client.post(f"/recognitions/notices/{rec.pk}/object/", {"text": "匿名异议内容"})
    assert response.status_code == 302 and "/citizen/login/" in response["Location"]
    citizen = make_citizen("13700000009")[1]
    assert citizen.post("/recognitions/notices/999999/object/", {"text": "不存在的公示"}).status_code == 404


def test_a_villager_nominates_themself_on_their_page(villager_a, tongxiang):
    from tests.conftest import WUZHEN, first_village
    from tests.recognitions.conftest import id_number
    from xiangzhi.recognitions.models import Recognition

    village = first_village(WUZHEN)
    c = villager_a[1]
    assert "自荐" in c.get("/recognitions/me/").content.decode()
    response = c.post("/recognitions/me/nominate/", {"title": "household", "region": village.code, "name": "周大伯",
                                                     "id_number": id_number(42), "reason": "家里三代学法守法。"})
    assert response.status_code == 302
    rec = Recognition.objects.get()
    assert rec.source == "self" and rec.region == village and rec.person.user == villager_a[0]
    page = c.get("/recognitions/me/").content.decode()
    assert "学法用法示范户" in page and "已提名" in page


def test_the_county_sets_a_quota_on_the_dashboard(county_admin, town_staff, mediator):
    from xiangzhi.recognitions.models import Quota

    year = timezone.localdate().year
    form = {"region": mediator.region.code, "title": "leader", "year": year, "limit": 2}
    assert town_staff.client().post("/recognitions/staff/quotas/", form).status_code == 404
    c = county_admin.client()
    assert "设定名额" in c.get("/recognitions/staff/").content.decode()
    assert c.post("/recognitions/staff/quotas/", form).status_code == 302
    assert Quota.objects.get().limit == 2


def test_a_grid_worker_nominates_in_the_village_of_their_grid(grid_worker, town_staff):
    rec = nominate(grid_worker.user, village=grid_worker.region.parent)
    assert rec.region == grid_worker.region.parent
    c = grid_worker.client()
    assert c.get(f"/recognitions/staff/{rec.pk}/").status_code == 200
    assert "乡镇审查通过" not in c.get(f"/recognitions/staff/{rec.pk}/").content.decode()


def test_a_villager_cannot_claim_another_persons_record_by_their_id_number(holder, villager_b):
    """Self-nomination with someone else's 身份证号 must not attach the villager's phone to that person: the villager
    would then see that person's titles and could hand their consent codes to a bank (e法贷)."""
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.recognitions import selectors
    from xiangzhi.recognitions.services import efadai

    assert not holder.person.phone_index
    with pytest.raises(XiangzhiError) as exc:
        nominate(villager_b[0], n=1, title="leader")
    assert exc.value.code == "ID_NUMBER_TAKEN"
    holder.person.refresh_from_db()
    assert not holder.person.phone_index and holder.person.user_id is None
    assert not selectors.recognitions_of_citizen(villager_b[0]).exists()
    with pytest.raises(XiangzhiError):
        efadai.create_consent(actor=villager_b[0])


def test_a_villager_may_nominate_themself_again_with_their_own_id_number(villager_a, tongxiang):
    first = nominate(villager_a[0], n=7)
    second = nominate(villager_a[0], n=7, title="leader")
    assert second.person_id == first.person_id


def test_a_role_outside_recognitions_does_not_widen_the_jurisdiction(other_mediator):
    """乌镇's justice-office official who is also a county lawyer: the lawyer membership (no recognitions role) must
    not make 崇福's nominations theirs to see or to review."""
    from tests.conftest import COUNTY, WUZHEN, make_staff
    from xiangzhi.recognitions import selectors
    from xiangzhi.recognitions.services import selection

    make_staff("gzls_wz", "town_staff", WUZHEN, {"region__code": WUZHEN, "kind": "justice_office"})
    both = make_staff("gzls_wz", "lawyer", COUNTY, {"kind": "law_firm"}).user
    rec = nominate(other_mediator.user, village=other_mediator.region)
    assert not selectors.visible_to(both).filter(pk=rec.pk).exists()
    with pytest.raises(NotFound):
        selection.transition(rec, "town_reviewed", actor=both)


def test_numbers_typed_into_reasons_and_objections_are_masked_and_kept_encrypted(holder, mediator, town_staff,
                                                                                 county_admin, villager_a, client):
    """A 身份证号 or mobile typed into a nomination reason, a revocation reason (shown on the public notice) or an
    objection reaches no text column, audit row or ledger leaf in full: the masked form is stored and the number kept
    encrypted (core.protect_texts / keep_text_numbers)."""
    from tests.recognitions.conftest import id_number
    from xiangzhi.core.models import AuditLog, TextNumber
    from xiangzhi.recognitions.services import selection

    phone, idn = "13912345678", id_number(9)
    rec = nominate(mediator.user, n=8, name="李四")
    rec = selection.nominate(selection.Nominee(name="王五", id_number=id_number(10)), title="leader",
                             year=rec.year, region=rec.region, reason=f"热心调解，联系电话 {phone}，身份证 {idn}。",
                             actor=mediator.user)
    assert phone not in rec.reason and idn not in rec.reason
    selection.transition(holder, "revocation_proposed", actor=town_staff.user,
                         reason=f"本人（电话 {phone}）受到行政处罚")
    selection.transition(holder, "revocation_reviewed", actor=town_staff.user)
    holder = selection.transition(holder, "revocation_notice", actor=town_staff.user)
    assert phone not in holder.revocation_reason
    assert phone not in client.get("/recognitions/notices/").content.decode()
    objection = selection.raise_objection(holder, text=f"我有证据，请打 {phone} 联系", actor=villager_a[0])
    assert phone not in objection.text
    assert TextNumber.objects.filter(object_type="recognitions.recognition", object_id=str(rec.pk)).count() == 2
    assert TextNumber.objects.filter(object_type="recognitions.recognition", object_id=str(holder.pk)).exists()
    assert TextNumber.objects.filter(object_type="recognitions.objection", object_id=str(objection.pk)).exists()
    assert not any(phone in str(a.after) + str(a.before) + a.note for a in AuditLog.objects.all())
