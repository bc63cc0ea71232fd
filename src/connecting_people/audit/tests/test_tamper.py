"""Each way of tampering with the audit trail, done as someone with write access to the database would, and
whether `audit verify` catches it (ADR 0009 lists what is and is not detected). Both databases.

The attacks are plain SQL with the triggers lifted where an attacker would lift them, and recompute hashes the
way ADR 0002 publishes them, so these tests also show what the unkeyed chain let through.
"""

import hashlib
import io
import json
from datetime import UTC

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from connecting_people.audit import triggers
from connecting_people.audit.models import AuditEvent
from connecting_people.audit.services import audit_record

CHAINED = (
    "occurred_at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "person_id",
    "summary",
    "request_id",
)
COLUMNS = {field.column for field in AuditEvent._meta.fields}
ATTACKER_KEY = b"attacker-guess-0123456789-abcdefghijklmnop"


@pytest.fixture
def checkpoints(settings, tmp_path):
    settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS = tmp_path / "checkpoints"
    return settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS


@pytest.fixture
def events(org, checkpoints):
    for index in range(5):
        audit_record(
            actor=org.practitioner,
            action="person.viewed",
            object_type="person",
            object_id=index,
            person_id=index,
            summary={"page": "overview"},
        )
    return list(AuditEvent.objects.order_by("id"))


