"""Append-only audit trail on the real database: triggers, the chain, `audit verify`."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from connecting_people.audit import triggers
from connecting_people.audit.models import AuditEvent
from connecting_people.audit.services import audit_record


@pytest.fixture
def events(org):
    for page in ("overview", "edit", "overview"):
        audit_record(
            actor=org.practitioner,
            action="person.viewed",
            object_type="person",
            object_id=1,
            person_id=1,
            summary={"page": page},
        )
    return list(AuditEvent.objects.order_by("id"))


def test_each_event_links_to_the_one_before(events):
    assert [e.previous_hash for e in events[1:]] == [e.hash for e in events[:-1]]


def test_secrets_never_reach_the_summary(org):
    event = audit_record(
        actor=org.practitioner,
        action="x",
        object_type="user",
        summary={"password": "hunter2", "otp_token": "123456", "fields": ["email"]},
    )
    assert event.summary == {"fields": ["email"]}


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditevent SET action = 'changed'", "DELETE FROM audit_auditevent"]
)
def test_database_rejects_changes(events, statement):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="person.viewed").count() == 3


def test_orm_update_and_delete_are_rejected(events):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=events[0].pk).update(action="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        events[0].delete()
    assert AuditEvent.objects.count() == 3


def test_verify_passes_on_an_intact_chain(events, capsys):
    call_command("audit", "verify")
    assert "intact: 3 events" in capsys.readouterr().out


def tamper(sql: str, params: list) -> None:
    """Change the table behind the triggers' back, as someone with database access could."""
    triggers.remove(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    triggers.install(connection)


def test_verify_names_the_changed_event(events, capsys):
    tamper("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["person.updated", events[1].pk])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert f"broken at event {events[1].pk}" in capsys.readouterr().err


def test_verify_names_the_event_after_a_deleted_one(events, capsys):
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(SystemExit):
        call_command("audit", "verify")
    assert f"broken at event {events[2].pk}" in capsys.readouterr().err
