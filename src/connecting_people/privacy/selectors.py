"""Reads for the data protection officer: finding a person of their trust, everything held about them (subject
access), what an erasure would remove, erasure tombstones, restrictions, and what falls due under the retention
rules. Every function is given the actor and reaches only the trusts where they are data protection
officer; anything else answers 404, as everywhere in the service."""

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.accounts.models import Trust
from connecting_people.audit.models import AuditEvent
from connecting_people.audit.selectors import (
    audit_events_before_count,
    audit_events_count,
    erasure_tombstones,
    events_about_person,
)
from connecting_people.connections.models import FREQUENCY_CHOICES, SUPPORT_CHOICES, WISH_CHOICES
from connecting_people.connections.selectors import maps_held_about, maps_held_counts
from connecting_people.core.errors import NotFoundError
from connecting_people.core.scoping import acting_user, scoped, takes_actor
from connecting_people.measures import registry
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.measures.selectors import (
    administrations_held_about,
    administrations_held_count,
    headline_spans_held_about,
)
from connecting_people.people.models import Person
from connecting_people.people.selectors import people_for_data_protection, person_tags
from connecting_people.plans.models import Activity, Barrier
from connecting_people.plans.selectors import (
    activities_held_about,
    goals_held_about,
    links_held_about,
    plan_assessment_held_about,
    plans_held_counts,
    reviews_held_about,
)
from connecting_people.privacy import retention
from connecting_people.privacy.models import Restriction
from connecting_people.study.models import Participant
from connecting_people.study.selectors import (
    participants_at_trusts,
    participants_due_for_removal,
    participations_held_about,
    participations_of_person,
)

# --- reach ----------------------------------------------------------------------------------------------


@takes_actor
def is_data_protection_officer(*, actor: Actor) -> bool:
    return as_actor(actor).scope.is_data_protection_officer


@takes_actor
def require_data_protection_officer(*, actor: Actor) -> frozenset[int]:
    """The trusts where the actor is data protection officer; NotFoundError for anyone who is not one."""
    trust_ids = as_actor(actor).scope.data_protection_trust_ids
    if not trust_ids:
        raise NotFoundError("Not a data protection page for this user")
    return trust_ids


@takes_actor
def trusts_of_officer(*, actor: Actor) -> list[Trust]:
    return list(Trust.objects.filter(pk__in=require_data_protection_officer(actor=actor)))


