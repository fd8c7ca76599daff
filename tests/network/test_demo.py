"""The network demo on the test database: every village covered by a lawyer adviser, sites and teams at every level,
82 terminals with a year of visits, idempotent."""

import random

import pytest

from xiangzhi.core.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_the_demo_covers_every_village_and_is_idempotent(tongxiang):
    from django.db.models import Count, Sum

    from xiangzhi.core.models import Region
    from xiangzhi.network import demo
    from xiangzhi.network.models import Adviser, Assignment, Site, Team, Terminal, TerminalVisit

    demo.build(DemoContext(seed=1, rng=random.Random(1)))
    villages = Region.objects.filter(level="village", is_active=True).count()
    assert villages == 217
    assert Assignment.objects.count() == villages
    assert Adviser.objects.count() == 44 and all(a.firm.kind == "law_firm" for a in Adviser.objects.all())
    assert Adviser.objects.annotate(n=Count("assignments")).filter(n__gt=1).count() == 44  # several villages each
    assert set(Site.objects.values_list("region__level", flat=True)) == {"county", "town", "village"}
    assert set(Team.objects.values_list("region__level", flat=True)) == {"county", "town", "village"}
    assert Team.objects.count() == 100
    assert Terminal.objects.count() == 82
    assert TerminalVisit.objects.aggregate(n=Sum("count"))["n"] > 30000
    assert TerminalVisit.objects.values("day").distinct().count() >= 360
    counts = (Assignment.objects.count(), Site.objects.count(), Team.objects.count(), TerminalVisit.objects.count())
    demo.build(DemoContext(seed=1, rng=random.Random(1)))
    assert (Assignment.objects.count(), Site.objects.count(), Team.objects.count(),
            TerminalVisit.objects.count()) == counts


@pytest.mark.parametrize("path", ["coverage", "sites", "advisers", "teams", "terminals", "service-logs"])
def test_the_lists_over_the_demo_need_a_fixed_number_of_queries(county_admin, path, django_assert_max_num_queries):
    from xiangzhi.network import demo

    demo.build(DemoContext(seed=1, rng=random.Random(1)))
    client = county_admin.client()
    client.get(f"/api/v1/network/{path}")
    with django_assert_max_num_queries(14):
        body = client.get(f"/api/v1/network/{path}", {} if path == "coverage" else {"limit": 200}).json()
    assert len(body["villages"] if path == "coverage" else body["items"]) >= 44
