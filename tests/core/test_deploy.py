"""The production files under deploy/: the environment template lists every setting and passes ``check --deploy``
as it stands; the systemd units start real commands (``systemd-analyze verify`` where systemd is installed); the
nginx site parses (``nginx -t`` where nginx is installed), admits the largest upload the platform takes and never
serves uploads from disk; gunicorn's file takes its address and processes from the environment."""

from __future__ import annotations

import ast
import configparser
import datetime as dt
import json
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from tests.cli import clean_env, run_xiangzhi
from xiangzhi import settings as s
from xiangzhi.disputes.services.uploads import MAX_FILES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "xiangzhi.env.example"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
NGINX_SITE = DEPLOY / "nginx" / "xiangzhi.conf"
UNITS = DEPLOY / "systemd"
VENV_BIN = "/opt/xiangzhi/venv/bin/"
ENV_FILE = "/etc/xiangzhi/xiangzhi.env"

# Read by settings.py but not production settings: the test databases' names and the developers' reference data.
NOT_FOR_PRODUCTION = {"TEST_DATABASE_NAME", "TEST_SQLITE_NAME", "XIANGZHI_SHARED_DIR"}
SETTING_LINE = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def _settings_read_from_env(path: Path) -> set[str]:
    """Every NAME the file reads with the env helpers (``env_str("NAME", …)``, ``_secret("NAME", …)``) or
    ``os.environ.get("NAME", …)``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if called.startswith("env_") or called in {"_secret", "_int"} or (
                called == "get" and isinstance(func, ast.Attribute) and ast.unparse(func.value) == "os.environ"):
            names.add(node.args[0].value)
    return names


def _example_lines() -> dict[str, tuple[str, bool]]:
    """NAME → (value, active) for every ``NAME=value`` line of the template, commented (a default shown) or not."""
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if m := SETTING_LINE.match(line.strip()):
            found[m.group(1)] = (m.group(2), not line.startswith("#"))
    return found


def test_the_environment_template_lists_every_production_setting():
    settings_names = _settings_read_from_env(Path(s.__file__))
    gunicorn_names = _settings_read_from_env(GUNICORN_CONF)
    assert {"SECRET_KEY", "XIANGZHI_PUBLIC_URL", "XIANGZHI_MAX_UPLOAD_BYTES"} <= settings_names  # the walk works
    assert {"XIANGZHI_GUNICORN_BIND", "XIANGZHI_GUNICORN_WORKERS"} <= gunicorn_names
    read = settings_names | gunicorn_names
    # NAME_FILE is the file form of NAME, unless NAME_FILE is itself a setting (a path, e.g. the recognitions key)
    listed = {name if name in read else name.removesuffix("_FILE") for name in _example_lines()}
    assert sorted((settings_names | gunicorn_names) - NOT_FOR_PRODUCTION - listed) == []
    # and nothing listed is a misspelling: each line names a setting some file reads
    assert sorted(listed - settings_names - gunicorn_names) == []


def test_secrets_come_from_files_and_no_line_carries_a_trailing_comment():
    lines = _example_lines()
    for secret in ("SECRET_KEY", "XIANGZHI_ENCRYPTION_KEYS", "XIANGZHI_BLIND_INDEX_KEY", "XIANGZHI_SIGNING_KEY"):
        assert secret not in lines
        value, active = lines[f"{secret}_FILE"]
        assert active and value.startswith("/etc/xiangzhi/keys/")
    assert lines["XIANGZHI_ENV"] == ("production", True)
    # systemd's EnvironmentFile= has no trailing comments: "A=b  # note" would make the value "b  # note".
    for name, (value, _active) in lines.items():
        assert "#" not in value and value == value.strip(), name


def _production_env(tmp_path: Path) -> dict[str, str]:
    """The template's active lines, with its paths moved under tmp_path and key files written by genkeys."""
    keys = tmp_path / "keys"
    written = run_xiangzhi("genkeys", "--write-dir", str(keys), env=clean_env(tmp_path / "gen"))
    assert written.returncode == 0, written.stderr
    env = {}
    for name, (value, active) in _example_lines().items():
        if active:
            env[name] = (value.replace("/etc/xiangzhi/keys", str(keys))
                         .replace("/var/lib/xiangzhi", str(tmp_path / "data"))
                         .replace("/opt/xiangzhi/node_modules", str(s.NODE_MODULES)))
    return clean_env(tmp_path / "data", **env)


