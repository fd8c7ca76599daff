"""Every audit action the code base writes has a Chinese label (found by reading the source: the calls of
``core.services.audit`` and of each app's ``record()``), the table names no action that nothing writes, every model
reads as Chinese, and the auditor's page shows the labels and still filters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from xiangzhi.core import audit_labels

SRC = Path(__file__).resolve().parents[2] / "src" / "xiangzhi"


def _dynamic_families() -> dict[str, list[str]]:
    """The action codes built at run time, by the source text of the expression that builds them."""
    from xiangzhi.disputes.enums import JudicialStatus
    from xiangzhi.recognitions.enums import ALLOWED_TRANSITIONS
    from xiangzhi.timebank.enums import TransferKind

    return {
        "f'recognitions.{to}'": sorted({f"recognitions.{to}" for targets in ALLOWED_TRANSITIONS.values()
                                        for to in targets}),
        "'case.judicial_' + status": [f"case.judicial_{s}" for s in JudicialStatus.values],
        "f'timebank.transfer.{kind}'": [f"timebank.transfer.{k}" for k in TransferKind.values],
    }


def _action_arguments(path: Path, tree: ast.AST):  # noqa: ANN202
    """The expressions passed as an audit action: ``audit(action, …)``, ``…(action=…)`` (every app's ``record()``
    and the disputes' batch writers), the time bank's
    ``record(action, obj, …)`` and the network's ``record(obj, action, …)``."""
    app = path.relative_to(SRC).parts[0]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name != "add_argument" and not name[:1].isupper():  # argparse's action=, a class's own field
            yield from (kw.value for kw in node.keywords if kw.arg == "action")
        if node.args and (name in ("audit", "_audit_row") or name == "record" and app == "timebank"):
            yield node.args[0]
        elif name == "record" and app == "network" and len(node.args) > 1:
            yield node.args[1]


def emitted_actions() -> set[str]:
    families = _dynamic_families()
    codes: set[str] = set()
    unknown: list[str] = []
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for expr in _action_arguments(path, ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(expr, ast.Constant):
                if expr.value is not None:
                    codes.add(expr.value)
            elif isinstance(expr, ast.IfExp) and all(isinstance(e, ast.Constant) for e in (expr.body, expr.orelse)):
                codes |= {expr.body.value, expr.orelse.value}
            elif ast.unparse(expr) in families:
                codes |= set(families[ast.unparse(expr)])
            elif not (isinstance(expr, ast.Name) and expr.id == "action"
                      or isinstance(expr, ast.Attribute) and expr.attr == "action"):  # passed through record()
                unknown.append(f"{path.relative_to(SRC)}:{expr.lineno} {ast.unparse(expr)}")
    assert not unknown, f"audit actions built at run time: list them in _dynamic_families(): {unknown}"
    return codes


def test_the_scan_finds_the_writers_of_every_app():
    prefixes = {code.split(".", 1)[0] for code in emitted_actions()}
    assert {"user", "case", "consultation", "outreach", "timebank", "recognitions", "villages", "legality",
            "network", "insights"} <= prefixes, prefixes


def test_every_emitted_action_has_a_chinese_label():
    missing = sorted(emitted_actions() - set(audit_labels.ACTION_LABELS))
    assert not missing, f"add these to xiangzhi/core/audit_labels.py ACTION_LABELS: {missing}"


def test_the_table_names_only_actions_that_are_written():
    stale = sorted(set(audit_labels.ACTION_LABELS) - emitted_actions())
    assert not stale, stale


def test_an_unknown_code_reads_as_itself():
    assert audit_labels.action_label("case.created") == "登记纠纷"
    assert audit_labels.action_label("demo.something_new") == "demo.something_new"
    assert audit_labels.object_label("recognitions.bankcheck") == "e法贷资格核验"
    assert audit_labels.object_label("disputes.jointtask") == "联动协办任务"
    assert audit_labels.object_label("calendar") == "工作日历"
    assert audit_labels.object_label("nosuchapp.thing") == "nosuchapp.thing"
    assert audit_labels.object_label("") == ""


def test_every_model_reads_as_chinese():
    from django.apps import apps

    english = [m._meta.label_lower for m in apps.get_models() if m.__module__.startswith("xiangzhi.")
               and audit_labels.object_label(m._meta.label_lower).isascii()]
    assert not english, english


@pytest.mark.django_db
def test_the_audit_page_shows_labels_and_filters_by_code_or_word(auditor, mediator, county_admin):
    from xiangzhi.core import services

    org = services.create_organisation(name="测试调解委员会", kind="mediation_committee", region=mediator.region,
                                       actor=county_admin.user)
    services.audit("demo.searchable", actor=mediator.user, note="可检索")
    client = auditor.client()
    html = client.get("/workbench/audit/").content.decode()
    assert '<td title="organisation.created">创建组织</td>' in html
    organisation = audit_labels.object_label("core.organisation")
    assert not organisation.isascii() and f'<span title="core.organisation">{organisation}</span>' in html
    assert f"#{org.pk}" in html
    by_word = client.get("/workbench/audit/", {"action": "创建组织"}).content.decode()
    assert "创建组织" in by_word and "demo.searchable" not in by_word
    by_code = client.get("/workbench/audit/", {"action": "demo."}).content.decode()
    assert "demo.searchable" in by_code and "创建组织" not in by_code
