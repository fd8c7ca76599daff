"""Database triggers that mark a case dirty (``DirtyCase``) whenever something the 研判 figures read
changes: the case row, its deadline clock, its report flags, its judicial confirmation, feedback and follow-up
visits, and the kind of an organisation. Being in the database, they see every writer — the services, bulk paths,
the importer, set-based UPDATEs of the colour pass, the admin, deletions — without a hook in any of them.

Installed by migration 0002 and again after every ``migrate`` (``apps.py``): on SQLite a table rebuild by a later
migration of another app drops the triggers of that table; when one was missing, the summary is marked stale so
the next fold rebuilds it from the raw tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# What the figures read, by model: (app label, model, the field holding the case id, the fields an UPDATE must change
# to matter). Table and column names come from the models' ``_meta`` (the live models, or the historical ones in a
# migration), never written here.
WATCHED = (
    ("disputes", "Case", "id", ("stage", "dispute_type", "source", "level", "organisation", "risk_level",
                                "region_code", "repeat_of", "agreement_amount", "agreement_effective_at",
                                "created_at", "closed_at")),
    ("disputes", "CaseClock", "case", ("case", "colour", "due_at")),
    ("insights", "CaseFlags", "case", ("case", "found_by_screening", "prevented_criminal", "prevented_criminal_people",
                                       "prevented_petition", "prevented_petition_people", "agreement_performed")),
    ("disputes", "JudicialConfirmation", "case", ("case", "status")),
    ("disputes", "Feedback", "case", ("case", "performed")),
    ("disputes", "FollowUpVisit", "case", ("case", "performed")),
)


@dataclass(frozen=True)
class Watch:
    table: str
    key: str  # the column holding the case id
    columns: tuple[str, ...]  # an UPDATE that changes none of these leaves the figures as they are


@dataclass(frozen=True)
class Schema:
    """The table and column names the triggers use, read from the models."""

    dirty: str  # the dirty-case table, with its case_id and seq columns
    dirty_case: str
    dirty_seq: str
    watches: tuple[Watch, ...]
    case_table: str  # an organisation's kind is a key of the report: its cases are marked
    case_id: str
    case_org: str
    org_table: str
    org_id: str
    org_kind: str


def schema(apps: Any = None) -> Schema:  # noqa: ANN401 - django.apps.apps or a migration's historical apps
    """The names from ``apps`` (default: the live models)."""
    if apps is None:
        from django.apps import apps

    def meta(label: str, name: str):  # noqa: ANN202
        return apps.get_model(label, name)._meta

    def col(m, field: str) -> str:  # noqa: ANN001
        return m.get_field(field).column

    watches = []
    for label, name, key, fields in WATCHED:
        m = meta(label, name)
        watches.append(Watch(m.db_table, col(m, key), tuple(col(m, f) for f in fields)))
    dirty, case, org = meta("insights", "DirtyCase"), meta("disputes", "Case"), meta("core", "Organisation")
    return Schema(dirty.db_table, col(dirty, "case_id"), col(dirty, "seq"), tuple(watches),
                  case.db_table, col(case, "id"), col(case, "organisation"),
                  org.db_table, col(org, "id"), col(org, "kind"))


def _mark(sc: Schema, value: str) -> str:
    # only names read from the models are interpolated (no user input)
    return (f"INSERT INTO {sc.dirty} ({sc.dirty_case}, {sc.dirty_seq}) VALUES ({value}, 1) "  # noqa: S608
            f"ON CONFLICT ({sc.dirty_case}) DO UPDATE SET {sc.dirty_seq} = {sc.dirty}.{sc.dirty_seq} + 1")


def _mark_org_cases(sc: Schema, value: str) -> str:
    return (f"INSERT INTO {sc.dirty} ({sc.dirty_case}, {sc.dirty_seq}) SELECT {sc.case_id}, 1 "  # noqa: S608
            f"FROM {sc.case_table} WHERE {sc.case_org} = {value} "
            f"ON CONFLICT ({sc.dirty_case}) DO UPDATE SET {sc.dirty_seq} = {sc.dirty}.{sc.dirty_seq} + 1")


def trigger_tables(sc: Schema) -> list[tuple[str, str]]:
    """(trigger name, table) of every trigger."""
    out = []
    for w in sc.watches:
        out += [(f"xz_dirty_{w.table}_{op}", w.table) for op in ("ins", "upd", "del")]
    out.append((f"xz_dirty_{sc.org_table}_upd", sc.org_table))
    return out


def trigger_names(vendor: str, apps: Any = None) -> list[str]:  # noqa: ANN401, ARG001
    return [name for name, _ in trigger_tables(schema(apps))]


def _sqlite_statements(sc: Schema) -> list[str]:
    out = []
    for w in sc.watches:
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in w.columns)
        out.append(f"CREATE TRIGGER IF NOT EXISTS xz_dirty_{w.table}_ins AFTER INSERT ON {w.table} "
                   f"BEGIN {_mark(sc, 'NEW.' + w.key)}; END")
        out.append(f"CREATE TRIGGER IF NOT EXISTS xz_dirty_{w.table}_upd AFTER UPDATE ON {w.table} WHEN {changed} "
                   f"BEGIN {_mark(sc, 'NEW.' + w.key)}; {_mark(sc, 'OLD.' + w.key)}; END")
        out.append(f"CREATE TRIGGER IF NOT EXISTS xz_dirty_{w.table}_del AFTER DELETE ON {w.table} "
                   f"BEGIN {_mark(sc, 'OLD.' + w.key)}; END")
    out.append(f"CREATE TRIGGER IF NOT EXISTS xz_dirty_{sc.org_table}_upd AFTER UPDATE ON {sc.org_table} "
               f"WHEN OLD.{sc.org_kind} IS NOT NEW.{sc.org_kind} BEGIN {_mark_org_cases(sc, 'NEW.' + sc.org_id)}; END")
    return out


def _pg_statements(sc: Schema) -> list[str]:
    # no '%' anywhere: schema editors pass parameters, and a literal % would be taken for a placeholder
    out = []
    for w in sc.watches:
        fn = f"xz_dirty_{w.table}"
        out.append(
            f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP <> 'DELETE' THEN {_mark(sc, 'NEW.' + w.key)}; END IF; "
            f"IF TG_OP <> 'INSERT' THEN {_mark(sc, 'OLD.' + w.key)}; END IF; "
            f"RETURN NULL; END; $$")
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in w.columns)
        for op, event, when in (("ins", "INSERT", ""), ("upd", "UPDATE", f" WHEN ({changed})"),
                                ("del", "DELETE", "")):
            out.append(f"DROP TRIGGER IF EXISTS xz_dirty_{w.table}_{op} ON {w.table}")
            out.append(f"CREATE TRIGGER xz_dirty_{w.table}_{op} AFTER {event} ON {w.table} FOR EACH ROW{when} "
                       f"EXECUTE FUNCTION {fn}()")
    org = sc.org_table
    out.append(
        f"CREATE OR REPLACE FUNCTION xz_dirty_{org}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{_mark_org_cases(sc, 'NEW.' + sc.org_id)}; RETURN NULL; END; $$")
    out.append(f"DROP TRIGGER IF EXISTS xz_dirty_{org}_upd ON {org}")
    out.append(f"CREATE TRIGGER xz_dirty_{org}_upd AFTER UPDATE ON {org} FOR EACH ROW "
               f"WHEN (OLD.{sc.org_kind} IS DISTINCT FROM NEW.{sc.org_kind}) EXECUTE FUNCTION xz_dirty_{org}()")
    return out


def missing(connection, apps: Any = None) -> list[str]:  # noqa: ANN001, ANN401
    """The names of the triggers that are not installed on ``connection``."""
    names = trigger_names(connection.vendor, apps)
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        elif connection.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            return []
        have = {r[0] for r in cur.fetchall()}
    return [n for n in names if n not in have]


def install(connection, apps: Any = None) -> list[str]:  # noqa: ANN001, ANN401
    """Install every trigger that is missing; returns the names that were missing (empty: nothing to do).
    ``apps``: the models to read the names from (a migration passes its historical apps; default: the live ones)."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return []
    absent = missing(connection, apps)
    if not absent:
        return []
    sc = schema(apps)
    statements = _sqlite_statements(sc) if connection.vendor == "sqlite" else _pg_statements(sc)
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
    return absent


def uninstall(connection, apps: Any = None) -> None:  # noqa: ANN001, ANN401
    with connection.cursor() as cur:
        for name, table in trigger_tables(schema(apps)):
            if connection.vendor == "sqlite":
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")
            elif connection.vendor == "postgresql":
                cur.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
