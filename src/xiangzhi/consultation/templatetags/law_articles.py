"""``{{ key|article_label }}``: a law article's key as people read it, for any app's templates that cite articles."""

from __future__ import annotations

from django import template

from .. import selectors

register = template.Library()


@register.filter
def article_label(key: str) -> str:
    return selectors.article_label(str(key))
