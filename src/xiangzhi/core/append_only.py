"""Database triggers that make append-only tables refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), whoever
connects. Installed by the migrations of each app that has such tables (core 0002, ledger 0002).

The test settings switch them off (``XIANGZHI_DB_APPEND_ONLY_TRIGGERS``) because test isolation flushes tables;
tests/core/test_audit.py installs them inside a test to prove they hold.
"""

from __future__ import annotations

from collections.abc import Iterable

_PG_FUNCTION = (
    # no '%' in the body: schema editors pass parameters, and a literal % would be taken for a placeholder
    "CREATE OR REPLACE FUNCTION xiangzhi_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END; $$;"
)


def install(schema_editor, tables: Iterable[str], *, force: bool = False) -> None:  # noqa: ANN001
    from django.conf import settings

    if not force and not settings.XIANGZHI_DB_APPEND_ONLY_TRIGGERS:
        return
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                )
        elif vendor == "postgresql":
            schema_editor.execute(_PG_FUNCTION)
            uninstall(schema_editor, [table])
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION xiangzhi_append_only();"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION xiangzhi_append_only();"
            )


def uninstall(schema_editor, tables: Iterable[str]) -> None:  # noqa: ANN001
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "sqlite":
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
