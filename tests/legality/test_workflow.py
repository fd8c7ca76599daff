"""The review workflow through the services: submit → assign → opinion → revise → issue, and its guards."""

from __future__ import annotations

import pytest

from tests.conftest import CHONGFU, first_village
from tests.legality.conftest import assigned, new_submission, opine

pytestmark = pytest.mark.django_db


def test_it_refuses_to_issue_a_document_that_was_never_reviewed(town_staff, lawyer, law_articles):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.legality.services import submissions

    sub = new_submission(town_staff.user)
    with pytest.raises(Conflict) as exc:
        submissions.issue(sub, actor=town_staff.user)
    assert exc.value.code == "NOT_REVIEWED" and exc.value.status == 409
    sub = assigned(town_staff.user, [lawyer.user], title="另一份文件")
    with pytest.raises(Conflict) as exc:
        submissions.issue(sub, actor=town_staff.user)
    assert exc.value.code == "NOT_REVIEWED"
    sub.refresh_from_db()
    assert sub.state == "under_review" and sub.issued_at is None


@pytest.mark.parametrize("conclusion, state", [("lawful_if_revised", "to_revise"), ("unlawful", "refused")])
def test_it_refuses_to_issue_after_an_opinion_other_than_lawful(town_staff, lawyer, law_articles, conclusion, state):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.legality.services import submissions

    sub = assigned(town_staff.user, [lawyer.user])
    opine(sub, lawyer.user, conclusion)
    sub.refresh_from_db()
    assert sub.state == state
    with pytest.raises(Conflict) as exc:
        submissions.issue(sub, actor=town_staff.user)
    assert exc.value.code == "NOT_REVIEWED"


def test_a_lawful_opinion_lets_the_document_be_issued_once(town_staff, lawyer, law_articles):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.legality.models import Event
    from xiangzhi.legality.services import submissions

    sub = assigned(town_staff.user, [lawyer.user])
    opine(sub, lawyer.user, "lawful")
    sub = submissions.issue(sub, digest=sub.versions.get().digest, actor=town_staff.user)
    assert sub.state == "issued" and sub.issued_by == town_staff.user
    assert list(Event.objects.filter(submission=sub).values_list("kind", flat=True)) == [
        "submitted", "assigned", "opinion", "issued"]
    with pytest.raises(Conflict):
        submissions.issue(sub, actor=town_staff.user)


def test_an_opinion_on_an_old_version_does_not_cover_the_new_one(town_staff, lawyer, law_articles):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.legality.services import review, submissions
    from xiangzhi.legality.services.submissions import digest_of

    sub = assigned(town_staff.user, [lawyer.user])
    old_digest = sub.versions.get().digest
    opine(sub, lawyer.user, "lawful")
    sub = submissions.revise(sub, text="第一条 改过的正文。", note="按意见修改", actor=town_staff.user)
    assert sub.state == "under_review" and sub.version == 2
    with pytest.raises(Conflict) as exc:  # the passed review was of version 1
        submissions.issue(sub, actor=town_staff.user)
    assert exc.value.code == "NOT_REVIEWED"
    with pytest.raises(Conflict) as exc:  # issuing the old text
        submissions.issue(sub, digest=old_digest, actor=town_staff.user)
    assert exc.value.code == "VERSION_CHANGED"
    with pytest.raises(Conflict) as exc:  # an opinion given on the old text
        review.give_opinion(sub, conclusion="lawful", reasons="合法", citations=law_articles[:1], digest=old_digest,
                            actor=lawyer.user)
    assert exc.value.code == "STALE_VERSION"
    opinion = review.give_opinion(sub, conclusion="lawful", reasons="合法", citations=law_articles[:1],
                                  digest=digest_of("第一条 改过的正文。"), actor=lawyer.user)
    assert opinion.version.number == 2
    sub = submissions.issue(sub, actor=town_staff.user)
    assert sub.state == "issued"


def test_a_revision_after_a_refusal_is_reviewed_again_by_the_same_reviewer(town_staff, lawyer, law_articles):
    from xiangzhi.core.models import Notification
    from xiangzhi.legality.services import submissions

    sub = assigned(town_staff.user, [lawyer.user])
    opine(sub, lawyer.user, "unlawful")
    sub = submissions.revise(sub, text="第一条 已删除违法设定罚款的条款。", actor=town_staff.user)
    assert sub.state == "under_review" and list(sub.reviewers.all()) == [lawyer.user]
    assert Notification.objects.filter(recipient_user=lawyer.user, subject__contains="修改稿").exists()


def test_a_revision_with_the_same_text_is_refused(town_staff, lawyer):
    from tests.legality.conftest import TEXT
    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.legality.services import submissions

    sub = new_submission(town_staff.user)
    with pytest.raises(ValidationFailed) as exc:
        submissions.revise(sub, text=TEXT, actor=town_staff.user)
    assert exc.value.code == "NO_CHANGE"


