"""区块链存证: the tamper-evident, append-only log (RFC 6962 / RFC 9162 Merkle tree).

Pure-Python core, independent of Django:

* :mod:`.merkle` — hashing, hash-store protocol, compact-range appender, proofs, verification;
* :mod:`.checkpoint` — C2SP tlog-checkpoint signed tree heads in C2SP signed notes (Ed25519);
* :mod:`.canonical` — canonical, versioned leaf serialisation;
* :mod:`.bundle` — offline proof bundles and their checker.
"""