def run(*args) -> tuple[int, str, str]:
    """Run `connecting-people audit ...`: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code
    return code, out.getvalue(), err.getvalue()


def verify() -> tuple[int, str, str]:
    return run("verify")


def checkpoint() -> None:
    code, _out, err = run("checkpoint")
    assert code == 0, err


def rows() -> list[dict]:
    wanted = ["id", "previous_hash", "hash", *CHAINED]
    wanted += [name for name in ("chain_version", "key_id") if name in COLUMNS]
    found = list(AuditEvent.objects.order_by("id").values(*wanted))
    for row in found:
        row["occurred_at"] = row["occurred_at"].astimezone(UTC).isoformat()
    return found


def sha256_hash(previous: str, row: dict) -> str:
    """The unkeyed hash exactly as ADR 0002 publishes it: anyone can compute it."""
    encoded = json.dumps(
        {name: row[name] for name in CHAINED}, sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256((previous + "|" + encoded).encode("ascii")).hexdigest()


def execute(sql: str, params: list | None = None, *, lift_triggers: bool = False) -> None:
    """Change the table as someone with database access could (dropping the triggers first when asked)."""
    if lift_triggers:
        triggers.remove(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
    if lift_triggers:
        triggers.install(connection)


def rewrite_unkeyed(from_index: int, change: dict) -> None:
    """Change the event at `from_index` and recompute the unkeyed hash of it and every event after it."""
    chain = rows()
    previous = chain[from_index - 1]["hash"] if from_index else "0" * 64
    for index in range(from_index, len(chain)):
        row = chain[index] | (change if index == from_index else {})
        row["previous_hash"] = previous
        row["hash"] = sha256_hash(previous, row)
        extra = ", chain_version = 1, key_id = ''" if "chain_version" in COLUMNS else ""
        execute(
            f"UPDATE audit_auditevent SET action = %s, previous_hash = %s, hash = %s{extra} WHERE id = %s",
            [row["action"], previous, row["hash"], row["id"]],
            lift_triggers=True,
        )
        previous = row["hash"]


def insert(row: dict) -> None:
    """Append a row with plain SQL (an INSERT the triggers allow, as it re-uses no id or hash)."""
    names = [name for name in row if name in COLUMNS or name in {"actor_id"}]
    values = [json.dumps(row[name]) if name == "summary" else row[name] for name in names]
    execute(
        f"INSERT INTO audit_auditevent ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})", values
    )


def forged_after(last: dict, **extra) -> dict:
    row = {
        "occurred_at": last["occurred_at"],
        "actor_id": None,
        "actor_username": "",
        "action": "person.viewed",
        "object_type": "person",
        "object_id": "99",
        "person_id": 99,
        "summary": {"page": "overview"},
        "request_id": "",
        "previous_hash": last["hash"],
    }
    row["hash"] = sha256_hash(last["hash"], row)
    if "chain_version" in COLUMNS:
        row |= {"chain_version": 1, "key_id": ""}
    return row | extra


# --- the chain on its own ----------------------------------------------------------------------------------


def test_an_intact_chain_verifies(events):
    code, out, _ = verify()
    assert code == 0 and "intact: 5 events" in out


def test_rewriting_events_with_recomputed_unkeyed_hashes_is_caught(events):
    rewrite_unkeyed(2, {"action": "person.updated"})
    code, _out, err = verify()
    assert code == 1
    assert f"broken at event {events[2].pk}" in err and "unkeyed but follows keyed events" in err


def test_rewriting_the_whole_chain_unkeyed_is_caught_even_without_a_checkpoint(events):
    rewrite_unkeyed(0, {"action": "person.updated"})
    code, _out, err = verify()
    assert code == 1 and "not vouched for by any checkpoint" in err


def test_rewriting_an_event_with_a_guessed_key_is_caught(events):
    """Without the audit key, a keyed hash cannot be recomputed: any other key gives a hash that fails."""
    from connecting_people.audit.chain import AuditKey, keyed_event_hash

    attacker = AuditKey(ATTACKER_KEY)
    target = rows()[2] | {"action": "person.updated"}
    digest = keyed_event_hash(attacker, target["previous_hash"], target)
    execute(
        "UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s",
        ["person.updated", digest, target["id"]],
        lift_triggers=True,
    )
    code, _out, err = verify()
    assert code == 1 and f"broken at event {target['id']}: its content does not match its hash" in err
    # Naming the attacker's own key instead is no better.
    execute(
        "UPDATE audit_auditevent SET key_id = %s WHERE id = %s",
        [attacker.key_id, target["id"]],
        lift_triggers=True,
    )
    code, _out, err = verify()
    assert code == 1 and "neither the audit key" in err


def test_a_forged_unkeyed_event_appended_is_caught(events):
    insert(forged_after(rows()[-1]))
    code, _out, err = verify()
    assert code == 1 and "unkeyed but follows keyed events" in err


def test_a_forged_keyed_event_appended_is_caught(events):
    from connecting_people.audit.chain import KEYED, AuditKey, keyed_event_hash

    last = rows()[-1]
    row = forged_after(last)
    row |= {"chain_version": KEYED, "key_id": events[0].key_id}
    row["hash"] = keyed_event_hash(AuditKey(ATTACKER_KEY), last["hash"], row)
    insert(row)
    code, _out, err = verify()
    assert code == 1 and "content does not match its hash" in err


def test_deleting_an_event_in_the_middle_is_caught(events):
    execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk], lift_triggers=True)
    code, _out, err = verify()
    assert code == 1 and f"broken at event {events[3].pk}: its link" in err


def test_reordering_events_is_caught_by_the_chain_and_by_a_checkpoint(events, checkpoints):
    """Two events swap places: each keeps its own content and hash, under the other's id."""
    from connecting_people.audit.chain import checkpoint_sign
    from connecting_people.audit.checkpoints import checkpoint_append
    from connecting_people.audit.keys import audit_key

    second, third = rows()[1], rows()[2]
    written = checkpoint_sign(
        audit_key(),
        event_id=third["id"],
        event_hash=third["hash"],
        count=3,
        keyed_from=events[0].pk,
        written_at="2026-01-01T00:00:00+00:00",
    )
    checkpoint_append(checkpoints, written)
    execute(
        "DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [second["id"], third["id"]], lift_triggers=True
    )
    insert(third | {"id": second["id"]})
    insert(second | {"id": third["id"]})
    code, _out, err = verify()
    assert code == 1 and f"broken at event {events[1].pk}" in err
    assert f"checkpoint of event {third['id']}" in err and f"that event is now event {second['id']}" in err


# --- inserts that replace -----------------------------------------------------------------------------------


