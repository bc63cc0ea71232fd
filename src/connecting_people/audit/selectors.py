"""Reads of the audit trail: the chain walk for `audit verify`, and events about a person for leads and admins."""

from collections.abc import Iterator
from datetime import UTC
from typing import Any

import rules
from django.db.models import QuerySet
from django.http import Http404

from connecting_people.accounts.selectors import scope_for
from connecting_people.audit.chain import CHAINED_FIELDS, GENESIS_HASH, ChainBreak, find_first_break
from connecting_people.audit.models import AuditEvent


def _chain_rows(chunk_size: int = 5000) -> Iterator[dict[str, Any]]:
    columns = ["id", "previous_hash", "hash", *CHAINED_FIELDS]
    for row in AuditEvent.objects.order_by("id").values(*columns).iterator(chunk_size=chunk_size):
        row["occurred_at"] = row["occurred_at"].astimezone(UTC).isoformat()
        yield row


def audit_chain_first_break() -> ChainBreak | None:
    """Recompute the whole chain in id order; the first broken event, or None when intact."""
    return find_first_break(_chain_rows())


def audit_chain_length() -> int:
    return AuditEvent.objects.count()


def audit_chain_last_hash() -> str:
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH


def audit_events_for_person(*, user, person_id: int) -> QuerySet[AuditEvent]:
    """Events that concern one person. Administrators see any person's trail (it holds no clinical free text);
    a team lead sees the trail of people in their teams; anyone else gets 404."""
    from connecting_people.people.selectors import person_exists, person_get

    if not scope_for(user=user).is_administrator:
        # person_get answers 404 for anyone who cannot reach the record at all.
        person = person_get(user=user, person_id=person_id)
        if not rules.test_rule("view_person_audit", user, person):
            raise Http404
    events = AuditEvent.objects.filter(person_id=person_id).order_by("-id")
    if (
        scope_for(user=user).is_administrator
        and not person_exists(person_id=person_id)
        and not events.exists()
    ):
        raise Http404("No such record")
    return events