@takes_actor
def person_for_data_protection(*, actor: Actor, person_id) -> Person:
    """One person of the officer's trusts, with team, trust and worker; NotFoundError for unknown and other trusts'
    people alike."""
    require_data_protection_officer(actor=actor)
    try:
        return (
            people_for_data_protection(actor=actor)
            .select_related("team", "trust", "allocated_worker")
            .get(pk=int(person_id))
        )
    except (Person.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise NotFoundError("No such person", params={"person_id": person_id}) from error


@takes_actor
def people_found(*, actor: Actor, record_or_nhs_number: str) -> list[Person]:
    """The people of the officer's trusts whose record number or NHS number is the one given (digits; spaces
    already taken out). Usually one; an NHS number may be in use in two of the officer's trusts."""
    require_data_protection_officer(actor=actor)
    number = record_or_nhs_number
    match = Q(nhs_number=number)
    if len(number) <= 18:  # a record number is a database id; longer numbers could not be one
        match |= Q(pk=int(number))
    return list(people_for_data_protection(actor=actor).filter(match).select_related("team", "trust"))


# --- erasure tombstones and restrictions ------------------------------------------------------------------------


@takes_actor
def erased_records(*, actor: Actor) -> QuerySet[AuditEvent]:
    """The `person.erased` tombstones of the officer's trusts, newest first."""
    trust_ids = require_data_protection_officer(actor=actor)
    return erasure_tombstones(trust_ids=trust_ids)


@takes_actor
def erasure_of(*, actor: Actor, record_number: int) -> AuditEvent | None:
    """The tombstone of an erased record of the officer's trusts, if this record number was erased."""
    return erased_records(actor=actor).filter(person_id=record_number).first()


@takes_actor
def restricted_people(*, actor: Actor) -> QuerySet[Person]:
    require_data_protection_officer(actor=actor)
    return (
        people_for_data_protection(actor=actor)
        .filter(processing_restricted=True)
        .select_related("team")
        .order_by("family_name", "given_name", "id")
    )


@takes_actor
def restrictions_of(*, actor: Actor, person: Person) -> list[Restriction]:
    """Every restriction of a person, oldest first, with who set and lifted it."""
    return list(
        scoped(as_actor(actor), Restriction)
        .filter(person=person)
        .select_related("restricted_by", "lifted_by")
        .order_by("restricted_at", "id")
    )


@takes_actor
def restriction_current(*, actor: Actor, person: Person) -> Restriction | None:
    return (
        scoped(as_actor(actor), Restriction)
        .filter(person=person, lifted_at__isnull=True)
        .select_related("restricted_by")
        .first()
    )


# --- subject access -------------------------------------------------------------------------------------------


def _name(user) -> str:
    return user.display_name if user is not None else ""


def _instrument_title(instrument_id: str, version: str) -> str:
    try:
        return registry.instrument(instrument_id, version).title
    except UnknownInstrumentError:
        return instrument_id


_SUPPORTS = dict(SUPPORT_CHOICES)
_FREQUENCIES = dict(FREQUENCY_CHOICES)
_WISHES = dict(WISH_CHOICES)
_BARRIERS = dict(Barrier.choices)


def _record_section(person: Person) -> dict[str, Any]:
    return {
        "record_number": person.pk,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "preferred_name": person.preferred_name,
        "date_of_birth": person.date_of_birth,
        "nhs_number": person.nhs_number,
        "phone": person.phone,
        "email": person.email,
        "address": person.address,
        "postcode": person.postcode,
        "trust": person.trust.name,
        "team": person.team.name,
        "allocated_worker": _name(person.allocated_worker),
        "allocated_on": person.allocated_on,
        "status": person.get_status_display(),
        "support_started_on": person.opened_on,
        "closed_on": person.closed_on,
        "closure_reason": person.get_closure_reason_display() if person.closure_reason else "",
        "next_review_on": person.next_review_on,
        "processing_restricted": person.processing_restricted,
        "created_at": person.created_at,
        "last_changed_at": person.updated_at,
    }


def _consents_section(person: Person) -> dict[str, Any]:
    return {
        "way_of_working": {"agreed": person.practice_consent, "on": person.practice_consent_on},
        "research": {"agreed": person.research_consent, "on": person.research_consent_on},
    }


def _maps_section(person: Person) -> list[dict[str, Any]]:
    maps = maps_held_about(person=person)
    labels = {entry.pk: entry.label for held in maps for entry in held.entries}
    return [
        {
            "taken_on": held.snapshot.taken_on,
            "how_it_began": held.snapshot.source,
            "made_by": _name(held.snapshot.created_by),
            "made_at": held.snapshot.created_at,
            "entries": [
                {
                    "label": entry.label,
                    "kind": entry.get_kind_display(),
                    "relationship": entry.get_category_display(),
                    "closeness": entry.get_ring_display(),
                    "support_given": [_SUPPORTS.get(code, code) for code in entry.supports],
                    "contact": _FREQUENCIES.get(entry.frequency, ""),
                    "wish": _WISHES.get(entry.wish, ""),
                    "entry_key": str(entry.key),
                }
                for entry in held.entries
            ],
            "ties": [[labels[tie.a_id], labels[tie.b_id]] for tie in held.ties],
            "measures": held.snapshot.measures,
        }
        for held in maps
    ]


def _what_matters_section(person: Person) -> dict[str, Any] | None:
    assessment = plan_assessment_held_about(person=person)
    tags = person_tags(person=person)
    section: dict[str, Any] = {"strengths": tags["strength"], "interests": tags["interest"]}
    if assessment is not None:
        section |= {
            "assessed_on": assessment.assessed_on,
            "aspirations": assessment.aspirations,
            "strengths_in_own_words": assessment.strengths_in_own_words,
            "barriers": [_BARRIERS.get(code, code) for code in assessment.barriers],
            "barriers_in_own_words": assessment.barriers_in_own_words,
            "last_updated_by": _name(assessment.updated_by),
        }
    return section


def _goals_section(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "goal": goal.text,
            "set_on": goal.set_on,
            "status": goal.get_status_display(),
            "attainment_scale": {str(level): text for level, text in goal.levels()},
            "importance": goal.importance,
            "difficulty": goal.difficulty,
            "community_opportunities": [opportunity.name for opportunity in goal.opportunities.all()],
            "set_by": _name(goal.created_by),
            "steps": [
                {
                    "what": step.what,
                    "who": step.owner_name or step.get_owner_display(),
                    "due_on": step.due_on,
                    "done_on": step.done_on,
                }
                for step in held.steps
            ],
            "scores_at_reviews": [
                {"review_held_on": score.review.held_on, "level": score.level} for score in held.scores
            ],
        }
        for held in goals_held_about(person=person)
        for goal in [held.goal]
    ]


