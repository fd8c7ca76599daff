from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _reinstall_triggers(sender, using="default", **kwargs) -> None:  # noqa: ANN001, ANN003, ARG001
    """After every migrate: put back the summary's dirty-marking triggers a table rebuild may have dropped (SQLite);
    if any was missing, the summary may have missed changes, so the next fold rebuilds it."""
    from django.db import connections

    from . import summary, triggers
    from .models import DirtyCase

    connection = connections[using]
    if DirtyCase._meta.db_table not in connection.introspection.table_names():
        return  # migrating backwards, or insights not migrated yet
    if triggers.install(connection):
        from django.db import transaction

        with transaction.atomic(using=using):
            summary.mark_stale()


class InsightsConfig(AppConfig):
    name = "xiangzhi.insights"
    label = "insights"
    verbose_name = _("研判")

    def ready(self) -> None:
        post_migrate.connect(_reinstall_triggers, sender=self, dispatch_uid="insights.reinstall_triggers")
        from xiangzhi.disputes.selectors import register_case_panel

        register_case_panel("insights/_case_flags_slot.html")  # the report flags (人民调解统计) of the case
