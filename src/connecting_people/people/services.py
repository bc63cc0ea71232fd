"""Every write to a person's record. Each runs in one transaction and writes its audit event in it."""

from contextlib import contextmanager
from datetime import date
from typing import Any

import rules
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.accounts.models import Team
from connecting_people.accounts.selectors import is_practitioner_in_team, scope_for
from connecting_people.audit.services import audit_record, audit_record_view
from connecting_people.core.errors import (
    NotAllowedError,
    ProcessingRestrictedError,
    ServiceError,
    StaleRecordError,
)
from connecting_people.people.models import Person, Tag
from connecting_people.people.selectors import nhs_number_in_use, people_visible_to, person_get

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
RECORD_FIELDS = [
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "nhs_number",
    "phone",
    "email",
    "address",
    "postcode",
    "opened_on",
    "practice_consent",
    "practice_consent_on",
    "research_consent",
    "research_consent_on",
    "next_review_on",
]


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


def _team_for_new_record(user, team_id: int) -> Team:
    scope = scope_for(user=user)
    if team_id not in scope.practitioner_team_ids | scope.lead_team_ids:
        raise NotAllowedError("You can only add people to your own team.", field="team")
    return Team.objects.select_related("trust").get(pk=team_id)


def person_create(
    *,
    user,
    team_id: int,
    data: dict[str, Any],
    strengths: list[str],
    interests: list[str],
    allocated_worker_id: int | None = None,
    added_despite_possible_duplicate: bool = False,
) -> Person:
    """Add a person to a team. A practitioner's new person is allocated to them; a lead may leave it open.
    `added_despite_possible_duplicate` notes in the audit trail that the user was shown records with the same
    name and date of birth and chose to add this person anyway."""
    scope = scope_for(user=user)
    with transaction.atomic():
        team = _team_for_new_record(user, team_id)
        if (
            allocated_worker_id is None
            and team.pk in scope.practitioner_team_ids
            and team.pk not in scope.lead_team_ids
        ):
            allocated_worker_id = user.pk
        if allocated_worker_id is not None:
            _check_worker_in_team(team, allocated_worker_id)
        if data.get("nhs_number") and nhs_number_in_use(trust=team.trust, nhs_number=data["nhs_number"]):
            raise ServiceError(DUPLICATE_NHS_NUMBER, field="nhs_number")
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
            user,
            person,
            "person.created",
            _summary_of_changes(
                {name: data.get(name) for name in RECORD_FIELDS if data.get(name) not in (None, "")}
                | {"team_id": team.pk, "allocated_worker_id": allocated_worker_id}
            )
            | ({"added_despite_possible_duplicate": True} if added_despite_possible_duplicate else {}),
        )
    return person


def person_update(
    *,
    user,
    person_id: int,
    expected_version: int,
    data: dict[str, Any],
    strengths: list[str],
    interests: list[str],
) -> Person:
    """Save edits to a record. Refused with StaleRecordError when someone saved it since `expected_version`."""
    with transaction.atomic():
        person = person_for_change(user=user, person_id=person_id)
        if person.version != expected_version:
            raise StaleRecordError(
                "Someone else saved changes to this record while you were editing it. "
                "Their changes have been kept. Check the record and make your changes again."
            )
        if data.get("nhs_number") and nhs_number_in_use(
            trust=person.trust, nhs_number=data["nhs_number"], exclude_person_id=person.pk
        ):
            raise ServiceError(DUPLICATE_NHS_NUMBER, field="nhs_number")
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
            _audit(user, person, "person.updated", _summary_of_changes(changes))
    return person


STALE_RECORD = "Someone else saved changes to this record since you opened it. Check it and try again."


def person_allocate(*, user, person_id: int, expected_version: int, worker_id: int | None) -> Person:
    """Allocate or reallocate a person to a practitioner in their team. Team leads only. StaleRecordError when
    someone saved the record since `expected_version` (another lead may have just allocated them)."""
    with transaction.atomic():
        person = person_for_change(user=user, person_id=person_id)
        if not rules.test_rule("allocate_person", user, person):
            raise NotAllowedError("Only the team lead can allocate people to workers.")
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
            _audit(user, person, "person.allocated", {"from_worker_id": previous, "to_worker_id": worker_id})
    return person


def person_close(*, user, person_id: int, expected_version: int, closed_on: date, reason: str) -> Person:
    """Close a case with a date and reason. The record stays, read-only in practice, for the team and audit."""
    with transaction.atomic():
        person = person_for_change(user=user, person_id=person_id)
        if person.version != expected_version:
            raise StaleRecordError(
                "Someone else saved changes to this record since you opened it. Check it and try again."
            )
        if person.status == Person.Status.CLOSED:
            raise ServiceError("This case is already closed.")
        if closed_on < person.opened_on:
            raise ServiceError(
                "The closing date must be on or after the date the case was opened.", field="closed_on"
            )
        person.status = Person.Status.CLOSED
        person.closed_on = closed_on
        person.closure_reason = reason
        person.version += 1
        person.save()
        _audit(user, person, "person.closed", {"closed_on": closed_on, "closure_reason": reason})
    return person


