"""Writes about staff: sign-in outcomes, cover assignments granted by team leads."""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from connecting_people.accounts.models import CoverAssignment, SignInFailure, User
from connecting_people.accounts.selectors import (
    address_failure_window,
    address_failures_recent,
    cover_get_for_lead,
    is_practitioner_in_team,
    scope_for,
)
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import NotAllowedError, ServiceError

MAX_COVER_DAYS = 90


# --- sign-in ---------------------------------------------------------------------------------------------

# Why a sign-in failed, as the audit trail records it.
UNKNOWN_USERNAME = "unknown_username"
WRONG_PASSWORD = "wrong_password"
INACTIVE_ACCOUNT = "inactive_account"
ACCOUNT_LOCKED = "account_locked"  # refused while locked: the password was not checked


def attempted_username_hash(username: str) -> str:
    """A keyed hash of a username that matches no account. People type passwords into the username box, so the
    text itself is never stored; the hash still shows the same name tried again and again."""
    return salted_hmac("connecting_people.accounts.sign_in.username", username).hexdigest()[:20]


def _who_was_tried(username: str) -> tuple[User | None, dict]:
    user = User.objects.filter(username=username).first() if username else None
    if user is None:
        return None, {"username_hash": attempted_username_hash(username)}
    return user, {"username": user.username}


def sign_in_record_success(*, user: User, address: str | None) -> None:
    audit_record(
        actor=user,
        action="user.signed_in",
        object_type="user",
        object_id=user.pk,
        summary={"address": address},
    )


def sign_in_record_failure(
    *, username: str, address: str | None, refused_while_locked: bool, locked_now: bool
) -> str:
    """Record one failed sign-in: the audit event (who was tried, from where, why), the failure towards the
    address's limit, and the moments a username is locked or the address reaches its limit. Returns the reason.

    `refused_while_locked`: django-axes refused the attempt without checking the password. `locked_now`: this
    failure reached the per-username limit."""
    now = timezone.now()
    with transaction.atomic():
        user, who = _who_was_tried(username)
        if refused_while_locked:
            reason = ACCOUNT_LOCKED
        elif user is None:
            reason = UNKNOWN_USERNAME
        elif not user.is_active:
            reason = INACTIVE_ACCOUNT
        else:
            reason = WRONG_PASSWORD
        object_id = user.pk if user else ""
        audit_record(
            actor=None,
            action="sign_in.failed",
            object_type="user",
            object_id=object_id,
            summary={**who, "address": address, "reason": reason},
        )
        if locked_now:
            audit_record(
                actor=None,
                action="sign_in.locked_out",
                object_type="user",
                object_id=object_id,
                summary={
                    **who,
                    "address": address,
                    "failures": settings.AXES_FAILURE_LIMIT,
                    "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
                },
            )
        if address is not None:
            SignInFailure.objects.filter(occurred_at__lt=now - address_failure_window()).delete()
            SignInFailure.objects.create(address=address, occurred_at=now)
            if address_failures_recent(address=address, now=now) == settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT:
                audit_record(
                    actor=None,
                    action="sign_in.address_blocked",
                    object_type="address",
                    object_id=address,
                    summary={
                        "address": address,
                        "failures": settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT,
                        "minutes": settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_MINUTES,
                    },
                )
    return reason


def cover_grant(
    *, user, team_id: int, practitioner_id: int, starts_on: date, ends_on: date, reason: str
) -> CoverAssignment:
    """A team lead lets a practitioner in their team reach the whole team's caseload between two dates."""
    if team_id not in scope_for(user=user).lead_team_ids:
        raise NotAllowedError("You can only grant cover in a team you lead.", field="team")
    if ends_on < starts_on:
        raise ServiceError("The end date must be on or after the start date.", field="ends_on")
    if (ends_on - starts_on).days + 1 > MAX_COVER_DAYS:
        raise ServiceError(
            f"Cover can last {MAX_COVER_DAYS} days at most. Grant it again if it is still needed.",
            field="ends_on",
        )
    if ends_on < timezone.localdate():
        raise ServiceError("The end date must not be in the past.", field="ends_on")
    with transaction.atomic():
        if not is_practitioner_in_team(user_id=practitioner_id, team=team_id):
            raise ServiceError("Choose a practitioner who works in this team.", field="practitioner")
        cover = CoverAssignment.objects.create(
            team_id=team_id,
            practitioner_id=practitioner_id,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            granted_by=user,
        )
        audit_record(
            actor=user,
            action="cover.granted",
            object_type="cover_assignment",
            object_id=cover.pk,
            summary={
                "team_id": team_id,
                "practitioner_id": practitioner_id,
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
        )
    return cover


def cover_end(*, user, cover_id: int) -> CoverAssignment:
    with transaction.atomic():
        cover = cover_get_for_lead(user=user, cover_id=cover_id)
        if cover.ended_early_at is None:
            cover.ended_early_at = timezone.now()
            cover.save(update_fields=["ended_early_at"])
            audit_record(
                actor=user,
                action="cover.ended",
                object_type="cover_assignment",
                object_id=cover.pk,
                summary={"team_id": cover.team_id, "practitioner_id": cover.practitioner_id},
            )
    return cover
