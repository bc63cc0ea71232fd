"""/api/v1/community: the community directory (public information, not personal data), read-only, for those who
may search it on the pages (staff who work with people, implementation leads, administrators)."""

from datetime import date, time
from typing import Literal

import rules
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from connecting_people.api.auth import require_scope
from connecting_people.api.paging import DEFAULT_LIMIT, Page, page_of
from connecting_people.api.responses import json_response
from connecting_people.community import presenters, selectors
from connecting_people.community.hsds.schedules import DAY_NAMES
from connecting_people.community.models import Opportunity
from connecting_people.core.errors import NotFoundError

router = Router(tags=["community"])

Category = Literal[tuple(Opportunity.Category.values)]  # type: ignore[valid-type]
Cost = Literal[tuple(Opportunity.Cost.values)]  # type: ignore[valid-type]
Day = Literal[tuple(name.lower() for name in DAY_NAMES)]  # type: ignore[valid-type]


class SessionOut(Schema):
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    starts_at: time | None
    ends_at: time | None


class OrganisationOut(Schema):
    id: int
    name: str
    website: str


class OpportunityOut(Schema):
    id: int
    name: str
    description: str
    category: Category
    organisation: OrganisationOut | None
    address: str
    postcode: str
    latitude: float | None
    longitude: float | None
    schedule: str
    sessions: list[SessionOut]
    cost: Cost
    cost_text: str
    accessibility: str
    contact_name: str
    contact_phone: str
    contact_email: str
    website: str
    interests: list[str]
    last_verified_on: date | None
    active: bool
    version: int
    url: str


def opportunity_out(request, opportunity: Opportunity) -> OpportunityOut:
    organisation = opportunity.organisation
    return OpportunityOut(
        **{
            name: getattr(opportunity, name)
            for name in OpportunityOut.model_fields
            if name not in {"organisation", "sessions", "interests", "cost_text", "url"}
        },
        organisation=None
        if organisation is None
        else OrganisationOut(id=organisation.pk, name=organisation.name, website=organisation.website),
        sessions=[
            SessionOut(weekday=s.weekday, starts_at=s.starts_at, ends_at=s.ends_at)
            for s in opportunity.sessions.all()
        ],
        interests=presenters.interest_names(opportunity),
        cost_text=presenters.cost_text(opportunity),
        url=request.build_absolute_uri(reverse("api-v1:opportunity", args=[opportunity.pk])),
    )


def _may_search(request) -> None:
    """Out of a role's reach is 404, as on the pages."""
    if not rules.test_rule("search_directory", request.user):
        raise NotFoundError("No such directory")


class OpportunityFilter(Schema):
    q: str = Field("", max_length=200, description="Words in the name, description or organisation")
    category: Category | None = None
    interest: str = Field("", max_length=60, description="An interest the opportunity suits (any case)")
    day: Day | None = None
    time: Literal["morning", "afternoon", "evening"] | None = None
    cost: Literal["free", "low"] | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get(
    "/opportunities", response=Page[OpportunityOut], url_name="opportunities", summary="Search the directory"
)
def opportunities(request, filters: Query[OpportunityFilter]):
    """Running opportunities matching every filter given (as the directory search page), by id, a page at a
    time."""
    require_scope(request, "community:read")
    _may_search(request)
    search = selectors.DirectorySearch(
        text=" ".join(ch for ch in filters.q if ch.isprintable()),
        interest=filters.interest,
        category=filters.category or "",
        weekday=[name.lower() for name in DAY_NAMES].index(filters.day) if filters.day else None,
        time_of_day=filters.time or "",
        cost=filters.cost or "",
    )
    rows = selectors.directory_search(search=search)
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    return {"items": [opportunity_out(request, each) for each in items], "next": following}


@router.get(
    "/opportunities/{int:opportunity_id}",
    response=OpportunityOut,
    url_name="opportunity",
    summary="One opportunity",
)
def opportunity(request, opportunity_id: int):
    """One opportunity, running or not."""
    require_scope(request, "community:read")
    _may_search(request)
    found = selectors.opportunity_get(opportunity_id=opportunity_id)
    return json_response(opportunity_out(request, found), version=found.version)
