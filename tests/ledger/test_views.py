"""The staff status page, the public key, public bundle downloads and the /api/v1/ledger API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from xiangzhi.core import services as core_services
from xiangzhi.ledger import services
from xiangzhi.ledger.bundle import bundle_from_json, check_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def log():
    for i in range(4):
        core_services.audit(f"case.step{i}", actor=None, object_type="disputes.case", object_id=5)
        services.append_leaf("test.event", {"step": i}, group="disputes.case:5")
    return services.make_checkpoint(force=True)


def test_the_key_is_public_plain_text(client):
    response = client.get("/ledger/key")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert response.content.decode().strip() == services.vkey()


def test_the_status_page_shows_the_checkpoint_key_and_last_verification(mediator, log):
    services.verify_log()
    page = mediator.client().get(reverse("ledger:status")).content.decode()
    assert services.vkey() in page and str(log.size) in page and bytes(log.root_hash).hex() in page
    assert "通过" in page
    assert "— tongxiang.xiangzhi" in page  # the signed note


def test_the_status_page_before_the_first_checkpoint(mediator):
    assert services.latest_checkpoint() is None
    response = mediator.client().get(reverse("ledger:status"))
    assert response.status_code == 200 and "尚未签署检查点" in response.content.decode()


def test_the_status_page_checks_an_inclusion_proof(mediator, log):
    p = services.prove_inclusion(2, log.size)
    form = {"leaf_index": 2, "tree_size": log.size, "leaf_hash": p.leaf_hash.hex(), "root_hash": p.root_hash.hex(),
            "proof": "\n".join(h.hex() for h in p.proof)}
    client = mediator.client()
    assert "证明有效" in client.post(reverse("ledger:status"), form).content.decode()
    form["leaf_index"] = 1
    assert "证明未通过验证" in client.post(reverse("ledger:status"), form).content.decode()


def test_the_status_page_is_for_staff_only(client, villager_a, log):
    assert client.get(reverse("ledger:status")).status_code == 302
    assert villager_a[1].get(reverse("ledger:status")).status_code == 404


def test_a_bundle_link_downloads_a_verifiable_bundle(client, log):
    url = services.bundle_url("disputes.case", [5])
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    report = check_bundle(bundle_from_json(response.content), trusted_vkey=services.vkey())
    assert report.ok and len(report.leaves) == 4


def test_a_bundle_link_expires_after_the_configured_hours(client, log, settings):
    import time

    settings.XIANGZHI_BUNDLE_LINK_HOURS = 2
    fresh = services.bundle_url("disputes.case", [5], issued_at=time.time() - 2 * 3600 + 60)
    assert client.get(fresh).status_code == 200
    stale = services.bundle_url("disputes.case", [5], issued_at=time.time() - 2 * 3600 - 60)
    response = client.get(stale)
    assert response.status_code == 410 and "Content-Disposition" not in response
    page = response.content.decode()
    assert "下载链接已过期" in page and "有效期2小时" in page and "重新打开案件进度页面" in page
    assert "leaves" not in page and "checkpoint" not in page


def test_the_status_page_bundle_link_is_valid_for_the_configured_hours(mediator, villager_a, settings):
    import re

    from django.core import signing

    from tests.disputes.conftest import new_case

    settings.XIANGZHI_BUNDLE_LINK_HOURS = 5
    case = new_case(applicant_phone="13800000001")
    page = villager_a[1].get(f"/cases/s/{case.token}/").content.decode()
    assert "链接5小时内有效" in page
    token = re.search(r'href="/ledger/bundle/([^/"]+)/" id="proof-bundle"', page).group(1)
    with pytest.raises(signing.SignatureExpired):
        signing.loads(token, salt=services.BUNDLE_SALT, max_age=-1)  # the token carries its issue time


def test_a_forged_bundle_token_is_404(client, log):
    token = services.bundle_token("disputes.case", [5])
    assert client.get(reverse("ledger:bundle", args=[token[:-2] + "xx"])).status_code == 404
    assert client.get(reverse("ledger:bundle", args=["abc"])).status_code == 404


def test_api_checkpoint_and_proofs(mediator, log):
    api = mediator.client()
    cp = api.get("/api/v1/ledger/checkpoint").json()
    assert cp["size"] == log.size and cp["vkey"] == services.vkey() and cp["origin"] == services.origin()
    inc = api.get(f"/api/v1/ledger/proof/inclusion?index=1&size={log.size}").json()
    assert inc["root_hash"] == cp["root_hash"] and set(inc) == {"leaf_index", "tree_size", "leaf_hash", "root_hash", "proof"}
    con = api.get(f"/api/v1/ledger/proof/consistency?from_size=2&to_size={log.size}").json()
    assert con["to_root"] == cp["root_hash"]
    bad = api.get(f"/api/v1/ledger/proof/inclusion?index={log.size + 10}")
    assert bad.status_code == 422 and bad.json()["code"] == "LEDGER_BAD_INDEX"


def test_api_verification_status(mediator, log):
    api = mediator.client()
    assert api.get("/api/v1/ledger/verification").json() == {"ran": False, "ok": None, "started_at": None,
                                                             "finished_at": None, "tree_size": None,
                                                             "leaves_checked": None, "checkpoints_checked": None,
                                                             "problems": []}
    services.verify_log()
    body = api.get("/api/v1/ledger/verification").json()
    assert body["ran"] and body["ok"] and body["tree_size"] == services.tree_size()


def test_api_bundle_by_indices_is_for_county_level_readers_of_the_audit_log(mediator, county_admin, log):
    url = f"/api/v1/ledger/bundle?indices=0,1,{log.size - 1}"
    assert mediator.client().get(url).status_code == 404
    response = county_admin.client().get(url)
    assert response.status_code == 200
    assert check_bundle(response.json(), trusted_vkey=services.vkey()).ok
    assert county_admin.client().get("/api/v1/ledger/bundle?indices=x").status_code == 422


def test_api_needs_authentication(log):
    assert Client().get("/api/v1/ledger/checkpoint").status_code == 401
