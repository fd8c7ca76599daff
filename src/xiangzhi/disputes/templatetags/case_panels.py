"""``{% case_panels as panels %}``: the templates other apps show on the staff case page (``selectors.CASE_PANELS``,
registered by those apps in their ``AppConfig.ready``)."""

from __future__ import annotations

from django import template

from ..selectors import CASE_PANELS

register = template.Library()


@register.simple_tag
def case_panels() -> list[str]:
    return list(CASE_PANELS)
