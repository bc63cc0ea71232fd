#!/usr/bin/env bash
# The whole suite. SQLite always; PostgreSQL again when one answers on 127.0.0.1:5432 (database `test`).
# The deployment tests (production smoke test, backup and restore; marker `deployment`) run once: in the
# PostgreSQL pass when PostgreSQL answers, else in the SQLite pass.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export CONNECTING_PEOPLE_ENV=test
WORKERS=${TEST_WORKERS:-2}

echo "== lint"
$BIN/ruff check src e2e bench

echo "== types (mypy over every app's services, selectors and scope rules; config in pyproject.toml)"
$BIN/mypy src/connecting_people/*/services.py src/connecting_people/*/selectors.py src/connecting_people/*/scopes.py \
  src/connecting_people/core/scoping.py src/connecting_people/accounts/actor.py

echo "== migrations are up to date"
DJANGO_SETTINGS_MODULE=connecting_people.config.settings.test $BIN/connecting-people makemigrations --check --dry-run >/dev/null

PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
POSTGRES=no
if $BIN/python - "$PG_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as error:
    print(f"PostgreSQL not answering ({error.__class__.__name__}); skipping the PostgreSQL run.")
    sys.exit(1)
PY
then
  POSTGRES=yes
fi

if [ "$POSTGRES" = yes ]; then
  echo "== tests on SQLite (with browser journeys; the deployment tests run on PostgreSQL below)"
  env -u DATABASE_URL $BIN/pytest -n "$WORKERS" -q -m "not deployment" --durations=25
  echo "== tests on PostgreSQL (with the deployment tests)"
  DATABASE_URL="$PG_URL" $BIN/pytest -n "$WORKERS" -q -m "not e2e" --durations=25
else
  echo "== tests on SQLite (with browser journeys and the deployment tests)"
  env -u DATABASE_URL $BIN/pytest -n "$WORKERS" -q --durations=25
fi
