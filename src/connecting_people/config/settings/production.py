"""Production: refuses to start with unsafe values. Everything comes from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, env_bool

DEBUG = env_bool("DJANGO_DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production (CONNECTING_PEOPLE_ENV=production).")

_MIN_LENGTH = 50
_MIN_DISTINCT = 10  # a hex key (16 symbols) passes; "abab..." does not
_WEAK_PREFIXES = ("django-insecure", "local-only", "test-only")
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "replace", "example", "insecure", "password", "secret")


def secret_key_problem(key: str) -> str | None:
    """Why `key` is not fit for production, or None when it is. Never repeats the key itself."""
    if not key:
        return "it is not set"
    if len(key) < _MIN_LENGTH:
        return f"it has {len(key)} characters and needs at least {_MIN_LENGTH}"
    if len(set(key)) < _MIN_DISTINCT:
        return f"it uses fewer than {_MIN_DISTINCT} different characters"
    if (key + key).find(key, 1) < len(key):
        return "it is one short piece repeated"
    lowered = key.lower()
    if lowered.startswith(_WEAK_PREFIXES) or any(word in lowered for word in _PLACEHOLDERS):
        return "it looks like a placeholder or a development key"
    return None


_problem = secret_key_problem(SECRET_KEY)
if _problem:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is missing or weak ({_problem}): set a random value of at least {_MIN_LENGTH} "
        "characters (for example from `python -c 'import secrets; print(secrets.token_urlsafe(64))'`)."
    )

CONNECTING_PEOPLE_REQUIRE_MFA = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Load balancers probe the health check over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Client addresses: X-Forwarded-For is believed only from CONNECTING_PEOPLE_TRUSTED_PROXIES (base settings, and
# docs/security.md). A deployment check warns when none is set.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "connecting_people.core.static_storage.ManifestStaticStorage"},
}

CONNECTING_PEOPLE_ENVIRONMENT = "production"
