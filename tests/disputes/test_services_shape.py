"""The shape of the disputes services (issue #16): a package of modules named after what they do, whose imports of
each other point one way, over one ``record()`` that writes a case's history."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from tests.disputes.conftest import reaches_disputes

APPS = Path(__file__).resolve().parents[2] / "src" / "xiangzhi"
SRC = APPS / "disputes"
SERVICES = SRC / "services"


def _modules(root: Path):
    for path in root.rglob("*.py"):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _builds(tree: ast.AST, model: str) -> bool:
    """Does the module build rows of ``model`` (``Model(...)``, ``Model.objects.create/bulk_create(...)``)?"""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id == model:
                return True
            if (isinstance(f, ast.Attribute) and f.attr in {"create", "bulk_create", "get_or_create"}
                    and isinstance(f.value, ast.Attribute) and f.value.attr == "objects"
                    and isinstance(f.value.value, ast.Name) and f.value.value.id == model):
                return True
    return False


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
    """A TimelineEvent is built only in ``services/records.py`` (``record()`` and its batch form, which the demo year
    and the importer write through), and no module of the app builds an audit row itself (core's ``audit`` does)."""
    timeline = {str(path.relative_to(SRC)) for path, tree in _modules(SRC) if _builds(tree, "TimelineEvent")}
    assert timeline == {"services/records.py"}, timeline
    audit = {str(path.relative_to(APPS)) for path, tree in _modules(APPS) if _builds(tree, "AuditLog")}
    assert audit == {"core/services.py"}, audit


def test_the_builders_find_what_they_look_for():
    tree = ast.parse("TimelineEvent.objects.bulk_create([])\nx = AuditLog.objects.create(action='a')\n")
    assert _builds(tree, "TimelineEvent") and _builds(tree, "AuditLog") and not _builds(tree, "Case")
    assert _assigned_fields(ast.parse("case.mediator_confirmed_at = now\na.b, c.d = 1, 2\n")) >= {
        "mediator_confirmed_at", "b", "d"}
    assert _assigned_fields(ast.parse("Case(stage='x')\nCase.objects.filter(pk=1).update(agreement_text='y')\n")) == {
        "stage", "agreement_text"}
    assert _assigned_fields(ast.parse("row.update(stage='closed')\n")) == set()  # a dict


def _assigned_fields(tree: ast.AST) -> set[str]:
    """The attributes the module assigns (``x.f = …``, tuple targets too) or writes by keyword (``Model(f=…)``,
    ``….update(f=…)``, ``….create(f=…)``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for t in ast.walk(target):
                    if isinstance(t, ast.Attribute) and isinstance(t.ctx, ast.Store):
                        found.add(t.attr)
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name == "Case" or (name in {"update", "create", "get_or_create", "update_or_create"}
                                  and _on_queryset(f)):
                found |= {k.arg for k in node.keywords if k.arg}
    return found


def _on_queryset(f: ast.expr) -> bool:
    """Is the call made on a manager or a queryset (``X.objects….``), not on a dict?"""
    return isinstance(f, ast.Attribute) and any(isinstance(n, ast.Attribute) and n.attr == "objects"
                                                for n in ast.walk(f.value))


def test_the_stage_and_the_confirmation_are_written_only_by_the_services():
    """No module outside ``disputes/services/`` writes a case's stage or its mediator's confirmation: the demo year
    and the importer create and move cases through the services' batch forms (``intake.create_cases``,
    ``transitions.advance``, ``mediation.confirm_assignments``) — one state machine."""
    writers = {field: set() for field in ("stage", "stage_changed_at", "mediator_confirmed_at")}
    for path, tree in _modules(APPS):
        rel = path.relative_to(APPS).as_posix()
        if SERVICES in path.parents or not reaches_disputes(rel, path.read_text(encoding="utf-8")):
            continue
        fields = _assigned_fields(tree)
        for field, found in writers.items():
            if field in fields:
                found.add(str(path.relative_to(APPS)))
    # the case clock (a cache of the stage per case) and a list filter's stage are other objects' fields
    assert writers["mediator_confirmed_at"] == set(), writers
    assert writers["stage_changed_at"] == set(), writers
    assert writers["stage"] <= {"disputes/selectors.py"}, writers
