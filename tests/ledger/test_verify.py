"""``xiangzhi ledger verify`` finds records, files, leaves, nodes and checkpoints changed behind the app's back.

The append-only triggers are off in the test settings (XIANGZHI_DB_APPEND_ONLY_TRIGGERS), so raw SQL can play the
part of someone with database access.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.ledger.helpers import run_ledger
from xiangzhi.core import services as core_services
from xiangzhi.core.models import Organisation, Region
from xiangzhi.ledger import checkpoint as notes
from xiangzhi.ledger import registry, services
from xiangzhi.ledger.canonical import file_digest
from xiangzhi.ledger.models import Checkpoint, Leaf, VerificationRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def kinds(tmp_path):
    """A case-like record (an Organisation) and an attachment file on disk, registered like the disputes app does."""
    files = tmp_path / "attachments"
    files.mkdir()

    def org_payload(org):
        return {"id": org.pk, "name": org.name, "phone": org.phone, "region": org.region.code}

    def recompute_org(ref_id):
        org = Organisation.objects.filter(pk=ref_id).first()
        return None if org is None else org_payload(org)

    def recompute_file(ref_id):
        path = files / ref_id
        return None if not path.exists() else {"name": ref_id, "sha256": file_digest(path.read_bytes())}

    registry.register_kind("test.case.*", recompute=recompute_org)
    registry.register_kind("test.attachment", recompute=recompute_file)
    yield {"files": files, "org_payload": org_payload}
    registry._KINDS.pop("test.case.*", None)
    registry._KINDS.pop("test.attachment", None)


@pytest.fixture
def populated(kinds):
    region = Region.objects.filter(level="village").order_by("code").first() or Region.objects.create(
        code="330483100200", name="某村", level="village", kind="village")
    org = Organisation.objects.create(name="测试调解委员会", kind="village_committee", region=region, phone="0573-1")
    services.append_leaf("test.case.created", kinds["org_payload"](org), ref_type="test.org", ref_id=org.pk)
    (kinds["files"] / "协议书.pdf").write_bytes(b"%PDF-1.7 agreement")
    services.append_leaf("test.attachment", {"name": "协议书.pdf", "sha256": file_digest(b"%PDF-1.7 agreement")},
                         ref_type="test.file", ref_id="协议书.pdf", group=f"test.org:{org.pk}")
    rows = [core_services.audit(f"test.step{i}", actor=None, object_type="test.org", object_id=org.pk,
                                after={"i": i}) for i in range(5)]
    services.make_checkpoint(force=True)
    services.append_leaf("test.item", {"n": 1})  # a kind nobody registered: verified in the tree, not recomputed
    services.make_checkpoint(force=True)
    return {"org": org, "audit": rows, **kinds}


def _sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_clean_log_verifies(populated):
    status, out, _ = run_ledger("verify")
    assert status == 0, out
    assert out.startswith("OK")
    assert "test.item (1)" in out  # reported as not recomputable, which is not an error
    run = VerificationRun.objects.get()
    assert run.ok and run.leaves_checked == Leaf.objects.count() and run.checkpoints_checked == 2


def test_an_audit_row_edited_in_the_database_is_named(populated):
    row = populated["audit"][2]
    _sql("UPDATE core_auditlog SET note = %s, after = %s WHERE id = %s", ["改过了", '{"i": 99}', row.pk])
    status, out, _ = run_ledger("verify")
    assert status == 1
    assert f"record core.auditlog:{row.pk} was changed" in out
    assert "fields: after, note" in out
    assert "LEDGER_RECORD_CHANGED" in out and out.count("LEDGER_RECORD_CHANGED") == 1
    assert not VerificationRun.objects.get().ok


def test_a_case_like_record_edited_in_the_database_is_named(populated):
    org = populated["org"]
    _sql("UPDATE core_organisation SET phone = %s WHERE id = %s", ["0573-9999", org.pk])
    status, out, _ = run_ledger("verify")
    assert status == 1 and f"record test.org:{org.pk} was changed" in out and "fields: phone" in out


def test_a_deleted_record_is_named(populated):
    row = populated["audit"][0]
    _sql("DELETE FROM core_auditlog WHERE id = %s", [row.pk])
    status, out, _ = run_ledger("verify")
    assert status == 1 and f"record core.auditlog:{row.pk} no longer exists" in out


def test_an_attachment_altered_on_disk_is_named(populated):
    (populated["files"] / "协议书.pdf").write_bytes(b"%PDF-1.7 forged agreement")
    status, out, _ = run_ledger("verify")
    assert status == 1 and "record test.file:协议书.pdf was changed" in out and "fields: sha256" in out


def test_a_deleted_leaf_row_is_detected(populated):
    victim = Leaf.objects.get(ref_type="core.auditlog", ref_id=str(populated["audit"][1].pk)).index
    _sql('DELETE FROM ledger_leaf WHERE "index" = %s', [victim])
    status, out, _ = run_ledger("verify")
    assert status == 1 and "LEDGER_LEAF_MISSING" in out and f"leaf index {victim}..{victim} missing" in out


def test_a_rewritten_leaf_is_detected_by_the_tree(populated):
    from xiangzhi.ledger.canonical import canonical_leaf
    from xiangzhi.ledger.merkle import leaf_hash

    forged = canonical_leaf("test.item", {"n": 2})
    _sql('UPDATE ledger_leaf SET data = %s, hash = %s WHERE "index" = %s',
         [forged, leaf_hash(forged), services.tree_size() - 1])
    status, out, _ = run_ledger("verify")
    assert status == 1
    assert "LEDGER_NODE_CHANGED" in out and "LEDGER_CHECKPOINT_ROOT" in out


def test_a_changed_tree_node_is_detected(populated):
    _sql('UPDATE ledger_node SET hash = %s WHERE level = 1 AND "index" = 0', [b"\x00" * 32])
    status, out, _ = run_ledger("verify")
    assert status == 1 and "tree node (1, 0) does not match the leaves" in out


def test_a_checkpoint_with_a_bad_signature_is_detected(populated):
    latest = services.latest_checkpoint()
    forger = notes.Signer(services.signer().name, b"\x07" * 32)
    forged = notes.sign_checkpoint(notes.Checkpoint(services.origin(), latest.size, bytes(latest.root_hash)), forger)
    Checkpoint.objects.create(size=latest.size, root_hash=latest.root_hash, note=forged,
                              previous_size=latest.size, consistency_proof=[])
    status, out, _ = run_ledger("verify")
    assert status == 1 and "LEDGER_CHECKPOINT_SIGNATURE" in out


def test_a_checkpoint_note_edited_in_the_database_is_detected(populated):
    cp = services.latest_checkpoint()
    _sql("UPDATE ledger_checkpoint SET note = %s WHERE id = %s", [cp.note.replace(f"\n{cp.size}\n", f"\n{cp.size - 1}\n", 1), cp.pk])
    status, out, _ = run_ledger("verify")
    assert status == 1 and "LEDGER_CHECKPOINT_SIGNATURE" in out


def test_appending_refuses_to_sign_over_a_rewritten_tree(populated):
    forged = b"\x11" * 32
    _sql('UPDATE ledger_node SET hash = %s WHERE level >= 1', [forged])
    services.append_leaf("test.item", {"n": 3})
    from xiangzhi.ledger.services import LedgerError

    with pytest.raises(LedgerError) as exc:
        services.make_checkpoint(force=True)
    assert exc.value.code == "LEDGER_INCONSISTENT"
