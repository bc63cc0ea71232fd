"""Settings shared by every environment. Values come from environment variables with safe local defaults."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from connecting_people.accounts.client_address import parse_networks

PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent
# The checkout (or the working directory when installed elsewhere) holds var/ for the SQLite database.
_CHECKOUT = PACKAGE_DIR.parent.parent


def _project_dir() -> Path:
    """Where var/ (the default SQLite database) and staticfiles/ live: CONNECTING_PEOPLE_HOME, else the checkout
    this package runs from, else the working directory (an installed package has no checkout)."""
    if os.environ.get("CONNECTING_PEOPLE_HOME"):
        return Path(os.environ["CONNECTING_PEOPLE_HOME"]).resolve()
    if (_CHECKOUT / "pyproject.toml").exists():
        return _CHECKOUT.resolve()
    return Path.cwd().resolve()


PROJECT_DIR = _project_dir()
VAR_DIR = PROJECT_DIR / "var"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "csp",
    "connecting_people.core",
    "connecting_people.accounts",
    "connecting_people.audit",
    "connecting_people.people",
    "connecting_people.measures",
    "connecting_people.connections",
    "connecting_people.community",
    "connecting_people.plans",
    "connecting_people.implementation",
    "connecting_people.study",
    "connecting_people.privacy",
    "connecting_people.web",
    "connecting_people.api",
    "ninja",  # its own copy of the interactive docs' scripts, served from our static files (no CDN)
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files carry the header too.
    "connecting_people.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "connecting_people.core.middleware.RequestIdMiddleware",
    # Writes a request's view events only when its response succeeds (no "viewed" for a 404).
    "connecting_people.audit.middleware.AuditViewsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the session time limits: signing someone out leaves them a message saying why.
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # request.actor, from the signed-in user (after OTP, so a verified device is known).
    "connecting_people.accounts.middleware.ActorMiddleware",
    "connecting_people.core.middleware.SessionTimeoutMiddleware",
    "connecting_people.core.middleware.NoStoreForSignedInMiddleware",
    "connecting_people.accounts.middleware.RequireMfaMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A service's NotFoundError is the 404 page (services never raise Http404).
    "connecting_people.core.middleware.DomainNotFoundMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "connecting_people.config.urls"
WSGI_APPLICATION = "connecting_people.config.wsgi.application"

TEMPLATES = [
    {
        # Our pages: Jinja2 with the NHS.UK frontend macros.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "connecting_people.config.jinja2.environment",
            "context_processors": ["connecting_people.web.context.page_context"],
        },
    },
    {
        # Django's own admin (administrators only) keeps its Django templates.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'connecting-people.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two writers never interleave the audit chain.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# No ATOMIC_REQUESTS: each service runs its own short transaction, so a page's reads and rendering never hold
# the SQLite write lock or the audit chain's lock. A crash inside a service still rolls its writes back whole.

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Passwords: 12 characters at least, and nothing easy to guess (docs/security.md). All checked offline.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "connecting_people.accounts.password_validation.RepetitionValidator"},
    {"NAME": "connecting_people.accounts.password_validation.VarietyValidator"},
    {"NAME": "connecting_people.accounts.password_validation.SequenceValidator"},
    {"NAME": "connecting_people.accounts.password_validation.ServiceNameValidator"},
    {"NAME": "connecting_people.accounts.password_validation.CommonVariantValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = PROJECT_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Sessions: 15 minutes idle, 12 hours absolute (enforced by SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = timedelta(minutes=15)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A refused form gets an NHS.UK page in plain words (core/views.py), not Django's page naming the failed check.
CSRF_FAILURE_VIEW = "connecting_people.core.views.csrf_failure"

# --- Sign-in: client addresses, throttling, passwords (see docs/security.md) ---------------------------------
# Forwarded addresses (X-Forwarded-For) are believed only when the connection comes from one of these proxies
# (addresses or ranges, comma-separated). Empty: the connection's own address is the client's.
CONNECTING_PEOPLE_TRUSTED_PROXIES = env_list("CONNECTING_PEOPLE_TRUSTED_PROXIES", [])
try:
    parse_networks(CONNECTING_PEOPLE_TRUSTED_PROXIES)
except ValueError as _error:
    raise ImproperlyConfigured(f"CONNECTING_PEOPLE_TRUSTED_PROXIES: {_error}.") from None

# Per username from one address: five failures lock that username from that address for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "connecting_people.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "connecting_people.accounts.selectors.request_client_address"
AXES_VERBOSE = False
# Per address, whatever the usernames (credential stuffing): this many failures within the window refuse further
# sign-ins from that address until older failures leave the window. Far above the per-username limit, because a
# whole site of staff can share one address.
CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT = int(os.environ.get("CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT", "30"))
CONNECTING_PEOPLE_ADDRESS_FAILURE_MINUTES = int(
    os.environ.get("CONNECTING_PEOPLE_ADDRESS_FAILURE_MINUTES", "15")
)

# Multi-factor authentication (TOTP). Required for every staff account when True.
CONNECTING_PEOPLE_REQUIRE_MFA = env_bool("CONNECTING_PEOPLE_REQUIRE_MFA", False)
# Setting up MFA needs a one-time set-up code from an administrator; it lasts this many hours.
CONNECTING_PEOPLE_ENROLMENT_CODE_HOURS = int(os.environ.get("CONNECTING_PEOPLE_ENROLMENT_CODE_HOURS", "72"))
OTP_TOTP_ISSUER = "Connecting People"

# Content-Security-Policy: only our own origin; scripts need a per-request nonce (no inline script without it).
# NONCE is django-csp's sentinel object (not the string "'nonce'"): it becomes 'nonce-<random>' per response.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Permissions-Policy: the service uses none of these browser features, so every page denies them all (to itself,
# to frames and to any script that got in). Only names Chromium and Firefox recognise: an unknown one makes the
# browser log an error on every page.
PERMISSIONS_POLICY_DENIED = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)

# Outcome measures: a directory of extra instrument definitions or licensed wording (YAML), and the EQ-5D-5L
# value set every index is reported under (vanhout2012-uk, devlin2018-england or rowen2026-uk).
CONNECTING_PEOPLE_INSTRUMENTS_DIR = os.environ.get("CONNECTING_PEOPLE_INSTRUMENTS_DIR", "")
CONNECTING_PEOPLE_EQ5D_VALUE_SET = os.environ.get("CONNECTING_PEOPLE_EQ5D_VALUE_SET", "vanhout2012-uk")
# Fidelity scales: a directory of extra scale definitions (YAML, such as the official research scale).
CONNECTING_PEOPLE_FIDELITY_DIR = os.environ.get("CONNECTING_PEOPLE_FIDELITY_DIR", "")

# Data protection: a deployment's own retention rules (YAML, the shape of privacy/retention.yaml), read over
# the shipped defaults.
CONNECTING_PEOPLE_RETENTION_FILE = os.environ.get("CONNECTING_PEOPLE_RETENTION_FILE", "")

# Community directory import: a deployment's own taxonomy terms → our categories (YAML, the shape of
# community/hsds/categories.yaml), read over the shipped mapping.
CONNECTING_PEOPLE_DIRECTORY_CATEGORIES_FILE = os.environ.get(
    "CONNECTING_PEOPLE_DIRECTORY_CATEGORIES_FILE", ""
)

# Demo accounts' password (printed once by `connecting-people demo`).
CONNECTING_PEOPLE_DEMO_PASSWORD = os.environ.get("CONNECTING_PEOPLE_DEMO_PASSWORD", "connecting-people-demo")
# Aggregates shown to implementation leads hide counts below this number.
CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD = int(
    os.environ.get("CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD", "5")
)
# The directory import fetches from public addresses only. Tests that serve an API from this machine turn
# this on for themselves; it is deliberately not read from the environment.
CONNECTING_PEOPLE_FETCH_ALLOW_LOOPBACK = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "connecting_people.core.middleware.RequestIdLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Background work (study exports and reports): django-tasks with its database backend; `connecting-people serve`
# starts a worker beside the development server, production runs `connecting-people db_worker` (or a broker
# backend named here).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("CONNECTING_PEOPLE_TASK_BACKEND", "django_tasks_db.DatabaseBackend")
    }
}

# The evaluation study. Its key (behind study IDs and date shifts in exports) is kept outside the database: in
# the environment variable CONNECTING_PEOPLE_STUDY_KEY, or in the file named here. Exports and reports are
# written under CONNECTING_PEOPLE_STUDY_FILES.
CONNECTING_PEOPLE_STUDY_KEY_FILE = os.environ.get("CONNECTING_PEOPLE_STUDY_KEY_FILE") or None
CONNECTING_PEOPLE_STUDY_FILES = Path(os.environ.get("CONNECTING_PEOPLE_STUDY_FILES", VAR_DIR / "study"))
CONNECTING_PEOPLE_STUDY_KEY_MAKE = False

# The audit trail (ADR 0009). Its key signs every event and checkpoint and is kept outside the database, apart from
# its backups and from the study key: in the environment variable CONNECTING_PEOPLE_AUDIT_KEY, or in the file named
# here. Retired keys (one per line) are kept only to verify what they signed. Signed checkpoints are appended to
# CONNECTING_PEOPLE_AUDIT_CHECKPOINTS (a directory, or a .jsonl file), which belongs on storage the database's
# owner cannot write.
CONNECTING_PEOPLE_AUDIT_KEY_FILE = os.environ.get("CONNECTING_PEOPLE_AUDIT_KEY_FILE") or None
CONNECTING_PEOPLE_AUDIT_RETIRED_KEYS_FILE = (
    os.environ.get("CONNECTING_PEOPLE_AUDIT_RETIRED_KEYS_FILE") or None
)
CONNECTING_PEOPLE_AUDIT_KEY_MAKE = False
CONNECTING_PEOPLE_AUDIT_CHECKPOINTS = Path(
    os.environ.get("CONNECTING_PEOPLE_AUDIT_CHECKPOINTS", VAR_DIR / "audit-checkpoints")
)
