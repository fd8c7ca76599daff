"""以案释法 Top 10 through the API and the workbench: the bureau nominates, each jury member scores a case once
(0–100; the service, the API's 409 and the DB constraint), and the tally is reproducible from the rows: a direct
computation from the Vote and JuryScore rows gives the same scores and order as the ranking and the public API."""

from __future__ import annotations

import random

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from tests.conftest import COUNTY, make_citizen, make_staff
from tests.outreach.conftest import library_item
from xiangzhi.core.errors import Conflict, Forbidden
from xiangzhi.core.models import AuditLog
from xiangzhi.outreach.models import JuryScore, Nomination, Vote
from xiangzhi.outreach.services import topten

pytestmark = pytest.mark.usefixtures("outreach_media")


@pytest.fixture
def jurors(tongxiang):
    return [make_staff(f"juror{i}", "centre_staff", COUNTY, {"kind": "county_centre"}) for i in range(3)]


@pytest.fixture
def case(county_admin):
    return topten.nominate(library_item(county_admin.user, kind="case", title="宅基地纠纷案"), 2025,
                           actor=county_admin.user)


def test_each_juror_scores_a_case_once_and_the_jury_score_is_their_mean(case, jurors, county_admin, lawyer,
                                                                       town_staff):
    for persona, score in zip(jurors, (70, 80, 96), strict=True):
        topten.set_jury_score(case, score, actor=persona.user)
    with pytest.raises(Conflict) as exc:
        topten.set_jury_score(case, 10, actor=jurors[0].user)
    assert exc.value.code == "ALREADY_SCORED"
    for outsider in (lawyer, town_staff):
        with pytest.raises(Forbidden):
            topten.set_jury_score(case, 50, actor=outsider.user)
    case.refresh_from_db()
    assert case.jury_score == pytest.approx(82.0)
    assert sorted(JuryScore.objects.filter(nomination=case).values_list("score", flat=True)) == [70, 80, 96]
    assert AuditLog.objects.filter(action="outreach.jury_scored").count() == 3


def test_the_database_refuses_a_second_score_and_an_out_of_range_one(case, jurors):
    JuryScore.objects.create(nomination=case, juror=jurors[0].user, score=50)
    with pytest.raises(IntegrityError), transaction.atomic():
        JuryScore.objects.create(nomination=case, juror=jurors[0].user, score=60)
    with pytest.raises(IntegrityError), transaction.atomic():
        JuryScore.objects.create(nomination=case, juror=jurors[1].user, score=101)


def test_nominate_and_score_through_the_api(county_admin, jurors, lawyer, town_staff):
    item = library_item(county_admin.user, kind="case", title="拖欠工资案")
    article = library_item(county_admin.user, kind="article", title="文章")
    bureau = county_admin.client()
    made = bureau.post("/api/v1/outreach/manage/nominations", {"item_id": item.pk, "year": 2025},
                       content_type="application/json")
    assert made.status_code == 201, made.content
    n = made.json()
    assert (n["title"], n["year"], n["votes"], n["jury_score"], n["jurors"]) == ("拖欠工资案", 2025, 0, None, 0)
    not_case = bureau.post("/api/v1/outreach/manage/nominations", {"item_id": article.pk, "year": 2025},
                           content_type="application/json")
    assert not_case.status_code == 422 and not_case.json()["code"] == "NOT_A_CASE"
    juror = jurors[0].client()
    url = f"/api/v1/outreach/manage/nominations/{n['id']}/jury"
    first = juror.post(url, {"score": 88}, content_type="application/json")
    assert first.status_code == 200 and first.json()["my_score"] == 88 and first.json()["jurors"] == 1
    again = juror.post(url, {"score": 20}, content_type="application/json")
    assert again.status_code == 409 and set(again.json()) == {"code", "message", "detail"}
    assert again.json()["code"] == "ALREADY_SCORED"
    out_of_range = jurors[1].client().post(url, {"score": 101}, content_type="application/json")
    assert out_of_range.status_code == 422
    for outsider in (lawyer, town_staff):  # not on the jury: the nomination does not exist for them
        assert outsider.client().post(url, {"score": 50}, content_type="application/json").status_code == 404
        assert outsider.client().get("/api/v1/outreach/manage/nominations").json()["count"] == 0
    assert JuryScore.objects.count() == 1
    listed = bureau.get("/api/v1/outreach/manage/nominations?year=2025").json()
    assert listed["count"] == 1 and listed["items"][0]["jury_score"] == 88 and listed["items"][0]["my_score"] is None


