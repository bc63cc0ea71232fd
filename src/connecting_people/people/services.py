"""Every write to a person's record. Each runs in one transaction and writes its audit event in it."""

from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import rules
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.accounts.models import Team
from connecting_people.accounts.selectors import is_practitioner_in_team
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import (
    NotAllowedError,
    NotFoundError,
    ProcessingRestrictedError,
    ServiceError,
    StaleRecordError,
)
from connecting_people.core.scoping import scoped, takes_actor
from connecting_people.people.models import Person, Tag
from connecting_people.people.selectors import nhs_number_in_use, person_get, person_shown

# Fields whose values may appear in the audit summary: codes and dates, never free text or identifiers.
AUDITABLE_VALUES = {
    "status",
    "closed_on",
    "closure_reason",
    "practice_consent",
    "practice_consent_on",
    "research_consent",
    "research_consent_on",
    "next_review_on",
    "team_id",
    "allocated_worker_id",
}


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()  # a field not given: a new record takes the default, an update leaves it as it is


@dataclass(frozen=True)
class PersonData:
    """The fields of a person's record as a page (or, next, the API) gives them to `person_create` and
    `person_update`. A field left as KEEP is not given."""

    given_name: Any = KEEP
    family_name: Any = KEEP
    preferred_name: Any = KEEP
    date_of_birth: Any = KEEP
    nhs_number: Any = KEEP
    phone: Any = KEEP
    email: Any = KEEP
    address: Any = KEEP
    postcode: Any = KEEP
    opened_on: Any = KEEP
    practice_consent: Any = KEEP
    practice_consent_on: Any = KEEP
    research_consent: Any = KEEP
    research_consent_on: Any = KEEP
    next_review_on: Any = KEEP

    @classmethod
    def of(cls, data: "PersonData | Mapping[str, Any]") -> "PersonData":
        """As it is, or from a mapping (a form's cleaned data: names that are no record field are left out)."""
        if isinstance(data, PersonData):
            return data
        names = {each.name for each in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in names})

    def given(self) -> dict[str, Any]:
        """The fields given, by name."""
        return {each.name: value for each in fields(self) if (value := getattr(self, each.name)) is not KEEP}


RECORD_FIELDS = [each.name for each in fields(PersonData)]


def _summary_of_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "fields": sorted(changes),
        "values": {name: value for name, value in changes.items() if name in AUDITABLE_VALUES},
    }


def _set_tags(person: Person, *, strengths: list[str], interests: list[str]) -> None:
    tags = []
    for kind, names in ((Tag.Kind.STRENGTH, strengths), (Tag.Kind.INTEREST, interests)):
        for name in names:
            tag, _ = Tag.objects.get_or_create(kind=kind, name=name)
            tags.append(tag)
    person.tags.set(tags)


def _team_for_new_record(actor: Actor, team_id: int) -> Team:
    scope = actor.scope
    if team_id not in scope.practitioner_team_ids | scope.lead_team_ids:
        raise NotAllowedError(
            "You can only add people to your own team.",
            field="team",
            code="not_your_team",
            params={"team_id": team_id},
        )
    return Team.objects.select_related("trust").get(pk=team_id)


@takes_actor
def person_create(
    *,
    actor: Actor,
    team_id: int,
    data: PersonData | Mapping[str, Any],
    strengths: list[str],
    interests: list[str],
    allocated_worker_id: int | None = None,
    added_despite_possible_duplicate: bool = False,
) -> Person:
    """Add a person to a team. A practitioner's new person is allocated to them; a lead may leave it open.
    `added_despite_possible_duplicate` notes in the audit trail that the user was shown records with the same
    name and date of birth and chose to add this person anyway."""
    actor = as_actor(actor)
    scope = actor.scope
    data = PersonData.of(data).given()
    with transaction.atomic():
        team = _team_for_new_record(actor, team_id)
        if (
            allocated_worker_id is None
            and team.pk in scope.practitioner_team_ids
            and team.pk not in scope.lead_team_ids
        ):
            allocated_worker_id = actor.user_id
        if allocated_worker_id is not None:
            _check_worker_in_team(team, allocated_worker_id)
        if data.get("nhs_number") and nhs_number_in_use(trust=team.trust, nhs_number=data["nhs_number"]):
            raise _duplicate_nhs_number()
        with _duplicate_nhs_number_refused():
            person = Person.objects.create(
                trust=team.trust,
                team=team,
                allocated_worker_id=allocated_worker_id,
                allocated_on=timezone.localdate() if allocated_worker_id is not None else None,
                **{name: data.get(name) for name in RECORD_FIELDS if name in data},
            )
        _set_tags(person, strengths=strengths, interests=interests)
        _audit(
            actor,
            person,
            "person.created",
            _summary_of_changes(
                {name: data.get(name) for name in RECORD_FIELDS if data.get(name) not in (None, "")}
                | {"team_id": team.pk, "allocated_worker_id": allocated_worker_id}
            )
            | ({"added_despite_possible_duplicate": True} if added_despite_possible_duplicate else {}),
        )
    return person


