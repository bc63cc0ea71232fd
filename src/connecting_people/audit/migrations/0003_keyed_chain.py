"""The keyed chain (ADR 0009): each event records its chain version and the id of the key that signed it, and a
trigger refuses inserts that re-use an event's id or hash.

Events already in the table stay as they are: chain version 1 (unkeyed). When there are any, this migration
appends one keyed event, `audit.chain_keyed`, linked to the last of them, so the keyed part of the chain starts
at once rather than at the next request: from here on an unkeyed event appended by anyone is refused by
`audit verify` ("versions never go backwards"). If the unkeyed events verify, it then writes the first signed
checkpoint (to CONNECTING_PEOPLE_AUDIT_CHECKPOINTS), which vouches for them: without one, `audit verify` cannot
tell them from a chain rewritten unkeyed by someone without the key. That needs the audit key, so a deployment
with audit events sets its key before it migrates (the error says how).

Reversing is possible while no keyed event exists. After that it is refused: removing the columns would leave
keyed events that nobody could verify.
"""

import sys
from datetime import UTC

from django.db import migrations, models, transaction
from django.utils import timezone

from connecting_people.audit import chain, triggers


def _vendor_statements(schema_editor, by_vendor: dict[str, list[str]]) -> None:
    triggers.execute(schema_editor.connection, by_vendor[schema_editor.connection.vendor])


def reinstall_0002_triggers(apps, schema_editor):
    # On SQLite, removing a column rebuilds the table and with it drops its triggers: put 0002's back.
    _vendor_statements(
        schema_editor,
        {"sqlite": triggers.SQLITE_INSTALL_0002, "postgresql": triggers.POSTGRESQL_INSTALL_0002},
    )


def install_triggers(apps, schema_editor):
    # On SQLite, adding the columns rebuilt the table and dropped its triggers: install them all again.
    triggers.install(schema_editor.connection)


def refuse_if_keyed_then_remove_reuse_trigger(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    if AuditEvent.objects.using(schema_editor.connection.alias).filter(chain_version=chain.KEYED).exists():
        raise RuntimeError(
            "The audit trail holds keyed events; reversing this migration would leave them unverifiable. "
            "Restore a backup taken before it instead."
        )
    _vendor_statements(schema_editor, triggers.REUSE_REMOVE)


def mark_keyed(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    events = AuditEvent.objects.using(schema_editor.connection.alias)
    unkeyed = events.filter(chain_version=chain.UNKEYED).count()
    if not unkeyed:
        return
    from connecting_people.audit.keys import audit_key

    try:
        key = audit_key()
    except chain.AuditKeyError as error:
        raise RuntimeError(
            f"This database holds {unkeyed} audit events written before the audit key existed, and the "
            f"migration that starts the keyed chain needs the key: {error}"
        ) from None
    previous_hash = events.order_by("-id").values_list("hash", flat=True).first()
    occurred_at = timezone.now()
    fields = {
        "occurred_at": occurred_at,
        "actor_id": None,
        "actor_username": "",
        "action": "audit.chain_keyed",
        "object_type": "audit_chain",
        "object_id": chain.CHAIN,
        "person_id": None,
        "summary": {"version_1_events": unkeyed},
        "request_id": "",
    }
    digest = chain.keyed_event_hash(
        key, previous_hash, fields | {"occurred_at": occurred_at.astimezone(UTC).isoformat()}
    )
    marker = events.create(
        previous_hash=previous_hash, hash=digest, chain_version=chain.KEYED, key_id=key.key_id, **fields
    )
    report = chain.verify_chain(_rows(events), keyring=chain.keyring_of([key]))
    if report.broken is not None:
        print(
            f"\n  The audit trail written before the audit key does not verify (event {report.broken.event_id}: "
            f"{report.broken.reason}). No checkpoint vouches for it: `audit verify` will say so until you act.",
            file=sys.stderr,
        )
        return
    checkpoint = chain.checkpoint_sign(
        key,
        event_id=marker.pk,
        event_hash=digest,
        count=report.count,
        keyed_from=marker.pk,
        written_at=timezone.now().astimezone(UTC).isoformat(),
    )
    transaction.on_commit(lambda: _write_first_checkpoint(checkpoint), using=schema_editor.connection.alias)


def _rows(events):
    columns = ["id", "previous_hash", "hash", "chain_version", "key_id", *chain.CHAINED_FIELDS]
    for row in events.order_by("id").values(*columns).iterator(chunk_size=5000):
        row["occurred_at"] = row["occurred_at"].astimezone(UTC).isoformat()
        yield row


def _write_first_checkpoint(checkpoint) -> None:
    from django.conf import settings

    from connecting_people.audit.checkpoints import checkpoint_append

    try:
        path = checkpoint_append(settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS, checkpoint)
    except OSError as error:
        print(
            f"\n  The first audit checkpoint could not be written ({error}). Check the unkeyed audit events "
            "(for example against a backup), then run `connecting-people audit checkpoint --vouch-unkeyed`.",
            file=sys.stderr,
        )
    else:
        print(f"\n  First audit checkpoint written to {path}.", file=sys.stderr)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, reinstall_0002_triggers),
        migrations.AddField(
            model_name="auditevent",
            name="chain_version",
            field=models.PositiveSmallIntegerField(default=1),  # events before this migration: unkeyed
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.RunPython(install_triggers, refuse_if_keyed_then_remove_reuse_trigger),
        migrations.RunPython(mark_keyed, migrations.RunPython.noop),
    ]
