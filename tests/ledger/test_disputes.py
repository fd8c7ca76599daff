"""Case events of 桐解码 are attested through disputes.services.records.record; verify recomputes them (and files)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.disputes.conftest import new_case, walk
from tests.ledger.helpers import run_ledger
from xiangzhi.disputes import attestation
from xiangzhi.ledger import services
from xiangzhi.ledger.bundle import check_bundle
from xiangzhi.ledger.models import Leaf

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_with_file(mediator, settings, tmp_path):
    from xiangzhi.disputes.services.uploads import Upload

    settings.MEDIA_ROOT = tmp_path / "media"
    case = new_case(files=[Upload(name="现场照片.png", content=b"\x89PNG\r\n\x1a\n fence photo", content_type="image/png")])
    return walk(case, "in_mediation", mediator.user)


def test_every_case_event_becomes_a_leaf_grouped_under_its_case(case_with_file):
    case = case_with_file
    events = list(case.timeline.order_by("id"))
    leaves = {int(leaf.ref_id): leaf for leaf in Leaf.objects.filter(ref_type=attestation.CASE_EVENT_REF)}
    assert {e.pk for e in events} <= set(leaves)
    kinds = {leaves[e.pk].kind for e in events}
    assert {"case.created", "case.attachment", "case.transition"} <= kinds
    for e in events:
        assert leaves[e.pk].group == attestation.case_group(case.pk, public=e.public)


def test_the_case_bundle_verifies_offline_and_holds_the_public_events(case_with_file):
    case = case_with_file
    bundle = services.bundle_for_ref("disputes.case", [case.pk])
    report = check_bundle(bundle, trusted_vkey=services.vkey())
    assert report.ok, report.summary()
    public = set(case.timeline.filter(public=True).values_list("id", flat=True))
    assert {lr.payload["id"] for lr in report.leaves} == public
    assert all(lr.kind.startswith("case.") for lr in report.leaves)  # no audit leaves (IP addresses, staff)
    attachment = next(lr for lr in report.leaves if lr.kind == "case.attachment")
    assert len(attachment.payload["payload"]["sha256"]) == 64


def test_verify_names_an_attachment_altered_on_disk_and_an_edited_event(case_with_file):
    case = case_with_file
    status, out, _ = run_ledger("verify")
    assert status == 0, out
    att = case.attachments.get()
    with open(att.file.path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n a different photo")
    event = case.timeline.get(kind="attachment")
    status, out, _ = run_ledger("verify")
    assert status == 1 and f"record disputes.timelineevent:{event.pk} was changed" in out and "payload" in out

    created = case.timeline.get(kind="created")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE disputes_timelineevent SET text = %s WHERE id = %s", ["改写的记录", created.pk])
    status, out, _ = run_ledger("verify")
    assert f"record disputes.timelineevent:{created.pk} was changed after it was attested (fields: text)" in out