def test_only_the_assigned_reviewer_gives_an_opinion(town_staff, lawyer, lawyer_wz, law_articles):
    from xiangzhi.core.errors import Conflict, Forbidden

    sub = assigned(town_staff.user, [lawyer.user])
    for outsider in (lawyer_wz.user, town_staff.user):
        with pytest.raises(Forbidden) as exc:
            opine(sub, outsider)
        assert exc.value.code == "NOT_ASSIGNED_REVIEWER"
    opine(sub, lawyer.user)
    with pytest.raises(Conflict) as exc:  # one opinion per version
        opine(sub, lawyer.user)
    assert exc.value.code == "NOT_UNDER_REVIEW"


def test_any_member_of_a_panel_gives_the_panels_opinion(town_staff, lawyer, lawyer_wz, law_articles):
    sub = assigned(town_staff.user, [lawyer.user, lawyer_wz.user])
    assert sub.is_panel
    opinion = opine(sub, lawyer_wz.user, "lawful_if_revised")
    assert opinion.reviewer == lawyer_wz.user


def test_a_reviewer_must_be_a_lawyer_covering_the_region(town_staff, lawyer_cf, mediator):
    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.legality.services import review

    sub = new_submission(town_staff.user)
    for wrong in ([lawyer_cf.user], [mediator.user], []):
        with pytest.raises(ValidationFailed) as exc:
            review.assign(sub, reviewers=wrong, actor=town_staff.user)
        assert exc.value.code in ("INVALID_REVIEWER", "NO_REVIEWER")
    sub.refresh_from_db()
    assert sub.state == "submitted"


def test_without_a_named_reviewer_the_default_is_used_and_none_is_known_yet(town_staff):
    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.legality.services import review

    with pytest.raises(ValidationFailed) as exc:
        review.assign(new_submission(town_staff.user), reviewers=None, actor=town_staff.user)
    assert exc.value.code == "NO_REVIEWER"


@pytest.mark.parametrize("citations, code", [(["民法典-99999"], "UNKNOWN_ARTICLE"), (["不存在的法-1"], "UNKNOWN_ARTICLE"),
                                             ([], "NO_CITATION")])
def test_cited_articles_must_exist(town_staff, lawyer, law_articles, citations, code):
    from tests.legality.conftest import TEXT
    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.legality.services import review
    from xiangzhi.legality.services.submissions import digest_of

    sub = assigned(town_staff.user, [lawyer.user])
    with pytest.raises(ValidationFailed) as exc:
        review.give_opinion(sub, conclusion="lawful", reasons="合法", citations=citations, digest=digest_of(TEXT),
                            actor=lawyer.user)
    assert exc.value.code == code
    sub.refresh_from_db()
    assert sub.state == "under_review" and not sub.opinions.exists()


def test_cited_articles_are_stored_by_key(town_staff, lawyer, law_articles):
    opinion = opine(assigned(town_staff.user, [lawyer.user]), lawyer.user,
                    citations=["村民委员会组织法-27", "重大行政决策程序暂行条例-26"])
    assert opinion.citations == ["村民委员会组织法-27", "重大行政决策程序暂行条例-26"]


def test_village_matters_are_submitted_for_a_village_and_town_matters_for_the_town(town_staff, lawyer, law_articles):
    from tests.conftest import WUZHEN
    from tests.legality.conftest import town
    from xiangzhi.core.errors import NotFound, ValidationFailed
    from xiangzhi.legality.services import review, submissions

    village = first_village(WUZHEN)
    sub = submissions.submit(region=village, kind="village_rules", title="村规民约（修订）", text="第一条 村规民约。",
                             actor=town_staff.user)
    assert sub.town.code == WUZHEN and sub.region == village
    with pytest.raises(ValidationFailed):
        submissions.submit(region=village, kind="normative", title="x", text="y", actor=town_staff.user)
    with pytest.raises(ValidationFailed):
        submissions.submit(region=town(), kind="village_contract", title="x", text="y", actor=town_staff.user)
    with pytest.raises(NotFound):  # another town's village
        submissions.submit(region=first_village(CHONGFU), kind="village_rules", title="x", text="y",
                           actor=town_staff.user)
    contract = submissions.submit(region=village, kind="village_contract", title="土地流转合同", text="甲方乙方……",
                                  actor=town_staff.user)
    review.assign(contract, reviewers=[lawyer.user], actor=town_staff.user)
    opine(contract, lawyer.user)
    assert submissions.issue(contract, actor=town_staff.user).state == "issued"


