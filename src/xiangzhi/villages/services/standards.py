"""The indicator checklists (考核标准): the bureau edits them; a new version replaces the active one of its level
(applications keep the version they were submitted against)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import NotFound, ValidationFailed
from xiangzhi.core.models import User
from xiangzhi.core.text import clean_text

from .. import rules
from ..enums import TitleLevel
from ..models import Indicator, Standard


@dataclass(frozen=True)
class IndicatorIn:
    area: str
    text: str
    max_score: Decimal | float | str = 0
    is_veto: bool = False


def _dec(value: Decimal | float | str, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationFailed("INVALID_NUMBER", "分值格式不正确。", {"field": field}) from exc
    if d < 0 or d > 1000 or d != d.quantize(Decimal("0.1")):
        raise ValidationFailed("INVALID_NUMBER", "分值须在 0 至 1000 之间，最多一位小数。", {"field": field})
    return d


def save_standard(*, actor: User, name: str, level: str, pass_mark: Decimal | float | str,
                  indicators: list[IndicatorIn]) -> Standard:
    """A new checklist for ``level``, active from now (the previous active one of the level is retired). Veto items
    carry no score; the scored items must add up to at least the pass mark.
    Side effects: the standard and its indicators, an audit row."""
    if not rules.can_manage(core_rules.roles_of(actor)):
        raise NotFound()
    if level not in TitleLevel.values:
        raise ValidationFailed("INVALID_LEVEL", "适用等级无效。", {"levels": TitleLevel.values})
    name = clean_text(name or "").strip()[:120]
    if not name:
        raise ValidationFailed("FIELD_REQUIRED", "请填写标准名称。", {"field": "name"})
    mark = _dec(pass_mark, "pass_mark")
    rows = []
    for i, item in enumerate(indicators, start=1):
        text = clean_text(item.text or "").strip()[:300]
        if not text:
            continue
        score = Decimal("0") if item.is_veto else _dec(item.max_score, f"indicators[{i}].max_score")
        if not item.is_veto and score == 0:
            raise ValidationFailed("INVALID_NUMBER", f"第{i}项须有分值（或设为一票否决项）。", {"field": f"indicators[{i}]"})
        rows.append((clean_text(item.area or "").strip()[:40] or "其他", text, score, bool(item.is_veto)))
    if not any(not veto for *_, veto in rows):
        raise ValidationFailed("NO_INDICATORS", "请至少填写一项计分指标。")
    if sum(score for _, _, score, _ in rows) < mark:
        raise ValidationFailed("PASS_MARK_UNREACHABLE", "合格分高于各项分值之和。", {"pass_mark": str(mark)})
    with transaction.atomic():
        Standard.objects.select_for_update().filter(level=level, is_active=True).update(is_active=False)
        std = Standard.objects.create(name=name, level=level, pass_mark=mark, updated_by=actor,
                                      updated_at=timezone.now())
        Indicator.objects.bulk_create([Indicator(standard=std, position=n, area=area, text=text, max_score=score,
                                                 is_veto=veto) for n, (area, text, score, veto) in enumerate(rows, 1)])
        core.audit("villages.standard_saved", actor=actor, obj=std,
                   after={"level": level, "pass_mark": str(mark), "indicators": len(rows),
                          "veto_items": sum(1 for *_, v in rows if v)})
    return std
