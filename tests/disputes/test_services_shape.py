"""The shape of the disputes services (issue #16): a package of modules named after what they do, whose imports of
each other point one way, over one ``record()`` that writes a case's history."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "xiangzhi" / "disputes"
SERVICES = SRC / "services"
# Writers of many cases at once that build the same timeline rows in bulk (one INSERT per batch).
BULK_WRITERS: set[str] = {"demo_year.py", "services/importing.py"}


def _sibling_imports(path: Path) -> set[str]:
    """The services modules ``path`` imports (``from .x import …``, ``from . import x``), at any depth."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found |= {a.name for a in node.names}
    return found


def test_the_services_modules_import_each_other_one_way():
    graph = {p.stem: _sibling_imports(p) for p in SERVICES.glob("*.py") if p.stem != "__init__"}
    assert {"records", "transitions", "intake", "mediation", "agreement", "deadlines", "joint", "judicial", "feedback",
            "documents", "importing"} <= set(graph)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the message is the finding
        raise AssertionError(f"services modules import each other in a loop: {exc.args[1]}") from None
    assert order.index("records") < order.index("transitions") < order.index("intake")
    assert graph["records"] <= set(), graph["records"]  # the bottom: it imports no sibling


def test_case_history_is_written_only_by_record():
    """A TimelineEvent is built only in ``services/records.py`` (and by the bulk writers, row for row the same)."""
    writers = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
                if name == "TimelineEvent" or (owner == "TimelineEvent" and name in {"objects"}):
                    writers.add(str(path.relative_to(SRC)))
    assert writers - BULK_WRITERS == {"services/records.py"}, writers
