"""``{% load case_colour %}{% case_colour case %}``: the colour word and the countdown of a case, never colour alone."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from .. import colours

register = template.Library()


@register.simple_tag
def case_colour(case, now=None):  # noqa: ANN001, ANN201
    info = colours.info(case, now)
    countdown = format_html(' <span class="countdown">{}</span>', info.countdown) if info.countdown else ""
    return format_html('<span class="colour colour-{}" data-colour="{}">{}</span>{}', info.colour, info.colour,
                       info.word, countdown)
