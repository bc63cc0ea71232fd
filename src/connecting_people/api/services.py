"""Writes of the API's own records: tokens made and revoked (audited), and answers kept for idempotency keys."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connecting_people.accounts.actor import Actor
from connecting_people.api import tokens
from connecting_people.api.models import ApiToken, IdempotencyRecord
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import NotAllowedError, NotFoundError, ServiceError

LONGEST_DAYS = 366
IDEMPOTENCY_HOURS = 24


def _checked_scopes(scopes: list[str]) -> list[str]:
    chosen = sorted(set(scopes))
    if not chosen:
        raise ServiceError("Choose at least one scope", "scopes", code="scopes_missing")
    unknown = tokens.unknown_scopes(chosen)
    if unknown:
        raise ServiceError(
            f"Unknown scope: {', '.join(unknown)}. Scopes are: {', '.join(tokens.SCOPES)}",
            "scopes",
            code="scope_unknown",
            params={"scopes": unknown},
        )
    return chosen


def _checked_days(days: int) -> int:
    if not 1 <= days <= LONGEST_DAYS:
        raise ServiceError(
            f"A token lasts from 1 to {LONGEST_DAYS} days", "days", code="token_days", params={"days": days}
        )
    return days


def token_create(
    *, actor: Actor, name: str, scopes: list[str], days: int, mfa_verified: bool, for_user=None
) -> tuple[ApiToken, str]:
    """A personal access token for the actor (`for_user` None), or, by a command run on the server, a token for a
    service account. Staff make their own only after MFA in this session when MFA is required. Returns the
    token record and the token itself, which is shown once and never stored."""
    owner = for_user or actor.user
    if owner is None or not getattr(owner, "is_active", False):
        raise NotAllowedError("Only an active user can have a token", code="token_owner")
    if for_user is None and settings.CONNECTING_PEOPLE_REQUIRE_MFA and not mfa_verified:
        raise NotAllowedError("Confirm your security code before making a token", code="mfa_required")
    if for_user is not None and not for_user.is_service_account:
        raise NotAllowedError(
            "Tokens for people are made by them, after their security code: only a service account's token is "
            "made here",
            code="token_not_service_account",
        )
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Give the token a name that says what it is for", "name", code="token_name")
    if len(name) > 100:
        raise ServiceError("Give the token a name of 100 characters or fewer", "name", code="token_name")
    chosen = _checked_scopes(scopes)
    now = timezone.now()
    made = tokens.new_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=owner,
            name=name,
            prefix=made.prefix,
            secret_hash=made.secret_hash,
            scopes=chosen,
            created_at=now,
            created_by=actor.user,
            expires_at=now + timedelta(days=_checked_days(days)),
        )
        audit_record(
            actor=actor,
            action="api_token.created",
            object_type="api_token",
            object_id=token.pk,
            summary={"prefix": token.prefix, "user_id": owner.pk, "scopes": chosen, "days": days},
        )
    return token, made.secret


def token_revoke(*, actor: Actor, token_id: int, any_owner: bool = False) -> ApiToken:
    """Revoke one of the actor's own tokens (or, from a command on the server, anyone's: `any_owner`)."""
    tokens_reached = ApiToken.objects.all() if any_owner else ApiToken.objects.filter(user_id=actor.user_id)
    with transaction.atomic():
        token = tokens_reached.select_for_update().filter(pk=token_id).first()
        if token is None:
            raise NotFoundError("No such token", params={"token_id": token_id})
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action="api_token.revoked",
                object_type="api_token",
                object_id=token.pk,
                summary={"prefix": token.prefix, "user_id": token.user_id},
            )
    return token


def token_used(*, token: ApiToken) -> None:
    """Note when a token was last used (at most once a minute, so a busy client does not write on every call)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def idempotent_answer_keep(
    *, token: ApiToken, key: str, request_hash: str, status: int, location: str
) -> None:
    """Keep what a create with an idempotency key answered: its status and the address of what it made (never the
    record itself). A key's answer older than a day is replaced, and the token's other old answers forgotten."""
    idempotent_answers_forget_old(token=token)
    IdempotencyRecord.objects.create(
        token=token,
        key=key,
        request_hash=request_hash,
        status=status,
        location=location,
        created_at=timezone.now(),
    )


def idempotent_answers_forget_old(*, token: ApiToken | None = None) -> int:
    """Forget answers older than a day (of one token, or of all)."""
    cutoff = timezone.now() - timedelta(hours=IDEMPOTENCY_HOURS)
    old = IdempotencyRecord.objects.filter(created_at__lt=cutoff)
    deleted, _ = (old.filter(token=token) if token is not None else old).delete()
    return deleted