def _replacement_values(row: dict) -> list:
    return [
        row["id"],
        row["occurred_at"],
        "person.updated",
        "person",
        "",
        "",
        "{}",
        "",
        row["previous_hash"],
        row["hash"],
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="INSERT OR REPLACE is SQLite's")
def test_insert_or_replace_cannot_overwrite_an_event(events):
    """SQLite's REPLACE deletes the old row without firing DELETE triggers; the INSERT trigger stops it."""
    row = rows()[1]
    extra_names = ", chain_version, key_id" if "chain_version" in COLUMNS else ""
    extra_values = ", 2, ''" if "chain_version" in COLUMNS else ""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(
            "INSERT OR REPLACE INTO audit_auditevent (id, occurred_at, action, object_type, object_id, "
            f"actor_username, summary, request_id, previous_hash, hash{extra_names}) "
            f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s{extra_values})",
            _replacement_values(row),
        )
    assert AuditEvent.objects.get(pk=row["id"]).action == "person.viewed"


@pytest.mark.parametrize("reused", ["id", "hash"])
def test_an_insert_reusing_an_events_id_or_hash_is_refused_by_the_trigger(events, reused):
    row = forged_after(rows()[-1])
    row["hash" if reused == "hash" else "id"] = events[1].hash if reused == "hash" else events[1].pk
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        insert(row)
    assert AuditEvent.objects.count() == 5


# --- checkpoints: the newest events, and the checkpoints themselves -----------------------------------------


def test_removing_the_newest_events_is_caught_when_a_checkpoint_covers_them(events):
    checkpoint()
    execute("DELETE FROM audit_auditevent WHERE id >= %s", [events[3].pk], lift_triggers=True)
    code, _out, err = verify()
    assert code == 1
    assert f"checkpoint of event {events[4].pk}" in err and "newest events were removed" in err


def test_removing_the_newest_events_after_the_last_checkpoint_goes_unnoticed(events, org):
    """The documented limit (ADR 0009): events no checkpoint covers yet can be dropped without trace."""
    checkpoint()
    audit_record(actor=org.practitioner, action="person.viewed", object_type="person", object_id=7)
    execute("DELETE FROM audit_auditevent WHERE id > %s", [events[4].pk], lift_triggers=True)
    code, out, _err = verify()
    assert code == 0 and "intact: 5 events" in out


def test_without_any_checkpoint_verify_says_the_end_is_unprotected(events):
    execute("DELETE FROM audit_auditevent WHERE id >= %s", [events[3].pk], lift_triggers=True)
    code, out, _err = verify()
    assert code == 0 and "No checkpoint yet" in out


def test_removing_events_and_the_checkpoint_file_together_goes_unnoticed(events, checkpoints):
    """The documented limit: whoever can delete the checkpoints as well as the events is not caught. Keep the
    checkpoint file where the database's owner cannot write."""
    checkpoint()
    execute("DELETE FROM audit_auditevent WHERE id >= %s", [events[3].pk], lift_triggers=True)
    (checkpoints / "checkpoints.jsonl").unlink()
    code, out, _err = verify()
    assert code == 0 and "No checkpoint yet" in out


def test_a_changed_checkpoint_is_caught(events, checkpoints):
    checkpoint()
    path = checkpoints / "checkpoints.jsonl"
    written = json.loads(path.read_text())
    path.write_text(json.dumps(written | {"count": 3}) + "\n")
    code, _out, err = verify()
    assert code == 1 and "signature does not match" in err


def test_a_line_that_is_no_checkpoint_is_caught(events, checkpoints):
    checkpoint()
    with (checkpoints / "checkpoints.jsonl").open("a") as file:
        file.write('{"event_id": 1, "hash": "forged"}\n')
    code, _out, err = verify()
    assert code == 1 and "line 2" in err and "the checkpoint file was changed" in err


def test_a_checkpointed_event_changed_by_someone_with_the_key_is_caught(events, checkpoints):
    """Even holding the key, a rewrite of checkpointed events shows: the checkpoint still names the old hash."""
    from connecting_people.audit.chain import keyed_event_hash
    from connecting_people.audit.keys import audit_key

    checkpoint()
    chain = rows()
    previous = chain[1]["hash"]
    for row in chain[2:]:
        row = row | ({"action": "person.updated"} if row["id"] == chain[2]["id"] else {})
        digest = keyed_event_hash(audit_key(), previous, row)
        execute(
            "UPDATE audit_auditevent SET action = %s, previous_hash = %s, hash = %s WHERE id = %s",
            [row["action"], previous, digest, row["id"]],
            lift_triggers=True,
        )
        previous = digest
    code, _out, err = verify()
    assert code == 1 and f"event {events[4].pk} has changed since" in err