@takes_actor
def person_update(
    *,
    actor: Actor,
    person_id: int,
    expected_version: int,
    data: PersonData | Mapping[str, Any],
    strengths: list[str],
    interests: list[str],
) -> Person:
    """Save edits to a record (the fields `data` gives). Refused with StaleRecordError when someone saved it since
    `expected_version`."""
    data = PersonData.of(data).given()
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        if person.version != expected_version:
            raise StaleRecordError(
                "Someone else saved changes to this record while you were editing it. "
                "Their changes have been kept. Check the record and make your changes again."
            )
        if data.get("nhs_number") and nhs_number_in_use(
            trust=person.trust, nhs_number=data["nhs_number"], exclude_person_id=person.pk
        ):
            raise _duplicate_nhs_number()
        changes = {}
        for name in RECORD_FIELDS:
            if name in data and getattr(person, name) != data[name]:
                changes[name] = data[name]
                setattr(person, name, data[name])
        before = set(person.tags.values_list("kind", "name"))
        after = {(Tag.Kind.STRENGTH, n) for n in strengths} | {(Tag.Kind.INTEREST, n) for n in interests}
        if before != after:
            _set_tags(person, strengths=strengths, interests=interests)
            changes["tags"] = True
        if changes:
            person.version += 1
            with _duplicate_nhs_number_refused():
                person.save()
            _audit(actor, person, "person.updated", _summary_of_changes(changes))
    return person


STALE_RECORD = "Someone else saved changes to this record since you opened it. Check it and try again."


@takes_actor
def person_allocate(*, actor: Actor, person_id: int, expected_version: int, worker_id: int | None) -> Person:
    """Allocate or reallocate a person to a practitioner in their team. Team leads only. StaleRecordError when
    someone saved the record since `expected_version` (another lead may have just allocated them)."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        if not rules.test_rule("allocate_person", as_actor(actor).user, person):
            raise NotAllowedError("Only the team lead can allocate people to workers.", code="not_team_lead")
        if person.version != expected_version:
            raise StaleRecordError(STALE_RECORD)
        if worker_id is not None:
            _check_worker_in_team(person.team, worker_id)
        previous = person.allocated_worker_id
        if previous != worker_id:
            person.allocated_worker_id = worker_id
            person.allocated_on = timezone.localdate() if worker_id is not None else None
            person.version += 1
            person.save(update_fields=["allocated_worker", "allocated_on", "version", "updated_at"])
            _audit(actor, person, "person.allocated", {"from_worker_id": previous, "to_worker_id": worker_id})
    return person


@takes_actor
def person_close(
    *, actor: Actor, person_id: int, expected_version: int, closed_on: date, reason: str
) -> Person:
    """Close a case with a date and reason. The record stays, read-only in practice, for the team and audit."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        if person.version != expected_version:
            raise StaleRecordError(
                "Someone else saved changes to this record since you opened it. Check it and try again."
            )
        if person.status == Person.Status.CLOSED:
            raise ServiceError("This case is already closed.", code="case_already_closed")
        if closed_on < person.opened_on:
            raise ServiceError(
                "The closing date must be on or after the date the case was opened.",
                field="closed_on",
                code="closed_before_opened",
                params={"closed_on": closed_on, "opened_on": person.opened_on},
            )
        person.status = Person.Status.CLOSED
        person.closed_on = closed_on
        person.closure_reason = reason
        person.version += 1
        person.save()
        _audit(actor, person, "person.closed", {"closed_on": closed_on, "closure_reason": reason})
    return person


@takes_actor
def person_reopen(*, actor: Actor, person_id: int, expected_version: int) -> Person:
    """Reopen a closed case. StaleRecordError when someone saved the record since `expected_version`."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        if person.version != expected_version:
            raise StaleRecordError(STALE_RECORD)
        if person.status != Person.Status.CLOSED:
            raise ServiceError("This case is already open.", code="case_already_open")
        person.status = Person.Status.OPEN
        person.closed_on = None
        person.closure_reason = ""
        person.version += 1
        person.save()
        _audit(actor, person, "person.reopened")
    return person


@takes_actor
def person_tags_set(*, actor: Actor, person_id: int, strengths: list[str], interests: list[str]) -> Person:
    """Replace a person's strengths and interests (from the assessment page), without touching the rest."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        before = set(person.tags.values_list("kind", "name"))
        after = {(Tag.Kind.STRENGTH, n) for n in strengths} | {(Tag.Kind.INTEREST, n) for n in interests}
        if before != after:
            _set_tags(person, strengths=strengths, interests=interests)
            person.version += 1
            person.save(update_fields=["version", "updated_at"])
            _audit(actor, person, "person.updated", _summary_of_changes({"tags": True}))
    return person


