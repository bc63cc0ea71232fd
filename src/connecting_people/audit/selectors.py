"""Reads of the audit trail: the chain walk for `audit verify` and `audit checkpoint`, and events about a person
for team leads and administrators."""

from datetime import UTC
from pathlib import Path

import rules
from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from connecting_people.accounts.models import Membership, Role
from connecting_people.accounts.selectors import scope_for
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


def administrator_trust_ids(*, user) -> frozenset[int] | None:
    """The trusts an administrator's reach is limited to (empty for someone who is no administrator), or None
    for a global administrator: a superuser, or an administrator membership without a trust."""
    if not scope_for(user=user).is_administrator:
        return frozenset()
    if user.is_superuser:
        return None
    trust_ids = set()
    for trust_id in Membership.objects.filter(user=user, role=Role.ADMINISTRATOR).values_list(
        "trust_id", flat=True
    ):
        if trust_id is None:
            return None
        trust_ids.add(trust_id)
    return frozenset(trust_ids)


def audit_events_for_person(*, user, person_id: int) -> QuerySet[AuditEvent]:
    """Events that concern one person. A global administrator sees any person's trail (it holds no clinical free
    text), an administrator limited to trusts only the trails of people recorded in those trusts; a team lead sees
    the trail of people in their teams; anyone else gets 404."""
    from connecting_people.people.selectors import person_exists, person_get

    events = AuditEvent.objects.filter(person_id=person_id).order_by("-id")
    trust_ids = administrator_trust_ids(user=user)
    if trust_ids is None:
        if not person_exists(person_id=person_id) and not events.exists():
            raise Http404("No such record")
        return events
    # A trust's administrator: the record must exist in their trust (a removed record's trust is unknown).
    if trust_ids and person_exists(person_id=person_id, trust_ids=trust_ids):
        return events
    # person_get answers 404 for anyone who cannot reach the record at all.
    person = person_get(user=user, person_id=person_id)
    if not rules.test_rule("view_person_audit", user, person):
        raise Http404
    return events


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
