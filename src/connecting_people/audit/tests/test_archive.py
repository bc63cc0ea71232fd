"""`audit archive`: the trail's own retention. Old events move to a file ending with a signed checkpoint, and
what stays in the database still verifies. Both databases."""

import hashlib
import json
from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from connecting_people.audit.models import AuditEvent
from connecting_people.audit.services import audit_record
from connecting_people.audit.tests.test_tamper import execute, run, verify


@pytest.fixture
def checkpoints(settings, tmp_path):
    settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS = tmp_path / "checkpoints"
    return settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS


def event_on(user, day: date, index: int = 0) -> AuditEvent:
    when = datetime(day.year, day.month, day.day, 12, index, tzinfo=UTC)
    with mock.patch("connecting_people.audit.services.timezone.now", return_value=when):
        return audit_record(
            actor=user, action="person.viewed", object_type="person", object_id=index, person_id=index
        )


@pytest.fixture
def trail(org, checkpoints):
    """Two events in January 2026, two in March, one in May, with a checkpoint after each month."""
    made = []
    for day, count in ((date(2026, 1, 10), 2), (date(2026, 3, 10), 2), (date(2026, 5, 10), 1)):
        made += [event_on(org.practitioner, day, index) for index in range(count)]
        assert run("checkpoint")[0] == 0
    return made


def archive(tmp_path, before: str, *extra) -> tuple[int, str, str]:
    return run("archive", "--before", before, "--to", str(tmp_path / "archive"), *extra)


def test_archiving_moves_old_events_to_a_file_and_the_rest_still_verifies(trail, tmp_path, org):
    code, out, err = archive(tmp_path, "2026-02-01", "--user", org.administrator.username)
    assert code == 0, err
    assert f"Archived 2 events ({trail[0].pk} to {trail[1].pk})" in out
    remaining = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    assert remaining[:3] == [e.pk for e in trail[2:]] and len(remaining) == 4
    code, out, err = verify()
    assert code == 0, err
    assert "continues an archived part of 2 events" in out
    # January's checkpoint, the archive's own and the two after it.
    assert "Checkpoints: 4 verified" in out


def test_the_archive_is_audited_with_what_went_where(trail, tmp_path, org):
    archive(tmp_path, "2026-02-01", "--user", org.administrator.username)
    event = AuditEvent.objects.get(action="audit.archived")
    path = tmp_path / "archive" / event.summary["file"]
    assert event.actor_id == org.administrator.pk
    assert (event.summary["first_event"], event.summary["last_event"], event.summary["events"]) == (
        trail[0].pk,
        trail[1].pk,
        2,
    )
    assert event.summary["last_hash"] == trail[1].hash and event.summary["before"] == "2026-02-01"
    assert event.summary["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_archive_file_verifies_on_its_own_and_holds_every_event(trail, tmp_path):
    archive(tmp_path, "2026-02-01")
    path = next((tmp_path / "archive").iterdir())
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "audit-archive"
    assert [json.loads(line)["hash"] for line in lines[1:-1]] == [trail[0].hash, trail[1].hash]
    assert json.loads(lines[-1])["kind"] == "archive"
    code, out, err = run("verify", "--archive", str(path))
    assert code == 0, err
    assert f"Archive {path.name} intact: 2 events verified" in out


def test_events_stay_append_only_after_archiving(trail, tmp_path):
    archive(tmp_path, "2026-02-01")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 4


def test_a_second_archive_continues_the_first_and_both_files_verify_in_order(trail, tmp_path, org):
    archive(tmp_path, "2026-02-01")
    event_on(org.practitioner, date(2026, 6, 1))
    code, out, err = archive(tmp_path, "2026-04-01")
    assert code == 0, err
    first, second = sorted((tmp_path / "archive").iterdir())
    code, out, err = run("verify", "--archive", str(first), "--archive", str(second))
    assert code == 0, err
    assert "continues an archived part of 4 events" in out  # January's 2, then March's 2
    assert "2 inside the archived part" in out  # January's and the first archive's, both at event 2
    code, _out, err = run("verify", "--archive", str(second), "--archive", str(first))
    assert code == 1 and "does not continue from the archive file before it" in err
    assert run("checkpoint")[0] == 0 and verify()[0] == 0


def test_a_changed_archive_file_is_caught(trail, tmp_path):
    archive(tmp_path, "2026-02-01")
    path = next((tmp_path / "archive").iterdir())
    lines = path.read_text().splitlines()
    changed = json.loads(lines[1]) | {"action": "person.updated"}
    path.write_text("\n".join([lines[0], json.dumps(changed), *lines[2:]]) + "\n")
    code, _out, err = run("verify", "--archive", str(path))
    assert code == 1 and f"broken at event {trail[0].pk}: its content does not match" in err


def test_an_archive_file_cut_short_is_caught(trail, tmp_path):
    archive(tmp_path, "2026-02-01")
    path = next((tmp_path / "archive").iterdir())
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")
    code, _out, err = run("verify", "--archive", str(path))
    assert code == 1 and "cut short" in err


def test_removing_the_archive_record_breaks_the_chain(trail, tmp_path):
    archive(tmp_path, "2026-02-01")
    execute("DELETE FROM audit_auditevent WHERE action = 'audit.archived'", lift_triggers=True)
    code, _out, err = verify()
    assert code == 1 and f"broken at event {trail[2].pk}: its link" in err


def test_a_broken_chain_is_not_archived(trail, tmp_path):
    execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [trail[0].pk], lift_triggers=True)
    code, _out, err = archive(tmp_path, "2026-02-01")
    assert code == 1 and "Nothing archived" in err
    assert AuditEvent.objects.count() == 5 and not (tmp_path / "archive").exists()


def test_nothing_old_enough_archives_nothing(trail, tmp_path):
    code, out, _ = archive(tmp_path, "2026-01-01")
    assert code == 0 and "nothing archived" in out and AuditEvent.objects.count() == 5


def test_a_date_in_the_future_is_a_usage_error(trail, tmp_path):
    with pytest.raises(CommandError, match="cannot be in the future") as refused:
        call_command("audit", "archive", "--before", "2999-01-01", "--to", str(tmp_path))
    assert refused.value.returncode == 2


def test_a_date_that_is_no_date_is_a_usage_error(tmp_path):
    with pytest.raises(CommandError, match="not a date") as refused:
        call_command("audit", "archive", "--before", "last year", "--to", str(tmp_path))
    assert refused.value.returncode == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="table ownership is PostgreSQL's")
def test_on_postgresql_only_the_tables_owner_can_remove_archived_events(trail, tmp_path):
    """The application's own role, when it does not own the table, cannot lift the trigger: the file is
    written, nothing is deleted, and the message says which role to use."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE audit_archive_test_app NOLOGIN")
        cursor.execute("GRANT SELECT, INSERT ON audit_auditevent TO audit_archive_test_app")
        cursor.execute("GRANT SELECT ON accounts_user TO audit_archive_test_app")
        cursor.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO audit_archive_test_app")
        cursor.execute("SET ROLE audit_archive_test_app")
    try:
        with pytest.raises(CommandError, match="role that owns the audit table") as refused:
            call_command("audit", "archive", "--before", "2026-02-01", "--to", str(tmp_path / "archive"))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert refused.value.returncode == 2
    assert AuditEvent.objects.count() == 5
