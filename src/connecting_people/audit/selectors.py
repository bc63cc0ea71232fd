"""Reads of the audit trail: the chain walk for `audit verify` and `audit checkpoint`. (Who may read the events
about a person depends on who may reach the person: that is `people.selectors.audit_events_for_person`.)"""

from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from connecting_people.audit.chain import (
    CHAINED_FIELDS,
    KEYED,
    Anchor,
    AuditKey,
    ChainReport,
    Checkpoint,
    verify_chain,
)
from connecting_people.audit.checkpoints import checkpoints_read
from connecting_people.audit.keys import audit_keyring
from connecting_people.audit.models import AuditEvent

ARCHIVED_ACTION = "audit.archived"
_COLUMNS = ["id", "previous_hash", "hash", "chain_version", "key_id", *CHAINED_FIELDS]


def chain_rows(*, after_id: int | None = None, up_to_id: int | None = None, chunk_size: int = 5000):
    """Events as plain mappings in id order (streamed), occurred_at as ISO 8601 text in UTC, as chain.py wants."""
    events = AuditEvent.objects.order_by("id")
    if after_id is not None:
        events = events.filter(id__gt=after_id)
    if up_to_id is not None:
        events = events.filter(id__lte=up_to_id)
    for row in events.values(*_COLUMNS).iterator(chunk_size=chunk_size):
        row["occurred_at"] = row["occurred_at"].astimezone(UTC).isoformat()
        yield row


def audit_archive_anchor() -> Anchor | None:
    """Where the chain starts when its older part was archived: read from the latest `audit.archived` event
    (whose own keyed hash the walk then checks), or None when nothing was ever archived."""
    event = AuditEvent.objects.filter(action=ARCHIVED_ACTION).order_by("-id").values("id", "summary").first()
    if event is None:
        return None
    summary = event["summary"]
    try:
        keyed_from = summary["first_signed_event"]
        return Anchor(
            event_id=int(summary["last_event"]),
            event_hash=str(summary["last_hash"]),
            count=int(summary["events"]),
            keyed_from=None if keyed_from is None else int(keyed_from),
            source_event_id=event["id"],
        )
    except (KeyError, TypeError, ValueError):
        # Not written by `audit archive`: the walk will find the first event's link broken.
        return None


def audit_chain_verify(
    *, keyring: dict[str, AuditKey] | None = None, checkpoints_location: Path | None = None
) -> ChainReport:
    """Walk the whole chain once and check every checkpoint in the checkpoint file against it."""
    keyring = audit_keyring() if keyring is None else keyring
    checkpoints, file_problems = checkpoints_read(
        checkpoints_location or settings.CONNECTING_PEOPLE_AUDIT_CHECKPOINTS
    )
    report = verify_chain(
        chain_rows(), keyring=keyring, checkpoints=checkpoints, anchor=audit_archive_anchor()
    )
    report.checkpoint_problems[:0] = file_problems
    return report


def audit_chain_has_keyed_events() -> bool:
    return AuditEvent.objects.filter(chain_version=KEYED).exists()


def audit_event_hash(*, event_id: int) -> str | None:
    return AuditEvent.objects.filter(pk=event_id).values_list("hash", flat=True).first()


def audit_events_count(*, up_to_id: int | None = None) -> int:
    events = AuditEvent.objects.all()
    return (events.filter(id__lte=up_to_id) if up_to_id is not None else events).count()


def latest_checkpoint(checkpoints: list[Checkpoint], keyring: dict[str, AuditKey]) -> Checkpoint | None:
    """The checkpoint furthest along the chain among those whose signature holds."""
    from connecting_people.audit.chain import CHAIN, checkpoint_signature_valid

    valid = [c for c in checkpoints if c.chain == CHAIN and checkpoint_signature_valid(c, keyring)]
    return max(valid, key=lambda c: (c.count, c.written_at), default=None)


def user_access_changes(*, user_ids: set[int]) -> QuerySet[AuditEvent]:
    """The `user.access_changed` events of these users (staff accounts, not people supported), newest first: for
    the privileged access review, which only administrators reach."""
    return AuditEvent.objects.filter(
        action="user.access_changed", object_type="user", object_id__in=[str(pk) for pk in user_ids]
    ).order_by("-id")


def latest_event_summary(*, action: str, object_type: str, object_id) -> dict | None:
    """The summary of the latest event of `action` on one object (None when there is none): for an app reading
    back what it recorded, such as the counts of a simulated study's load."""
    event = (
        AuditEvent.objects.filter(action=action, object_type=object_type, object_id=str(object_id))
        .order_by("-id")
        .only("summary")
        .first()
    )
    return None if event is None else event.summary


# --- for the data protection officer (privacy app), whose reach the caller has already checked ----------------


def erasure_tombstones(*, trust_ids) -> QuerySet[AuditEvent]:
    """The `person.erased` tombstones of these trusts, newest first."""
    return AuditEvent.objects.filter(
        action="person.erased", summary__trust_id__in=sorted(trust_ids)
    ).order_by("-id")


def events_about_person(*, person_id: int) -> QuerySet[AuditEvent]:
    """Every event about one person, oldest first, with the staff member who acted (the access log of a subject
    access request)."""
    return AuditEvent.objects.filter(person_id=person_id).select_related("actor").order_by("id")


def audit_events_before_count(*, before) -> int:
    """How many events, of the whole service, happened before this date."""
    return AuditEvent.objects.filter(occurred_at__date__lt=before).count()