def _activities_section(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "occurred_on": activity.occurred_on,
            "what": activity.get_kind_display(),
            "help_given": [dict(Activity.Help.choices).get(code, code) for code in activity.help_given],
            "barriers": [_BARRIERS.get(code, code) for code in activity.barriers],
            "notes": activity.notes,
            "community_opportunity": activity.opportunity.name if activity.opportunity else "",
            "goal": activity.goal.text if activity.goal else "",
            "recorded_by": _name(activity.recorded_by),
        }
        for activity in activities_held_about(person=person)
    ]


def _links_section(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "community_opportunity": link.opportunity.name,
            "organisation": link.opportunity.organisation.name if link.opportunity.organisation else "",
            "status": link.get_status_display(),
            "stopped_reason": link.stopped_reason,
            "matched_interests": list(link.matched_interests),
            "made_at": link.created_at,
            "history": [
                {
                    "status": change.get_status_display(),
                    "reason": change.reason,
                    "changed_on": change.changed_on,
                    "changed_by": _name(change.changed_by),
                }
                for change in held.history
            ],
        }
        for held in links_held_about(person=person)
        for link in [held.link]
    ]


def _reviews_section(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "held_on": review.held_on,
            "decision": review.get_decision_display(),
            "notes": review.notes,
            "next_review_on": review.next_review_on,
            "map_started_on": review.snapshot.taken_on if review.snapshot else None,
            "goal_scores": [{"goal": score.goal.text, "level": score.level} for score in held.scores],
            "held_by": _name(review.held_by),
        }
        for held in reviews_held_about(person=person)
        for review in [held.review]
    ]


def _measures_section(person: Person) -> dict[str, Any]:
    administrations = [
        {
            "instrument": _instrument_title(row.instrument_id, row.instrument_version),
            "instrument_id": row.instrument_id,
            "instrument_version": row.instrument_version,
            "administered_on": row.administered_on,
            "timepoint": row.timepoint_label,
            "how": row.get_mode_display(),
            "answers": row.answers,
            "total": row.total,
            "subscales": row.subscales,
            "band": row.band,
            "other_scores": row.derived,
            "unanswered_items": row.missing_items,
            "missing_data_rule": row.missing_rule,
            "recorded_by": _name(row.administered_by),
        }
        for row in administrations_held_about(person=person)
    ]
    spans = [
        {
            "instrument_id": span.instrument_id,
            "instrument_version": span.instrument_version,
            "first_on": span.first_on,
            "first_score": span.first_score,
            "latest_on": span.latest_on,
            "latest_score": span.latest_score,
        }
        for span in headline_spans_held_about(person=person)
    ]
    return {"administrations": administrations, "first_and_latest_scores": spans}


