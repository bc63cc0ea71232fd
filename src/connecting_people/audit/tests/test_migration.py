"""Upgrading a trail of unkeyed events to the keyed chain (migration 0003), on the real database engine."""

import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from connecting_people.audit.chain import GENESIS_HASH, unkeyed_event_hash
from connecting_people.audit.models import AuditEvent
from connecting_people.audit.tests.test_tamper import forged_after, insert, rows, run, verify

BEFORE = [("audit", "0002_append_only_triggers")]
AFTER = [("audit", "0003_keyed_chain")]


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def legacy_events(count: int) -> None:
    """Unkeyed events as the code before the audit key wrote them, straight into the old table."""
    previous = GENESIS_HASH
    with connection.cursor() as cursor:
        for index in range(count):
            fields = {
                "occurred_at": f"2026-01-0{index + 1}T10:00:00+00:00",
                "actor_id": None,
                "actor_username": "",
                "action": "person.viewed",
                "object_type": "person",
                "object_id": str(index),
                "person_id": index,
                "summary": {"page": "overview"},
                "request_id": "",
            }
            digest = unkeyed_event_hash(previous, fields)
            cursor.execute(
                "INSERT INTO audit_auditevent (occurred_at, actor_username, action, object_type, object_id, "
                "person_id, summary, request_id, previous_hash, hash) VALUES (%s, '', %s, %s, %s, %s, %s, '', %s, %s)",
                [
                    fields["occurred_at"],
                    fields["action"],
                    fields["object_type"],
                    fields["object_id"],
                    index,
                    '{"page": "overview"}',
                    previous,
                    digest,
                ],
            )
            previous = digest


@pytest.fixture
def upgraded(transactional_db, settings, tmp_path):
    """Three unkeyed events in a trail at migration 0002, then migrated to the keyed chain."""
    settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS = tmp_path / "checkpoints"
    migrate(BEFORE)
    try:
        legacy_events(3)
        migrate(AFTER)
        yield settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS
    finally:
        call_command("migrate", verbosity=0, stdout=io.StringIO())


def test_the_upgrade_starts_the_keyed_chain_and_vouches_for_the_old_events(upgraded):
    marker = AuditEvent.objects.order_by("-id").first()
    assert (marker.action, marker.chain_version, marker.summary) == (
        "audit.chain_keyed",
        2,
        {"version_1_events": 3},
    )
    assert list(AuditEvent.objects.order_by("id").values_list("chain_version", flat=True)) == [1, 1, 1, 2]
    assert (upgraded / "checkpoints.jsonl").exists()
    code, out, err = verify()
    assert code == 0, err
    assert "4 events verified (3 unkeyed, written before the audit key; 1 keyed)" in out


def test_after_the_upgrade_an_appended_unkeyed_event_is_caught(upgraded):
    insert(forged_after(rows()[-1]))
    code, _out, err = verify()
    assert code == 1 and "unkeyed but follows keyed events" in err


def test_after_the_upgrade_the_old_events_rewritten_are_caught_by_the_first_checkpoint(upgraded):
    """Rewriting the unkeyed events and everything after them unkeyed would pass the chain alone."""
    from connecting_people.audit.tests.test_tamper import rewrite_unkeyed

    rewrite_unkeyed(1, {"action": "person.updated"})
    code, _out, err = verify()
    assert code == 1


def test_the_upgraded_table_refuses_insert_or_replace(upgraded):
    if connection.vendor != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite's")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT OR REPLACE INTO audit_auditevent SELECT * FROM audit_auditevent "
            "WHERE id = (SELECT MIN(id) FROM audit_auditevent)"
        )


def test_without_its_first_checkpoint_the_old_events_need_someone_to_vouch(upgraded, org):
    (upgraded / "checkpoints.jsonl").unlink()
    code, _out, err = verify()
    assert code == 1 and "3 unkeyed events" in err and "--vouch-unkeyed" in err
    code, _out, err = run("checkpoint")
    assert code == 1 and "--vouch-unkeyed" in err
    code, out, err = run("checkpoint", "--vouch-unkeyed", "--user", org.administrator.username)
    assert code == 0, err
    vouched = AuditEvent.objects.get(action="audit.unkeyed_vouched")
    assert vouched.actor_id == org.administrator.pk and vouched.summary["version_1_events"] == 3
    assert verify()[0] == 0


def test_reversing_the_upgrade_is_refused_once_keyed_events_exist(upgraded):
    with pytest.raises(RuntimeError, match="keyed events"):
        migrate(BEFORE)
    assert AuditEvent.objects.count() == 4


def test_the_upgrade_reverses_while_no_keyed_event_exists(transactional_db, settings, tmp_path):
    settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS = tmp_path / "checkpoints"
    migrate(BEFORE)
    try:
        migrate(AFTER)
        assert AuditEvent.objects.count() == 0  # nothing to mark
        migrate(BEFORE)
        with connection.cursor() as cursor:
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, "audit_auditevent")
            ]
        assert "chain_version" not in columns
        # 0002's triggers are back: the table is still append-only.
        legacy_events(1)
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent")
    finally:
        call_command("migrate", verbosity=0, stdout=io.StringIO())
