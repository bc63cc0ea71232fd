"""The auditor: the one way an audit event is written. Call it inside the transaction of the change."""

import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from connecting_people.audit import chain
from connecting_people.audit.models import AuditEvent
from connecting_people.core.request_context import current_request_id

# Keys never stored in a summary, whatever a caller passes.
SECRET_KEYS = {"password", "secret", "token", "otp", "key", "totp", "session"}

# An arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
_POSTGRES_LOCK_KEY = 7_447_001


def _clean_summary(summary: dict[str, Any] | None) -> dict[str, Any]:
    cleaned = {
        key: value
        for key, value in (summary or {}).items()
        if not any(secret in key.lower() for secret in SECRET_KEYS)
    }
    # Round-trip through JSON so the hashed form is exactly what the database gives back (dates as text).
    return json.loads(json.dumps(cleaned, default=str))


def audit_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: Any = "",
    person_id: int | None = None,
    summary: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. `summary` must hold no free text about the person (names of changed
    fields are fine; their values only when they are codes or dates)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POSTGRES_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        previous_hash = last or chain.GENESIS_HASH
        actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
        occurred_at = timezone.now()
        fields = {
            "occurred_at": occurred_at,
            "actor_id": actor_id,
            "actor_username": actor.get_username() if actor_id else "",
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id or ""),
            "person_id": person_id,
            "summary": _clean_summary(summary),
            "request_id": current_request_id(),
        }
        digest = chain.event_hash(previous_hash, fields | {"occurred_at": occurred_at.isoformat()})
        return AuditEvent.objects.create(previous_hash=previous_hash, hash=digest, **fields)