def _study_section(person: Person) -> list[dict[str, Any]]:
    return [
        {
            "study_number": participant.number,
            "study": participant.study.title,
            "study_code": participant.study.code,
            "arm": participant.study_team.get_arm_display(),
            "enrolled_on": participant.enrolled_on,
            "status": participant.get_status_display(),
            "withdrawn_on": participant.withdrawn_on,
            "withdrawal_reason": participant.get_withdrawal_reason_display()
            if participant.withdrawal_reason
            else "",
            "withdrawal_choice": participant.get_withdrawal_choice_display()
            if participant.withdrawal_choice
            else "",
            "eligibility_notes": participant.eligibility_notes,
            "consents": [
                {"form_version": consent.version, "consented_on": consent.consented_on}
                for consent in held.consents
            ],
            "research_assessments": [
                {
                    "timepoint": row.timepoint.label,
                    "instrument": _instrument_title(row.instrument_id, row.instrument_version),
                    "instrument_id": row.instrument_id,
                    "instrument_version": row.instrument_version,
                    "administered_on": row.administered_on,
                    "day_from_baseline": row.day,
                    "in_window": row.in_window,
                    "answers": row.answers,
                    "total": row.total,
                    "subscales": row.subscales,
                    "band": row.band,
                    "other_scores": row.derived,
                }
                for row in held.assessments
            ],
        }
        for held in participations_held_about(person=person)
        for participant in [held.participant]
    ]


def _restrictions_section(actor: Actor, person: Person) -> list[dict[str, Any]]:
    return [
        {
            "ground": restriction.get_ground_display(),
            "reference": restriction.reference,
            "restricted_at": restriction.restricted_at,
            "restricted_by": _name(restriction.restricted_by),
            "lifted_at": restriction.lifted_at,
            "lifted_by": _name(restriction.lifted_by),
            "lift_reason": restriction.get_lift_reason_display() if restriction.lift_reason else "",
        }
        for restriction in restrictions_of(actor=actor, person=person)
    ]


def _access_log_section(person: Person) -> list[dict[str, Any]]:
    """Who viewed or changed the record, and when: every audit event about the person, oldest first."""
    from connecting_people.privacy.presenters import audit_action_text

    return [
        {
            "when": event.occurred_at,
            "who": _name(event.actor) if event.actor_id and event.actor is not None else event.actor_username,
            "username": event.actor_username,
            "what": audit_action_text(event.action, event.summary),
            "action": event.action,
            "object": f"{event.object_type} {event.object_id}".strip(),
        }
        for event in events_about_person(person_id=person.pk)
    ]


@takes_actor
def subject_access(*, actor: Actor, person_id) -> dict[str, Any]:
    """Everything the service holds about one person of the officer's trusts, as plain data (dates and times
    as `date`/`datetime`), ready for JSON or the readable document. Other people appear only as the person's
    own record holds them: map entries by the label given (initials or a first name), staff by name."""
    person = person_for_data_protection(actor=actor, person_id=person_id)
    what_matters = _what_matters_section(person)
    return {
        "about": {
            "service": "Connecting People",
            "controller": person.trust.name,
            "made_at": timezone.now(),
            "made_by": _name(acting_user(actor)),
            "record_number": person.pk,
        },
        "record": _record_section(person),
        "consents": _consents_section(person),
        "what_matters": what_matters,
        "connections_maps": _maps_section(person),
        "goals": _goals_section(person),
        "activities": _activities_section(person),
        "community_links": _links_section(person),
        "reviews": _reviews_section(person),
        "outcome_measures": _measures_section(person),
        "study_participation": _study_section(person),
        "restrictions_of_processing": _restrictions_section(actor, person),
        "access_log": _access_log_section(person),
    }


# --- erasure preview -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyFate:
    number: str
    study_code: str
    study_title: str
    status: str
    choice: str  # the participant's recorded choice: "keep-collected", "remove-data" or "" (none recorded)

    @property
    def kept(self) -> bool:
        return self.choice == Participant.DataChoice.KEEP


@dataclass(frozen=True)
class ErasurePreview:
    counts: dict[str, int]
    studies: list[StudyFate] = field(default_factory=list)


@takes_actor
def erasure_preview(*, actor: Actor, person_id) -> ErasurePreview:
    """What erasing this person would remove, counted by kind, and what happens to each study participation."""
    person = person_for_data_protection(actor=actor, person_id=person_id)
    counts = {
        **maps_held_counts(person=person),
        **plans_held_counts(person=person),
        "outcome measures": administrations_held_count(person=person),
    }
    studies = [
        StudyFate(
            number=participant.number,
            study_code=participant.study.code,
            study_title=participant.study.title,
            status=participant.get_status_display(),
            choice=participant.withdrawal_choice,
        )
        for participant in participations_of_person(person=person)
    ]
    return ErasurePreview(counts=counts, studies=studies)