def test_every_step_writes_audit_timeline_and_ledger(town_staff, lawyer, law_articles):
    from xiangzhi.core.models import AuditLog
    from xiangzhi.ledger.models import Leaf
    from xiangzhi.legality.models import Event

    sub = assigned(town_staff.user, [lawyer.user])
    opine(sub, lawyer.user)
    actions = list(AuditLog.objects.filter(object_id=str(sub.pk), action__startswith="legality.")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["legality.submitted", "legality.assigned", "legality.opinion"]
    events = Event.objects.filter(submission=sub)
    assert Leaf.objects.filter(ref_type="legality.event", ref_id__in=[str(e.pk) for e in events]).count() == 3


def test_reviewers_and_auditors_do_not_manage(town_staff, lawyer, auditor, law_articles):
    from xiangzhi.core.errors import Forbidden
    from xiangzhi.legality import selectors
    from xiangzhi.legality.services import review, submissions

    sub = assigned(town_staff.user, [lawyer.user])
    opine(sub, lawyer.user)
    assert selectors.access_submission(auditor.user, sub.pk) == sub
    for user in (lawyer.user, auditor.user):
        for call in (lambda u=user: submissions.issue(sub, actor=u),
                     lambda u=user: submissions.revise(sub, text="改", actor=u),
                     lambda u=user: review.assign(sub, reviewers=[lawyer.user], actor=u)):
            with pytest.raises(Forbidden):
                call()
    sub.refresh_from_db()
    assert sub.state == "passed"


def test_personal_numbers_in_the_text_are_masked_and_kept_encrypted(town_staff, lawyer):
    from tests.conftest import valid_id_number
    from xiangzhi.core.models import TextNumber
    from xiangzhi.legality.services import submissions
    from xiangzhi.legality.services.submissions import digest_of

    id_number = valid_id_number("33048319800101001")
    sub = new_submission(town_staff.user, kind="agreement", text=f"乙方：张三，身份证号{id_number}，电话13812345678。")
    v1 = sub.versions.get()
    assert id_number not in v1.text and "13812345678" not in v1.text and v1.digest == digest_of(v1.text)
    rows = TextNumber.objects.filter(object_type="legality.version", object_id=str(v1.pk))
    assert sorted(r.value for r in rows) == sorted([id_number, "13812345678"])
    sub = submissions.revise(sub, text="乙方：李四，电话13900001111。", actor=town_staff.user)
    v2 = sub.versions.get(number=2)
    assert "13900001111" not in v2.text
    assert TextNumber.objects.filter(object_type="legality.version", object_id=str(v2.pk)).count() == 1


def test_a_village_matter_goes_to_the_villages_own_legal_adviser_when_nobody_is_named(town_staff, lawyer_wz):
    """一村一法律顾问: with no reviewer named, a village's major matter is reviewed by the adviser the network app
    records for that village (when they are an eligible lawyer); a town's document still needs a named reviewer."""
    from tests.conftest import WUZHEN
    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.core.models import Organisation
    from xiangzhi.legality.services import review, submissions
    from xiangzhi.network.services import directory

    village = first_village(WUZHEN)
    matter = submissions.submit(region=village, kind="village_rules", title="村规民约（修订）", text="第一条 村规民约。",
                                actor=town_staff.user)
    with pytest.raises(ValidationFailed) as exc:  # the village has no adviser yet
        review.assign(matter, actor=town_staff.user)
    assert exc.value.code == "NO_REVIEWER"
    firm = Organisation.objects.filter(kind="law_firm").first()
    adviser = directory.create_adviser(name="顾律师", firm=firm, user=lawyer_wz.user, actor=None)
    directory.assign_adviser(village, adviser, actor=None)
    assert review.default_reviewers(matter) == [lawyer_wz.user]
    assert list(review.assign(matter, actor=town_staff.user).reviewers.all()) == [lawyer_wz.user]
    town_doc = new_submission(town_staff.user)
    assert review.default_reviewers(town_doc) == []
    with pytest.raises(ValidationFailed):
        review.assign(town_doc, reviewers=[], actor=town_staff.user)


def test_a_public_lawyer_of_another_town_reviews_but_does_not_manage_the_submission(tongxiang, other_town_staff):
    """A 乌镇 justice-office official who is also a county lawyer (公职律师) reviews a 崇福 submission: they see it as its
    reviewer, but their managing role is 乌镇's, so they may not re-assign, revise or issue 崇福's document."""
    from tests.conftest import CHONGFU, COUNTY, WUZHEN, make_staff
    from tests.legality.conftest import new_submission
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.legality.services import review, submissions

    make_staff("gzls_wz", "town_staff", WUZHEN, {"region__code": WUZHEN, "kind": "justice_office"})
    both = make_staff("gzls_wz", "lawyer", COUNTY, {"kind": "law_firm"}).user
    sub = review.assign(new_submission(other_town_staff.user, code=CHONGFU), reviewers=[both],
                        actor=other_town_staff.user)
    with pytest.raises(XiangzhiError):
        review.assign(sub, reviewers=[both], deadline_workdays=30, actor=both)
    with pytest.raises(XiangzhiError):
        submissions.revise(sub, text=sub.versions.get().text + "\n第三条 外镇改写。", actor=both)
    sub.refresh_from_db()
    assert sub.version == 1 and sub.deadline_workdays != 30
