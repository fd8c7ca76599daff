"""Settings come from the environment; helpers fail loudly; production refuses to start without real secrets; every
setting the code reads is declared in settings.py (with its default and its environment variable there), so an
operator finds them all in one place and none is silently defaulted at the point of use."""

import ast
import re
from pathlib import Path

import pytest

import xiangzhi
from tests.cli import clean_env, run_xiangzhi
from xiangzhi import settings as s


def test_typed_helpers_parse_and_fail_loudly(monkeypatch, tmp_path):
    monkeypatch.setenv("XZ_T_INT", "12")
    assert s.env_int("XZ_T_INT", 1) == 12
    monkeypatch.setenv("XZ_T_INT", "twelve")
    with pytest.raises(s.SettingError, match="not an integer"):
        s.env_int("XZ_T_INT", 1)
    monkeypatch.setenv("XZ_T_INT", "0")
    with pytest.raises(s.SettingError, match="below the minimum"):
        s.env_int("XZ_T_INT", 1, minimum=1)
    monkeypatch.setenv("XZ_T_FLOAT", "0.25")
    assert s.env_float("XZ_T_FLOAT", 1.0) == 0.25
    monkeypatch.setenv("XZ_T_FLOAT", "a quarter")
    with pytest.raises(s.SettingError, match="not a number"):
        s.env_float("XZ_T_FLOAT", 1.0)
    with pytest.raises(s.SettingError, match="below the minimum"):
        monkeypatch.setenv("XZ_T_FLOAT", "-1")
        s.env_float("XZ_T_FLOAT", 1.0, minimum=0.0)
    monkeypatch.setenv("XZ_T_BOOL", "perhaps")
    with pytest.raises(s.SettingError, match="not a boolean"):
        s.env_bool("XZ_T_BOOL", False)
    monkeypatch.setenv("XZ_T_LIST", "a.example, b.example,")
    assert s.env_list("XZ_T_LIST", []) == ["a.example", "b.example"]
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n", encoding="utf-8")
    monkeypatch.setenv("XZ_T_SECRET_FILE", str(secret))
    assert s.env_str("XZ_T_SECRET") == "from-a-file"
    monkeypatch.setenv("XZ_T_SECRET", "both")
    with pytest.raises(s.SettingError, match="not both"):
        s.env_str("XZ_T_SECRET")


def _run(env_extra, *args, tmp_path):
    return run_xiangzhi(*args, env=clean_env(tmp_path / "data", **env_extra))


def test_production_refuses_to_start_without_real_secrets(tmp_path):
    result = _run({"XIANGZHI_ENV": "production", "ALLOWED_HOSTS": "xz.example"}, "check", tmp_path=tmp_path)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    assert not (tmp_path / "data" / "keys").exists()


def test_production_with_real_keys_passes_check_deploy(tmp_path):
    keys = _run({}, "genkeys", tmp_path=tmp_path)
    assert keys.returncode == 0, keys.stderr
    env = dict(line.split("=", 1) for line in keys.stdout.strip().splitlines())
    env.update({"XIANGZHI_ENV": "production", "ALLOWED_HOSTS": "xz.example",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "XIANGZHI_PUBLIC_URL": "https://xz.example",
                "XIANGZHI_SMS_BACKEND": "xiangzhi.core.sms.FileBackend"})
    result = _run(env, "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_bad_database_url_is_reported(tmp_path):
    result = _run({"DATABASE_URL": "nosuchdb://x"}, "check", tmp_path=tmp_path)
    assert result.returncode != 0 and "DATABASE_URL" in result.stderr


def test_development_generates_and_keeps_its_secrets(tmp_path):
    first = _run({"XIANGZHI_ENV": "development"}, "check", tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "data" / "keys" / "secret_key"
    key = key_file.read_text()
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    _run({"XIANGZHI_ENV": "development"}, "check", tmp_path=tmp_path)
    assert key_file.read_text() == key


def test_time_zone_and_languages():
    assert s.TIME_ZONE == "Asia/Shanghai" and s.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in s.LANGUAGES] == ["zh-hans", "en"]


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
