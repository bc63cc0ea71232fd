"""A throwaway deployment for the production smoke test and the backup test: its own home folder, keys and fresh
database, and the `connecting-people` command run in it as an operator would, each time in a fresh process.

The database is PostgreSQL when the test run itself is on PostgreSQL (DATABASE_URL names one: the PostgreSQL
pass of `scripts/test.sh`), else SQLite in the home folder.
"""

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

SRC_DIR = Path(__file__).resolve().parents[3]
BIN_DIR = Path(sys.executable).parent
BUILT_STYLESHEET = SRC_DIR / "connecting_people" / "core" / "static" / "nhsuk" / "css" / "app.css"


def require_built_assets() -> None:
    """Production serves the built NHS.UK assets: without them there is nothing to test (never a silent skip)."""
    if not BUILT_STYLESHEET.exists():
        pytest.fail(
            f"The assets are not built ({BUILT_STYLESHEET} is missing): run `make assets`.", pytrace=False
        )


def postgres_url() -> str | None:
    """The test run's PostgreSQL server (from DATABASE_URL), or None when the run is on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    return url if urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"} else None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection(server_url: str):
    import psycopg

    url = _with_database(server_url, "postgres").replace("postgres://", "postgresql://", 1)
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


@contextmanager
def fresh_postgres_database(server_url: str, label: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `server_url`, dropped afterwards; yields its URL.
    Named after the run's own database and `label`, with a random tail, so parallel runs never meet."""
    base = urlsplit(server_url).path.lstrip("/") or "connecting_people"
    name = f"{base}_{label}_{secrets.token_hex(4)}"
    with _admin_connection(server_url) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(server_url, name)
    finally:
        with _admin_connection(server_url) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(home: Path, label: str) -> Iterator[str]:
    """A new, empty database on the engine of this test run; yields its DATABASE_URL."""
    server = postgres_url()
    if server is None:
        (home / "var").mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{home / 'var' / f'{label}.sqlite3'}"
        return
    with fresh_postgres_database(server, label) as url:
        yield url


def write_key(path: Path, length: int = 64) -> Path:
    """A key file as an operator makes one: random characters, readable by the service account only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_urlsafe(length)[:length] + "\n")
    path.chmod(0o600)
    return path


def environment(
    home: Path, database_url: str, *, settings: str = "production", **extra: str
) -> dict[str, str]:
    """What the service's processes see: the given settings (`production` or `local`), the home folder, the
    database, keys kept in their own files outside the database and the home's var/, and nothing from the test
    run's own settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CONNECTING_PEOPLE_", "DATABASE_", "AXES_"))
    }
    keys = home / "keys"
    secret = keys / "django-secret"
    if not secret.exists():
        write_key(secret, 64)
        write_key(keys / "audit.key", 64)
        write_key(keys / "study.key", 48)
    env |= {
        "CONNECTING_PEOPLE_ENV": settings,
        "CONNECTING_PEOPLE_HOME": str(home),
        "DJANGO_SECRET_KEY": secret.read_text().strip(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "CONNECTING_PEOPLE_AUDIT_KEY_FILE": str(keys / "audit.key"),
        "CONNECTING_PEOPLE_STUDY_KEY_FILE": str(keys / "study.key"),
        "CONNECTING_PEOPLE_STUDY_FILES": str(home / "study-files"),
        # The README's proxy on the same machine: the smoke test's requests play the part of that proxy.
        "CONNECTING_PEOPLE_TRUSTED_PROXIES": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC_DIR), os.environ.get("PYTHONPATH")])),
    }
    return env | extra


def connecting_people(*args: str, env: dict[str, str], timeout: int = 180) -> subprocess.CompletedProcess:
    """Run `connecting-people ARGS` in a fresh process; fail the test with its output when it fails."""
    result = subprocess.run(
        [str(BIN_DIR / "connecting-people"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`connecting-people {' '.join(args)}` exited {result.returncode}:\n{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    return result
