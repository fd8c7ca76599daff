"""乡治 settings: one module, every value from an environment variable.

Each helper fails loudly on a malformed value and accepts ``NAME_FILE`` (a path whose contents are the value) for
secrets, the way container secrets and systemd credentials are delivered. Development needs nothing set: SQLite in
WAL mode under the data dir, and secrets generated on first run and kept there. Production
(``XIANGZHI_ENV=production``) refuses to start without a real secret key and real encryption/signing keys.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class SettingError(ImproperlyConfigured):
    pass


def _raw(name: str) -> str | None:
    """The value of NAME, or the contents of the file NAME_FILE points at."""
    value = os.environ.get(name)
    file_path = os.environ.get(f"{name}_FILE")
    if value is not None and file_path:
        raise SettingError(f"Set {name} or {name}_FILE, not both.")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingError(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    return value


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = _raw(name)
    if value is None or value == "":
        if required:
            raise SettingError(f"The environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name}={value!r} is not a boolean (use true/false).")


def _env_number(name: str, default, parse, kind: str, minimum):  # noqa: ANN001, ANN202
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = parse(value)
    except ValueError as exc:
        raise SettingError(f"{name}={value!r} is not {kind}.") from exc
    if minimum is not None and number < minimum:
        raise SettingError(f"{name}={number} is below the minimum {minimum}.")
    return number


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    return _env_number(name, default, int, "an integer", minimum)


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    return _env_number(name, default, float, "a number", minimum)


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default)
    assert value is not None
    if value not in choices:
        raise SettingError(f"{name}={value!r} must be one of {sorted(choices)}.")
    return value


def _project_root() -> Path:
    here = Path(__file__).resolve()
    candidate = here.parents[2]
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd()


# --------------------------------------------------------------------------------------------------------------
# Environment and paths
# --------------------------------------------------------------------------------------------------------------
XIANGZHI_ENV = env_choice(
    "XIANGZHI_ENV", "test" if "pytest" in sys.modules else "development", {"development", "production", "test"}
)
PRODUCTION = XIANGZHI_ENV == "production"
BASE_DIR = _project_root()
PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("XIANGZHI_DATA_DIR", str(BASE_DIR / "data"))).resolve()
KEY_DIR = DATA_DIR / "keys"
# The shared reference data (law corpus, STARD questions, Merkle vectors); optional, beside the checkout by default.
SHARED_DIR = Path(env_str("XIANGZHI_SHARED_DIR", str(BASE_DIR.parent / "shared"))).resolve()


def _dev_secret(filename: str, make: callable) -> str:  # type: ignore[valid-type]
    """A secret generated on first run and kept under the data dir (development and test only)."""
    KEY_DIR.mkdir(parents=True, exist_ok=True)
    path = KEY_DIR / filename
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(make(), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text(encoding="utf-8").strip()


def _secret(name: str, filename: str, make: callable) -> str:  # type: ignore[valid-type]
    value = env_str(name)
    if value:
        return value
    if PRODUCTION:
        raise SettingError(
            f"{name} (or {name}_FILE) must be set when XIANGZHI_ENV=production; "
            f"generate one with `xiangzhi genkeys`."
        )
    return _dev_secret(filename, make)


def _new_aes_keyring() -> str:
    return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()


def _new_b64(n: int = 32) -> str:
    return base64.b64encode(secrets.token_bytes(n)).decode()


SECRET_KEY = _secret("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise SettingError("SECRET_KEY is too short or insecure for production (50+ random characters).")

# Personal-data encryption: "kid:base64(32 bytes)[,kid:base64...]" — the first key encrypts, all keys decrypt.
XIANGZHI_ENCRYPTION_KEYS = _secret("XIANGZHI_ENCRYPTION_KEYS", "encryption_keys", _new_aes_keyring)
# Blind index (HMAC-SHA256) key for exact lookup of encrypted values.
XIANGZHI_BLIND_INDEX_KEY = _secret("XIANGZHI_BLIND_INDEX_KEY", "blind_index_key", _new_b64)
# Ed25519 private key seed (base64 of 32 bytes) that signs ledger checkpoints and certificates.
XIANGZHI_SIGNING_KEY = _secret("XIANGZHI_SIGNING_KEY", "signing_key", _new_b64)
XIANGZHI_SIGNING_KEY_NAME = env_str("XIANGZHI_SIGNING_KEY_NAME", "tongxiang.xiangzhi")
XIANGZHI_LEDGER_CHECKPOINT_SECONDS = env_int("XIANGZHI_LEDGER_CHECKPOINT_SECONDS", 60, minimum=1)
# The log's origin line; empty = "<XIANGZHI_SIGNING_KEY_NAME>/ledger".
XIANGZHI_LEDGER_ORIGIN = env_str("XIANGZHI_LEDGER_ORIGIN", "")
# The passphrase that encrypts the keys in a backup (`xiangzhi backup` / `restore`); empty = asked on the terminal.
XIANGZHI_BACKUP_PASSPHRASE = env_str("XIANGZHI_BACKUP_PASSPHRASE", "")
# How long a shareable proof-bundle link (下载存证证明 on a case's status page) is honoured after it was issued.
XIANGZHI_BUNDLE_LINK_HOURS = env_int("XIANGZHI_BUNDLE_LINK_HOURS", 24, minimum=1)

DEBUG = env_bool("DEBUG", XIANGZHI_ENV == "development")
if PRODUCTION and DEBUG:
    raise SettingError("DEBUG must be off when XIANGZHI_ENV=production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise SettingError("ALLOWED_HOSTS must be set when XIANGZHI_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

XIANGZHI_PUBLIC_URL = (env_str("XIANGZHI_PUBLIC_URL", "http://127.0.0.1:8000") or "").rstrip("/")
XIANGZHI_COUNTY_CODE = env_str("XIANGZHI_COUNTY_CODE", "330483")

# --------------------------------------------------------------------------------------------------------------
# Applications
# --------------------------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "xiangzhi.core.apps.XiangzhiAdminConfig",  # django.contrib.admin behind the platform sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "xiangzhi.core",
    "xiangzhi.web",
    "xiangzhi.ledger",
    "xiangzhi.timebank",
    "xiangzhi.disputes",
    "xiangzhi.insights",
    "xiangzhi.consultation",
    "xiangzhi.outreach",
    "xiangzhi.network",
    "xiangzhi.recognitions",
    "xiangzhi.legality",
    "xiangzhi.villages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "xiangzhi.core.api_errors.ApiErrorMiddleware",  # the {code, message, detail} envelope for all of /api/
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "xiangzhi.core.middleware.CleanInputMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "xiangzhi.core.middleware.IdleTimeoutMiddleware",
    "xiangzhi.core.middleware.SecondFactorMiddleware",
    "xiangzhi.core.middleware.PublicRateLimitMiddleware",
    "xiangzhi.core.middleware.AccessRuleMiddleware",
    "xiangzhi.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "xiangzhi.urls"
WSGI_APPLICATION = "xiangzhi.wsgi.application"
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["xiangzhi.core.security.LockoutBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:workbench"
LOGOUT_REDIRECT_URL = "web:home"
# Where a session that still needs a second factor is sent (see xiangzhi.core.middleware.SecondFactorMiddleware).
XIANGZHI_TOTP_SETUP_URL = "web:totp_setup"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xiangzhi.web.context.site",
            ],
        },
    },
]

# --------------------------------------------------------------------------------------------------------------
# Database: SQLite (WAL) under the data dir by default; PostgreSQL through DATABASE_URL.
# --------------------------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    import dj_database_url

    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    except (ValueError, dj_database_url.UnknownSchemeError) as exc:  # type: ignore[attr-defined]
        raise SettingError(f"DATABASE_URL is not a valid database URL: {exc}") from exc
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].setdefault("TEST", {})["NAME"] = env_str("TEST_DATABASE_NAME")
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "xiangzhi.sqlite3"),
            "OPTIONS": {
                # WAL lets readers work while one writer writes; IMMEDIATE makes a writing transaction take the
                # write lock at BEGIN so that concurrent writers queue instead of failing half-way.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": env_str("TEST_SQLITE_NAME")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --------------------------------------------------------------------------------------------------------------
# Background work (Django tasks API through django-tasks with the database backend)
# --------------------------------------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env_str("XIANGZHI_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "notifications", "ledger", "reports"],
    }
}

# --------------------------------------------------------------------------------------------------------------
# Security
# --------------------------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "xiangzhi.core.security.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
# Database triggers that refuse UPDATE/DELETE on audit tables (off only for the test suite, which flushes tables).
XIANGZHI_DB_APPEND_ONLY_TRIGGERS = env_bool("XIANGZHI_DB_APPEND_ONLY_TRIGGERS", XIANGZHI_ENV != "test")
XIANGZHI_LOCKOUT_ATTEMPTS = env_int("XIANGZHI_LOCKOUT_ATTEMPTS", 5, minimum=1)
XIANGZHI_LOCKOUT_MINUTES = env_int("XIANGZHI_LOCKOUT_MINUTES", 30, minimum=1)
XIANGZHI_IDLE_TIMEOUT_SECONDS = env_int("XIANGZHI_IDLE_TIMEOUT_SECONDS", 30 * 60, minimum=60)
XIANGZHI_REQUIRE_ADMIN_TOTP = env_bool("XIANGZHI_REQUIRE_ADMIN_TOTP", PRODUCTION)
XIANGZHI_OTP_TTL_SECONDS = env_int("XIANGZHI_OTP_TTL_SECONDS", 300, minimum=60)
XIANGZHI_RATE_LIMIT_OTP_PER_HOUR = env_int("XIANGZHI_RATE_LIMIT_OTP_PER_HOUR", 5, minimum=1)
XIANGZHI_RATE_LIMIT_PUBLIC_PER_MINUTE = env_int("XIANGZHI_RATE_LIMIT_PUBLIC_PER_MINUTE", 60, minimum=1)
# A villager's online applications (page and API) per client address and hour, and case look-ups by number per client
# address and minute (the number is short: the limit keeps it from being guessed).
XIANGZHI_RATE_LIMIT_APPLY_PER_HOUR = env_int("XIANGZHI_RATE_LIMIT_APPLY_PER_HOUR", 20, minimum=1)
XIANGZHI_RATE_LIMIT_LOOKUP_PER_MINUTE = env_int("XIANGZHI_RATE_LIMIT_LOOKUP_PER_MINUTE", 30, minimum=1)
# 以案释法 Top 10 votes per verified phone and hour (over it: refused and logged).
XIANGZHI_RATE_LIMIT_VOTES_PER_HOUR = env_int("XIANGZHI_RATE_LIMIT_VOTES_PER_HOUR", 30, minimum=1)
# A machine client with a valid API token has its own budget (every request), not the anonymous per-address one.
XIANGZHI_RATE_LIMIT_TOKEN_PER_MINUTE = env_int("XIANGZHI_RATE_LIMIT_TOKEN_PER_MINUTE", 600, minimum=1)
# 智能咨询 questions per client address (beside the per-visitor limit, which a client escapes with a new visitor id);
# a village terminal or a shared mobile network puts several villagers behind one address.
XIANGZHI_RATE_LIMIT_CONSULT_PER_ADDRESS_PER_MINUTE = env_int("XIANGZHI_RATE_LIMIT_CONSULT_PER_ADDRESS_PER_MINUTE", 40,
                                                             minimum=1)
# How long a creating POST's Idempotency-Key replays its first response (expired keys are removed by runperiodic).
XIANGZHI_IDEMPOTENCY_KEY_HOURS = env_int("XIANGZHI_IDEMPOTENCY_KEY_HOURS", 24, minimum=1)
XIANGZHI_MAX_UPLOAD_BYTES = env_int("XIANGZHI_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1024)
# 智能咨询 visit records: events older than this many days are deleted and old conversations lose their visitor id
# and citizen link (daily, by runperiodic); 0 keeps everything. At most 100 years, so the cut-off date exists.
XIANGZHI_CONSULT_RETENTION_DAYS = env_int("XIANGZHI_CONSULT_RETENTION_DAYS", 730, minimum=0)
if XIANGZHI_CONSULT_RETENTION_DAYS > 36500:
    raise SettingError(f"XIANGZHI_CONSULT_RETENTION_DAYS={XIANGZHI_CONSULT_RETENTION_DAYS} is above the maximum 36500 "
                       "(use 0 to keep consultation records forever).")

# A question handed to a person and still unclaimed after REMIND hours is brought to the legal workers of its place;
# after ESCALATE hours to the county centre and bureau too (and a claimed one still unanswered reminds its claimer).
XIANGZHI_HANDOFF_REMIND_HOURS = env_int("XIANGZHI_HANDOFF_REMIND_HOURS", 2, minimum=1)
XIANGZHI_HANDOFF_ESCALATE_HOURS = env_int("XIANGZHI_HANDOFF_ESCALATE_HOURS", 24, minimum=1)
# A consultation terminal (/consult/?kiosk=1) ends the conversation on the screen after this long without a touch.
XIANGZHI_KIOSK_IDLE_SECONDS = env_int("XIANGZHI_KIOSK_IDLE_SECONDS", 180, minimum=1)

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
CSRF_FAILURE_VIEW = "xiangzhi.core.api_errors.csrf_failure"  # the error envelope under /api/, Django's page elsewhere
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
XIANGZHI_BEHIND_PROXY = env_bool("XIANGZHI_BEHIND_PROXY", False)
if XIANGZHI_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# How many reverse proxies in front of the application append to X-Forwarded-For: the client address is the N-th
# address from the right of that header (0: the header is ignored and the peer address is the client).
XIANGZHI_TRUSTED_PROXY_COUNT = env_int("XIANGZHI_TRUSTED_PROXY_COUNT", 1 if XIANGZHI_BEHIND_PROXY else 0, minimum=0)
# HSTS preload is a decision for whoever owns the parent domain (often a government intranet name that cannot be
# preloaded), so its warning is silenced unless preload is switched on.
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS", [] if SECURE_HSTS_PRELOAD else ["security.W021"])

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Stored uploads (evidence, ID photos, department replies) are readable by the service's user and group only.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --------------------------------------------------------------------------------------------------------------
# Integrations: pluggable backends with console/file implementations
# --------------------------------------------------------------------------------------------------------------
XIANGZHI_SMS_BACKEND = env_str(
    "XIANGZHI_SMS_BACKEND",
    "xiangzhi.core.sms.LocmemBackend" if XIANGZHI_ENV == "test" else "xiangzhi.core.sms.ConsoleBackend",
)
XIANGZHI_SMS_FILE_DIR = env_str("XIANGZHI_SMS_FILE_DIR", str(DATA_DIR / "sms"))
XIANGZHI_NOTIFY_MAX_ATTEMPTS = env_int("XIANGZHI_NOTIFY_MAX_ATTEMPTS", 6, minimum=1)

# --------------------------------------------------------------------------------------------------------------
# 桐解码 time limits (disputes.colours: each stage's deadline and the five colours; disputes.services.deadlines: reminders)
# --------------------------------------------------------------------------------------------------------------
# acceptance / assignment after a report, reopening or escalation
XIANGZHI_DEADLINE_ACCEPT_WORKDAYS = env_int("XIANGZHI_DEADLINE_ACCEPT_WORKDAYS", 3, minimum=1)
# the mediator confirms an assignment (Case.confirm_due)
XIANGZHI_DEADLINE_CONFIRM_WORKDAYS = env_int("XIANGZHI_DEADLINE_CONFIRM_WORKDAYS", 3, minimum=1)
# notice of rights and duties served → mediation starts
XIANGZHI_DEADLINE_NOTICE_WORKDAYS = env_int("XIANGZHI_DEADLINE_NOTICE_WORKDAYS", 5, minimum=1)
# mediation (人民调解工作若干规定 第33条), extendable once with both parties' consent
XIANGZHI_DEADLINE_MEDIATION_MONTHS = env_int("XIANGZHI_DEADLINE_MEDIATION_MONTHS", 1, minimum=1)
XIANGZHI_DEADLINE_EXTENSION_MONTHS = env_int("XIANGZHI_DEADLINE_EXTENSION_MONTHS", 1, minimum=1)
# signatures and seal on a written agreement
XIANGZHI_DEADLINE_SIGNING_WORKDAYS = env_int("XIANGZHI_DEADLINE_SIGNING_WORKDAYS", 5, minimum=1)
# judicial confirmation: applied for within N days of the agreement taking effect (民事诉讼法 第205条); warned M days before
XIANGZHI_DEADLINE_JUDICIAL_DAYS = env_int("XIANGZHI_DEADLINE_JUDICIAL_DAYS", 30, minimum=1)
XIANGZHI_DEADLINE_JUDICIAL_WARN_DAYS = env_int("XIANGZHI_DEADLINE_JUDICIAL_WARN_DAYS", 5, minimum=1)
# the retention period (保管期限) printed on a filed case file's cover: not fixed by law, set by the committees by dispute
# type and agreement (domain.md 2.5); 永久, 长期 or 短期
XIANGZHI_CASEFILE_RETENTION = env_choice("XIANGZHI_CASEFILE_RETENTION", "长期", {"永久", "长期", "短期"})
# a grid-level case is offered escalation to the village after N days, a village-level one to the town after M
XIANGZHI_DEADLINE_ESCALATE_GRID_DAYS = env_int("XIANGZHI_DEADLINE_ESCALATE_GRID_DAYS", 3, minimum=1)
XIANGZHI_DEADLINE_ESCALATE_VILLAGE_DAYS = env_int("XIANGZHI_DEADLINE_ESCALATE_VILLAGE_DAYS", 7, minimum=1)
# a deadline this close turns the case orange (即将到期); the handler is reminded this many hours before it
XIANGZHI_DEADLINE_DUE_SOON_DAYS = env_int("XIANGZHI_DEADLINE_DUE_SOON_DAYS", 3, minimum=0)
XIANGZHI_DEADLINE_REMIND_BEFORE_HOURS = env_int("XIANGZHI_DEADLINE_REMIND_BEFORE_HOURS", 24, minimum=1)

# 研判 early warnings (insights.services)
XIANGZHI_INSIGHTS_REPEAT_DAYS = env_int("XIANGZHI_INSIGHTS_REPEAT_DAYS", 90, minimum=1)
XIANGZHI_INSIGHTS_REPEAT_MIN = env_int("XIANGZHI_INSIGHTS_REPEAT_MIN", 3, minimum=2)
XIANGZHI_INSIGHTS_BURST_MIN_RATE = env_float("XIANGZHI_INSIGHTS_BURST_MIN_RATE", 0.5, minimum=0.0)
XIANGZHI_INSIGHTS_BURST_WINDOW_DAYS = env_int("XIANGZHI_INSIGHTS_BURST_WINDOW_DAYS", 7, minimum=1)
XIANGZHI_INSIGHTS_BURST_BASELINE_WINDOWS = env_int("XIANGZHI_INSIGHTS_BURST_BASELINE_WINDOWS", 12, minimum=1)
XIANGZHI_INSIGHTS_BURST_Z_OPEN = env_float("XIANGZHI_INSIGHTS_BURST_Z_OPEN", 3.0, minimum=0.0)
XIANGZHI_INSIGHTS_BURST_Z_CLEAR = env_float("XIANGZHI_INSIGHTS_BURST_Z_CLEAR", 1.5, minimum=0.0)
XIANGZHI_INSIGHTS_BURST_MIN = env_int("XIANGZHI_INSIGHTS_BURST_MIN", 3, minimum=1)
XIANGZHI_INSIGHTS_BURST_PENDING_HOURS = env_int("XIANGZHI_INSIGHTS_BURST_PENDING_HOURS", 12, minimum=0)
XIANGZHI_INSIGHTS_ORG_OVERDUE_MIN = env_int("XIANGZHI_INSIGHTS_ORG_OVERDUE_MIN", 5, minimum=1)
XIANGZHI_INSIGHTS_MEDIATOR_FACTOR = env_float("XIANGZHI_INSIGHTS_MEDIATOR_FACTOR", 3.0, minimum=1.0)
XIANGZHI_INSIGHTS_MEDIATOR_MIN = env_int("XIANGZHI_INSIGHTS_MEDIATOR_MIN", 8, minimum=1)

# The consultation engine's cache (built indexes); empty = DATA_DIR/consult-cache.
CONSULT_CACHE_DIR = env_str("CONSULT_CACHE_DIR", "")
# A serving process looks at most this often (a one-row query) whether another process published a new index, and
# loads it from the cache directory (shared storage when web processes run on several machines) without a restart.
XIANGZHI_CONSULT_INDEX_CHECK_SECONDS = env_float("XIANGZHI_CONSULT_INDEX_CHECK_SECONDS", 5.0, minimum=0.0)
# Processes that tokenise the corpus while an index is built (0: one per core, at most 4; 1: no worker processes).
XIANGZHI_INDEX_WORKERS = env_int("XIANGZHI_INDEX_WORKERS", 0, minimum=0)

if XIANGZHI_ENV == "test":
    # Fast hashing keeps the suite quick; production and development use Django's PBKDF2 default.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --------------------------------------------------------------------------------------------------------------
# Language, time
# --------------------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --------------------------------------------------------------------------------------------------------------
# Static and media files (front-end assets come from npm, copied under the data-independent vendor dir)
# --------------------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = Path(env_str("XIANGZHI_NODE_MODULES", str(BASE_DIR / "node_modules")))
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / path)
    for name, path in {
        "htmx": "htmx.org/dist",
        "echarts": "echarts/dist",
        "swagger-ui": "swagger-ui-dist",
    }.items()
    if (NODE_MODULES / path).is_dir()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"

# The media stores (精准普法 answers and library files, 民主法治村 evidence): "local" = a directory under the data dir
# each; "s3" = one private bucket of an S3-compatible object store (MinIO, Ceph RGW, a cloud's OSS/COS/OBS), each
# store under its own prefix (outreach/, villages/). Objects are written without a public ACL and never linked to:
# files reach users only through the app's views, after its access checks. A store may instead name any Django
# storage class (XIANGZHI_OUTREACH_STORAGE_BACKEND / XIANGZHI_VILLAGES_STORAGE_BACKEND), which wins.
FILESYSTEM_STORAGE = "django.core.files.storage.FileSystemStorage"
S3_STORAGE = "storages.backends.s3.S3Storage"
XIANGZHI_MEDIA_STORAGE = env_str("XIANGZHI_MEDIA_STORAGE", "local").strip().lower()
if XIANGZHI_MEDIA_STORAGE not in {"local", "s3"}:
    raise SettingError(f"XIANGZHI_MEDIA_STORAGE={XIANGZHI_MEDIA_STORAGE!r} is neither 'local' nor 's3' "
                       "(媒体文件存储只能是 local 或 s3).")
XIANGZHI_S3_ENDPOINT_URL = env_str("XIANGZHI_S3_ENDPOINT_URL", "")
XIANGZHI_S3_BUCKET = env_str("XIANGZHI_S3_BUCKET", "")
XIANGZHI_S3_ACCESS_KEY = env_str("XIANGZHI_S3_ACCESS_KEY", "")
XIANGZHI_S3_SECRET_KEY = env_str("XIANGZHI_S3_SECRET_KEY", "")
XIANGZHI_S3_REGION = env_str("XIANGZHI_S3_REGION", "us-east-1")
# "path" (https://host/bucket/key: MinIO, Ceph) or "virtual" (https://bucket.host/key: Aliyun OSS and most clouds).
XIANGZHI_S3_ADDRESSING_STYLE = env_str("XIANGZHI_S3_ADDRESSING_STYLE", "path")
if XIANGZHI_S3_ADDRESSING_STYLE not in {"path", "virtual"}:
    raise SettingError(f"XIANGZHI_S3_ADDRESSING_STYLE={XIANGZHI_S3_ADDRESSING_STYLE!r} is neither 'path' nor 'virtual'.")
DEFAULT_MEDIA_BACKEND = S3_STORAGE if XIANGZHI_MEDIA_STORAGE == "s3" else FILESYSTEM_STORAGE


def s3_options(prefix: str) -> dict[str, object]:
    """OPTIONS of django-storages' S3Storage for one store: private objects under ``prefix`` in the bucket, never
    overwritten (names are random), read back only through the app (no signed or public URLs handed out)."""
    return {
        "bucket_name": XIANGZHI_S3_BUCKET,
        "endpoint_url": XIANGZHI_S3_ENDPOINT_URL or None,
        "access_key": XIANGZHI_S3_ACCESS_KEY,
        "secret_key": XIANGZHI_S3_SECRET_KEY,
        "region_name": XIANGZHI_S3_REGION,
        "addressing_style": XIANGZHI_S3_ADDRESSING_STYLE,
        "signature_version": "s3v4",
        "location": prefix,
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
        # a file read back (to play it) is held in memory up to this size, then in a temporary file, not in the heap
        "max_memory_size": 2 * 1024 * 1024,
    }


def media_store(backend: str, directory: Path, prefix: str) -> dict[str, object]:
    """A STORAGES entry: the directory for the file-system storage, the bucket prefix for S3, no options otherwise."""
    if backend.endswith("FileSystemStorage"):
        return {"BACKEND": backend, "OPTIONS": {"location": str(directory)}}
    if backend == S3_STORAGE:
        missing = [name for name, value in (("XIANGZHI_S3_BUCKET", XIANGZHI_S3_BUCKET),
                                            ("XIANGZHI_S3_ACCESS_KEY", XIANGZHI_S3_ACCESS_KEY),
                                            ("XIANGZHI_S3_SECRET_KEY", XIANGZHI_S3_SECRET_KEY)) if not value]
        if missing:
            raise SettingError(f"Media files are stored in S3 but {', '.join(missing)} is not set "
                               f"(媒体文件使用对象存储，但未设置 {'、'.join(missing)}).")
        return {"BACKEND": backend, "OPTIONS": s3_options(prefix)}
    return {"BACKEND": backend, "OPTIONS": {}}


# 精准普法 answers (audio/video) and library files: where they are stored, and the limits of one file.
XIANGZHI_OUTREACH_STORAGE_BACKEND = env_str("XIANGZHI_OUTREACH_STORAGE_BACKEND", DEFAULT_MEDIA_BACKEND)
XIANGZHI_OUTREACH_MEDIA_DIR = Path(env_str("XIANGZHI_OUTREACH_MEDIA_DIR", str(DATA_DIR / "outreach-media")))
STORAGES["outreach"] = media_store(XIANGZHI_OUTREACH_STORAGE_BACKEND, XIANGZHI_OUTREACH_MEDIA_DIR, "outreach")
XIANGZHI_OUTREACH_MAX_MEDIA_BYTES = env_int("XIANGZHI_OUTREACH_MAX_MEDIA_BYTES", 30 * 1024 * 1024, minimum=1024)
XIANGZHI_OUTREACH_MAX_MEDIA_SECONDS = env_int("XIANGZHI_OUTREACH_MAX_MEDIA_SECONDS", 300, minimum=1)
# One picture of a 普法资源库 comic.
XIANGZHI_OUTREACH_MAX_IMAGE_BYTES = env_int("XIANGZHI_OUTREACH_MAX_IMAGE_BYTES", 5 * 1024 * 1024, minimum=1024)
# How many sample questions (masked) a 求助 shows.
XIANGZHI_OUTREACH_SAMPLES = env_int("XIANGZHI_OUTREACH_SAMPLES", 5, minimum=1)

# 法律明白人 / 法治带头人 / 学法用法示范户: the Ed25519 key that signs certificates and the revocation list (generated on
# first use, mode 0600, never committed), the public-notice (公示) days, the default yearly quota per village and
# title, the coverage target per village, how long a certificate is valid, the e法贷 consent code's lifetime, and the
# font (a TrueType/OpenType file with Chinese glyphs) of the certificate images.
XIANGZHI_RECOGNITIONS_KEY_FILE = Path(env_str("XIANGZHI_RECOGNITIONS_KEY_FILE", str(KEY_DIR / "recognitions_ed25519")))
XIANGZHI_RECOGNITIONS_NOTICE_DAYS = env_int("XIANGZHI_RECOGNITIONS_NOTICE_DAYS", 7, minimum=1)
XIANGZHI_RECOGNITIONS_DEFAULT_QUOTA = env_int("XIANGZHI_RECOGNITIONS_DEFAULT_QUOTA", 5, minimum=1)
XIANGZHI_RECOGNITIONS_COVERAGE_TARGET = env_int("XIANGZHI_RECOGNITIONS_COVERAGE_TARGET", 3, minimum=1)
XIANGZHI_RECOGNITIONS_VALID_YEARS = env_int("XIANGZHI_RECOGNITIONS_VALID_YEARS", 3, minimum=1)
XIANGZHI_RECOGNITIONS_CONSENT_MINUTES = env_int("XIANGZHI_RECOGNITIONS_CONSENT_MINUTES", 10, minimum=1)
XIANGZHI_RECOGNITIONS_FONT = env_str("XIANGZHI_RECOGNITIONS_FONT", "")
# 合法性审查: the default review period in working days of a version once its reviewer is assigned (the national
# floor for 重大行政决策 is "一般不少于7个工作日"; the justice office may set another per submission).
XIANGZHI_LEGALITY_REVIEW_WORKDAYS = env_int("XIANGZHI_LEGALITY_REVIEW_WORKDAYS", 7, minimum=1)
# 民主法治村 creation: where the evidence files of the cultivation tasks are stored (a Django storage backend; a
# directory under the data dir by default) and the limit of one file.
XIANGZHI_VILLAGES_STORAGE_BACKEND = env_str("XIANGZHI_VILLAGES_STORAGE_BACKEND", DEFAULT_MEDIA_BACKEND)
XIANGZHI_VILLAGES_EVIDENCE_DIR = Path(env_str("XIANGZHI_VILLAGES_EVIDENCE_DIR", str(DATA_DIR / "villages-evidence")))
STORAGES["villages"] = media_store(XIANGZHI_VILLAGES_STORAGE_BACKEND, XIANGZHI_VILLAGES_EVIDENCE_DIR, "villages")
# Titles are reviewed (复核) every this many years after naming or the last review (national titles: every two).
XIANGZHI_VILLAGES_REVIEW_YEARS = env_int("XIANGZHI_VILLAGES_REVIEW_YEARS", 2, minimum=1)
XIANGZHI_VILLAGES_MAX_EVIDENCE_BYTES = env_int("XIANGZHI_VILLAGES_MAX_EVIDENCE_BYTES", 10 * 1024 * 1024, minimum=1024)
# 时间银行: the lowest balance (minutes) a volunteer's account may reach; 0 = no overdraft.
XIANGZHI_TIMEBANK_MIN_BALANCE = env_int("XIANGZHI_TIMEBANK_MIN_BALANCE", 0)
# Minutes proposed for the mediator when a case closes after an agreement (0 = propose nothing).
XIANGZHI_TIMEBANK_MEDIATION_MINUTES = env_int("XIANGZHI_TIMEBANK_MEDIATION_MINUTES", 120, minimum=0)
# Minutes proposed for the lawyer whose answer to a 普法求助 (a claimed hot-topic alert) is published (0 = none).
XIANGZHI_TIMEBANK_ALERT_MINUTES = env_int("XIANGZHI_TIMEBANK_ALERT_MINUTES", 60, minimum=0)

# --------------------------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50

# --------------------------------------------------------------------------------------------------------------
# Logging: the application logs to stderr; personal data never goes to a log unmasked.
# --------------------------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
    },
}
