"""``xiangzhi check --database default``: the consultation robot has a law base and a published index that covers it.

A database check (Django runs those only when asked with ``--database``), so ``migrate`` and the other commands never
depend on the tables being there. Villagers never see any of this: without laws their questions go to a person.
"""

from __future__ import annotations

from django.core.checks import Tags, Warning, register  # noqa: A004 - Django's name
from django.db import DatabaseError


@register(Tags.database)
def check_knowledge_base(app_configs, databases=None, **kwargs) -> list[Warning]:  # noqa: ANN001, ANN003, ARG001
    if not databases:
        return []
    from .selectors import knowledge_base_status

    try:
        status = knowledge_base_status()
    except DatabaseError:  # not migrated yet: migrate reports that
        return []
    if not status["problem"]:
        return []
    return [Warning(f"智能咨询：{status['problem']}", id="consultation.W001")]
