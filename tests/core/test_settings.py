"""Settings come from the environment; helpers fail loudly; production refuses to start without real secrets."""


import pytest

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
                "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "XIANGZHI_PUBLIC_URL": "https://xz.example"})
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
