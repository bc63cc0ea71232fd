"""The append-only, hash-chained audit trail. Database triggers reject UPDATE, DELETE and any insert that re-uses an
event's id or hash (see triggers.py); ADR 0002 and ADR 0009 describe the chain."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    # The person the event concerns, kept as a plain number so the trail outlives the record.
    person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    summary = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # 1: unkeyed SHA-256 (events written before the audit key); 2: HMAC-SHA256 with the audit key (chain.py).
    chain_version = models.PositiveSmallIntegerField()
    # Which audit key signed a keyed event (its key id, never the key); empty for unkeyed events.
    key_id = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["person_id", "id"], name="audit_person_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"
