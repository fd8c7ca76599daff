"""Database triggers that make the core append-only tables refuse UPDATE and DELETE (see core/append_only.py)."""

from django.db import migrations

APPEND_ONLY_TABLES = ["core_auditlog", "core_personaldataaccess", "core_regionchange"]


def create_triggers(apps, schema_editor, *, force=False):
    from xiangzhi.core import append_only

    append_only.install(schema_editor, APPEND_ONLY_TABLES, force=force)


def drop_triggers(apps, schema_editor):
    from xiangzhi.core import append_only

    append_only.uninstall(schema_editor, APPEND_ONLY_TABLES)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
