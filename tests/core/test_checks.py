"""``xiangzhi check --deploy`` refuses keys that are too short or not random and an unset public address."""

from __future__ import annotations

import base64

import pytest
from django.core import checks

from tests.cli import clean_env, run_xiangzhi

GOOD = base64.b64encode(bytes(range(7, 39))).decode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _deploy_errors() -> set[str]:
    return {m.id for m in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
            if m.id.startswith("xiangzhi.")}


@pytest.fixture
def good_keys(settings):
    settings.XIANGZHI_ENCRYPTION_KEYS = f"k1:{GOOD}"
    settings.XIANGZHI_BLIND_INDEX_KEY = GOOD
    settings.XIANGZHI_SIGNING_KEY = GOOD
    settings.XIANGZHI_PUBLIC_URL = "https://xz.tongxiang.example"
    settings.DEBUG = False
    return settings


def test_real_keys_and_a_public_address_pass(good_keys):
    assert _deploy_errors() == set()


@pytest.mark.parametrize(("name", "value", "check_id"), [
    ("XIANGZHI_ENCRYPTION_KEYS", f"k1:{_b64(bytes(32))}", "xiangzhi.E001"),          # all zero
    ("XIANGZHI_ENCRYPTION_KEYS", f"k1:{_b64(b'abc')}", "xiangzhi.E001"),             # 3 bytes
    ("XIANGZHI_ENCRYPTION_KEYS", f"k2:{GOOD},k1:{_b64(b'ab' * 16)}", "xiangzhi.E001"),  # an old key, patterned
    ("XIANGZHI_BLIND_INDEX_KEY", _b64(b"abc"), "xiangzhi.E002"),
    ("XIANGZHI_BLIND_INDEX_KEY", _b64(bytes(32)), "xiangzhi.E002"),
    ("XIANGZHI_BLIND_INDEX_KEY", "not base64!", "xiangzhi.E002"),
    ("XIANGZHI_SIGNING_KEY", _b64(b"\xff" * 32), "xiangzhi.E003"),
    ("XIANGZHI_PUBLIC_URL", "http://127.0.0.1:8000", "xiangzhi.E004"),
    ("XIANGZHI_PUBLIC_URL", "http://localhost", "xiangzhi.E004"),
    ("XIANGZHI_PUBLIC_URL", "", "xiangzhi.E004"),
])
def test_a_weak_key_or_a_local_public_address_fails(good_keys, name, value, check_id):
    setattr(good_keys, name, value)
    assert _deploy_errors() == {check_id}


def test_check_deploy_fails_for_a_three_byte_key_and_no_public_address(tmp_path):
    keys = run_xiangzhi("genkeys", env=clean_env(tmp_path / "data"))
    env = dict(line.split("=", 1) for line in keys.stdout.strip().splitlines())
    env.update({"XIANGZHI_ENV": "production", "ALLOWED_HOSTS": "xz.example",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "XIANGZHI_BLIND_INDEX_KEY": _b64(b"abc")})
    result = run_xiangzhi("check", "--deploy", env=clean_env(tmp_path / "data", **env))
    assert result.returncode != 0
    assert "xiangzhi.E002" in result.stderr and "xiangzhi.E004" in result.stderr
