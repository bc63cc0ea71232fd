"""/api/v1/studies: the studies you are a member of, and their participants pseudonymised exactly as the study's
export writes them (study IDs, codes, days from baseline, age at baseline): no name, NHS number, date of birth
or other identifier leaves. For researchers and study leads; everyone else gets 404, as on the pages. A
researcher limited to one site reaches that site's participants only."""

from datetime import date
from typing import Any

from django.urls import reverse
from ninja import Field, Query, Router, Schema

from connecting_people.api.auth import require_scope
from connecting_people.api.paging import DEFAULT_LIMIT, Page, page_of
from connecting_people.audit.services import audit_list_viewed
from connecting_people.core.errors import NotFoundError
from connecting_people.study import selectors
from connecting_people.study.export.db import pseudonymised_participants

router = Router(tags=["study"])


class StudyOut(Schema):
    id: int
    code: str
    title: str
    status: str
    starts_on: date
    role: str = Field(description="Your role in the study: lead or researcher")
    site: str | None = Field(description="The site you are limited to (its code), or null for every site")
    participants_url: str


class AssessmentOut(Schema):
    timepoint: str = Field(description="The timepoint's code")
    instrument: str
    version: str
    day: int = Field(description="Days from the participant's baseline")
    values: dict[str, int | float | None] = Field(
        description="The instrument's variables (items, then scores) as the export's data dictionary names them"
    )


class ParticipantOut(Schema):
    study_id: str = Field(description="The participant's study ID (keyed HMAC: the same as in exports)")
    site: str
    team: str
    arm: str
    consent_version: str
    age_at_baseline: int | None = Field(description="Whole years, 90 meaning 90 or over")
    withdrawn: bool
    withdrawal_day: int | None
    assessments: list[AssessmentOut]


class PageFilter(Schema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _researcher(request) -> None:
    if not request.actor.scope.is_researcher:
        raise NotFoundError("No such study")


@router.get("", response=Page[StudyOut], url_name="studies", summary="Your studies")
def studies(request, filters: Query[PageFilter]):
    """The studies you are a member of, with your role in each."""
    require_scope(request, "study:read")
    _researcher(request)
    rows = selectors.memberships_for(actor=request.actor)
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    return {
        "items": [
            StudyOut(
                id=member.study.pk,
                code=member.study.code,
                title=member.study.title,
                status=member.study.status,
                starts_on=member.study.starts_on,
                role=member.role,
                site=member.site.code if member.site_id else None,
                participants_url=request.build_absolute_uri(
                    reverse("api-v1:study_participants", args=[member.study.pk])
                ),
            )
            for member in items
        ],
        "next": following,
    }


@router.get(
    "/{int:study_id}/participants",
    response=Page[ParticipantOut],
    url_name="study_participants",
    summary="A study's participants, pseudonymised",
)
def study_participants(request, study_id: int, filters: Query[PageFilter]):
    """The participants you reach in the study, a page at a time, as the export writes them: study ID, site,
    team and arm codes, consent version, age at baseline, withdrawal day, and each assessment by timepoint
    (days from baseline, the instrument's variables). Participants an export leaves out (no consent recorded,
    data removed on request, processing restricted) are left out here too, so a page may hold fewer than
    `limit` rows: follow `next` to the end."""
    require_scope(request, "study:read")
    access = selectors.study_access(actor=request.actor, study_id=study_id)
    rows = access.participants().only("pk")
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    found: list[dict[str, Any]] = (
        pseudonymised_participants(access.study, participant_ids=[each.pk for each in items]) if items else []
    )
    audit_list_viewed(
        actor=request.actor,
        list_name="api.study_participants",
        rows=len(found),
        object_type="study",
        object_id=access.study.pk,
    )
    return {"items": found, "next": following}