@takes_actor
def person_next_review_set(*, actor: Actor, person_id: int, next_review_on: date | None) -> Person:
    """Plan the next review (at a review). Refused for a date in the past."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        if next_review_on is not None and next_review_on < timezone.localdate():
            raise ServiceError(
                "The next review must be today or later",
                field="next_review_on",
                code="review_date_in_past",
                params={"next_review_on": next_review_on},
            )
        if person.next_review_on != next_review_on:
            person.next_review_on = next_review_on
            person.version += 1
            person.save(update_fields=["next_review_on", "version", "updated_at"])
            _audit(actor, person, "person.updated", _summary_of_changes({"next_review_on": next_review_on}))
    return person


@takes_actor
def person_open(*, actor: Actor, person_id: int, page: str) -> Person:
    """Fetch a person the actor can reach (NotFoundError otherwise) to show on a page, and audit that it was
    shown: `selectors.person_get(..., shown_on=page)`, kept here for the pages of other apps that call it."""
    return person_get(actor=actor, person_id=person_id, shown_on=page)


@takes_actor
def person_research_consent_given(*, actor: Actor, person: Person, consented_on: date, reason: str) -> None:
    """Record on the person's record that they agreed to take part in research, for another app's service (the
    study's enrolment with consent: `reason` "study_enrolment"). `person` is one the caller reached with
    `person_for_change` inside its own transaction (so the row is locked). Nothing changes when the record says
    so already."""
    if person.research_consent:
        return
    Person.objects.filter(pk=person.pk).update(
        research_consent=True,
        research_consent_on=consented_on,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    _audit(
        as_actor(actor),
        person,
        "person.updated",
        {"fields": ["research_consent", "research_consent_on"], "reason": reason},
    )


@takes_actor
def person_record_viewed(*, actor: Actor, person: Person, page: str) -> None:
    """Audit that a page showed this person's record (`selectors.person_shown`)."""
    person_shown(actor=as_actor(actor), person=person, page=page)


def _audit(actor: Actor, person: Person, action: str, summary: dict[str, Any] | None = None) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="person",
        object_id=person.pk,
        person_id=person.pk,
        summary=summary,
    )


@takes_actor
def person_for_change(*, actor: Actor, person_id: int) -> Person:
    """The one gate every service passes before it writes anything for an existing person, in any app.

    Returns the person if the actor reaches them (NotFoundError otherwise, as for a read), and raises
    ProcessingRestrictedError while their processing is restricted. Call it inside the service's transaction:
    there it also locks the person's row until the transaction ends, so a restriction or an erasure committed
    at the same moment either waits for the write or refuses it."""
    people = scoped(as_actor(actor), Person).select_related("team", "trust")
    if connection.in_atomic_block:
        people = people.select_for_update()
    try:
        person = people.get(pk=person_id)
    except (Person.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError("No such person", params={"person_id": person_id}) from error
    if person.processing_restricted:
        raise ProcessingRestrictedError()
    return person


def person_change_check(*, person_id: int | None) -> None:
    """The same refusal for a write that reaches a person through another scope than the people selectors: a
    research assessment or consent of a participant enrolled from practice (None: research-only, nothing to
    check). Locks the person's row inside a transaction, like `person_for_change`."""
    if person_id is None:
        return
    people = Person.objects.filter(pk=person_id)
    if connection.in_atomic_block:
        people = people.select_for_update()
    if people.values_list("processing_restricted", flat=True).first():
        raise ProcessingRestrictedError()


DUPLICATE_NHS_NUMBER = "This NHS number is already recorded for someone else in this trust."


def _duplicate_nhs_number() -> ServiceError:
    return ServiceError(DUPLICATE_NHS_NUMBER, field="nhs_number", code="duplicate_nhs_number")


@contextmanager
def _duplicate_nhs_number_refused():
    """Two saves of the same NHS number at the same moment both pass the check; the database's unique
    constraint stops the second, and this turns that into the same message the check gives."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if "nhs_number" in str(error):
            raise _duplicate_nhs_number() from error
        raise


def _check_worker_in_team(team: Team, worker_id: int) -> None:
    if not is_practitioner_in_team(user_id=worker_id, team=team):
        raise ServiceError(
            "Choose a practitioner who works in this team.",
            field="worker",
            code="worker_not_in_team",
            params={"worker_id": worker_id, "team_id": team.pk},
        )


def person_processing_restricted_set(*, person_id: int, restricted: bool) -> None:
    """Set or clear the restriction of processing flag (privacy app, which has locked the person, keeps the
    restriction's own record and audits it), in the caller's transaction."""
    Person.objects.filter(pk=person_id).update(processing_restricted=restricted)


def person_delete_for_erasure(*, person_id: int) -> dict[str, int]:
    """Erasure (privacy app, which has removed everything hanging off the person and writes the tombstone):
    delete the record itself, in the caller's transaction. Rows removed, by model."""
    return dict(Person.objects.filter(pk=person_id).delete()[1])
