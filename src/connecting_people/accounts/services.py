"""Writes about staff: sign-in outcomes, cover assignments granted by team leads."""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from connecting_people.accounts.models import AccessReview, CoverAssignment, Membership, SignInFailure, User
from connecting_people.accounts.selectors import (
    PrivilegedAccess,
    address_failure_window,
    address_failures_recent,
    cover_get_for_lead,
    is_practitioner_in_team,
    privileged_access,
    scope_for,
)
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import NotAllowedError, ServiceError, StaleRecordError

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
            if (
                address_failures_recent(address=address, now=now)
                == settings.CONNECTING_PEOPLE_ADDRESS_FAILURE_LIMIT
            ):
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
        raise NotAllowedError(
            "You can only grant cover in a team you lead.",
            field="team",
            code="not_team_lead",
            params={"team_id": team_id},
        )
    if ends_on < starts_on:
        raise ServiceError(
            "The end date must be on or after the start date.",
            field="ends_on",
            code="ends_before_start",
            params={"starts_on": starts_on, "ends_on": ends_on},
        )
    if (ends_on - starts_on).days + 1 > MAX_COVER_DAYS:
        raise ServiceError(
            f"Cover can last {MAX_COVER_DAYS} days at most. Grant it again if it is still needed.",
            field="ends_on",
            code="cover_too_long",
            params={"max_cover_days": MAX_COVER_DAYS},
        )
    if ends_on < timezone.localdate():
        raise ServiceError(
            "The end date must not be in the past.",
            field="ends_on",
            code="ends_in_past",
            params={"ends_on": ends_on},
        )
    with transaction.atomic():
        if not is_practitioner_in_team(user_id=practitioner_id, team=team_id):
            raise ServiceError(
                "Choose a practitioner who works in this team.",
                field="practitioner",
                code="practitioner_not_in_team",
                params={"practitioner_id": practitioner_id, "team_id": team_id},
            )
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


# --- memberships, roles and account privileges (administrators) -------------------------------------------

OWN_ACCESS_REFUSED = (
    "You cannot change your own roles or account privileges. Ask another administrator: that way nobody can give "
    "themselves access to records unseen."
)
ACCESS_FLAGS = ("is_active", "is_staff", "is_superuser")
NEW_ACCOUNT_FLAGS = {"is_active": True, "is_staff": False, "is_superuser": False}


def membership_described(membership: Membership) -> dict:
    """A membership as the audit trail records it: the role and where, by id and by name."""
    return {
        "membership_id": membership.pk,
        "role": membership.role,
        "team_id": membership.team_id,
        "team": membership.team.name if membership.team_id else None,
        "trust_id": membership.trust_id,
        "trust": membership.trust.name if membership.trust_id else None,
    }


def _refuse_own(actor: User, user_id: int) -> None:
    if actor.pk == user_id:
        raise NotAllowedError(OWN_ACCESS_REFUSED, code="own_access", params={"user_id": user_id})


def membership_save(*, actor: User, membership: Membership) -> Membership:
    """Save a role given or changed by an administrator (the admin pages fill `membership` from their form),
    stamping when and by whom, with the before and after in the audit trail. NotAllowedError for one's own."""
    _refuse_own(actor, membership.user_id)
    with transaction.atomic():
        before = None
        if membership.pk is not None:
            stored = Membership.objects.select_related("team", "trust").filter(pk=membership.pk).first()
            before = membership_described(stored) if stored else None
        where_changed = before is None or (
            (before["role"], before["team_id"], before["trust_id"])
            != (membership.role, membership.team_id, membership.trust_id)
        )
        if where_changed:
            membership.granted_at = timezone.now()
            membership.granted_by = actor
        membership.save()
        after = membership_described(membership)
        if before is None:
            action, summary = "membership.granted", {"user_id": membership.user_id, **after}
        else:
            action, summary = (
                "membership.changed",
                {"user_id": membership.user_id, "before": before, "after": after},
            )
        if before != after:
            audit_record(
                actor=actor, action=action, object_type="user", object_id=membership.user_id, summary=summary
            )
    return membership


def membership_remove(*, actor: User, membership: Membership) -> None:
    _refuse_own(actor, membership.user_id)
    with transaction.atomic():
        before = membership_described(membership)
        user_id = membership.user_id
        membership.delete()
        audit_record(
            actor=actor,
            action="membership.removed",
            object_type="user",
            object_id=user_id,
            summary={"user_id": user_id, **before},
        )


def user_access_flags(user: User) -> dict[str, bool]:
    return {flag: bool(getattr(user, flag)) for flag in ACCESS_FLAGS}


