"""Database triggers that make the audit table append-only, for SQLite and PostgreSQL alike.

UPDATE, DELETE and TRUNCATE are refused. So is any INSERT that re-uses an existing event's id or hash: on SQLite,
`INSERT OR REPLACE` would otherwise delete the old row without firing the DELETE trigger, and an insert that takes
an old id or hash is never an honest append. The one controlled way to remove events is `deletion_allowed`, used
by `audit archive` inside its transaction (ADR 0009).
"""

from collections.abc import Iterator
from contextlib import contextmanager

TABLE = "audit_auditevent"
MESSAGE = "audit events are append-only"

_SQLITE_NO_DELETE = (
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
)
# In a BEFORE INSERT trigger SQLite gives NEW.id as -1 when the id is left to it, so -1 means "a new id".
SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    _SQLITE_NO_DELETE,
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_reuse BEFORE INSERT ON {TABLE} "
    f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE hash = NEW.hash) "
    f"OR (NEW.id <> -1 AND EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id)) "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
    "DROP TRIGGER IF EXISTS audit_event_no_reuse;",
]

_POSTGRESQL_NO_CHANGE = (
    f"CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_reject_change();"
)
POSTGRESQL_INSTALL = [
    "CREATE OR REPLACE FUNCTION audit_event_reject_change() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;",
    f"DROP TRIGGER IF EXISTS audit_event_no_change ON {TABLE};",
    _POSTGRESQL_NO_CHANGE,
    f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {TABLE};",
    f"CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_reject_change();",
    "CREATE OR REPLACE FUNCTION audit_event_reject_reuse() RETURNS trigger AS $$ BEGIN "
    f"IF EXISTS (SELECT 1 FROM {TABLE} WHERE hash = NEW.hash) "
    f"OR EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id) "
    f"THEN RAISE EXCEPTION '{MESSAGE}'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql;",
    f"DROP TRIGGER IF EXISTS audit_event_no_reuse ON {TABLE};",
    f"CREATE TRIGGER audit_event_no_reuse BEFORE INSERT ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_reject_reuse();",
]
POSTGRESQL_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_event_no_change ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_event_no_reuse ON {TABLE};",
    "DROP FUNCTION IF EXISTS audit_event_reject_change();",
    "DROP FUNCTION IF EXISTS audit_event_reject_reuse();",
]

# What migration 0002 installed, for reversing migration 0003 exactly.
SQLITE_INSTALL_0002 = SQLITE_INSTALL[:2]
POSTGRESQL_INSTALL_0002 = POSTGRESQL_INSTALL[:5]
REUSE_REMOVE = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_reuse;"],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS audit_event_no_reuse ON {TABLE};",
        "DROP FUNCTION IF EXISTS audit_event_reject_reuse();",
    ],
}


def _statements(vendor: str, install: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    if vendor == "postgresql":
        return POSTGRESQL_INSTALL if install else POSTGRESQL_REMOVE
    raise RuntimeError(f"No append-only audit triggers for database vendor {vendor!r}")


def execute(connection, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection) -> None:
    execute(connection, _statements(connection.vendor, install=True))


def remove(connection) -> None:
    execute(connection, _statements(connection.vendor, install=False))


@contextmanager
def deletion_allowed(connection) -> Iterator[None]:
    """Lift the DELETE trigger for the body of the `with`, then put it back. Only inside a transaction
    (both databases roll DDL back with it, so a failure leaves the trigger in place). On PostgreSQL this needs
    the role that owns the table, and blocks other writers to it until the transaction ends."""
    if not connection.in_atomic_block:
        raise RuntimeError("deletion_allowed must run inside a transaction")
    if connection.vendor == "sqlite":
        lift, restore = ["DROP TRIGGER audit_event_no_delete;"], [_SQLITE_NO_DELETE]
    else:
        lift, restore = [f"DROP TRIGGER audit_event_no_change ON {TABLE};"], [_POSTGRESQL_NO_CHANGE]
    execute(connection, lift)
    yield
    execute(connection, restore)
