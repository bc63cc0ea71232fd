"""Production: refuses to start with unsafe values. Everything comes from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, env_bool

DEBUG = env_bool("DJANGO_DEBUG", False)
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production (CONNECTING_PEOPLE_ENV=production).")

_WEAK_KEYS = {"", "changeme", "secret", "django-insecure"}
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.lower() in _WEAK_KEYS or SECRET_KEY.startswith(
    ("django-insecure", "local-only", "test-only")
):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is missing or weak: set a random value of at least 50 characters "
        "(for example from `python -c 'import secrets; print(secrets.token_urlsafe(64))'`)."
    )

CONNECTING_PEOPLE_REQUIRE_MFA = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(__import__("os").environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