def user_access_record(*, actor: User, user: User, before: dict[str, bool]) -> None:
    """Audit a change to an account's active, staff or superuser flag, made by the admin page's save of `user`.
    NotAllowedError (and the caller's transaction rolls back) when it is the actor's own account."""
    after = user_access_flags(user)
    if after == before:
        return
    _refuse_own(actor, user.pk)
    audit_record(
        actor=actor,
        action="user.access_changed",
        object_type="user",
        object_id=user.pk,
        summary={"before": before, "after": after},
    )


def user_permissions_record(*, actor: User, user: User, before: list[str], after: list[str]) -> None:
    """Audit a change to an account's Django permissions or groups (what the administration pages allow)."""
    if before == after:
        return
    _refuse_own(actor, user.pk)
    audit_record(
        actor=actor,
        action="user.permissions_changed",
        object_type="user",
        object_id=user.pk,
        summary={"before": before, "after": after},
    )


# --- the privileged-access review ----------------------------------------------------------------------------


def access_review_record(*, actor: User, fingerprint: str, note: str = "") -> AccessReview:
    """Record that `actor` checked the privileged-access list they were shown (its `fingerprint`).

    StaleRecordError when the list changed since they opened it; NotAllowedError when they granted any of the
    access listed since the last review themselves: a second person reviews it."""
    if not scope_for(user=actor).is_administrator:
        raise NotAllowedError("Only administrators record access reviews.", code="not_administrator")
    with transaction.atomic():
        current: PrivilegedAccess = privileged_access(user=actor)
        if current.fingerprint != fingerprint:
            raise StaleRecordError(
                "The list changed while you were looking at it. Check the list below again, then record your review."
            )
        own = [entry for entry in current.since_last_review if entry.granted_by_id == actor.pk]
        if own:
            names = ", ".join(sorted({entry.person.display_name for entry in own}))
            raise NotAllowedError(
                f"You granted some of this access yourself since the last review ({names}). Another administrator "
                "must review it.",
                code="review_own_grants",
                params={"names": names},
            )
        review = AccessReview.objects.create(
            reviewed_by=actor, entries=len(current.entries), fingerprint=fingerprint, note=note.strip()
        )
        audit_record(
            actor=actor,
            action="access_review.recorded",
            object_type="access_review",
            object_id=review.pk,
            summary={"entries": review.entries, "fingerprint": fingerprint, "with_note": bool(review.note)},
        )
    return review


# --- service accounts ------------------------------------------------------------------------------------


def service_account_create(
    *, actor, username: str, role: str, trust_ods_code: str, team_name: str | None = None
) -> User:
    """A service account: a system that uses the API (with tokens made for it on the server) and never signs in
    to the pages. It reaches what its one role reaches (a researcher role in a trust for an analytics system, a
    team lead role for a system that reads a team's records), like a member of staff. Run from the command line
    by whoever runs the server (`actor` the user named by --user, or None)."""
    from connecting_people.accounts.models import Role, Team, Trust

    username = (username or "").strip()
    if not username or len(username) > 150 or not all(ch.isalnum() or ch in "@.+-_" for ch in username):
        raise ServiceError(
            "A service account's name is 1 to 150 letters, digits and @ . + - _", "username", code="username"
        )
    if User.objects.filter(username=username).exists():
        raise ServiceError(f"There is already a user named {username}", "username", code="username_taken")
    if role not in Role.values or role == Role.ADMINISTRATOR:
        allowed = ", ".join(value for value in Role.values if value != Role.ADMINISTRATOR)
        raise ServiceError(f"The role must be one of: {allowed}", "role", code="role_unknown")
    trust = Trust.objects.filter(ods_code=trust_ods_code).first()
    if trust is None:
        raise ServiceError(f"No trust has the ODS code {trust_ods_code}", "trust", code="trust_unknown")
    team = None
    if role in (Role.PRACTITIONER, Role.TEAM_LEAD):
        team = Team.objects.filter(trust=trust, name=team_name or "").first()
        if team is None:
            raise ServiceError(
                f"This role is in a team: name one of {trust.name}'s teams with --team", "team", code="team_unknown"
            )
    with transaction.atomic():
        account = User(username=username, is_service_account=True, first_name=username)
        account.set_unusable_password()
        account.save()
        Membership.objects.create(
            user=account,
            role=role,
            trust=trust,
            team=team,
            granted_at=timezone.now(),
            granted_by=actor,
        )
        audit_record(
            actor=actor,
            action="service_account.created",
            object_type="user",
            object_id=account.pk,
            summary={"role": role, "trust_id": trust.pk, "team_id": team.pk if team else None, "made_on": "command line"},
        )
    return account
