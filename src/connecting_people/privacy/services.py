"""Every write of the data-protection duties. Each runs in one transaction and writes its audit event in it.

- subject access: the document is read by `selectors.subject_access`; each showing and download is audited here;
- restriction (Article 18): `restriction_add` / `restriction_lift` set and clear `Person.processing_restricted`,
  which `people.services.person_for_change` (the gate every app's services pass before writing for a person)
  refuses while it is set;
- erasure (Article 17): `person_erase` removes the person and everything hanging off them, in every app, in one
  transaction, and leaves a `person.erased` tombstone in the audit trail (codes and counts only);
- retention: `retention_apply` erases the records whose retention has ended, through the same erasure, and
  removes study data due under a deployment's study rule.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from connecting_people.accounts.actor import Actor
from connecting_people.audit.services import audit_record
from connecting_people.connections.models import MapSnapshot
from connecting_people.connections.services import maps_erase_for_person
from connecting_people.core.errors import NotFoundError, ServiceError
from connecting_people.core.scoping import acting_user, takes_actor
from connecting_people.measures.models import Administration, HeadlineSpan
from connecting_people.measures.services import measures_erase_for_person
from connecting_people.people.models import Person
from connecting_people.people.selectors import people_for_data_protection
from connecting_people.people.services import person_delete_for_erasure, person_processing_restricted_set
from connecting_people.plans.models import Activity, Goal, Link, Review
from connecting_people.plans.models import Assessment as PlanAssessment
from connecting_people.plans.services import plans_erase_for_person
from connecting_people.privacy import selectors
from connecting_people.privacy.models import ErasureBasis, LiftReason, Restriction, RestrictionGround
from connecting_people.study.models import Participant
from connecting_people.study.services import (
    participants_remove_for_retention,
    participations_erase_for_person,
)

# Every model with a foreign key to Person, in the order erasure empties them (a later one may protect an
# earlier one's rows: a review protects the map and measure it made, a goal score its goal). Each app's own
# service empties its part (`_erase`, in this order); a test checks that this covers every such model, so a new
# one cannot be forgotten.
ERASED_IN_ORDER = (
    Review,  # with its goal scores
    Activity,
    Link,  # with its history
    Goal,  # with its steps
    PlanAssessment,
    Administration,
    HeadlineSpan,
    MapSnapshot,  # with entries and ties
    Participant,  # kept, detached, when the participant chose to keep their data; else removed
    Restriction,
)

_REFERENCE = re.compile(r"^[A-Za-z0-9 ./_-]{0,40}$")


def _locked_person(actor: Actor, person_id) -> Person:
    """The officer's person, locked until the transaction ends (404 for anyone else's)."""
    selectors.require_data_protection_officer(actor=actor)
    try:
        return (
            people_for_data_protection(actor=actor)
            .select_for_update()
            .select_related("trust", "team")
            .get(pk=int(person_id))
        )
    except (Person.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise NotFoundError("No such person", params={"person_id": person_id}) from error


def _audit(actor: Actor, person_id: int, action: str, summary: dict) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="person",
        object_id=person_id,
        person_id=person_id,
        summary=summary,
    )


# --- subject access ----------------------------------------------------------------------------------------


@takes_actor
def subject_access_recorded(*, actor: Actor, person: Person, shown_as: str, via: str = "web") -> None:
    """Audit that the subject access document of `person` (from a scoped read) was shown (`shown_as` "page")
    or downloaded ("json" or "html"), on the web or from the command line."""
    action = "privacy.subject_access_viewed" if shown_as == "page" else "privacy.subject_access_downloaded"
    with transaction.atomic():
        _audit(actor, person.pk, action, {"format": shown_as, "via": via})


# --- restriction -------------------------------------------------------------------------------------------


@takes_actor
def restriction_add(*, actor: Actor, person_id: int, ground: str, reference: str = "") -> Restriction:
    """Restrict processing of a person: the record stays and can be read, nothing new is recorded for them,
    and they leave caseload lists. `reference` is the request's reference in the trust's own log."""
    if ground not in RestrictionGround.values:
        raise ServiceError(
            "Select why processing is being restricted",
            field="ground",
            code="restriction_ground_unknown",
            params={"ground": ground},
        )
    reference = reference.strip()
    if not _REFERENCE.match(reference):
        raise ServiceError(
            "The reference can only have letters, numbers, spaces and . / _ -, 40 characters at most",
            field="reference",
            code="reference_invalid",
            params={"reference": reference},
        )
    with transaction.atomic():
        person = _locked_person(actor, person_id)
        if person.processing_restricted:
            raise ServiceError("Processing of this record is already restricted.", code="already_restricted")
        restriction = Restriction.objects.create(
            person=person,
            ground=ground,
            reference=reference,
            restricted_by=acting_user(actor),
            restricted_at=timezone.now(),
        )
        person_processing_restricted_set(person_id=person.pk, restricted=True)
        _audit(actor, person.pk, "person.restricted", {"ground": ground, "restriction_id": restriction.pk})
    return restriction


@takes_actor
def restriction_lift(*, actor: Actor, person_id: int, reason: str, person_told: bool) -> Restriction:
    """Lift the current restriction, with the reason. The person must have been told first (Article 18(3)),
    unless the restriction was made in error."""
    if reason not in LiftReason.values:
        raise ServiceError(
            "Select why the restriction is being lifted",
            field="reason",
            code="lift_reason_unknown",
            params={"reason": reason},
        )
    if not person_told and reason != LiftReason.MADE_IN_ERROR:
        raise ServiceError(
            "Confirm that the person has been told the restriction will be lifted",
            field="person_told",
            code="person_not_told",
        )
    with transaction.atomic():
        person = _locked_person(actor, person_id)
        restriction = (
            Restriction.objects.select_for_update().filter(person=person, lifted_at__isnull=True).first()
        )
        if restriction is None or not person.processing_restricted:
            raise ServiceError("Processing of this record is not restricted.", code="not_restricted")
        restriction.lifted_at, restriction.lifted_by, restriction.lift_reason = (
            timezone.now(),
            acting_user(actor),
            reason,
        )
        restriction.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        person_processing_restricted_set(person_id=person.pk, restricted=False)
        _audit(
            actor,
            person.pk,
            "person.restriction_lifted",
            {"reason": reason, "restriction_id": restriction.pk},
        )
    return restriction


# --- erasure -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureOutcome:
    record_number: int
    removed: dict[str, int]  # rows removed, by model ("plans.Goal": 3)
    study_kept: int  # participations kept under their study number, detached from the person
    study_removed: int


def _erase(*, actor: Actor, person: Person, lawful_basis: str, source: str) -> ErasureOutcome:
    """Remove a locked person and everything hanging off them, in the caller's transaction, and write the
    tombstone. Study data follow the participant's recorded withdrawal choice: "keep the data collected" keeps
    their consents and research assessments under the study number, detached from the person (the free-text
    eligibility notes go); "remove" or no recorded choice removes them too (see docs/data-protection.md)."""
    removed: Counter[str] = Counter()
    removed.update(plans_erase_for_person(person=person))  # Review, Activity, Link, Goal, plans' Assessment
    removed.update(measures_erase_for_person(person=person))  # Administration, HeadlineSpan
    removed.update(maps_erase_for_person(person=person))  # MapSnapshot
    study = participations_erase_for_person(person=person)  # Participant
    removed.update(study.removed)
    kept, study_removed = study.kept, study.removed_count
    removed.update(Restriction.objects.filter(person=person).delete()[1])
    record_number, trust_id = person.pk, person.trust_id
    removed.update(person_delete_for_erasure(person_id=record_number))
    outcome = ErasureOutcome(
        record_number=record_number,
        removed={label: count for label, count in sorted(removed.items()) if count},
        study_kept=kept,
        study_removed=study_removed,
    )
    # The tombstone: codes, ids and counts only, nothing that says who the person was.
    _audit(
        actor,
        record_number,
        "person.erased",
        {
            "lawful_basis": lawful_basis,
            "source": source,
            "trust_id": trust_id,
            "removed": outcome.removed,
            "study_participations_kept": kept,
            "study_participations_removed": study_removed,
        },
    )
    return outcome


@takes_actor
def person_erase(*, actor: Actor, person_id: int, lawful_basis: str, confirmed: bool) -> ErasureOutcome:
    """Erase a person of the officer's trust, on a lawful basis, once the officer has confirmed it. All of it
    in one transaction: either everything goes and the tombstone is written, or nothing changes."""
    if lawful_basis not in ErasureBasis.values:
        raise ServiceError(
            "Select the lawful basis for erasing this record",
            field="lawful_basis",
            code="lawful_basis_unknown",
            params={"lawful_basis": lawful_basis},
        )
    if not confirmed:
        raise ServiceError(
            "Confirm that you want to erase this record", field="confirm", code="erasure_not_confirmed"
        )
    with transaction.atomic():
        person = _locked_person(actor, person_id)
        return _erase(actor=actor, person=person, lawful_basis=lawful_basis, source="request")


# --- retention -----------------------------------------------------------------------------------------------


@dataclass
class RetentionOutcome:
    applied: bool
    today: date
    practice_records: list[int] = field(default_factory=list)  # record numbers erased (or due, in a dry run)
    practice_on_hold: list[int] = field(default_factory=list)  # due but restricted: kept
    study_participants: list[str] = field(default_factory=list)  # study numbers removed (or due)
    audit_events_due: int = 0
    audit_before: date | None = None

    def as_dict(self) -> dict:
        return {
            "applied": self.applied,
            "today": self.today.isoformat(),
            "practice_record": {
                "due": len(self.practice_records),
                "record_numbers": self.practice_records,
                "on_hold_restricted": self.practice_on_hold,
            },
            "study_data": {"due": len(self.study_participants), "study_numbers": self.study_participants},
            "audit_trail": {
                "due": self.audit_events_due,
                "before": self.audit_before.isoformat() if self.audit_before else None,
                "applied_by": "connecting-people audit archive --before DATE",
            },
        }


@takes_actor
def retention_apply(*, actor: Actor, apply: bool, today: date | None = None) -> RetentionOutcome:
    """Apply the retention rules in the officer's trusts: with `apply` False (a dry run) only say what is due.
    With `apply`, in one transaction: erase each practice record whose retention has ended (restricted ones
    are kept and listed), remove study data due under the study rule, and audit the run. The audit trail's
    own class is only counted: `connecting-people audit archive` applies it."""
    selectors.require_data_protection_officer(actor=actor)
    today = today or timezone.localdate()
    rules = selectors.retention_rules()
    outcome = RetentionOutcome(applied=apply, today=today)
    with transaction.atomic():
        due = selectors.practice_records_due(actor=actor, rule=rules["practice_record"], today=today)
        outcome.practice_on_hold = sorted(due.filter(processing_restricted=True).values_list("pk", flat=True))
        people = due.filter(processing_restricted=False).order_by("pk")
        study_due = selectors.study_data_due(actor=actor, rule=rules["study_data"], today=today).exclude(
            person__processing_restricted=True
        )
        outcome.audit_events_due, outcome.audit_before = selectors.audit_events_due(
            rule=rules["audit_trail"], today=today
        )
        if not apply:
            outcome.practice_records = list(people.values_list("pk", flat=True))
            outcome.study_participants = sorted(study_due.values_list("number", flat=True))
            return outcome
        for person in people.select_for_update().select_related("trust"):
            _erase(actor=actor, person=person, lawful_basis=ErasureBasis.RETENTION_ENDED, source="retention")
            outcome.practice_records.append(person.pk)
        outcome.study_participants = participants_remove_for_retention(
            actor=actor, participant_ids=list(study_due.values_list("pk", flat=True))
        )
        outcome.study_participants.sort()
        audit_record(
            actor=actor,
            action="retention.applied",
            object_type="retention",
            summary={
                "practice_records_erased": len(outcome.practice_records),
                "practice_records_on_hold": len(outcome.practice_on_hold),
                "study_participants_removed": len(outcome.study_participants),
                "audit_events_due": outcome.audit_events_due,
                "trust_ids": sorted(selectors.require_data_protection_officer(actor=actor)),
            },
        )
    return outcome