def test_check_deploy_passes_with_the_template_at_warning_level(tmp_path):
    env = _production_env(tmp_path)
    assert env["XIANGZHI_ENV"] == "production" and env["DATABASE_URL"].startswith("postgres://")
    result = run_xiangzhi("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    # The one silenced check is security.W021 (HSTS preload), silenced in settings.py while preload is off: preloading
    # is the decision of whoever owns the parent domain.
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_check_deploy_warns_while_sms_would_go_to_the_log(tmp_path):
    env = {**_production_env(tmp_path), "XIANGZHI_SMS_BACKEND": "xiangzhi.core.sms.ConsoleBackend"}
    result = run_xiangzhi("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0 and "xiangzhi.W005" in result.stderr + result.stdout


def test_genkeys_never_overwrites_a_key(tmp_path):
    env = clean_env(tmp_path / "data")
    first = run_xiangzhi("genkeys", "--write-dir", str(tmp_path / "keys"), env=env)
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_text() for p in (tmp_path / "keys").iterdir()}
    assert set(before) == {"secret_key", "encryption_keys", "blind_index_key", "signing_key"}
    assert all((tmp_path / "keys" / name).stat().st_mode & 0o077 == 0 for name in before)
    again = run_xiangzhi("genkeys", "--write-dir", str(tmp_path / "keys"), env=env)
    assert again.returncode != 0 and "never overwritten" in again.stderr
    assert {p.name: p.read_text() for p in (tmp_path / "keys").iterdir()} == before


# ---------------------------------------------------------------------------------------------------------------
# systemd
# ---------------------------------------------------------------------------------------------------------------
def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(UNITS / name, encoding="utf-8")
    return parser


def _exec_start(unit: configparser.ConfigParser) -> list[str]:
    argv = shlex.split(unit["Service"]["ExecStart"])
    assert argv[0].startswith(VENV_BIN)
    return argv


def _parses_as_xiangzhi_command(argv: list[str]) -> str:
    """The xiangzhi subcommand argv runs, after checking it exists and its parser accepts the arguments."""
    assert argv[0] == VENV_BIN + "xiangzhi"
    name, args = argv[1], argv[2:]
    commands = get_commands()
    assert name in commands
    load_command_class(commands[name], name).create_parser("xiangzhi", name).parse_args(args)
    return name


def test_the_services_run_gunicorn_the_worker_and_runperiodic_with_the_production_environment():
    web, worker, periodic = (_unit(f"xiangzhi-{n}.service") for n in ("web", "worker", "periodic"))
    for unit in (web, worker, periodic):
        service = unit["Service"]
        assert service["EnvironmentFile"] == ENV_FILE
        assert service["User"] == service["Group"] == "xiangzhi"
        assert service["WorkingDirectory"] == "/var/lib/xiangzhi" and service["StateDirectory"] == "xiangzhi"
    argv = _exec_start(web)
    assert argv[0] == VENV_BIN + "gunicorn" and argv[1:3] == ["--config", "/etc/xiangzhi/gunicorn.conf.py"]
    module, _, attr = argv[3].partition(":")
    assert module == "xiangzhi.wsgi" and attr == "application"
    assert web["Service"]["Type"] == "notify"  # gunicorn's arbiter tells systemd when it is ready
    assert _parses_as_xiangzhi_command(_exec_start(worker)) == "worker"
    assert "--no-reload" in _exec_start(worker)
    assert _parses_as_xiangzhi_command(_exec_start(periodic)) == "runperiodic"
    assert periodic["Service"]["Type"] == "oneshot" and "Install" not in periodic


def test_a_periodic_run_may_last_as_long_as_the_longest_job_lease():
    from xiangzhi.core.periodic import discover_jobs

    timeout = _unit("xiangzhi-periodic.service")["Service"]["TimeoutStartSec"]
    m = re.fullmatch(r"(\d+)(min|h)", timeout)
    assert m
    seconds = int(m.group(1)) * {"min": 60, "h": 3600}[m.group(2)]
    assert seconds >= max(job.lease.total_seconds() for job in discover_jobs())


def test_the_timer_starts_runperiodic_every_minute():
    timer = _unit("xiangzhi-periodic.timer")["Timer"]
    assert timer["Unit"] == "xiangzhi-periodic.service"
    assert timer["OnCalendar"] == "*-*-* *:*:00"
    if shutil.which("systemd-analyze"):
        shown = subprocess.run(["systemd-analyze", "calendar", "--iterations=3", timer["OnCalendar"]],
                               capture_output=True, text=True, check=True, env={"TZ": "UTC", "PATH": "/usr/bin:/bin"})
        times = [dt.datetime.fromisoformat(t) for t in
                 re.findall(r"(?:Next elapse|Iter\. #\d): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", shown.stdout)]
        assert len(times) == 3, shown.stdout
        assert all(t.second == 0 for t in times)
        assert {b - a for a, b in zip(times, times[1:], strict=False)} == {dt.timedelta(minutes=1)}


NO_SYSTEMD = "systemd-analyze is not installed (apt-get install systemd); the units were checked with configparser above"


def _rendered_units(into: Path) -> list[str]:
    """The units as installed, but starting this checkout's venv (verify checks that each ExecStart exists)."""
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "gunicorn").exists() and (bin_dir / "xiangzhi").exists()
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8").replace(VENV_BIN, f"{bin_dir}/")
        (into / unit.name).write_text(text, encoding="utf-8")
    return sorted(str(p) for p in into.iterdir())


