"""以案释法 Top 10: one vote per verified phone per case (the DB constraint and the service), the rate limit refused
and logged, and the ranking against a direct computation of the documented formula."""

from __future__ import annotations

import random

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import make_citizen
from tests.outreach.conftest import library_item
from xiangzhi.core.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from xiangzhi.core.models import AuditLog
from xiangzhi.outreach.models import Nomination, Vote
from xiangzhi.outreach.services import library, topten

pytestmark = pytest.mark.usefixtures("outreach_media")


@pytest.fixture
def case(county_admin):
    item = library_item(county_admin.user, kind="case", title="村民宅基地纠纷案")
    return topten.nominate(item, 2025, actor=county_admin.user)


def test_one_vote_per_phone_per_case_service(case, villager_a, villager_b):
    topten.vote(case, voter=villager_a[0])
    with pytest.raises(Conflict) as exc:
        topten.vote(case, voter=villager_a[0])
    assert exc.value.code == "ALREADY_VOTED"
    topten.vote(case, voter=villager_b[0])
    case.refresh_from_db()
    assert case.votes == 2 == Vote.objects.filter(nomination=case).count()
    # the vote row holds no phone, only a keyed index
    assert not Vote.objects.filter(voter_index__contains="1380000").exists()


def test_one_vote_per_phone_per_case_db_constraint(case):
    Vote.objects.create(nomination=case, voter_index="x" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(nomination=case, voter_index="x" * 64)


def test_only_signed_in_citizens_with_phone_vote(case, county_admin, db):
    from xiangzhi.core.models import User

    with pytest.raises(Forbidden):
        topten.vote(case, voter=county_admin.user)
    no_phone = User.objects.create(username="c_nophone", kind="citizen")
    with pytest.raises(Forbidden):
        topten.vote(case, voter=no_phone)
    assert not Vote.objects.exists()


def test_unpublished_case_cannot_be_voted(case, county_admin, villager_a):
    library.set_published(case.item, actor=county_admin.user, published=False)
    with pytest.raises(NotFound):
        topten.vote(case, voter=villager_a[0])


def test_votes_over_the_rate_limit_refused_and_logged(county_admin, villager_a, settings):
    settings.XIANGZHI_RATE_LIMIT_VOTES_PER_HOUR = 2
    cases = [topten.nominate(library_item(county_admin.user, kind="case", title=f"案例{i}"), 2025,
                             actor=county_admin.user) for i in range(3)]
    topten.vote(cases[0], voter=villager_a[0])
    topten.vote(cases[1], voter=villager_a[0])
    with pytest.raises(RateLimited):
        topten.vote(cases[2], voter=villager_a[0])
    assert not Vote.objects.filter(nomination=cases[2]).exists()
    logged = AuditLog.objects.filter(action="outreach.vote_rate_limited")
    assert logged.count() == 1 and logged.get().actor_id == villager_a[0].pk


def test_only_cases_nominated_and_jury_score_bounded(county_admin, lawyer, case):
    with pytest.raises(ValidationFailed):
        topten.nominate(library_item(county_admin.user, kind="article"), 2025, actor=county_admin.user)
    with pytest.raises(ValidationFailed):
        topten.set_jury_score(case, 101, actor=county_admin.user)
    with pytest.raises(Forbidden):
        topten.set_jury_score(case, 80, actor=lawyer.user)
    assert topten.set_jury_score(case, 80, actor=county_admin.user).jury_score == 80
    assert AuditLog.objects.filter(action="outreach.jury_scored").count() == 1


def test_top_ten_ranking_against_direct_computation(county_admin):
    rng = random.Random(7)
    noms = []
    for i in range(14):
        n = topten.nominate(library_item(county_admin.user, kind="case", title=f"案例{i}"), 2025,
                            actor=county_admin.user)
        if i % 5:
            topten.set_jury_score(n, rng.randint(40, 100), actor=county_admin.user)
        noms.append(n)
    for i, n in enumerate(noms):  # votes through the service, by distinct phones
        for v in range(rng.randint(0, 4)):
            topten.vote(n, voter=make_citizen(f"1370{i:03d}{v:04d}")[0])
    fresh = list(Nomination.objects.filter(year=2025).order_by("pk"))
    most = max(n.votes for n in fresh)
    direct = sorted(fresh, key=lambda n: (-(0.5 * n.votes / most + 0.5 * (n.jury_score or 0) / 100), -n.votes, n.pk))
    assert [r.nomination.pk for r in topten.rank(fresh)][:10] == [n.pk for n in direct][:10]
    assert [r.nomination.pk for r in topten.top_ten(2025)] == [n.pk for n in direct][:10]
    # votes are auditable: the tally equals the vote rows
    assert all(n.votes == Vote.objects.filter(nomination=n).count() for n in fresh)


def test_vote_over_the_limit_through_the_api_is_429_and_logged(county_admin, villager_a, settings):
    settings.XIANGZHI_RATE_LIMIT_VOTES_PER_HOUR = 1
    noms = [topten.nominate(library_item(county_admin.user, kind="case", title=f"案例{i}"), 2025,
                            actor=county_admin.user) for i in range(2)]
    c = villager_a[1]
    assert c.post(f"/api/v1/outreach/top-ten/nominations/{noms[0].pk}/vote").status_code == 200
    refused = c.post(f"/api/v1/outreach/top-ten/nominations/{noms[1].pk}/vote")
    assert refused.status_code == 429 and refused.json()["code"] == "RATE_LIMITED"
    assert AuditLog.objects.filter(action="outreach.vote_rate_limited", actor=villager_a[0]).count() == 1
    assert Vote.objects.count() == 1


def test_a_year_without_nominations_says_so_in_a_sentence_not_as_entry_number_one(client, db):
    """The empty ranking read "1. 该年度暂无参评案例。" at 360 px: the message was the ordered list's first entry."""
    page = client.get("/outreach/top-ten/2019/").content.decode()
    assert "该年度暂无参评案例" in page
    ranked = page[page.index("排名方法"):]
    assert '<ol class="ranked">' not in ranked
