"""The shape of the code base (../shared/docs/ARCHITECTURE.md), read from the source: which app imports which."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "xiangzhi"

# ARCHITECTURE.md, "Which app may import which": an app imports only apps to its left; a lower app learns about a
# higher one through a registry or a signal.
ORDER = ["core", "ledger", "timebank", "network", "villages", "disputes", "consultation", "outreach", "recognitions",
         "legality", "insights", "web"]
# The project level: may import any app; no app imports them (only Django does, through settings).
PROJECT_MODULES = {"api", "urls", "settings", "cli", "wsgi", "__main__"}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module this one imports: ``import`` and ``from … import`` at any depth (functions included), relative
    imports resolved, and the constant string given to ``import_module`` / ``import_string``."""
    package = module if is_package else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)  # `from xiangzhi import insights`
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "import_string"):
                names.add(node.args[0].value)
    return names


def app_imports(root: Path) -> tuple[dict[str, dict[str, set[str]]], dict[str, set[str]]]:
    """({app: {imported app: {importing module, …}}}, {project module: {importing module, …}}) of the package at
    ``root`` (an app is a folder with apps.py); migrations included."""
    apps = sorted(p.name for p in root.iterdir() if (p / "apps.py").exists())
    edges: dict[str, dict[str, set[str]]] = {a: {} for a in apps}
    project_users: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        parts = module.split(".")
        own = parts[1] if len(parts) > 1 and parts[1] in edges else None
        for name in _imported_names(ast.parse(path.read_text("utf8")), module, path.name == "__init__.py"):
            target = name.split(".")
            if target[0] != root.name or len(target) < 2:
                continue
            if target[1] in PROJECT_MODULES and own is not None:
                project_users.setdefault(target[1], set()).add(module)
            if own is not None and target[1] in edges and target[1] != own:
                edges[own].setdefault(target[1], set()).add(module)
    return edges, project_users


def faults(edges: dict[str, dict[str, set[str]]], order: list[str]) -> list[str]:
    rank = {a: i for i, a in enumerate(order)}
    out = [f"app {a} has no place in the order of ARCHITECTURE.md" for a in edges if a not in rank]
    for a, b in itertools.combinations(sorted(edges), 2):
        if b in edges[a] and a in edges[b]:
            out.append(f"{a} and {b} import each other ({sorted(edges[a][b])[0]}, {sorted(edges[b][a])[0]})")
    for a, targets in sorted(edges.items()):
        for b, modules in sorted(targets.items()):
            if a in rank and b in rank and rank[b] > rank[a]:
                out.append(f"{a} imports {b}, which stands after it in the order: {', '.join(sorted(modules))}")
    return out


def test_no_app_imports_an_app_after_it_and_no_two_apps_import_each_other():
    edges, _ = app_imports(SRC)
    assert set(edges) >= {"core", "ledger", "disputes", "consultation", "insights", "web"}
    assert faults(edges, ORDER) == []


def test_no_app_imports_the_project_level_modules():
    _, project_users = app_imports(SRC)
    assert project_users == {}


def test_the_import_reader_sees_every_kind_of_import(tmp_path):
    """The check above can fail: a small package with each kind of forbidden import is reported."""
    root = tmp_path / "xiangzhi"
    files = {
        "core/apps.py": "",
        "core/services.py": "def audit():\n    from xiangzhi.ledger.services import append\n",  # in a function
        "ledger/apps.py": "",
        "ledger/services.py": "from xiangzhi.core import services\n",  # allowed, but with the above: a pair
        "disputes/apps.py": "",
        "disputes/views/__init__.py": "",
        "disputes/views/staff.py": "from ...insights import selectors\n",  # relative, out of the app
        "disputes/demo.py": "import importlib\nimportlib.import_module('xiangzhi.consultation.services')\n",
        "disputes/selectors.py": "from .. import settings\n",  # the project level
        "consultation/apps.py": "",
        "insights/apps.py": "",
        "insights/views.py": "from xiangzhi import disputes\nfrom xiangzhi.disputes import selectors\n",
        "gadgets/apps.py": "",
        "settings.py": "from xiangzhi.insights import views\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    edges, project_users = app_imports(root)
    assert edges["insights"] == {"disputes": {"xiangzhi.insights.views"}}
    assert faults(edges, ORDER) == [
        "app gadgets has no place in the order of ARCHITECTURE.md",
        "core and ledger import each other (xiangzhi.core.services, xiangzhi.ledger.services)",
        "disputes and insights import each other (xiangzhi.disputes.views.staff, xiangzhi.insights.views)",
        "core imports ledger, which stands after it in the order: xiangzhi.core.services",
        "disputes imports consultation, which stands after it in the order: xiangzhi.disputes.demo",
        "disputes imports insights, which stands after it in the order: xiangzhi.disputes.views.staff",
    ]
    assert project_users == {"settings": {"xiangzhi.disputes.selectors"}}


def phase_names(repo: Path) -> list[str]:
    """What is named after a delivery phase (part2, part_3, _v2, new_, old_) instead of what it holds: modules, template
    folders and files, test files and benchmarks under src/xiangzhi, tests and bench, and URL namespaces
    (``app_name`` or ``namespace=`` in any urls*.py). Migrations keep their names."""
    import re

    phase = re.compile(r"(part_?\d|_v\d\b|(^|_)new_|(^|_)old_)")
    found = []
    for top in ("src/xiangzhi", "tests", "bench"):
        for path in sorted((repo / top).rglob("*")):
            parts = path.relative_to(repo).parts
            if "migrations" in parts or "__pycache__" in parts:
                continue
            if phase.search(path.stem):
                found.append(str(path.relative_to(repo)))
    for urls in sorted((repo / "src/xiangzhi").rglob("urls*.py")):
        text = urls.read_text("utf8")
        for m in re.finditer(r"app_name\s*=\s*['\"]([^'\"]+)['\"]|namespace\s*=\s*['\"]([^'\"]+)['\"]", text):
            name = m.group(1) or m.group(2)
            if phase.search(name):
                found.append(f"URL namespace {name} ({urls.relative_to(repo)})")
    return found


def test_nothing_is_named_after_a_delivery_phase():
    assert phase_names(SRC.parent.parent) == []


def test_the_phase_name_check_sees_modules_templates_tests_benchmarks_and_namespaces(tmp_path):
    files = {
        "src/xiangzhi/disputes/models_part2.py": "",
        "src/xiangzhi/disputes/models.py": "",
        "src/xiangzhi/disputes/templates/disputes/part2/page.html": "",
        "src/xiangzhi/disputes/urls.py": 'app_name = "disputes_v2"\n',
        "src/xiangzhi/urls.py": 'include("x", namespace="old_cases")\n',
        "src/xiangzhi/disputes/migrations/0003_part2_deadlines.py": "",  # migrations keep their names
        "src/xiangzhi/disputes/views/renewal.py": "",  # "new" inside a word is no phase
        "tests/disputes/test_new_intake.py": "",
        "bench/disputes_part_3_setup.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert phase_names(tmp_path) == [
        "src/xiangzhi/disputes/models_part2.py",
        "src/xiangzhi/disputes/templates/disputes/part2",
        "tests/disputes/test_new_intake.py",
        "bench/disputes_part_3_setup.py",
        "URL namespace disputes_v2 (src/xiangzhi/disputes/urls.py)",
        "URL namespace old_cases (src/xiangzhi/urls.py)",
    ]