# --- retention -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _rules_for(deployment_file: str) -> dict[str, retention.Rule]:
    return retention.load_rule_files(deployment_file or None)


def retention_rules() -> dict[str, retention.Rule]:
    """The rules in force: the shipped defaults with the deployment's file over them. RetentionConfigError for
    a file that cannot be used."""
    return _rules_for(settings.CONNECTING_PEOPLE_RETENTION_FILE)


@dataclass
class ClassReport:
    rule: retention.Rule
    held: int  # records of the class in reach
    due: int | None  # None: no rule, nothing falls due
    on_hold: int = 0  # due, but kept because processing is restricted
    due_before: date | None = None
    due_before_after_death: date | None = None


@dataclass
class RetentionReport:
    today: date
    classes: list[ClassReport]
    due_people: list[Person]
    held_people: list[Person]

    def by_class(self) -> dict[str, ClassReport]:
        return {report.rule.record_class: report for report in self.classes}


@takes_actor
def practice_records_due(*, actor: Actor, rule: retention.Rule, today: date) -> QuerySet[Person]:
    """Closed records of the officer's trusts whose retention has ended (restricted ones included)."""
    before = retention.cutoff(rule, today)
    after_death = retention.cutoff(rule, today, after_death=True)
    if before is None and after_death is None:
        return people_for_data_protection(actor=actor).none()
    due = Q()
    if before is not None:
        due |= Q(closed_on__lte=before)
    if after_death is not None:
        due |= Q(closure_reason=Person.ClosureReason.DIED, closed_on__lte=after_death)
    return people_for_data_protection(actor=actor).filter(due, status=Person.Status.CLOSED)


@takes_actor
def study_data_due(*, actor: Actor, rule: retention.Rule, today: date) -> QuerySet[Participant]:
    """Participants at the officer's trusts' sites, in closed studies, whose latest study date is on or before
    the cut-off (none when the rule sets no period)."""
    trust_ids = require_data_protection_officer(actor=actor)
    return participants_due_for_removal(trust_ids=trust_ids, before=retention.cutoff(rule, today))


def audit_events_due(*, rule: retention.Rule, today: date) -> tuple[int, date | None]:
    """How many audit events, of the whole service, are older than the rule's period, and the cut-off date."""
    before = retention.cutoff(rule, today)
    if before is None:
        return 0, None
    return audit_events_before_count(before=before), before


@takes_actor
def retention_report(*, actor: Actor, today: date | None = None, list_limit: int = 200) -> RetentionReport:
    """What the retention rules make due today in the officer's trusts, by class, with the records due."""
    trust_ids = require_data_protection_officer(actor=actor)
    today = today or timezone.localdate()
    rules = retention_rules()
    practice = rules["practice_record"]
    people = people_for_data_protection(actor=actor)
    due_people = practice_records_due(actor=actor, rule=practice, today=today)
    practice_report = ClassReport(
        rule=practice,
        held=people.count(),
        due=None
        if practice.keep_years is None and practice.keep_years_after_death is None
        else due_people.filter(processing_restricted=False).count(),
        on_hold=due_people.filter(processing_restricted=True).count(),
        due_before=retention.cutoff(practice, today),
        due_before_after_death=retention.cutoff(practice, today, after_death=True),
    )
    study = rules["study_data"]
    study_report = ClassReport(
        rule=study,
        held=participants_at_trusts(trust_ids=trust_ids).count(),
        due=None
        if study.keep_years is None
        else study_data_due(actor=actor, rule=study, today=today).count(),
        due_before=retention.cutoff(study, today),
    )
    audit = rules["audit_trail"]
    audit_due, audit_before = audit_events_due(rule=audit, today=today)
    audit_report = ClassReport(
        rule=audit,
        held=audit_events_count(),
        due=None if audit.keep_years is None else audit_due,
        due_before=audit_before,
    )
    listed = due_people.select_related("team").order_by("closed_on", "id")
    return RetentionReport(
        today=today,
        classes=[practice_report, study_report, audit_report],
        due_people=list(listed.filter(processing_restricted=False)[:list_limit]),
        held_people=list(listed.filter(processing_restricted=True)[:list_limit]),
    )
