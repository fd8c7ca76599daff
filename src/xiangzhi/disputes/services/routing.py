"""Routing: the dispute types and the routing table (cached per process), the organisation a case goes to, and the
next level up when a case is escalated."""

from __future__ import annotations

import time
from typing import Any

from django.db.models.signals import post_delete, post_save

from xiangzhi.core.enums import OrgKind
from xiangzhi.core.errors import Conflict
from xiangzhi.core.models import Organisation, Region

from ..enums import (
    LEVEL_ORDER,
    CaseStage,
    CrossArea,
    Level,
)
from ..models import (
    Case,
    DisputeType,
    RoutingRule,
)

S = CaseStage


# The dispute types and the routing table: read by every intake, edited rarely (admin). Cached per process for
# REFERENCE_TTL_SECONDS and forgotten at once when a row is saved or deleted through the ORM in this process (another
# process sees an edit within the TTL, like the holiday calendar).
REFERENCE_TTL_SECONDS = 600


_REFERENCE: dict[str, Any] = {"at": 0.0, "types": None, "rules": None}


def forget_reference_data(**_: Any) -> None:
    _REFERENCE["types"] = _REFERENCE["rules"] = None


for _model in (DisputeType, RoutingRule):
    post_save.connect(forget_reference_data, sender=_model, dispatch_uid=f"disputes.reference.save.{_model.__name__}")
    post_delete.connect(forget_reference_data, sender=_model, dispatch_uid=f"disputes.reference.del.{_model.__name__}")


def reference_data() -> dict[str, Any]:
    """``{"types": {code: DisputeType} (all), "rules": [active RoutingRule in the table's order]}``, cached."""
    if _REFERENCE["types"] is None or time.monotonic() - _REFERENCE["at"] > REFERENCE_TTL_SECONDS:
        _REFERENCE["types"] = {t.code: t for t in DisputeType.objects.all()}
        _REFERENCE["rules"] = list(RoutingRule.objects.filter(is_active=True))
        _REFERENCE["at"] = time.monotonic()
    return _REFERENCE


def ensure_reference_data() -> None:
    """Seed the dispute types and default routing rules if missing (the data migration does the same; this is for
    databases flushed by transactional tests and for the demo). Idempotent."""
    import importlib

    seed = importlib.import_module("xiangzhi.disputes.migrations.0002_seed_types_and_routing")
    if DisputeType.objects.exists():
        return
    from django.apps import apps

    seed.seed(apps, None)


# A dispute whose parties live in different places goes to the committee of the lowest level that holds all their
# places (人民调解工作若干规定 第21条): villages of one town → the town's committee; different towns → the county centre.
CROSS_AREA_TARGET = {CrossArea.VILLAGES: (Level.TOWN, OrgKind.TOWN_COMMITTEE),
                     CrossArea.TOWNS: (Level.COUNTY, OrgKind.COUNTY_CENTRE)}


def cross_area_of(region_codes: list[str]) -> str:
    """Whether the parties' places (village or grid codes) lie in one village (``""``), in different villages of one
    town (``CrossArea.VILLAGES``) or in different towns (``CrossArea.TOWNS``)."""
    villages = {code[:12] for code in region_codes if code}
    if len(villages) <= 1:
        return CrossArea.NONE
    return CrossArea.VILLAGES if len({code[:9] for code in villages}) == 1 else CrossArea.TOWNS


def route(dispute_type: DisputeType, region: Region, risk_level: str, *, cross_area: str = ""
          ) -> tuple[Organisation | None, str]:
    """The organisation (and level) that should handle a case: the most specific active routing rule that matches,
    then the nearest organisation of that kind — falling back from town to county when a town has none. A cross-area
    dispute (``cross_area``, a CrossArea) goes at least to the common higher level's committee."""
    candidates = [
        r for r in reference_data()["rules"]
        if r.dispute_type_id in (dispute_type.pk, None) and r.risk_level in (risk_level, "")
        and region.code.startswith(r.region_prefix)
    ]
    if not candidates:
        return None, Level.VILLAGE
    rule = max(candidates, key=lambda r: r.specificity)
    level, kind, specialty = rule.target_level, rule.org_kind, rule.specialty
    if cross_area:
        common, common_kind = CROSS_AREA_TARGET[cross_area]
        if LEVEL_ORDER.index(level) < LEVEL_ORDER.index(common):
            level, kind, specialty = common, common_kind, ""
    return _find_org(region.code, level, kind, specialty), level


_LEVEL_CODE_LEN = {Level.GRID: 12, Level.VILLAGE: 12, Level.TOWN: 9, Level.COUNTY: 6}


def _find_org(code: str, level: str, kind: str, specialty: str = "") -> Organisation | None:
    order = LEVEL_ORDER[LEVEL_ORDER.index(level):]
    for lvl in order:
        if lvl == Level.GRID:
            continue
        qs = Organisation.objects.filter(is_active=True, kind=kind, region__code=code[: _LEVEL_CODE_LEN[lvl]])
        if specialty:
            qs = qs.filter(specialty=specialty)
        org = qs.order_by("id").first()
        if org is not None:
            return org
    return None


def next_level(case: Case) -> tuple[str, Organisation]:
    current = LEVEL_ORDER.index(case.level)
    for level in LEVEL_ORDER[current + 1:]:
        kind = {Level.VILLAGE: OrgKind.VILLAGE_COMMITTEE, Level.TOWN: OrgKind.TOWN_COMMITTEE,
                Level.COUNTY: OrgKind.COUNTY_CENTRE}[level]
        org = _find_org(case.region_code, level, kind)
        if org is not None and org.pk != case.organisation_id:
            return level, org
    raise Conflict("NO_HIGHER_LEVEL", "已是县级，无法继续上报。")
