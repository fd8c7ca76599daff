"""Every setting the code reads is declared in settings.py (with its default and its environment variable there), so
an operator finds them all in one place and none is silently defaulted at the point of use."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import xiangzhi

SRC = Path(xiangzhi.__file__).resolve().parent


def _declared() -> set[str]:
    tree = ast.parse((SRC / "settings.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and n.id.isupper():
                    names.add(n.id)
    return names


def _reads() -> dict[str, list[str]]:
    """NAME → where, for every ``settings.NAME``, ``getattr(settings, "NAME", ...)`` and setting name held as data
    (a string "XIANGZHI_…", e.g. ``colours.STAGE_DEADLINES``) under src/xiangzhi."""
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "settings.py" or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings":
                name = node.attr
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"getattr", "hasattr"}
                  and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "settings"
                  and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                name = node.args[1].value
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and re.fullmatch(r"XIANGZHI_[A-Z0-9_]+[A-Z0-9]", node.value)):
                name = node.value
            if name is not None and name.isupper():
                found.setdefault(name, []).append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_every_setting_read_is_declared():
    reads = _reads()
    assert len(reads) > 30  # the walk found the reads (XIANGZHI_PUBLIC_URL, TIME_ZONE, …)
    assert "XIANGZHI_DEADLINE_ACCEPT_WORKDAYS" in reads and "XIANGZHI_INSIGHTS_REPEAT_MIN" in reads
    missing = {name: where for name, where in reads.items() if name not in _declared()}
    assert missing == {}


def test_no_setting_is_read_with_a_default_at_the_point_of_use():
    """``getattr(settings, "X", default)`` hides an undeclared setting: every read goes through ``settings.X``."""
    hits = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                    and len(node.args) == 3 and isinstance(node.args[0], ast.Name) and node.args[0].id == "settings"):
                hits.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert hits == []
