"""Writes about staff: cover assignments granted by team leads."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from connecting_people.accounts.models import CoverAssignment
from connecting_people.accounts.selectors import cover_get_for_lead, is_practitioner_in_team, scope_for
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import NotAllowedError, ServiceError

MAX_COVER_DAYS = 90


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
