"""Every case event kind is a member of ``EventKind``: no call site writes a bare string, and every kind has a label."""
import ast
import re
from pathlib import Path

import pytest

from tests.disputes.conftest import reaches_disputes
from xiangzhi.disputes.enums import EventKind

SRC = Path(__file__).resolve().parents[2] / "src" / "xiangzhi"
RECORDERS = {"_record_event", "record"}


def _bare_kinds():
    """(file, line, value) of every recorder call or TimelineEvent(...) whose kind is a string literal."""
    found = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "migrations" in path.parts or not reaches_disputes(path.relative_to(SRC).as_posix(), text):
            continue
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            kinds = [kw.value for kw in node.keywords if kw.arg == "kind"]
            if name in RECORDERS and len(node.args) >= 2:
                kinds.append(node.args[1])
            elif name not in RECORDERS | {"TimelineEvent"}:
                continue
            found += [(path.relative_to(SRC), node.lineno, k.value) for k in kinds
                      if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return found


def test_no_recorder_call_passes_a_bare_string_kind():
    assert _bare_kinds() == []


@pytest.mark.parametrize("kind", list(EventKind), ids=lambda k: k.value)
def test_every_event_kind_has_a_chinese_label(kind):
    assert re.search(r"[\u4e00-\u9fff]", str(kind.label)), kind


@pytest.mark.parametrize("value", ["risk_raised", "extension", "joint", "handover", "feedback", "visit",
                                   "not_performed", "judicial", "attachment"])
def test_the_former_bare_kinds_keep_their_stored_values(value):
    # Ledger leaves already written name these values (``case.joint``…); changing one would break their verification.
    assert EventKind(value).value == value
