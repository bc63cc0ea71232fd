"""/api/v1/people: the records of people the token's owner works with (the same reach as their caseload pages)."""

from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from pydantic import field_validator, model_validator

from connecting_people.api.auth import require_scope
from connecting_people.api.paging import DEFAULT_LIMIT, Page, page_of
from connecting_people.api.preconditions import expected_version
from connecting_people.api.responses import idempotent, json_response
from connecting_people.audit.services import audit_list_viewed
from connecting_people.core.errors import ServiceError
from connecting_people.people import forms as people_forms
from connecting_people.people import selectors, services
from connecting_people.people.models import Person, Tag
from connecting_people.people.selectors import processing_allowed

router = Router(tags=["people"])


def _clean(check, value):
    try:
        return check(value)
    except DjangoValidationError as error:
        raise ValueError(error.messages[0]) from None


class PersonOut(Schema):
    id: int
    team_id: int
    allocated_worker_id: int | None
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: date
    nhs_number: str | None
    phone: str
    email: str
    address: str
    postcode: str
    status: Literal["open", "closed"]
    opened_on: date
    closed_on: date | None
    closure_reason: str
    practice_consent: bool | None
    practice_consent_on: date | None
    research_consent: bool | None
    research_consent_on: date | None
    next_review_on: date | None
    processing_restricted: bool
    strengths: list[str]
    interests: list[str]
    version: int
    url: str


class _PersonFields(Schema):
    """Shared checks of the fields a client may send (the pages' own checks, by the same functions)."""

    @field_validator("nhs_number", check_fields=False)
    @classmethod
    def _nhs_number(cls, value):
        return None if value is None else _clean(people_forms.clean_nhs_number, value)

    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone(cls, value):
        return None if value is None else _clean(people_forms.clean_phone, value)

    @field_validator("postcode", check_fields=False)
    @classmethod
    def _postcode(cls, value):
        return None if value is None else _clean(people_forms.clean_postcode, value)

    @field_validator("email", check_fields=False)
    @classmethod
    def _email(cls, value):
        if value:
            _clean(validate_email, value.strip())
            return value.strip()
        return value

    @field_validator(
        "date_of_birth", "opened_on", "practice_consent_on", "research_consent_on", check_fields=False
    )
    @classmethod
    def _not_future(cls, value):
        if value is not None and value > date.today():
            raise ValueError("must be today or in the past")
        return value

    @field_validator(
        "given_name",
        "family_name",
        "preferred_name",
        "address",
        "strengths",
        "interests",
        check_fields=False,
        mode="before",
    )
    @classmethod
    def _no_control_characters(cls, value):
        """Control characters out before the length checks (so a name of nothing but them is refused as empty)."""

        def strip(text: str) -> str:
            return "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()

        if isinstance(value, str):
            return strip(value)
        if isinstance(value, list):
            return [strip(each) for each in value if strip(each)]
        return value


def dates_agree(record: dict) -> None:
    """The pages' rules across fields, for a whole record (a new one, or one with a change applied)."""
    for consent, on in (
        ("practice_consent", "practice_consent_on"),
        ("research_consent", "research_consent_on"),
    ):
        if record.get(consent) is not None and record.get(on) is None:
            raise ValueError(f"{on} is needed when {consent} is given")
    if record["opened_on"] < record["date_of_birth"]:
        raise ValueError("opened_on must be after date_of_birth")


class PersonIn(_PersonFields):
    team_id: int
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    preferred_name: str = Field("", max_length=100)
    date_of_birth: date
    nhs_number: str | None = Field(None, max_length=12)
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=500)
    postcode: str = Field("", max_length=10)
    opened_on: date
    practice_consent: bool | None = None
    practice_consent_on: date | None = None
    research_consent: bool | None = None
    research_consent_on: date | None = None
    next_review_on: date | None = None
    strengths: list[str] = Field(default_factory=list, max_length=30)
    interests: list[str] = Field(default_factory=list, max_length=30)

    @model_validator(mode="after")
    def _dates_agree(self):
        dates_agree(self.model_dump())
        return self


