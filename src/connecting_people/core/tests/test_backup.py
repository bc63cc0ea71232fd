"""Backup and restore on PostgreSQL, the way docs/deploy.md tells an operator to do it.

A database with the demo data is dumped with `pg_dump --format=custom`, restored with `pg_restore` into a fresh,
empty database, and then the restored copy must pass `connecting-people audit verify`, hold exactly as many rows
in every table, carry the audit table's append-only triggers (and enforce them), continue every sequence where
the original stopped, and the dump must hold neither the audit key nor the study key.
"""

import re
import shutil
import subprocess
import time

import pytest

from connecting_people.audit.triggers import MESSAGE as APPEND_ONLY
from connecting_people.audit.triggers import TABLE as AUDIT_TABLE
from connecting_people.core.tests.deployment import (
    connecting_people,
    environment,
    fresh_postgres_database,
    postgres_url,
)

pytestmark = pytest.mark.deployment


def _connect(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


def _tools_or_skip(server: str | None) -> None:
    if server is None:
        pytest.skip(
            "Backup and restore needs PostgreSQL: it runs in the PostgreSQL pass of `make test` "
            "(DATABASE_URL=postgres://...)."
        )
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian: apt-get install postgresql-client).")
    with _connect(server.rsplit("/", 1)[0] + "/postgres") as connection:
        server_major = int(connection.execute("SHOW server_version_num").fetchone()[0]) // 10000
    version = re.search(
        r"\(PostgreSQL\)\s+(\d+)", subprocess.check_output(["pg_dump", "--version"], text=True)
    )
    dump_major = int(version[1]) if version else server_major
    if dump_major < server_major:
        pytest.skip(
            f"pg_dump {dump_major} cannot dump a PostgreSQL {server_major} server; install a newer client."
        )


def _row_counts(url: str) -> dict[str, int]:
    with _connect(url) as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        return {
            table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in sorted(tables)
        }


def _triggers(url: str) -> set[tuple[str, str]]:
    with _connect(url) as connection:
        rows = connection.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
        ).fetchall()
    return {(name, definition) for name, definition in rows}


def _sequences(url: str) -> dict[str, int | None]:
    with _connect(url) as connection:
        rows = connection.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall()
    return dict(rows)


def test_a_restored_backup_has_every_row_a_sound_audit_trail_and_its_triggers(tmp_path):
    server = postgres_url()
    _tools_or_skip(server)
    started = time.monotonic()
    with (
        fresh_postgres_database(server, "backup") as original,
        fresh_postgres_database(server, "restored") as restored,
    ):
        local = environment(tmp_path, original, settings="local")
        connecting_people("migrate", "--noinput", env=local)
        connecting_people("demo", env=local)
        loaded = time.monotonic()

        dump = tmp_path / "backups" / "connecting-people.dump"
        dump.parent.mkdir()
        subprocess.run(
            ["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={original}"], check=True, timeout=120
        )
        subprocess.run(
            [
                "pg_restore",
                "--exit-on-error",
                "--single-transaction",
                "--no-owner",
                f"--dbname={restored}",
                str(dump),
            ],
            check=True,
            timeout=120,
        )
        restored_at = time.monotonic()

        connecting_people("audit", "verify", env=environment(tmp_path, restored, settings="production"))

        counts = _row_counts(original)
        assert _row_counts(restored) == counts
        assert counts[AUDIT_TABLE] > 0 and counts["people_person"] == 40, counts

        triggers = _triggers(original)
        assert {"audit_event_no_change", "audit_event_no_truncate"} <= {name for name, _ in triggers}
        assert _triggers(restored) == triggers
        import psycopg

        with _connect(restored) as connection:
            for statement in (
                f"UPDATE {AUDIT_TABLE} SET action = 'rewritten'",
                f"DELETE FROM {AUDIT_TABLE}",
                f"TRUNCATE {AUDIT_TABLE}",
            ):
                with pytest.raises(psycopg.errors.RaiseException, match=APPEND_ONLY):
                    connection.execute(statement)
        assert _row_counts(restored)[AUDIT_TABLE] == counts[AUDIT_TABLE]

        assert _sequences(restored) == _sequences(original)

        script = subprocess.run(["pg_restore", "--file=-", str(dump)], check=True, capture_output=True).stdout
        for key in ("audit.key", "study.key"):
            secret = (tmp_path / "keys" / key).read_text().strip().encode()
            assert secret not in script, f"the database backup holds the {key}: keep it apart"
    print(
        f"\nbackup and restore: {time.monotonic() - started:.1f} s in all, of which loading "
        f"{loaded - started:.1f} s, dump and restore {restored_at - loaded:.1f} s; {sum(counts.values())} rows "
        f"in {len(counts)} tables"
    )
