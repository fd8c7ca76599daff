"""Database triggers that make the ledger tables refuse UPDATE and DELETE (see core/append_only.py)."""

from django.db import migrations

APPEND_ONLY_TABLES = ["ledger_leaf", "ledger_node", "ledger_checkpoint"]


def create_triggers(apps, schema_editor, *, force=False):
    from xiangzhi.core import append_only

    append_only.install(schema_editor, APPEND_ONLY_TABLES, force=force)


def drop_triggers(apps, schema_editor):
    from xiangzhi.core import append_only

    append_only.uninstall(schema_editor, APPEND_ONLY_TABLES)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("core", "0002_append_only_triggers")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
