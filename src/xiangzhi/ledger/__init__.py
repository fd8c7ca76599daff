"""区块链存证: the tamper-evident, append-only log (RFC 6962 / RFC 9162 Merkle tree).

Pure-Python core, independent of Django:

* :mod:`.merkle` — hashing, hash-store protocol, compact-range appender, proofs, verification;
* :mod:`.checkpoint` — C2SP tlog-checkpoint signed tree heads in C2SP signed notes (Ed25519);
* :mod:`.canonical` — canonical, versioned leaf serialisation;
* :mod:`.bundle` — offline proof bundles and their checker.

Django layer:

* :mod:`.models` — Leaf, Node (every perfect subtree), Checkpoint, WitnessedCheckpoint, VerificationRun;
* :mod:`.services` — ``append_leaf``/``append_entries`` (serialised by an advisory lock on PostgreSQL),
  ``append_audit_rows`` (core's audit sink, registered in ``apps.LedgerConfig.ready``), proofs, ``make_checkpoint``,
  ``verify_log``, witnessing, and bundles by record (``ref_type``, ids);
* :mod:`.registry` — ``register_kind(kind, recompute=…)`` so that ``xiangzhi ledger verify`` can rebuild a leaf
  from the live record, and ``register_state(kind, …)`` for records whose attested fields change over their life
  (a case: ``services.attest_state`` appends its state at each change, verify compares every live record with its
  latest state leaf); the apps register (``disputes.attestation``), the ledger imports none of them;
* ``xiangzhi ledger …`` (management command), ``/api/v1/ledger/…``, the staff page ``ledger:status``, the public
  key at ``/ledger/key`` and public bundle downloads ``ledger:bundle``.

The ledger knows no app above it: each app appends its leaves with its own ``ref_type`` and ``group`` and registers
how to recompute them. For a party's "下载存证证明" link on a case status page (already guarded by the case token),
the disputes app (``disputes.attestation.CASE_REF`` = ``"disputes.case"``) does::

    from xiangzhi.ledger.services import bundle_url
    link = bundle_url(attestation.CASE_REF, [case.pk])      # → /ledger/bundle/<signed opaque token>/

or, to serve it from its own token-guarded view::

    from xiangzhi.ledger.bundle import bundle_to_json
    from xiangzhi.ledger.services import bundle_for_ref
    body = bundle_to_json(bundle_for_ref(attestation.CASE_REF, [case.pk]))   # application/json attachment

Either gives every public timeline event of the case (not audit-log rows, not internal events) with inclusion
proofs against a signed checkpoint; ``xiangzhi ledger check-bundle FILE`` (or any C2SP-aware tool) checks it offline.
"""
