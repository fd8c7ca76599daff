"""The creation flow 规划 → 培育 → 申报 → 考核 → 命名 → 提升 → 复核 through the services, with its guards: no higher
title without the lower one, a veto item fails whatever the score, below the pass mark fails, only assigned
assessors score, evidence typed by its content; and the archive that records it all, in order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.villages.conftest import PDF, cultivate, full_marks, named, png_bytes, upload

pytestmark = pytest.mark.django_db


def _assessed(village, admin, assessor, **marks):  # noqa: ANN001, ANN003
    from xiangzhi.villages.services import assessment

    rec = cultivate(village, admin)
    app = assessment.apply(rec, actor=admin, level="county")
    assessment.assign_assessors(app, [assessor], actor=admin)
    assessment.score(app, actor=assessor, lines=full_marks(app, **marks))
    app.refresh_from_db()
    rec.refresh_from_db()
    return rec, app


def test_a_village_goes_from_plan_to_title_and_its_archive_keeps_every_step(standards, county_admin, town_staff,
                                                                          wz_village, assessor):
    from xiangzhi.core.models import AuditLog
    from xiangzhi.ledger.models import Leaf
    from xiangzhi.villages import selectors
    from xiangzhi.villages.enums import ApplicationState, Stage
    from xiangzhi.villages.services import assessment, cultivation, titles

    rec = cultivate(wz_village, town_staff.user)  # the town's justice office plans and cultivates
    assert rec.stage == Stage.CULTIVATING
    app = assessment.apply(rec, actor=town_staff.user, level="county", summary="已完成全部培育任务")
    rec.refresh_from_db()
    assert rec.stage == Stage.APPLIED and app.state == ApplicationState.SUBMITTED
    assessment.assign_assessors(app, [assessor.user], actor=county_admin.user)
    sheet = assessment.score(app, actor=assessor.user, lines=full_marks(app, scores=(36, 25, 27)))
    app.refresh_from_db()
    assert sheet.total == Decimal("88.0") and app.state == ApplicationState.PASSED and app.score == Decimal("88.0")
    title = titles.name(app, actor=county_admin.user, named_on=dt.date(2026, 11, 20), document_no="桐司〔2026〕8号")
    rec.refresh_from_db()
    assert rec.stage == Stage.NAMED and rec.highest_level == "county"
    assert [t.level for t in selectors.titles_of(wz_village.code)] == ["county"]
    cultivation.plan_improvement(rec, actor=town_staff.user, measures="完善法治文化阵地", due_on=dt.date(2027, 6, 30))
    rec.refresh_from_db()
    assert rec.stage == Stage.IMPROVING
    kinds = list(selectors.archive(rec).values_list("kind", flat=True))
    assert kinds == ["planned", "task_added", "evidence", "task_done", "applied", "assessors", "scored", "assessed",
                     "named", "improvement"]
    events = list(selectors.archive(rec))
    assert Leaf.objects.filter(ref_type="villages.creationevent", ref_id__in=[str(e.pk) for e in events]).count() == 10
    assert Leaf.objects.filter(group=f"villages.record:{rec.pk}").count() == 10
    assert AuditLog.objects.filter(object_type="villages.creationrecord", object_id=str(rec.pk)).count() == 10
    assert title.application == app


def test_no_higher_title_without_the_lower_one(standards, county_admin, wz_village, assessor):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.villages.models import Application
    from xiangzhi.villages.services import assessment, titles

    rec = cultivate(wz_village, county_admin.user, level="county")
    for level in ("city", "province", "national"):
        with pytest.raises(Conflict) as exc:
            assessment.apply(rec, actor=county_admin.user, level=level)
        assert exc.value.code == "LOWER_TITLE_REQUIRED" and exc.value.status == 409
    with pytest.raises(Conflict):
        titles.register_title(rec, actor=county_admin.user, level="province", named_on=dt.date(2020, 1, 1))
    assert not Application.objects.exists()
    named(wz_village, county_admin.user, assessor.user, "county")
    rec.refresh_from_db()
    with pytest.raises(Conflict) as exc:  # the county title is held: not again
        cultivate(wz_village, county_admin.user, level="county")
    assert exc.value.code == "TITLE_ALREADY_HELD"
    rec = cultivate(wz_village, county_admin.user, level="city")
    with pytest.raises(Conflict) as exc:
        assessment.apply(rec, actor=county_admin.user, level="province")
    assert exc.value.code == "LOWER_TITLE_REQUIRED"
    app = assessment.apply(rec, actor=county_admin.user, level="city")
    assert app.level == "city"


def test_a_veto_item_fails_the_assessment_whatever_the_score(standards, county_admin, wz_village, assessor):
    from xiangzhi.villages.enums import ApplicationState, Stage

    rec, app = _assessed(wz_village, county_admin.user, assessor.user, veto=True)
    assert app.score == Decimal("100.0") and app.vetoed
    assert app.state == ApplicationState.FAILED
    assert rec.stage == Stage.CULTIVATING  # back to 培育
    assert rec.events.get(kind="assessed").payload["result"] == "veto"


def test_below_the_pass_mark_fails_and_the_mark_itself_passes(standards, county_admin, wz_village, cf_village,
                                                             assessor):
    from xiangzhi.villages.enums import ApplicationState

    _, failed = _assessed(wz_village, county_admin.user, assessor.user, scores=(30, 25, 24.9))
    assert failed.score == Decimal("79.9") and failed.state == ApplicationState.FAILED and not failed.vetoed
    _, passed = _assessed(cf_village, county_admin.user, assessor.user, scores=(30, 25, 25))
    assert passed.score == Decimal("80.0") and passed.state == ApplicationState.PASSED


def test_only_assigned_assessors_score_once_each_and_the_mean_decides(standards, county_admin, town_staff, wz_village,
                                                                     assessor, second_assessor, lawyer):
    from xiangzhi.core.errors import Conflict, Forbidden
    from xiangzhi.villages.enums import ApplicationState
    from xiangzhi.villages.models import ScoreSheet
    from xiangzhi.villages.services import assessment

    rec = cultivate(wz_village, town_staff.user)
    app = assessment.apply(rec, actor=town_staff.user, level="county")
    for outsider in (county_admin.user, town_staff.user, lawyer.user):
        with pytest.raises(Forbidden) as exc:
            assessment.score(app, actor=outsider, lines=full_marks(app))
        assert exc.value.code == "NOT_ASSESSOR"
    with pytest.raises(Conflict):  # a justice office does not assign assessors: the bureau does
        assessment.assign_assessors(app, [assessor.user], actor=town_staff.user)
    assessment.assign_assessors(app, [assessor.user, second_assessor.user], actor=county_admin.user)
    assessment.score(app, actor=assessor.user, lines=full_marks(app, scores=(40, 30, 20)))  # 90
    app.refresh_from_db()
    assert app.state == ApplicationState.ASSESSING  # one of two sheets
    with pytest.raises(Conflict) as exc:
        assessment.score(app, actor=assessor.user, lines=full_marks(app))
    assert exc.value.code == "ALREADY_SCORED"
    assessment.score(app, actor=second_assessor.user, lines=full_marks(app, scores=(30, 20, 19)))  # 69
    app.refresh_from_db()
    assert app.score == Decimal("79.5") and app.state == ApplicationState.FAILED
    assert ScoreSheet.objects.filter(application=app).count() == 2


def test_a_score_sheet_covers_every_item_within_its_maximum(standards, county_admin, wz_village, assessor):
    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.villages.services import assessment

    rec = cultivate(wz_village, county_admin.user)
    app = assessment.apply(rec, actor=county_admin.user, level="county")
    assessment.assign_assessors(app, [assessor.user], actor=county_admin.user)
    lines = full_marks(app)
    with pytest.raises(ValidationFailed) as exc:
        assessment.score(app, actor=assessor.user, lines=dict(list(lines.items())[1:]))
    assert exc.value.code == "INCOMPLETE_SHEET"
    with pytest.raises(ValidationFailed) as exc:
        assessment.score(app, actor=assessor.user, lines=full_marks(app, scores=(41,)))
    assert exc.value.code == "SCORE_OUT_OF_RANGE"


def test_applying_needs_cultivation_and_one_open_application_at_a_time(standards, county_admin, wz_village):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.villages.services import assessment
    from xiangzhi.villages.services.records import record_of

    with pytest.raises(Conflict) as exc:
        assessment.apply(record_of(wz_village), actor=county_admin.user, level="county")
    assert exc.value.code == "NOT_READY"
    rec = cultivate(wz_village, county_admin.user)
    app = assessment.apply(rec, actor=county_admin.user, level="county")
    with pytest.raises(Conflict) as exc:
        assessment.apply(rec, actor=county_admin.user, level="county")
    assert exc.value.code == "APPLICATION_OPEN"
    assessment.withdraw(app, actor=county_admin.user)
    assert assessment.apply(rec, actor=county_admin.user, level="county").pk != app.pk


def test_naming_needs_a_passed_application_and_the_bureau(standards, county_admin, town_staff, wz_village, cf_village,
                                                         assessor):
    from xiangzhi.core.errors import Conflict, NotFound
    from xiangzhi.villages.services import titles

    _, failed = _assessed(wz_village, county_admin.user, assessor.user, veto=True)
    with pytest.raises(Conflict) as exc:
        titles.name(failed, actor=county_admin.user, named_on=dt.date(2026, 11, 1))
    assert exc.value.code == "NOT_PASSED"
    _, passed = _assessed(cf_village, county_admin.user, assessor.user)
    with pytest.raises(NotFound):
        titles.name(passed, actor=town_staff.user, named_on=dt.date(2026, 11, 1))


def test_a_review_keeps_revokes_or_cancels_and_a_revocation_needs_a_reason(standards, county_admin, wz_village,
                                                                          assessor):
    from xiangzhi.core.errors import Conflict, ValidationFailed
    from xiangzhi.villages import selectors
    from xiangzhi.villages.enums import TitleState
    from xiangzhi.villages.services import titles

    title = named(wz_village, county_admin.user, assessor.user)
    titles.review(title, actor=county_admin.user, outcome="keep", reviewed_on=dt.date(2026, 11, 2))
    title.refresh_from_db()
    assert title.state == TitleState.HELD and title.last_reviewed_on == dt.date(2026, 11, 2)
    with pytest.raises(ValidationFailed) as exc:
        titles.review(title, actor=county_admin.user, outcome="revoke", reviewed_on=dt.date(2026, 11, 3))
    assert exc.value.code == "REASON_REQUIRED"
    titles.review(title, actor=county_admin.user, outcome="revoke", reviewed_on=dt.date(2026, 11, 3),
                  note="村委会成员涉黑涉恶被判刑（一票否决情形）")
    title.refresh_from_db()
    assert title.state == TitleState.REVOKED and title.ended_on == dt.date(2026, 11, 3)
    assert title.record.__class__.objects.get(pk=title.record_id).highest_level == ""
    assert selectors.titles_of(wz_village.code) == []
    with pytest.raises(Conflict) as exc:
        titles.review(title, actor=county_admin.user, outcome="cancel", reviewed_on=dt.date(2026, 11, 4), note="x")
    assert exc.value.code == "TITLE_ENDED"


def test_evidence_is_typed_by_its_content_and_stored_under_the_data_dir(standards, county_admin, wz_village,
                                                                       _evidence_dir):
    from xiangzhi.core.errors import Conflict, ValidationFailed
    from xiangzhi.villages import storage
    from xiangzhi.villages.services import cultivation
    from xiangzhi.villages.services.records import record_of

    plan = cultivation.create_plan(record_of(wz_village), actor=county_admin.user, target_level="county",
                                   year_from=2026, year_to=2027, targets=["目标"])
    task = cultivation.add_task(plan, actor=county_admin.user, title="任务")
    with pytest.raises(Conflict) as exc:
        cultivation.complete_task(task, actor=county_admin.user)
    assert exc.value.code == "EVIDENCE_REQUIRED"
    with pytest.raises(ValidationFailed) as exc:  # a program named like a picture
        cultivation.add_evidence(task, upload("照片.jpg", b"MZ\x90\x00" + b"\x00" * 64, "image/jpeg"),
                                 actor=county_admin.user)
    assert exc.value.code == "FILE_TYPE_NOT_ALLOWED"
    ev = cultivation.add_evidence(task, upload("会议记录.jpg", PDF, "image/jpeg"), actor=county_admin.user)
    assert ev.content_type == "application/pdf" and ev.file.endswith(".pdf")
    png = cultivation.add_evidence(task, upload("公示栏", png_bytes()), actor=county_admin.user)
    assert png.content_type == "image/png"
    assert (_evidence_dir / ev.file).read_bytes() == PDF
    assert storage.storage().open(png.file).read() == png_bytes()
    assert len(ev.sha256) == 64


def test_registered_titles_climb_the_ladder_in_order(standards, county_admin, wz_village):
    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.villages.services import titles
    from xiangzhi.villages.services.records import record_of

    rec = record_of(wz_village)
    titles.register_title(rec, actor=county_admin.user, level="county", named_on=dt.date(2015, 3, 1))
    with pytest.raises(ValidationFailed):
        titles.register_title(rec, actor=county_admin.user, level="city", named_on=dt.date(2014, 1, 1))
    titles.register_title(rec, actor=county_admin.user, level="city", named_on=dt.date(2017, 3, 1))
    rec.refresh_from_db()
    assert rec.highest_level == "city" and rec.events.filter(kind="registered").count() == 2


def test_titles_fall_due_for_review_two_years_after_naming_or_the_last_review(standards, county_admin, town_staff,
                                                                               other_town_staff, wz_village):
    from xiangzhi.villages import selectors
    from xiangzhi.villages.services import titles
    from xiangzhi.villages.services.records import record_of

    rec = record_of(wz_village)
    county = titles.register_title(rec, actor=county_admin.user, level="county", named_on=dt.date(2020, 5, 1))
    city = titles.register_title(rec, actor=county_admin.user, level="city", named_on=dt.date(2025, 5, 1))
    today = dt.date(2026, 12, 1)
    assert list(selectors.due_for_review(town_staff.user, today)) == [county]
    assert list(selectors.due_for_review(other_town_staff.user, today)) == []  # another town's
    titles.review(county, actor=county_admin.user, outcome="keep", reviewed_on=dt.date(2026, 11, 30))
    assert list(selectors.due_for_review(town_staff.user, today)) == []
    assert list(selectors.due_for_review(town_staff.user, dt.date(2027, 5, 1))) == [city]
    county.refresh_from_db()
    assert selectors.review_due_on(county) == dt.date(2028, 11, 30)
    body = town_staff.client().get("/api/v1/villages/titles/due-review").json()
    assert body["count"] == 0


def test_assessors_open_the_evidence_of_the_villages_they_assess_only(standards, county_admin, town_staff, wz_village,
                                                                      cf_village, other_town_staff, assessor):
    from xiangzhi.villages.models import Evidence
    from xiangzhi.villages.services import assessment

    rec = cultivate(wz_village, town_staff.user)
    cultivate(cf_village, other_town_staff.user)
    mine, other = (Evidence.objects.get(task__plan__record__region=v) for v in (wz_village, cf_village))
    judge = assessor.client()
    assert judge.get(f"/villages/staff/evidence/{mine.pk}/").status_code == 404  # not yet assigned
    app = assessment.apply(rec, actor=town_staff.user, level="county")
    assessment.assign_assessors(app, [assessor.user], actor=county_admin.user)
    r = judge.get(f"/villages/staff/evidence/{mine.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == png_bytes()
    assert "村规民约.png" in judge.get(f"/villages/staff/applications/{app.pk}/").content.decode()
    assert judge.get(f"/villages/staff/evidence/{other.pk}/").status_code == 404
    assert town_staff.client().get(f"/villages/staff/evidence/{other.pk}/").status_code == 404


def test_the_archive_is_append_only_in_the_database(standards, county_admin, wz_village):
    import importlib

    from django.db import DatabaseError, connection, transaction

    from xiangzhi.villages.models import CreationEvent

    rec = cultivate(wz_village, county_admin.user)
    event = rec.events.first()
    migration = importlib.import_module("xiangzhi.villages.migrations.0001_creation_records_titles_reviews")

    class Editor:  # the part of a schema editor the migration uses, inside this test's transaction
        def __init__(self):
            self.connection = connection

        def execute(self, sql, params=()):  # noqa: ANN001
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    migration.create_triggers(None, Editor(), force=True)
    try:
        for sql in ("UPDATE villages_creationevent SET kind = 'named' WHERE id = %s",
                    "DELETE FROM villages_creationevent WHERE id = %s"):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    finally:
        migration.drop_triggers(None, Editor())
    assert CreationEvent.objects.get(pk=event.pk).kind == "planned"


def test_an_assessor_from_another_town_only_scores_and_never_works_on_the_village(
        standards, cf_village, county_admin, town_staff):
    """乌镇's justice office assesses a 崇福 village's application: it may read it and score, but not withdraw the
    application nor plan, set tasks, upload evidence or apply for that village (those are the 崇福 office's)."""
    from django.urls import reverse

    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.villages.enums import ApplicationState
    from xiangzhi.villages.models import Plan
    from xiangzhi.villages.services import assessment, cultivation

    rec = cultivate(cf_village, county_admin.user)
    app = assessment.apply(rec, actor=county_admin.user, level="county")
    assessment.assign_assessors(app, [town_staff.user], actor=county_admin.user)
    plan = rec.plans.get()
    with pytest.raises(XiangzhiError):
        assessment.withdraw(app, actor=town_staff.user)
    with pytest.raises(XiangzhiError):
        cultivation.add_task(plan, actor=town_staff.user, title="外镇布置的任务")
    with pytest.raises(XiangzhiError):
        cultivation.create_plan(rec, actor=town_staff.user, target_level="town", year_from=2026, year_to=2027,
                                targets=["外镇写的目标"])
    client = town_staff.client()
    client.post(reverse("villages:application", args=[app.pk]), {"action": "withdraw"})
    client.post(reverse("villages:record", args=[cf_village.code]),
                {"action": "plan", "target_level": "town", "year_from": "2026", "year_to": "2027", "targets": "x"})
    app.refresh_from_db()
    assert app.state != ApplicationState.WITHDRAWN
    assert Plan.objects.filter(record=rec).count() == 1
    page = client.get(reverse("villages:record", args=[cf_village.code])).content.decode()
    assert 'value="plan"' not in page and 'value="task"' not in page and 'value="evidence"' not in page
    # scoring, what the assessor is there for, still works
    assessment.score(app, actor=town_staff.user, lines=full_marks(app))


def test_a_membership_of_another_kind_does_not_widen_what_a_town_office_sees(cf_village, tongxiang):
    """乌镇's justice-office official who is also a county lawyer sees 乌镇's villages, not 崇福's (the lawyer
    membership is no villages role)."""
    from tests.conftest import COUNTY, WUZHEN, make_staff
    from xiangzhi.villages import selectors

    make_staff("gzls_wz", "town_staff", WUZHEN, {"region__code": WUZHEN, "kind": "justice_office"})
    both = make_staff("gzls_wz", "lawyer", COUNTY, {"kind": "law_firm"}).user
    assert selectors.villages_visible_to(both).filter(code__startswith=WUZHEN).exists()
    assert not selectors.villages_visible_to(both).filter(pk=cf_village.pk).exists()