def _verify(paths: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", "verify", "--man=no", *paths], capture_output=True, text=True,
                          check=False)


def test_systemd_analyze_verifies_the_units(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip(NO_SYSTEMD)
    result = _verify(_rendered_units(tmp_path))
    # verify returns 0 for unknown keys and bad values (it only warns): any output is a failure too.
    assert result.returncode == 0 and result.stderr.strip() == "" and result.stdout.strip() == "", result.stderr


def test_systemd_analyze_verify_would_report_a_broken_unit(tmp_path):
    """The check above can fail here: a misspelt key, a bad value and a missing program are reported."""
    if not shutil.which("systemd-analyze"):
        pytest.skip(NO_SYSTEMD)
    paths = _rendered_units(tmp_path)
    web = tmp_path / "xiangzhi-web.service"
    web.write_text(web.read_text(encoding="utf-8").replace("RestartSec=5", "RestartSecs=5\nProtectSystem=sometimes")
                   .replace(f"{Path(sys.executable).parent}/gunicorn", "/nonexistent/gunicorn"), encoding="utf-8")
    result = _verify(paths)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Unknown key 'RestartSecs'" in output and "sometimes" in output and "/nonexistent/gunicorn" in output, output


# ---------------------------------------------------------------------------------------------------------------
# nginx
# ---------------------------------------------------------------------------------------------------------------
def _size(value: str) -> int:
    m = re.fullmatch(r"(\d+)([kKmMgG]?)", value)
    assert m, value
    return int(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]


def _directive(text: str, name: str) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]+);", text, flags=re.MULTILINE)


def _location(text: str, path: str) -> str:
    m = re.search(rf"location\s+{re.escape(path)}\s*\{{(.*?)\}}", text, flags=re.DOTALL)
    assert m, path
    return m.group(1)


def test_nginx_admits_the_largest_upload_and_forwards_the_scheme():
    text = NGINX_SITE.read_text(encoding="utf-8")
    (body,) = _directive(text, "client_max_body_size")
    largest = max(MAX_FILES * s.XIANGZHI_MAX_UPLOAD_BYTES, s.XIANGZHI_OUTREACH_MAX_MEDIA_BYTES,
                  s.XIANGZHI_OUTREACH_MAX_IMAGE_BYTES, s.XIANGZHI_VILLAGES_MAX_EVIDENCE_BYTES) + s.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert largest <= _size(body) <= largest * 1.1
    proxied = _location(text, "/")
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in proxied
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in proxied
    assert "proxy_pass http://xiangzhi_web;" in proxied
    assert re.search(r"listen 443 ssl", text) and _directive(text, "ssl_certificate")
    assert "return 301 https://$host$request_uri;" in text


def test_nginx_serves_static_files_but_never_uploads():
    text = NGINX_SITE.read_text(encoding="utf-8")
    assert "alias /var/lib/xiangzhi/static/;" in _location(text, "/static/")
    assert _location(text, "/media/").strip() == "return 404;"
    # nothing else of the data dir is served: the only alias or root is the static one
    assert _directive(text, "alias") == ["/var/lib/xiangzhi/static/"] and _directive(text, "root") == []
    assert _example_lines()["STATIC_ROOT"] == ("/var/lib/xiangzhi/static", False)  # the default the alias serves


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xz.example.gov.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_nginx_accepts_the_site(tmp_path):
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if not nginx:
        pytest.skip("nginx is not installed (apt-get install nginx-light); the site was checked structurally above")
    cert, key = _self_signed(tmp_path)
    site = (NGINX_SITE.read_text(encoding="utf-8")
            .replace("/etc/xiangzhi/tls/fullchain.pem", str(cert)).replace("/etc/xiangzhi/tls/privkey.pem", str(key))
            .replace("/var/log/nginx/", f"{tmp_path}/"))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include {tmp_path}/site.conf;\n}}\n", encoding="utf-8")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "test is successful" in result.stderr, result.stderr
    # nginx 1.25.1+ prefers "http2 on;", which the nginx of Debian 12 (1.22) does not know: that one warning is fine.
    warnings = [line for line in result.stderr.splitlines()
                if "[warn]" in line and 'the "listen ... http2" directive is deprecated' not in line]
    assert warnings == [], result.stderr


