"""API schemas of the ledger (hashes in lower-case hex)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class CheckpointOut(Schema):
    origin: str
    size: int
    root_hash: str
    note: str
    created_at: dt.datetime
    vkey: str


class InclusionOut(Schema):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str]


class ConsistencyOut(Schema):
    from_size: int
    to_size: int
    from_root: str
    to_root: str
    proof: list[str]


class ProblemOut(Schema):
    code: str
    message: str
    index: int | None = None
    ref: str = ""


class VerificationOut(Schema):
    ran: bool
    ok: bool | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    tree_size: int | None = None
    leaves_checked: int | None = None
    checkpoints_checked: int | None = None
    problems: list[ProblemOut] = []
