"""Production settings refuse unsafe values and pass Django's deployment checks.

Each case runs in a fresh Python process, so production settings never leak into the test run's own settings.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from connecting_people.core.tests.deployment import require_built_assets

SRC_DIR = Path(__file__).resolve().parents[3]
PRODUCTION = "connecting_people.config.settings.production"

# Printed by the child process so the test can look at the values production actually ends up with.
_DUMP_SETTINGS = """
import json
from django.conf import settings
names = [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER",
    "CONNECTING_PEOPLE_REQUIRE_MFA", "ALLOWED_HOSTS", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF",
]
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


def strong_key() -> str:
    return secrets.token_urlsafe(64)


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """The environment a production process sees: production settings, a throwaway SQLite database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CONNECTING_PEOPLE_", "DATABASE_", "AXES_"))
    }
    env |= {
        "CONNECTING_PEOPLE_ENV": "production",
        "CONNECTING_PEOPLE_HOME": str(tmp_path),
        "DJANGO_SECRET_KEY": strong_key(),
        # Production writes no audit event without its own key (ADR 0009), and `check --deploy` fails.
        "CONNECTING_PEOPLE_AUDIT_KEY": strong_key(),
        "DJANGO_ALLOWED_HOSTS": "example.org",
        "CONNECTING_PEOPLE_TRUSTED_PROXIES": "127.0.0.1",  # the README's proxy, on the same machine
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC_DIR), os.environ.get("PYTHONPATH")])),
    }
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def import_production(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_python(f"import {PRODUCTION}", env)


def connecting_people(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the `connecting-people` command as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "connecting_people.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_refused(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "on"])
def test_production_refuses_debug(tmp_path, value):
    result = import_production(production_env(tmp_path, DJANGO_DEBUG=value))
    assert_refused(result, "DJANGO_DEBUG must be off in production")


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("too-short-0123456789", id="short"),
        pytest.param("ab" * 40, id="few-distinct-characters"),
        pytest.param("django-insecure-" + secrets.token_urlsafe(50), id="django-insecure-prefix"),
        pytest.param("local-only-insecure-key-never-used-in-production-0123456789", id="the-local-key"),
        pytest.param("test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz", id="the-test-key"),
        pytest.param("changeme" * 8, id="repeated-placeholder"),
        pytest.param("x7Kp2" * 12, id="repeated-short-piece"),
        pytest.param("please-change-this-secret-key-before-going-live-0123456789", id="placeholder-text"),
    ],
)
def test_production_refuses_missing_or_weak_secret_key(tmp_path, key):
    result = import_production(production_env(tmp_path, DJANGO_SECRET_KEY=key))
    assert_refused(result, "DJANGO_SECRET_KEY is missing or weak")
    if key:
        assert key not in result.stderr, "the error message must not echo the secret"


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(secrets.token_urlsafe(64), id="token_urlsafe"),
        pytest.param(secrets.token_hex(32), id="hex"),
    ],
)
def test_production_imports_with_a_strong_key(tmp_path, key):
    result = import_production(production_env(tmp_path, DJANGO_SECRET_KEY=key))
    assert result.returncode == 0, result.stderr


def test_the_refusal_says_what_is_wrong(tmp_path):
    result = import_production(production_env(tmp_path, DJANGO_SECRET_KEY="too-short"))
    assert_refused(result, "it has 9 characters and needs at least 50")
    assert "secrets.token_urlsafe" in result.stderr


def test_production_turns_on_secure_cookies_hsts_ssl_redirect_and_mfa(tmp_path):
    result = run_python(_DUMP_SETTINGS, production_env(tmp_path, DJANGO_SETTINGS_MODULE=PRODUCTION))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["CONNECTING_PEOPLE_REQUIRE_MFA"] is True
    assert values["ALLOWED_HOSTS"] == ["example.org"]


def test_production_forces_mfa_even_when_the_environment_turns_it_off(tmp_path):
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE=PRODUCTION, CONNECTING_PEOPLE_REQUIRE_MFA="false")
    result = run_python(_DUMP_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["CONNECTING_PEOPLE_REQUIRE_MFA"] is True


def test_deploy_check_passes_under_production_settings_once_static_files_are_collected(tmp_path):
    require_built_assets()
    env = production_env(tmp_path)
    collected = connecting_people("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    result = connecting_people("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_before_static_files_are_collected(tmp_path):
    """Without collected files every page answers 500 under production, so the gate must not pass."""
    result = connecting_people("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode != 0
    assert "core.E001" in result.stderr and "collectstatic" in result.stderr


def test_deploy_check_fails_when_the_operator_switches_hsts_off(tmp_path):
    """The check is a real gate: weakening production's transport security makes it fail."""
    env = production_env(tmp_path, DJANGO_HSTS_SECONDS="0")
    result = connecting_people("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_cli_refuses_to_start_with_debug_under_production(tmp_path):
    result = connecting_people("check", env=production_env(tmp_path, DJANGO_DEBUG="1"))
    assert_refused(result, "DJANGO_DEBUG must be off in production")


def test_local_settings_keep_mfa_off_for_the_demo(tmp_path):
    env = production_env(tmp_path, CONNECTING_PEOPLE_ENV="local", DJANGO_SECRET_KEY=None)
    env["DJANGO_SETTINGS_MODULE"] = "connecting_people.config.settings.local"
    result = run_python(_DUMP_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["CONNECTING_PEOPLE_REQUIRE_MFA"] is False
    assert values["DEBUG"] is True
