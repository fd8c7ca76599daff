"""CLI output shapes, offline proof bundles (checked in a subprocess with no database), witnessing."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest

from tests.cli import clean_env, run_xiangzhi
from tests.ledger.helpers import run_ledger
from xiangzhi.core import services as core_services
from xiangzhi.core.models import Notification
from xiangzhi.ledger import checkpoint as notes
from xiangzhi.ledger import services
from xiangzhi.ledger.bundle import bundle_to_json, check_bundle
from xiangzhi.ledger.merkle import verify_consistency, verify_inclusion
from xiangzhi.ledger.models import WitnessedCheckpoint

pytestmark = pytest.mark.django_db


def _fill(n: int) -> None:
    for i in range(n):
        services.append_leaf("test.item", {"n": i}, ref_type="test.item", ref_id=i)


def test_proof_json_has_the_documented_shape_and_verifies():
    _fill(5)
    n = services.tree_size()
    status, out, _ = run_ledger("proof", "--index", "3", "--json")
    assert status == 0
    doc = json.loads(out)
    assert set(doc) == {"leaf_index", "tree_size", "leaf_hash", "root_hash", "proof"}
    assert doc["leaf_index"] == 3 and doc["tree_size"] == n
    verify_inclusion(bytes.fromhex(doc["leaf_hash"]), 3, n, [bytes.fromhex(h) for h in doc["proof"]],
                     bytes.fromhex(doc["root_hash"]))
    status, out, _ = run_ledger("proof", "--index", "1", "--size", "2", "--json")
    assert json.loads(out)["tree_size"] == 2 and len(json.loads(out)["proof"]) == 1


def test_consistency_json_has_the_documented_shape_and_verifies():
    _fill(5)
    n = services.tree_size()
    status, out, _ = run_ledger("consistency", "--from", "3", "--to", str(n), "--json")
    assert status == 0
    doc = json.loads(out)
    assert set(doc) == {"from_size", "to_size", "from_root", "to_root", "proof"}
    assert (doc["from_size"], doc["to_size"]) == (3, n)
    verify_consistency(3, n, [bytes.fromhex(h) for h in doc["proof"]], bytes.fromhex(doc["from_root"]),
                       bytes.fromhex(doc["to_root"]))


def test_out_of_range_proofs_fail_with_a_message():
    status, _, err = run_ledger("proof", "--index", str(services.tree_size() + 5), "--json")
    assert status == 1 and "LEDGER_BAD_INDEX" in err


def test_checkpoint_and_key_commands():
    _fill(2)
    status, out, _ = run_ledger("checkpoint")
    assert status == 0 and out.startswith(services.origin() + "\n")
    status, out, _ = run_ledger("key")
    assert out.strip() == services.vkey() and notes.Verifier.from_vkey(out.strip())


def _offline_env(tmp_path: Path, database_url: str | None) -> dict:
    return clean_env(tmp_path / "fresh-data-dir", **({"DATABASE_URL": database_url} if database_url else {}))


@pytest.fixture
def case_bundle(tmp_path):
    rows = [core_services.audit(f"case.step{i}", actor=None, object_type="disputes.case", object_id=77) for i in range(3)]
    core_services.audit("case.other", actor=None, object_type="disputes.case", object_id=78)
    bundle = services.bundle_for_ref("disputes.case", [77], include_audit=True)
    assert len(bundle["leaves"]) == 3
    path = tmp_path / "proof.json"
    path.write_text(bundle_to_json(bundle), encoding="utf-8")
    return path, bundle, rows


@pytest.mark.parametrize("database_url", [None, "postgres://nobody@127.0.0.1:1/nowhere"])
def test_a_bundle_checks_in_a_subprocess_without_any_database(case_bundle, tmp_path, database_url):
    path, bundle, _ = case_bundle
    env = _offline_env(tmp_path, database_url)
    done = run_xiangzhi("ledger", "check-bundle", str(path), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("VALID: 3/3 leaves verified")
    assert not (tmp_path / "fresh-data-dir" / "xiangzhi.sqlite3").exists()  # no database was opened

    tampered = json.loads(path.read_text(encoding="utf-8"))
    data = json.loads(base64.b64decode(tampered["leaves"][1]["data"]))
    data["action"] = "case.forged"
    tampered["leaves"][1]["data"] = base64.b64encode(
        json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).decode()
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered), encoding="utf-8")
    done = run_xiangzhi("ledger", "check-bundle", str(bad), "--vkey", bundle["vkey"], env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "INVALID: 2/3 leaves verified" in done.stdout


def test_a_bundle_from_another_key_is_refused_when_the_key_is_pinned(case_bundle):
    path, _, _ = case_bundle
    _, other_vkey = notes.generate_key("someone.else")
    status, out, _ = run_ledger("check-bundle", str(path), "--vkey", other_vkey)
    assert status == 1 and "not the trusted key" in out


def test_bundles_sign_a_fresh_checkpoint_when_needed_and_verify(case_bundle):
    _, bundle, rows = case_bundle
    report = check_bundle(bundle, trusted_vkey=services.vkey())
    assert report.ok and report.tree_size == services.latest_checkpoint().size
    assert {lr.payload["id"] for lr in report.leaves} == {r.pk for r in rows}
    _fill(2)  # the latest checkpoint still covers those leaves: no new checkpoint needed
    cp = services.latest_checkpoint()
    services.bundle_for_ref("disputes.case", [77], include_audit=True)
    assert services.latest_checkpoint().pk == cp.pk


def test_export_import_witnessed_checkpoints_and_detect_a_rewritten_history(tmp_path, county_admin, caplog, settings):
    settings.XIANGZHI_LEDGER_CHECKPOINT_SECONDS = 0
    _fill(3)
    services.make_checkpoint(force=True)
    _fill(4)
    services.make_checkpoint(force=True)
    export = tmp_path / "checkpoints.json"
    assert run_ledger("export-checkpoints", str(export))[0] == 0
    status, out, err = run_ledger("import-checkpoints", str(export), "--source", "桐乡市人民法院")
    assert status == 0, out + err
    assert "imported 2" in out
    assert list(WitnessedCheckpoint.objects.values_list("consistent", flat=True)) == [True, True]
    assert run_ledger("import-checkpoints", str(export), "--source", "桐乡市人民法院")[1].startswith("imported 0")

    # Someone with database access rewrites history, then the periodic job runs: it must shout.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_node SET hash = %s WHERE level >= 1", [b"\x42" * 32])
    _fill(1)
    from xiangzhi.core.periodic import run_due

    with caplog.at_level(logging.ERROR, logger="xiangzhi.ledger.services"):
        result = run_due(only={"ledger.checkpoint"}, force=True)
    assert result["ledger.checkpoint"].startswith("error LedgerError")
    assert any("WITNESS INCONSISTENCY" in r.getMessage() for r in caplog.records)
    assert WitnessedCheckpoint.objects.filter(consistent=False).exists()
    assert Notification.objects.filter(recipient_user=county_admin.user, subject__contains="不一致").exists()
    status, out, _ = run_ledger("verify", "--no-records")
    assert status == 1 and "LEDGER_WITNESS" in out


def test_importing_a_forked_checkpoint_is_reported(tmp_path, county_admin):
    _fill(3)
    cp = services.make_checkpoint(force=True)
    forged_root = b"\x13" * 32
    note = notes.sign_checkpoint(notes.Checkpoint(services.origin(), cp.size, forged_root), services.signer())
    doc = {"format": "xiangzhi-ledger-checkpoints", "version": 1, "origin": services.origin(),
           "vkey": services.vkey(), "checkpoints": [{"size": cp.size, "note": note}]}
    path = tmp_path / "fork.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    status, out, err = run_ledger("import-checkpoints", str(path), "--source", "嘉兴市司法局")
    assert status == 1 and "INCONSISTENT" in err and f"root at size {cp.size} differs" in err
    assert WitnessedCheckpoint.objects.get().consistent is False
    assert Notification.objects.filter(recipient_user=county_admin.user).exists()


def test_importing_checkpoints_of_our_origin_signed_by_another_key_is_refused(tmp_path):
    _fill(1)
    cp = services.make_checkpoint(force=True)
    other = notes.Signer(services.signer().name, b"\x05" * 32)
    doc = {"format": "xiangzhi-ledger-checkpoints", "version": 1, "origin": services.origin(), "vkey": other.vkey,
           "checkpoints": [{"size": cp.size, "note": notes.sign_checkpoint(
               notes.Checkpoint(services.origin(), cp.size, bytes(cp.root_hash)), other)}]}
    path = tmp_path / "other.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    status, _, err = run_ledger("import-checkpoints", str(path), "--source", "x")
    assert status == 1 and "LEDGER_BAD_EXPORT" in err
