"""/api/v1/ledger/…: checkpoints, proofs, verification status and bundles for staff (and bearer-token clients)."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router

from xiangzhi.core import rules
from xiangzhi.core.errors import ValidationFailed
from xiangzhi.core.schemas import ErrorOut

from . import services
from .schemas import CheckpointOut, ConsistencyOut, InclusionOut, VerificationOut

router = Router(tags=["ledger"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _staff(request: HttpRequest) -> None:
    if not rules.is_staff_member(request.auth):
        raise Http404


@router.get("/checkpoint", response={200: CheckpointOut, **ERRORS}, summary="最新签名检查点")
def latest_checkpoint(request: HttpRequest):  # noqa: ANN201
    _staff(request)
    cp = services.latest_checkpoint()
    if cp is None:
        raise Http404
    return CheckpointOut(origin=services.origin(), size=cp.size, root_hash=bytes(cp.root_hash).hex(), note=cp.note,
                         created_at=cp.created_at, vkey=services.vkey())


@router.get("/proof/inclusion", response={200: InclusionOut, **ERRORS}, summary="包含证明")
def inclusion(request: HttpRequest, index: int, size: int | None = None):  # noqa: ANN201
    _staff(request)
    return services.prove_inclusion(index, size).as_json()


@router.get("/proof/consistency", response={200: ConsistencyOut, **ERRORS}, summary="一致性证明")
def consistency(request: HttpRequest, from_size: int, to_size: int | None = None):  # noqa: ANN201
    _staff(request)
    return services.prove_consistency(from_size, to_size).as_json()


@router.get("/verification", response={200: VerificationOut, **ERRORS}, summary="最近一次完整校验的结果")
def verification(request: HttpRequest):  # noqa: ANN201
    _staff(request)
    run = services.last_verification()
    if run is None:
        return VerificationOut(ran=False)
    return VerificationOut(ran=True, ok=run.ok, started_at=run.started_at, finished_at=run.finished_at,
                           tree_size=run.tree_size, leaves_checked=run.leaves_checked,
                           checkpoints_checked=run.checkpoints_checked, problems=run.problems)


@router.get("/bundle", response={200: dict, **ERRORS}, summary="按叶子序号导出离线证明包（审计员、县级管理员）")
def bundle(request: HttpRequest, indices: str):  # noqa: ANN201
    """``indices`` is a comma-separated list. Leaf data can name any record of the county, so only roles that may
    read the whole audit log may export by index; citizens get their case's bundle through the disputes app."""
    _staff(request)
    if not rules.can_read_audit_log(request.auth):
        raise Http404
    parts = [i.strip() for i in indices.split(",") if i.strip()]
    if not parts or not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
        raise ValidationFailed("LEDGER_NO_LEAVES", "请以逗号分隔给出叶子序号（非负整数）。", {"indices": indices[:100]})
    wanted = [int(p) for p in parts]
    return services.bundle_for_indices(wanted)
