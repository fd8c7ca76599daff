"""One writer of ``Case.stage``: read from the source, every place that sets a case's stage is inside the state
machine in disputes/services/transitions.py (``_move``, the step ``transition`` and ``plan_move`` share, and ``entry_fields``,
the stage a case is created in)."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

from tests.disputes.conftest import reaches_disputes
from xiangzhi.disputes.models import Case

SRC = Path(__file__).resolve().parent.parent.parent / "src" / "xiangzhi"
OWNERS = {("disputes/services/transitions.py", "_move"), ("disputes/services/transitions.py", "entry_fields")}
# Attributes named ``stage`` that are not a case's: the workbench's filter form values.
NOT_A_CASE = {("disputes/selectors.py", "f.stage")}
QUERYSET_WRITES = {"create", "update", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}


def _other_models_with_a_stage() -> set[str]:
    return {m.__name__ for m in apps.get_models()
            if m is not Case and any(f.name == "stage" for f in m._meta.get_fields())}


def _root(node: ast.expr) -> tuple[str, set[str]]:
    """The name a call chain starts from, and the attribute names along it (``Case.objects.filter(…).update``)."""
    attrs: set[str] = set()
    while True:
        if isinstance(node, ast.Attribute):
            attrs.add(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return (node.id if isinstance(node, ast.Name) else ""), attrs


def _names_stage(node: ast.expr) -> bool:
    """A list or tuple of field names holding "stage" (bulk_update's fields, update_fields)."""
    return isinstance(node, (ast.List, ast.Tuple, ast.Set)) and any(
        isinstance(e, ast.Constant) and e.value == "stage" for e in node.elts)


def stage_writes(source: str, others: set[str]) -> list[tuple[int, str, str]]:
    """(line, enclosing function, what) of every statement in ``source`` that sets a case's stage."""
    found: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        while targets:
            t = targets.pop()
            if isinstance(t, (ast.Tuple, ast.List)):
                targets += t.elts
            elif isinstance(t, ast.Attribute) and t.attr == "stage":
                found.append((t.lineno, function, ast.unparse(t)))
        if isinstance(node, ast.Call):
            func = node.func
            keywords = {k.arg for k in node.keywords}
            if isinstance(func, ast.Name) and func.id == "Case" and "stage" in keywords:
                found.append((node.lineno, function, "Case(stage=…)"))
            if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) > 1 and isinstance(
                    node.args[1], ast.Constant) and node.args[1].value == "stage":
                found.append((node.lineno, function, "setattr(…, 'stage', …)"))
            if isinstance(func, ast.Attribute) and func.attr in QUERYSET_WRITES:
                root, attrs = _root(func.value)
                queryset = "objects" in attrs or root == "Case" or bool(attrs & {"filter", "exclude", "all"})
                if queryset and root not in others and (
                        "stage" in keywords or any(_names_stage(a) for a in node.args)
                        or any(k.arg in ("fields", "update_fields") and _names_stage(k.value) for k in node.keywords)):
                    found.append((node.lineno, function, f"{ast.unparse(func)}(stage…)"))
            if isinstance(func, ast.Attribute) and func.attr == "save" and any(
                    k.arg == "update_fields" and _names_stage(k.value) for k in node.keywords):
                found.append((node.lineno, function, f"{ast.unparse(func)}(update_fields=[stage…])"))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), "")
    return found


def test_the_stage_writer_finder_sees_each_kind_of_write():
    source = '''
def a(case, qs):
    case.stage = "closed"
    case.stage, case.stage_changed_at = "closed", now
    Case(stage="closed")
    Case.objects.create(stage="closed")
    Case.objects.filter(pk=1).update(stage="closed")
    Case.objects.bulk_update(cases, ["stage"])
    setattr(case, "stage", "closed")
    case.save(update_fields=["stage"])
def b(clean, case):
    clean.update(stage="closed")          # a dict
    CaseClock.objects.bulk_update(rows, ["stage"])  # another model's stage
    Case.objects.filter(stage="closed").update(colour="green")
    case.save(update_fields=["closed_at"])
'''
    found = stage_writes(source, {"CaseClock"})
    assert {f for _, f, _ in found} == {"a"}
    assert len(found) == 8


def test_only_the_state_machine_writes_case_stage():
    others = _other_models_with_a_stage()
    assert "CaseClock" in others
    outside = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        text = path.read_text(encoding="utf-8")
        if "/migrations/" in rel or not reaches_disputes(rel, text):
            continue
        for line, function, what in stage_writes(text, others):
            if (rel, function) not in OWNERS and (rel, what) not in NOT_A_CASE:
                outside.append(f"{rel}:{line} in {function or 'module'}: {what}")
    assert outside == [], "Case.stage is written outside the state machine (disputes/services/transitions.py _move, entry_fields)"


def test_the_owners_still_write_the_stage():
    """The allow-list names functions that exist and do write it (a renamed function is not silently allowed)."""
    seen = {("disputes/services/transitions.py", f) for _, f, _ in stage_writes(
        (SRC / "disputes" / "services" / "transitions.py").read_text(encoding="utf-8"), _other_models_with_a_stage())}
    assert seen >= {("disputes/services/transitions.py", "_move")}
