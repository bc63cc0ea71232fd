"""Credentials for machines (personal access tokens and service accounts' tokens) and the stored answers to
creates sent with an idempotency key. Nothing about a person is kept here."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token. Only its hash is kept; `prefix` (shown in lists and in the audit trail) identifies it
    without revealing it. A token acts as its user, within its scopes: the user's reach is never widened."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Requests a minute this token may make (429 with Retry-After beyond it).
    rate_limit = models.PositiveIntegerField(default=120)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class IdempotencyRecord(models.Model):
    """What a create sent with an `Idempotency-Key` answered, so the same request sent again (a retry after a lost
    connection) creates nothing twice: its status and the address of what it made. The record itself is not kept
    here (a retry reads it afresh through that address). Kept for a day."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_key_once")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"