class PersonPatch(_PersonFields):
    """Only the fields sent are changed."""

    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    preferred_name: str | None = Field(None, max_length=100)
    date_of_birth: date | None = None
    nhs_number: str | None = Field(None, max_length=12)
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)
    address: str | None = Field(None, max_length=500)
    postcode: str | None = Field(None, max_length=10)
    practice_consent: bool | None = None
    practice_consent_on: date | None = None
    research_consent: bool | None = None
    research_consent_on: date | None = None
    next_review_on: date | None = None
    strengths: list[str] | None = Field(None, max_length=30)
    interests: list[str] | None = Field(None, max_length=30)

    @model_validator(mode="after")
    def _no_null_for_what_every_record_has(self):
        for name in ("given_name", "family_name", "date_of_birth"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed: send a value")
        return self


def person_out(request, person: Person) -> PersonOut:
    tags: dict[str, list[str]] = {Tag.Kind.STRENGTH: [], Tag.Kind.INTEREST: []}
    for tag in sorted(person.tags.all(), key=lambda tag: tag.name):
        tags[tag.kind].append(tag.name)
    return PersonOut(
        **{
            name: getattr(person, name)
            for name in PersonOut.model_fields
            if hasattr(person, name) and name != "url"
        },
        strengths=tags[Tag.Kind.STRENGTH],
        interests=tags[Tag.Kind.INTEREST],
        url=request.build_absolute_uri(reverse("api-v1:person", args=[person.pk])),
    )


class PeopleFilter(Schema):
    status: Literal["open", "closed", "all"] = "open"
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@router.get("", response=Page[PersonOut], url_name="people", summary="People you work with")
def people_list(request, filters: Query[PeopleFilter]):
    """The people in your reach (your caseload; a team lead's team), by id, a page at a time. People whose
    processing is restricted are left out, as on the caseload pages."""
    require_scope(request, "people:read")
    rows = selectors.people_visible_to(actor=request.actor).filter(processing_allowed())
    if filters.status != "all":
        rows = rows.filter(status=filters.status)
    rows = selectors.with_tags(rows)
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    audit_list_viewed(actor=request.actor, list_name="api.people", rows=len(items), object_type="person")
    return {"items": [person_out(request, person) for person in items], "next": following}


@router.get("/{int:person_id}", response=PersonOut, url_name="person", summary="One person")
def person_get(request, person_id: int):
    require_scope(request, "people:read")
    person = selectors.person_get(actor=request.actor, person_id=person_id, shown_on="api")
    return json_response(person_out(request, person), version=person.version)


@router.post("", response={201: PersonOut}, url_name="people", summary="Add a person to your team")
@idempotent
def person_create(request, payload: PersonIn):
    """A practitioner's new person is allocated to them. Send an `Idempotency-Key` so a retry adds nobody twice."""
    require_scope(request, "people:write")
    data = payload.model_dump(exclude={"team_id", "strengths", "interests"})
    person = services.person_create(
        actor=request.actor,
        team_id=payload.team_id,
        data=data,
        strengths=payload.strengths,
        interests=payload.interests,
    )
    url = reverse("api-v1:person", args=[person.pk])
    return json_response(
        person_out(request, person),
        status=201,
        location=request.build_absolute_uri(url),
        version=person.version,
    )


@router.patch("/{int:person_id}", response=PersonOut, url_name="person", summary="Change a person's record")
def person_update(request, person_id: int, payload: PersonPatch):
    """Send `If-Match` with the ETag you read: a change to a record someone else has changed since is refused
    (412), never applied over theirs."""
    require_scope(request, "people:write")
    person = selectors.person_get(actor=request.actor, person_id=person_id)
    version = expected_version(request, person.version)
    given = payload.model_dump(exclude_unset=True)
    record = {name: getattr(person, name) for name in services.RECORD_FIELDS} | given
    try:
        dates_agree(record)
    except ValueError as error:
        raise ServiceError(str(error), code="invalid") from None
    tags = selectors.person_tags(person=person)
    strengths = given.pop("strengths", None)
    interests = given.pop("interests", None)
    person = services.person_update(
        actor=request.actor,
        person_id=person.pk,
        expected_version=version,
        data={
            name: ("" if value is None and name in _BLANK_TEXT else value) for name, value in given.items()
        },
        strengths=tags[Tag.Kind.STRENGTH] if strengths is None else strengths,
        interests=tags[Tag.Kind.INTEREST] if interests is None else interests,
    )
    return json_response(person_out(request, person), version=person.version)


_BLANK_TEXT = {"preferred_name", "phone", "email", "address", "postcode"}
