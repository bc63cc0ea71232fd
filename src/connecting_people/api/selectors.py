"""Reads of the API's own records."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from connecting_people.accounts.actor import Actor
from connecting_people.api import tokens
from connecting_people.api.models import ApiToken, IdempotencyRecord
from connecting_people.api.services import IDEMPOTENCY_HOURS


def tokens_of(*, actor: Actor) -> QuerySet[ApiToken]:
    """The actor's own tokens, newest first (revoked and expired ones included, marked as such)."""
    return ApiToken.objects.filter(user_id=actor.user_id).order_by("-created_at")


def token_for(raw: str) -> ApiToken | None:
    """The live token this string is (not revoked, not expired, its user active), with its user; else None."""
    prefix = tokens.prefix_of(raw)
    if prefix is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not tokens.same_hash(raw, token.secret_hash):
        return None
    if token.revoked_at is not None or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    return token


def idempotent_answer(*, token: ApiToken, key: str) -> IdempotencyRecord | None:
    cutoff = timezone.now() - timedelta(hours=IDEMPOTENCY_HOURS)
    return IdempotencyRecord.objects.filter(token=token, key=key, created_at__gte=cutoff).first()


def tokens_listed(*, username: str | None = None) -> QuerySet[ApiToken]:
    """Every token (for the server's command line), by user, newest first."""
    rows = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
    return rows.filter(user__username=username) if username else rows


def token_by_prefix(*, prefix: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(prefix=prefix).first()
