"""Database triggers that mark a case dirty (``insights_dirtycase``) whenever something the 研判 figures read
changes: the case row, its deadline clock, its report flags, its judicial confirmation, feedback and follow-up
visits, and the kind of an organisation. Being in the database, they see every writer — the services, bulk paths,
the importer, set-based UPDATEs of the colour pass, the admin, deletions — without a hook in any of them.

Installed by migration 0002 and again after every ``migrate`` (``apps.py``): on SQLite a table rebuild by a later
migration of another app drops the triggers of that table; when one was missing, the summary is marked stale so
the next fold rebuilds it from the raw tables.
"""

from __future__ import annotations

from dataclasses import dataclass

DIRTY = "insights_dirtycase"


@dataclass(frozen=True)
class Watch:
    table: str
    key: str  # the column holding the case id
    columns: tuple[str, ...]  # an UPDATE that changes none of these leaves the figures as they are


WATCHES = (
    Watch("disputes_case", "id", ("stage", "dispute_type_id", "source", "level", "organisation_id", "risk_level",
                                  "region_code", "repeat_of_id", "agreement_amount", "agreement_effective_at",
                                  "created_at", "closed_at")),
    Watch("disputes_caseclock", "case_id", ("case_id", "colour", "due_at")),
    Watch("insights_caseflags", "case_id", ("case_id", "found_by_screening", "prevented_criminal",
                                            "prevented_criminal_people", "prevented_petition",
                                            "prevented_petition_people", "agreement_performed")),
    Watch("disputes_judicialconfirmation", "case_id", ("case_id", "status")),
    Watch("disputes_feedback", "case_id", ("case_id", "performed")),
    Watch("disputes_followupvisit", "case_id", ("case_id", "performed")),
)
ORG_TABLE = "core_organisation"  # an organisation's kind is a key of the report: its cases are marked


def _mark(value: str) -> str:
    # only identifiers of this module are interpolated (no user input)
    return (f"INSERT INTO {DIRTY} (case_id, seq) VALUES ({value}, 1) "  # noqa: S608
            f"ON CONFLICT (case_id) DO UPDATE SET seq = {DIRTY}.seq + 1")


def _mark_org_cases(value: str) -> str:
    return (f"INSERT INTO {DIRTY} (case_id, seq) SELECT id, 1 FROM disputes_case "  # noqa: S608
            f"WHERE organisation_id = {value} ON CONFLICT (case_id) DO UPDATE SET seq = {DIRTY}.seq + 1")


def trigger_names(vendor: str) -> list[str]:
    names = []
    for w in WATCHES:
        names += [f"xz_dirty_{w.table}_{op}" for op in ("ins", "upd", "del")]
    names.append(f"xz_dirty_{ORG_TABLE}_upd")
    return names


def _sqlite_statements() -> list[str]:
    out = []
    for w in WATCHES:
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in w.columns)
        out.append(f"CREATE TRIGGER IF NOT EXISTS xz_dirty_{w.table}_ins AFTER INSERT ON {w.table} "
                   f"BEGIN {_mark('NEW.' + w.key)}; END")
        out.append(f"CREATE TRIGGER IF NOT EXISTS xz_dirty_{w.table}_upd AFTER UPDATE ON {w.table} WHEN {changed} "
                   f"BEGIN {_mark('NEW.' + w.key)}; {_mark('OLD.' + w.key)}; END")
        out.append(f"CREATE TRIGGER IF NOT EXISTS xz_dirty_{w.table}_del AFTER DELETE ON {w.table} "
                   f"BEGIN {_mark('OLD.' + w.key)}; END")
    out.append(f"CREATE TRIGGER IF NOT EXISTS xz_dirty_{ORG_TABLE}_upd AFTER UPDATE ON {ORG_TABLE} "
               f"WHEN OLD.kind IS NOT NEW.kind BEGIN {_mark_org_cases('NEW.id')}; END")
    return out


def _pg_statements() -> list[str]:
    # no '%' anywhere: schema editors pass parameters, and a literal % would be taken for a placeholder
    out = []
    for w in WATCHES:
        fn = f"xz_dirty_{w.table}"
        out.append(
            f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP <> 'DELETE' THEN {_mark('NEW.' + w.key)}; END IF; "
            f"IF TG_OP <> 'INSERT' THEN {_mark('OLD.' + w.key)}; END IF; "
            f"RETURN NULL; END; $$")
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in w.columns)
        for op, event, when in (("ins", "INSERT", ""), ("upd", "UPDATE", f" WHEN ({changed})"),
                                ("del", "DELETE", "")):
            out.append(f"DROP TRIGGER IF EXISTS xz_dirty_{w.table}_{op} ON {w.table}")
            out.append(f"CREATE TRIGGER xz_dirty_{w.table}_{op} AFTER {event} ON {w.table} FOR EACH ROW{when} "
                       f"EXECUTE FUNCTION {fn}()")
    out.append(
        f"CREATE OR REPLACE FUNCTION xz_dirty_{ORG_TABLE}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{_mark_org_cases('NEW.id')}; RETURN NULL; END; $$")
    out.append(f"DROP TRIGGER IF EXISTS xz_dirty_{ORG_TABLE}_upd ON {ORG_TABLE}")
    out.append(f"CREATE TRIGGER xz_dirty_{ORG_TABLE}_upd AFTER UPDATE ON {ORG_TABLE} FOR EACH ROW "
               f"WHEN (OLD.kind IS DISTINCT FROM NEW.kind) EXECUTE FUNCTION xz_dirty_{ORG_TABLE}()")
    return out


def missing(connection) -> list[str]:  # noqa: ANN001
    """The names of the triggers that are not installed on ``connection``."""
    names = trigger_names(connection.vendor)
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        elif connection.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            return []
        have = {r[0] for r in cur.fetchall()}
    return [n for n in names if n not in have]


def install(connection) -> list[str]:  # noqa: ANN001
    """Install every trigger that is missing; returns the names that were missing (empty: nothing to do)."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return []
    absent = missing(connection)
    if not absent:
        return []
    statements = _sqlite_statements() if connection.vendor == "sqlite" else _pg_statements()
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
    return absent


def uninstall(connection) -> None:  # noqa: ANN001
    with connection.cursor() as cur:
        for name in trigger_names(connection.vendor):
            if connection.vendor == "sqlite":
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")
            elif connection.vendor == "postgresql":
                table = name.removeprefix("xz_dirty_").rsplit("_", 1)[0]
                cur.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
