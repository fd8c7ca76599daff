"""A party downloads the case's proof bundle from the status page; it checks offline with nothing but the file."""

import json
import re

import pytest

from tests.cli import clean_env, run_xiangzhi
from tests.disputes.conftest import new_case, walk

pytestmark = pytest.mark.django_db


def test_a_party_downloads_a_bundle_that_checks_offline(mediator, villager_a, tmp_path):
    from xiangzhi.ledger.bundle import check_bundle

    _user, client = villager_a
    case = walk(new_case(applicant_phone="13800000001"), "in_mediation", mediator.user)
    page = client.get(f"/cases/s/{case.token}/").content.decode()
    link = re.search(r'href="([^"]+)" id="proof-bundle"', page)
    assert link, "the party's status page offers 下载存证证明"
    response = client.get(link.group(1))
    assert response.status_code == 200
    bundle = json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    report = check_bundle(bundle)
    assert report.ok, report.errors
    assert len(report.leaves) >= 5  # created, accepted, assigned, notice served, in mediation
    import base64

    decoded = [base64.b64decode(leaf["data"]).decode() for leaf in bundle["leaves"]]
    assert any(case.number in text for text in decoded)  # the leaves are this case's records

    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    env = clean_env(tmp_path / "elsewhere", XIANGZHI_ENV="development")
    ok = run_xiangzhi("ledger", "check-bundle", str(path), env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bundle["leaves"][0]["data"] = bundle["leaves"][0]["data"][:-4] + "AAAA"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    bad = run_xiangzhi("ledger", "check-bundle", str(path), env=env)
    assert bad.returncode != 0


def test_an_outsider_sees_no_bundle_link(mediator, villager_b):
    _user, client = villager_b
    case = new_case(applicant_phone="13800000001")
    page = client.get(f"/cases/s/{case.token}/").content.decode()
    assert "proof-bundle" not in page


def test_a_generated_agreement_is_attested_with_its_sha256(mediator):
    import hashlib

    from xiangzhi.disputes.services import documents as case_documents
    from xiangzhi.ledger.models import Leaf

    case = walk(new_case(applicant_phone="13800000001"), "agreement_written", mediator.user)
    data = case_documents.generate(case, "agreement", actor=mediator.user, reason="交当事人签署")
    digest = hashlib.sha256(data).hexdigest()
    leaves = [bytes(leaf.data).decode() for leaf in Leaf.objects.filter(kind__startswith="case.").order_by("-index")[:5]]
    assert any(digest in text and case.number in text for text in leaves)