def person_reopen(*, user, person_id: int, expected_version: int) -> Person:
    """Reopen a closed case. StaleRecordError when someone saved the record since `expected_version`."""
    with transaction.atomic():
        person = person_for_change(user=user, person_id=person_id)
        if person.version != expected_version:
            raise StaleRecordError(STALE_RECORD)
        if person.status != Person.Status.CLOSED:
            raise ServiceError("This case is already open.")
        person.status = Person.Status.OPEN
        person.closed_on = None
        person.closure_reason = ""
        person.version += 1
        person.save()
        _audit(user, person, "person.reopened")
    return person


def person_tags_set(*, user, person_id: int, strengths: list[str], interests: list[str]) -> Person:
    """Replace a person's strengths and interests (from the assessment page), without touching the rest."""
    with transaction.atomic():
        person = person_for_change(user=user, person_id=person_id)
        before = set(person.tags.values_list("kind", "name"))
        after = {(Tag.Kind.STRENGTH, n) for n in strengths} | {(Tag.Kind.INTEREST, n) for n in interests}
        if before != after:
            _set_tags(person, strengths=strengths, interests=interests)
            person.version += 1
            person.save(update_fields=["version", "updated_at"])
            _audit(user, person, "person.updated", _summary_of_changes({"tags": True}))
    return person


def person_next_review_set(*, user, person_id: int, next_review_on: date | None) -> Person:
    """Plan the next review (at a review). Refused for a date in the past."""
    with transaction.atomic():
        person = person_for_change(user=user, person_id=person_id)
        if next_review_on is not None and next_review_on < timezone.localdate():
            raise ServiceError("The next review must be today or later", field="next_review_on")
        if person.next_review_on != next_review_on:
            person.next_review_on = next_review_on
            person.version += 1
            person.save(update_fields=["next_review_on", "version", "updated_at"])
            _audit(user, person, "person.updated", _summary_of_changes({"next_review_on": next_review_on}))
    return person


def person_research_consent_given(*, actor, person: Person, consented_on: date, reason: str) -> None:
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
        as_actor(actor).user,
        person,
        "person.updated",
        {"fields": ["research_consent", "research_consent_on"], "reason": reason},
    )


def person_open(*, user, person_id: int, page: str) -> Person:
    """Fetch a person the user can reach (404 otherwise) to show on a page, and audit that it was shown.

    Every page that shows a person's record calls this (or `person_get` when it only acts on a POST)."""
    person = person_get(user=user, person_id=person_id)
    person_record_viewed(user=user, person=person, page=page)
    return person


def person_record_viewed(*, user, person: Person, page: str) -> None:
    """Audit that a page showed this person's record (which page, not what was on it). In a request the event is
    written once the page is shown: none for a request that ends in "Page not found" or an error."""
    audit_record_view(
        actor=user,
        action="person.viewed",
        object_type="person",
        object_id=person.pk,
        person_id=person.pk,
        summary={"page": page},
    )


def _audit(user, person: Person, action: str, summary: dict[str, Any] | None = None) -> None:
    audit_record(
        actor=user,
        action=action,
        object_type="person",
        object_id=person.pk,
        person_id=person.pk,
        summary=summary,
    )


def person_for_change(*, user, person_id: int) -> Person:
    """The one gate every service passes before it writes anything for an existing person, in any app.

    Returns the person if the user reaches them (Http404 otherwise, as for a read), and raises
    ProcessingRestrictedError while their processing is restricted. Call it inside the service's transaction:
    there it also locks the person's row until the transaction ends, so a restriction or an erasure committed
    at the same moment either waits for the write or refuses it."""
    people = people_visible_to(user=user).select_related("team", "trust")
    if connection.in_atomic_block:
        people = people.select_for_update()
    try:
        person = people.get(pk=person_id)
    except (Person.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such person") from error
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


@contextmanager
def _duplicate_nhs_number_refused():
    """Two saves of the same NHS number at the same moment both pass the check; the database's unique
    constraint stops the second, and this turns that into the same message the check gives."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if "nhs_number" in str(error):
            raise ServiceError(DUPLICATE_NHS_NUMBER, field="nhs_number") from error
        raise


def _check_worker_in_team(team: Team, worker_id: int) -> None:
    if not is_practitioner_in_team(user_id=worker_id, team=team):
        raise ServiceError("Choose a practitioner who works in this team.", field="worker")
