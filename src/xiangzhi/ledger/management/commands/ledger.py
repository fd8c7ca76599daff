"""``xiangzhi ledger <subcommand>``: verify, proofs, checkpoints, witnessing, offline bundle check.

``check-bundle`` needs nothing but the file: it never opens a database connection (the ledger services are only
imported by the other subcommands), so it works on a machine with no database configured.
Exit status: 0 when everything verified, 1 on any problem (CommandError).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "区块链存证：校验日志、生成证明、签署检查点、导入导出见证检查点、离线核验证明包。"
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

        v = sub.add_parser("verify", help="recompute every leaf, the tree and every checkpoint; exit 1 on a problem")
        v.add_argument("--no-records", action="store_true", help="skip recomputing leaves and record states from the live records")

        sub.add_parser("attest-baseline", help="attest the current state of records never attested (after an upgrade); "
                       "never re-attests a record that has a state leaf")

        cb = sub.add_parser("check-bundle", help="verify an offline proof bundle (no database needed)")
        cb.add_argument("file")
        cb.add_argument("--vkey", help="the log's published verifier key (pins the signer)")
        cb.add_argument("--json", action="store_true", dest="as_json")

        p = sub.add_parser("proof", help="inclusion proof of one leaf")
        p.add_argument("--index", type=int, required=True)
        p.add_argument("--size", type=int)
        p.add_argument("--json", action="store_true", dest="as_json")

        c = sub.add_parser("consistency", help="consistency proof between two tree sizes")
        c.add_argument("--from", type=int, required=True, dest="from_size")
        c.add_argument("--to", type=int, dest="to_size")
        c.add_argument("--json", action="store_true", dest="as_json")

        sub.add_parser("checkpoint", help="sign a checkpoint now (if the tree grew)")

        e = sub.add_parser("export-checkpoints", help="write our signed checkpoints for a witness")
        e.add_argument("file")

        i = sub.add_parser("import-checkpoints", help="import checkpoints exported elsewhere (witnessing)")
        i.add_argument("file")
        i.add_argument("--source", required=True, help="who gave us this file")

        b = sub.add_parser("bundle", help="write the proof bundle of some leaves")
        b.add_argument("--index", type=int, action="append", default=[])
        b.add_argument("--ref", help="REF_TYPE:ID, e.g. disputes.case:42")
        b.add_argument("--output", "-o")

        sub.add_parser("key", help="print the public verifier key")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        getattr(self, "do_" + options["subcommand"].replace("-", "_"))(options)

    # ------------------------------------------------------------------------------------------------------------
    def do_check_bundle(self, options: dict) -> None:
        from xiangzhi.ledger.bundle import bundle_from_json, check_bundle

        try:
            raw = Path(options["file"]).read_bytes()
            bundle = bundle_from_json(raw)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read bundle: {exc}", returncode=2) from None
        report = check_bundle(bundle, trusted_vkey=options.get("vkey"))
        if options["as_json"]:
            self.stdout.write(json.dumps({
                "ok": report.ok, "errors": report.errors, "origin": report.origin, "tree_size": report.tree_size,
                "root_hash": report.root_hash, "key_id": report.key_id, "key_trusted": report.key_trusted,
                "leaves": [{"index": lr.index, "ok": lr.ok, "kind": lr.kind, "leaf_hash": lr.leaf_hash,
                            "error": lr.error} for lr in report.leaves],
            }, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(report.summary())
            for lr in report.leaves:
                self.stdout.write(f"  leaf {lr.index}: {'ok' if lr.ok else 'FAILED'} {lr.kind or ''}")
        if not report.ok:
            raise CommandError("bundle does NOT verify", returncode=1)

    def do_verify(self, options: dict) -> None:
        from xiangzhi.ledger.services import verify_log

        report = verify_log(records=not options["no_records"])
        self.stdout.write(report.summary())
        if not report.ok:
            raise CommandError(f"ledger verification failed: {len(report.problems) + report.suppressed} problem(s)")

    def do_attest_baseline(self, options: dict) -> None:  # noqa: ARG002
        from xiangzhi.ledger.services import attest_baseline

        self.stdout.write(f"attested the state of {attest_baseline()} record(s) that had none")

    def do_proof(self, options: dict) -> None:
        from xiangzhi.core.errors import XiangzhiError
        from xiangzhi.ledger.services import prove_inclusion

        try:
            result = prove_inclusion(options["index"], options["size"]).as_json()
        except XiangzhiError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.detail or ''}") from None
        self._emit(result, options["as_json"])

    def do_consistency(self, options: dict) -> None:
        from xiangzhi.core.errors import XiangzhiError
        from xiangzhi.ledger.services import prove_consistency

        try:
            result = prove_consistency(options["from_size"], options["to_size"]).as_json()
        except XiangzhiError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.detail or ''}") from None
        self._emit(result, options["as_json"])

    def _emit(self, result: dict, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(result, indent=2))
            return
        for key, value in result.items():
            if key == "proof":
                self.stdout.write("proof:")
                for h in value:
                    self.stdout.write(f"  {h}")
            else:
                self.stdout.write(f"{key}: {value}")

    def do_checkpoint(self, options: dict) -> None:  # noqa: ARG002
        from xiangzhi.ledger.services import latest_checkpoint, make_checkpoint

        cp = make_checkpoint(force=True)
        if cp is None:
            cp = latest_checkpoint()
            if cp is None:
                raise CommandError("the log is empty; nothing to sign")
            self.stdout.write(f"tree did not grow; latest checkpoint is size {cp.size}")
        self.stdout.write(cp.note)

    def do_export_checkpoints(self, options: dict) -> None:
        from xiangzhi.ledger.services import export_checkpoints

        doc = export_checkpoints()
        Path(options["file"]).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(f"exported {len(doc['checkpoints'])} checkpoint(s) of {doc['origin']}")

    def do_import_checkpoints(self, options: dict) -> None:
        from xiangzhi.core.errors import XiangzhiError
        from xiangzhi.ledger.services import import_checkpoints

        try:
            doc = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
            result = import_checkpoints(doc, source=options["source"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from None
        except XiangzhiError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.detail or ''}") from None
        self.stdout.write(f"imported {result.imported}, already known {result.skipped}")
        for p in result.problems:
            self.stderr.write(f"INCONSISTENT: {p}")
        if result.problems:
            raise CommandError("witnessed checkpoints are inconsistent")

    def do_bundle(self, options: dict) -> None:
        from xiangzhi.core.errors import XiangzhiError
        from xiangzhi.ledger.bundle import bundle_to_json
        from xiangzhi.ledger.services import bundle_for_indices, bundle_for_ref

        try:
            if options["ref"]:
                ref_type, _, ref_id = options["ref"].rpartition(":")
                bundle = bundle_for_ref(ref_type, [ref_id])
            else:
                bundle = bundle_for_indices(options["index"])
        except XiangzhiError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        text = bundle_to_json(bundle)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text)

    def do_key(self, options: dict) -> None:  # noqa: ARG002
        from xiangzhi.ledger.services import vkey

        self.stdout.write(vkey())
