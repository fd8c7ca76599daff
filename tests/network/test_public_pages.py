"""The public side: 找法律顾问 (/advisers/) leads to each village's page, which names its adviser (work phone public,
mobile masked unless deliberately tapped — logged and rate-limited), its mediation committee and mediators, the
nearest service point, and links to apply for mediation and to ask the robot. Scans (``?src=qr``) are counted."""

import pytest
from django.test import Client

from tests.conftest import CHONGFU, WUZHEN
from tests.network.conftest import ADVISER_MOBILE, WORK_PHONE, make_site, villages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(adviser):
    from xiangzhi.network.services import directory

    village = villages_of(WUZHEN)[0]
    directory.assign_adviser(village, adviser, actor=None)
    return village


def test_advisers_page_searches_villages_and_links_to_their_pages(client, served):
    page = client.get("/advisers/", {"town": WUZHEN}).content.decode()
    assert f'href="/network/v/{served.code}/"' in page
    assert page.count('href="/network/v/') == len(villages_of(WUZHEN))
    by_name = client.get("/advisers/", {"q": served.display_name[:2]}).content.decode()
    assert f'/network/v/{served.code}/' in by_name
    assert "没有找到" in client.get("/advisers/", {"q": "不存在的村"}).content.decode()


def test_the_village_page_names_the_adviser_and_masks_the_mobile(client, served, mediator):
    make_site(WUZHEN)
    page = client.get(f"/network/v/{served.code}/").content.decode()
    assert "沈律师" in page and WORK_PHONE in page
    assert ADVISER_MOBILE not in page and "139****5678" in page
    assert "乌镇镇公共法律服务站" in page  # the nearest site: the town's, the village has none
    assert f"/cases/apply/?v={served.code}" in page and "/consult/" in page
    assert "人民调解委员会" in page
    assert mediator.user.display_name in page  # the village committee's mediator


def test_a_deliberate_tap_shows_the_mobile_and_is_logged(served):
    from xiangzhi.core.models import AuditLog
    from xiangzhi.network.models import PhoneReveal

    client = Client(enforce_csrf_checks=False)
    response = client.post(f"/network/v/{served.code}/reveal/")
    assert response.status_code == 200 and ADVISER_MOBILE in response.content.decode()
    assert PhoneReveal.objects.filter(village=served).count() == 1
    assert AuditLog.objects.filter(action="network.adviser_mobile_revealed", region_code=served.code).exists()
    assert client.get(f"/network/v/{served.code}/reveal/").status_code == 405  # a GET shows nothing


def test_reveals_are_rate_limited(served):
    from xiangzhi.network.services.codes import REVEALS_PER_HOUR

    client = Client()
    for _ in range(REVEALS_PER_HOUR):
        assert client.post(f"/network/v/{served.code}/reveal/").status_code == 200
    refused = client.post(f"/network/v/{served.code}/reveal/")
    assert refused.status_code == 429 and ADVISER_MOBILE not in refused.content.decode()


def test_an_uncovered_village_says_so(client, tongxiang):
    village = villages_of(CHONGFU)[-1]
    page = client.get(f"/network/v/{village.code}/").content.decode()
    assert "暂未配备法律顾问" in page
    assert client.post(f"/network/v/{village.code}/reveal/").status_code == 302


def test_scans_are_counted_and_plain_visits_are_not(client, served):
    from django.db.models import Sum

    from xiangzhi.network.models import CodeScan

    client.get(f"/network/v/{served.code}/")
    assert not CodeScan.objects.exists()
    for _ in range(3):
        client.get(f"/network/v/{served.code}/?src=qr")
    assert CodeScan.objects.filter(target="village", key=served.code).aggregate(n=Sum("count"))["n"] == 3
    site = make_site(WUZHEN)
    assert client.get(f"/network/s/{site.pk}/?src=qr").status_code == 200
    assert CodeScan.objects.get(target="site", key=str(site.pk)).count == 1


def test_unknown_places_answer_404(client, tongxiang):
    assert client.get("/network/v/330483999999/").status_code == 404
    assert client.get(f"/network/v/{WUZHEN}/").status_code == 404  # a town is not a village
    assert client.get("/network/s/999999/").status_code == 404