# ---------------------------------------------------------------------------------------------------------------
# gunicorn
# ---------------------------------------------------------------------------------------------------------------
def _gunicorn_config(monkeypatch, **env: str) -> dict:
    for name in ("XIANGZHI_GUNICORN_BIND", "XIANGZHI_GUNICORN_WORKERS", "XIANGZHI_GUNICORN_THREADS",
                 "XIANGZHI_GUNICORN_TIMEOUT", "XIANGZHI_GUNICORN_FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_takes_its_address_and_processes_from_the_environment(monkeypatch):
    default = _gunicorn_config(monkeypatch)
    assert default["bind"] == ["127.0.0.1:8001"] and 2 <= default["workers"] <= 4
    assert default["wsgi_app"] == "xiangzhi.wsgi:application" and default["worker_class"] == "gthread"
    assert [default["default_workers"](n) for n in (None, 1, 2, 3, 8, 64)] == [2, 2, 2, 3, 4, 4]
    set_ = _gunicorn_config(monkeypatch, XIANGZHI_GUNICORN_BIND="0.0.0.0:9000, unix:/run/xiangzhi.sock",
                            XIANGZHI_GUNICORN_WORKERS="7", XIANGZHI_GUNICORN_THREADS="2")
    assert set_["bind"] == ["0.0.0.0:9000", "unix:/run/xiangzhi.sock"]
    assert (set_["workers"], set_["threads"]) == (7, 2)
    with pytest.raises(SystemExit, match="not an integer"):
        _gunicorn_config(monkeypatch, XIANGZHI_GUNICORN_WORKERS="four")
    with pytest.raises(SystemExit, match="below the minimum"):
        _gunicorn_config(monkeypatch, XIANGZHI_GUNICORN_WORKERS="0")


def test_gunicorn_loads_the_file_and_the_application(tmp_path):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    env = clean_env(tmp_path / "data", XIANGZHI_GUNICORN_WORKERS="3", PYTHONPATH=str(ROOT / "src"))
    result = subprocess.run([str(gunicorn), "--check-config", "--print-config", "--config", str(GUNICORN_CONF),
                             "xiangzhi.wsgi:application"], env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^workers\s*=\s*3$", result.stdout, flags=re.MULTILINE)
    assert re.search(r"^bind\s*=\s*\['127\.0\.0\.1:8001'\]$", result.stdout, flags=re.MULTILINE)


def test_the_admin_wrapper_runs_xiangzhi_with_the_service_environment():
    script = (DEPLOY / "xiangzhi-admin").read_text(encoding="utf-8")
    assert subprocess.run(["sh", "-n", str(DEPLOY / "xiangzhi-admin")], check=False).returncode == 0
    assert "/etc/xiangzhi/xiangzhi.env" in script and "--uid=xiangzhi" in script
    assert '"$VENV/bin/xiangzhi" "$@"' in script


SHOW_SETTINGS = """
import django, json, sys
from pathlib import Path
django.setup()
from django.conf import settings
out = {}
for name in json.loads(sys.argv[1]):
    if not hasattr(settings, name):
        continue
    value = getattr(settings, name)
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        value = ",".join(value)
    out[name] = str(value)
print(json.dumps(out))
"""


def test_the_defaults_the_template_shows_are_the_settings_defaults(tmp_path):
    """A commented line shows the default: under the template's production environment each such setting has that
    value (so the template cannot drift from settings.py)."""
    env = _production_env(tmp_path)
    shown = {name: value.replace("/var/lib/xiangzhi", str(tmp_path / "data"))
             for name, (value, active) in _example_lines().items() if not active}
    result = subprocess.run([sys.executable, "-c", SHOW_SETTINGS, json.dumps(sorted(shown))],
                            env={**env, "DJANGO_SETTINGS_MODULE": "xiangzhi.settings"}, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    actual = json.loads(result.stdout)
    assert len(actual) > 60  # most commented lines are Django settings of the same name
    assert {name: value for name, value in shown.items() if name in actual and actual[name] != value} == {}
    # the gunicorn lines show gunicorn.conf.py's defaults
    gunicorn = runpy.run_path(str(GUNICORN_CONF))
    assert shown["XIANGZHI_GUNICORN_BIND"] == ",".join(gunicorn["bind"])
    assert shown["XIANGZHI_GUNICORN_THREADS"] == str(gunicorn["threads"])
    assert shown["XIANGZHI_GUNICORN_TIMEOUT"] == str(gunicorn["timeout"])
    assert shown["XIANGZHI_GUNICORN_FORWARDED_ALLOW_IPS"] == gunicorn["forwarded_allow_ips"]