def test_jury_scores_in_the_workbench(case, jurors):
    c = jurors[0].client()
    page = c.get("/outreach/staff/library/")
    assert page.status_code == 200 and "宅基地纠纷案" in page.content.decode() and "新建资源" not in page.content.decode()
    assert c.post("/outreach/staff/library/", {"action": "jury", "nomination": case.pk, "score": "75"}).status_code == 302
    second = c.post("/outreach/staff/library/", {"action": "jury", "nomination": case.pk, "score": "90"})
    assert second.status_code == 422 and "只打一次分" in second.content.decode()
    assert list(JuryScore.objects.values_list("score", flat=True)) == [75]


def test_the_tally_is_recomputed_from_the_rows(county_admin, jurors):
    rng = random.Random(11)
    judges = [county_admin.user] + [j.user for j in jurors]
    noms = []
    for i in range(13):
        n = topten.nominate(library_item(county_admin.user, kind="case", title=f"案例{i}"), 2025,
                            actor=county_admin.user)
        for judge in rng.sample(judges, rng.randint(0, len(judges))):
            topten.set_jury_score(n, rng.randint(30, 100), actor=judge)
        for v in range(rng.randint(0, 5)):
            topten.vote(n, voter=make_citizen(f"1360{i:03d}{v:04d}")[0])
        noms.append(n)
    # the cached counters are for display only: spoil them, the ranking must not move
    Nomination.objects.update(votes=999, jury_score=None)

    # direct computation from the rows, by the documented formula
    votes = {n.pk: Vote.objects.filter(nomination=n).count() for n in noms}
    jury = {}
    for n in noms:
        scores = list(JuryScore.objects.filter(nomination=n).values_list("score", flat=True))
        jury[n.pk] = sum(scores) / len(scores) if scores else None
    most = max(votes.values())
    score = {pk: round(0.5 * votes[pk] / most + 0.5 * (jury[pk] or 0) / 100, 6) for pk in votes}
    direct = sorted(votes, key=lambda pk: (-score[pk], -votes[pk], pk))

    ranked = topten.top_ten(2025)
    assert [r.nomination.pk for r in ranked] == direct[:10]
    assert all(r.score == pytest.approx(score[r.nomination.pk]) and r.votes == votes[r.nomination.pk]
               for r in ranked)
    public = Client().get("/api/v1/outreach/top-ten/2025?limit=10").json()["items"]
    assert [(row["nomination_id"], row["votes"], row["score"]) for row in public] == [
        (pk, votes[pk], pytest.approx(score[pk])) for pk in direct[:10]]
    assert [row["rank"] for row in public] == list(range(1, 11))
    # every vote and every score is an audit row too
    assert AuditLog.objects.filter(action="outreach.voted").count() == sum(votes.values())
    assert AuditLog.objects.filter(action="outreach.jury_scored").count() == JuryScore.objects.count()


def test_scores_given_before_jury_rows_become_rows_of_their_auditor(case, county_admin):
    """Migration 0004 turns a jury score set before jury rows existed (only the cached column and its audit row)
    into one JuryScore row of the bureau member who set it; a score without an audit row stays out of the tally."""
    import importlib

    from django.apps import apps

    from xiangzhi.core import services as core

    migration = importlib.import_module("xiangzhi.outreach.migrations.0004_item_region_and_jury_scores")
    orphan = topten.nominate(library_item(county_admin.user, kind="case", title="无记录"), 2025,
                             actor=county_admin.user)
    Nomination.objects.filter(pk=case.pk).update(jury_score=77)
    Nomination.objects.filter(pk=orphan.pk).update(jury_score=55)
    core.audit("outreach.jury_scored", actor=county_admin.user, obj=case, after={"jury_score": 77})
    migration.jury_rows_from_the_audit_log(apps, None)
    assert list(JuryScore.objects.values_list("nomination_id", "juror_id", "score")) == [
        (case.pk, county_admin.user.pk, 77)]
