"""Every write to a person's plan–do–review record. Each runs in one transaction with its audit event; a
review, which also scores goals (GAS, through the measures engine), starts a new connections map and plans the
next review, does all of that in one transaction or none of it. Audit summaries hold codes, ids and dates only:
the person's own words stay out of the audit trail."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from connecting_people.accounts.actor import Actor
from connecting_people.audit.services import audit_record
from connecting_people.community.models import Opportunity
from connecting_people.community.selectors import opportunity_get
from connecting_people.connections import services as map_services
from connecting_people.connections.interchange import LABEL_MAX_LENGTH
from connecting_people.connections.models import MapEntry, MapSnapshot
from connecting_people.connections.selectors import entries_of, latest_snapshot
from connecting_people.core.errors import SAVED_BY_SOMEONE_ELSE, NotFoundError, ServiceError, StaleRecordError
from connecting_people.measures.services import administration_record
from connecting_people.people.models import Person
from connecting_people.people.selectors import person_tags
from connecting_people.people.services import person_for_change, person_next_review_set, person_tags_set
from connecting_people.plans import selectors
from connecting_people.plans.models import (
    Activity,
    Assessment,
    Barrier,
    Goal,
    GoalScore,
    Link,
    LinkChange,
    Review,
    Step,
)

STALE = SAVED_BY_SOMEONE_ELSE
LEVEL_FIELDS = {-2: "level_minus_2", -1: "level_minus_1", 0: "level_0", 1: "level_plus_1", 2: "level_plus_2"}
LEVEL_NAMES = {
    -2: "much less than expected (−2)",
    -1: "somewhat less than expected (−1)",
    0: "the expected outcome (0)",
    1: "somewhat more than expected (+1)",
    2: "much more than expected (+2)",
}
# Where an opportunity goes on the connections map when the person starts going.
MAP_CATEGORY = {
    Opportunity.Category.FAITH: "faith",
    Opportunity.Category.PEER_SUPPORT: "peer_support",
    Opportunity.Category.WORK: "work_education",
    Opportunity.Category.LEARNING: "work_education",
}
ON_THE_MAP = {Link.Status.ATTENDED, Link.Status.REGULAR}


def _audit(
    actor: Actor, person: Person, action: str, object_type: str, object_id: Any, summary: dict
) -> None:
    audit_record(
        actor=actor.user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        person_id=person.pk,
        summary=summary,
    )


def _not_before_support(person: Person, when: date, field_name: str, what: str) -> None:
    if when > timezone.localdate():
        raise ServiceError(
            f"{what} must be today or in the past",
            field=field_name,
            code="date_in_future",
            params={"what": what},
        )
    if when < person.opened_on:
        raise ServiceError(
            f"{what} must be on or after the day support started",
            field=field_name,
            code="date_before_support",
            params={"what": what, "opened_on": person.opened_on},
        )


# ---------------------------------------------------------------------------------------------------------
# Assess


@dataclass(frozen=True)
class AssessmentData:
    assessed_on: date
    aspirations: str = ""
    strengths_in_own_words: str = ""
    barriers: tuple[str, ...] = ()
    barriers_in_own_words: str = ""
    strengths: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()


def assessment_save(
    *, actor: Actor, person_id: int, expected_version: int | None, data: AssessmentData
) -> Assessment:
    """Record or update what the person brings and wants, and their strengths and interests.
    `expected_version` is the assessment's version the form was opened with (None when there was none)."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        _not_before_support(person, data.assessed_on, "assessed_on", "The date")
        unknown = set(data.barriers) - set(Barrier.values)
        if unknown:
            raise ServiceError("Choose barriers from the list", field="barriers", code="barrier_unknown")
        assessment = Assessment.objects.select_for_update().filter(person=person).first()
        if (assessment.version if assessment else None) != expected_version:
            raise StaleRecordError(STALE)
        fields = {
            "aspirations": data.aspirations.strip(),
            "strengths_in_own_words": data.strengths_in_own_words.strip(),
            "barriers": [code for code in Barrier.values if code in set(data.barriers)],
            "barriers_in_own_words": data.barriers_in_own_words.strip(),
            "assessed_on": data.assessed_on,
        }
        if assessment is None:
            assessment = Assessment(person=person, updated_by=actor.user, **fields)
            changed = sorted(fields)
            try:
                with transaction.atomic():  # someone else's first save at the same moment wins; say so
                    assessment.save()
            except IntegrityError as error:
                raise StaleRecordError(STALE) from error
        else:
            changed = sorted(name for name, value in fields.items() if getattr(assessment, name) != value)
            for name, value in fields.items():
                setattr(assessment, name, value)
            assessment.updated_by = actor.user
            assessment.version += 1
            assessment.save()
        person_tags_set(
            actor=actor,
            person_id=person.pk,
            strengths=list(data.strengths),
            interests=list(data.interests),
        )
        _audit(
            actor,
            person,
            "plan.assessment_saved",
            "assessment",
            assessment.pk,
            {"fields": changed, "barriers": fields["barriers"], "assessed_on": data.assessed_on},
        )
    return assessment


# ---------------------------------------------------------------------------------------------------------
# Plan


@dataclass(frozen=True)
class GoalData:
    text: str
    levels: dict[int, str]  # -2 .. 2 → what that level would look like
    importance: int | None = None
    difficulty: int | None = None
    map_entry_keys: tuple[str, ...] = ()
    opportunity_ids: tuple[int, ...] = ()
    status: str = Goal.Status.ACTIVE


@dataclass(frozen=True)
class StepData:
    what: str
    owner: str
    due_on: date | None
    owner_name: str = ""


def _checked_goal(actor: Actor, person: Person, data: GoalData) -> tuple[dict[str, Any], list[Opportunity]]:
    text = " ".join(data.text.split())
    if not text:
        raise ServiceError("Enter the goal, in the person's words", field="text", code="goal_text_missing")
    # The expected outcome is the scale's anchor and is agreed when the goal is set. The other four levels may
    # be written now or later, before the review (empty until then: "to complete").
    levels = {
        field_name: " ".join((data.levels.get(level) or "").split())
        for level, field_name in LEVEL_FIELDS.items()
    }
    if not levels[LEVEL_FIELDS[0]]:
        raise ServiceError(
            f"Describe what {LEVEL_NAMES[0]} would look like",
            field=LEVEL_FIELDS[0],
            code="goal_expected_outcome_missing",
            params={"level": LEVEL_NAMES[0]},
        )
    if (data.importance is None) != (data.difficulty is None):
        field_name = "difficulty" if data.difficulty is None else "importance"
        raise ServiceError(
            "Give both importance and difficulty, or neither",
            field=field_name,
            code="goal_weighting_incomplete",
        )
    for name, value in (("importance", data.importance), ("difficulty", data.difficulty)):
        if value is not None and not 0 <= value <= 3:
            raise ServiceError(
                f"{name.capitalize()} must be from 0 to 3",
                field=name,
                code="goal_weighting_out_of_range",
                params={"name": name},
            )
    if data.status not in Goal.Status.values:
        raise ServiceError("Choose how the goal is going", field="status", code="goal_status_unknown")
    keys = sorted(set(data.map_entry_keys))
    if keys:
        if set(keys) - _latest_map_keys(actor, person):
            raise ServiceError(
                "Choose entries from the person's latest map",
                field="map_entry_keys",
                code="map_entry_not_on_latest_map",
            )
    opportunities = list(Opportunity.objects.filter(pk__in=set(data.opportunity_ids)))
    if len(opportunities) != len(set(data.opportunity_ids)):
        raise ServiceError(
            "Choose opportunities from the directory", field="opportunities", code="opportunity_unknown"
        )
    fields = {
        "text": text,
        **levels,
        "importance": data.importance,
        "difficulty": data.difficulty,
        "map_entry_keys": keys,
        "status": data.status,
    }
    return fields, opportunities


def _latest_map_keys(actor: Actor, person: Person) -> set[str]:
    snapshot = latest_snapshot(actor=actor, person=person)
    if snapshot is None:
        return set()
    return {str(key) for key in entries_of(snapshot).values_list("key", flat=True)}


def goal_create(
    *,
    actor: Actor,
    person_id: int,
    data: GoalData,
    set_on: date | None = None,
    first_step: StepData | None = None,
) -> Goal:
    """Set a goal, with its first step when `first_step` is given: both saved, or neither."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        fields, opportunities = _checked_goal(actor, person, data)
        goal = Goal.objects.create(
            person=person, set_on=set_on or timezone.localdate(), created_by=actor.user, **fields
        )
        goal.opportunities.set(opportunities)
        _audit(
            actor,
            person,
            "plan.goal_set",
            "goal",
            goal.pk,
            {
                "weighted": goal.weight is not None,
                "opportunities": len(opportunities),
                "entries": len(fields["map_entry_keys"]),
                "levels_to_complete": goal.levels_to_complete,
            },
        )
        if first_step is not None:
            _step_create(actor, person, goal, first_step)
    return goal


def goal_update(*, actor: Actor, person_id: int, goal_id: int, expected_version: int, data: GoalData) -> Goal:
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        goal = _locked(Goal.objects.filter(person=person), goal_id, "No such goal")
        if goal.version != expected_version:
            raise StaleRecordError(STALE)
        fields, opportunities = _checked_goal(actor, person, data)
        # Entries no longer on the latest map were not offered on the form: keep the goal's link to them.
        offered = _latest_map_keys(actor, person)
        fields["map_entry_keys"] = sorted(
            set(fields["map_entry_keys"]) | {key for key in goal.map_entry_keys if key not in offered}
        )
        changed = sorted(name for name, value in fields.items() if getattr(goal, name) != value)
        if {o.pk for o in opportunities} != set(goal.opportunities.values_list("pk", flat=True)):
            changed.append("opportunities")
            goal.opportunities.set(opportunities)
        for name, value in fields.items():
            setattr(goal, name, value)
        goal.version += 1
        goal.save()
        _audit(
            actor, person, "plan.goal_changed", "goal", goal.pk, {"fields": changed, "status": goal.status}
        )
    return goal


def _locked(queryset, pk, message: str):
    try:
        return queryset.select_for_update().get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError(message) from error


def _checked_step(goal: Goal, data: StepData) -> dict[str, Any]:
    what = " ".join(data.what.split())
    if not what:
        raise ServiceError("Enter what the step is", field="what", code="step_what_missing")
    if data.owner not in Step.Owner.values:
        raise ServiceError("Select who will do it", field="owner", code="step_owner_unknown")
    owner_name = " ".join(data.owner_name.split())
    if data.owner == Step.Owner.OTHER and not owner_name:
        raise ServiceError("Enter who will do it", field="owner_name", code="step_owner_name_missing")
    if data.due_on is None:
        raise ServiceError("Enter the date it should be done by", field="due_on", code="step_due_on_missing")
    if data.due_on < goal.set_on:
        raise ServiceError(
            "The date must be on or after the day the goal was set",
            field="due_on",
            code="step_due_before_goal",
            params={"set_on": goal.set_on},
        )
    return {
        "what": what,
        "owner": data.owner,
        "owner_name": owner_name if data.owner == Step.Owner.OTHER else "",
        "due_on": data.due_on,
    }


def step_add(*, actor: Actor, person_id: int, goal_id: int, data: StepData) -> Step:
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        goal = _locked(Goal.objects.filter(person=person), goal_id, "No such goal")
        return _step_create(actor, person, goal, data)


def _step_create(actor: Actor, person: Person, goal: Goal, data: StepData) -> Step:
    step = Step.objects.create(goal=goal, **_checked_step(goal, data))
    _audit(
        actor,
        person,
        "plan.step_added",
        "step",
        step.pk,
        {"goal_id": goal.pk, "owner": step.owner, "due_on": step.due_on},
    )
    return step


def _locked_step(person: Person, step_id, expected_version: int) -> Step:
    step = _locked(Step.objects.filter(goal__person=person).select_related("goal"), step_id, "No such step")
    if step.version != expected_version:
        raise StaleRecordError(STALE)
    return step


def step_update(*, actor: Actor, person_id: int, step_id: int, expected_version: int, data: StepData) -> Step:
    """Change a step. StaleRecordError when someone saved it since `expected_version`."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        step = _locked_step(person, step_id, expected_version)
        fields = _checked_step(step.goal, data)
        changed = sorted(name for name, value in fields.items() if getattr(step, name) != value)
        for name, value in fields.items():
            setattr(step, name, value)
        step.version += 1
        step.save()
        _audit(
            actor, person, "plan.step_changed", "step", step.pk, {"fields": changed, "due_on": step.due_on}
        )
    return step


def step_done(
    *,
    actor: Actor,
    person_id: int,
    step_id: int,
    expected_version: int,
    done: bool,
    done_on: date | None = None,
) -> Step:
    """Mark a step done (today, or `done_on`) or not done. StaleRecordError when someone saved the step since
    `expected_version` (the plan page it was marked on was out of date)."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        step = _locked_step(person, step_id, expected_version)
        when = (done_on or timezone.localdate()) if done else None
        if when is not None and when > timezone.localdate():
            raise ServiceError(
                "The date must be today or in the past",
                field="done_on",
                code="date_in_future",
                params={"what": "The date"},
            )
        step.done_on = when
        step.version += 1
        step.save(update_fields=["done_on", "version"])
        _audit(
            actor,
            person,
            "plan.step_done" if done else "plan.step_reopened",
            "step",
            step.pk,
            {"done_on": when},
        )
    return step


# ---------------------------------------------------------------------------------------------------------
# Do


@dataclass(frozen=True)
class ActivityData:
    kind: str
    occurred_on: date
    help_given: tuple[str, ...] = ()
    barriers: tuple[str, ...] = ()
    notes: str = ""
    opportunity_id: int | None = None
    goal_id: int | None = None


def activity_add(*, actor: Actor, person_id: int, data: ActivityData) -> Activity:
    """Log something done. A session attended at a linked opportunity moves the link on to "went along",
    which puts the opportunity on the person's connections map."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        if data.kind not in Activity.Kind.values:
            raise ServiceError("Select what happened", field="kind", code="activity_kind_unknown")
        _not_before_support(person, data.occurred_on, "occurred_on", "The date")
        if set(data.help_given) - set(Activity.Help.values):
            raise ServiceError("Choose the help given from the list", field="help_given", code="help_unknown")
        if set(data.barriers) - set(Barrier.values):
            raise ServiceError("Choose barriers from the list", field="barriers", code="barrier_unknown")
        if data.kind == Activity.Kind.PRACTICAL and not data.help_given:
            raise ServiceError("Select the practical help given", field="help_given", code="help_missing")
        if data.kind == Activity.Kind.BARRIER and not data.barriers:
            raise ServiceError("Select the barrier met", field="barriers", code="barrier_missing")
        opportunity = opportunity_get(opportunity_id=data.opportunity_id) if data.opportunity_id else None
        if data.kind in (Activity.Kind.ATTENDED, Activity.Kind.ACCOMPANIED) and opportunity is None:
            raise ServiceError(
                "Select where the person went", field="opportunity", code="activity_opportunity_missing"
            )
        goal = None
        if data.goal_id:
            goal = Goal.objects.filter(person=person, pk=data.goal_id).first()
            if goal is None:
                raise ServiceError("Choose one of the person's goals", field="goal", code="goal_unknown")
        activity = Activity.objects.create(
            person=person,
            kind=data.kind,
            occurred_on=data.occurred_on,
            help_given=[code for code in Activity.Help.values if code in set(data.help_given)],
            barriers=[code for code in Barrier.values if code in set(data.barriers)],
            notes=data.notes.strip(),
            opportunity=opportunity,
            goal=goal,
            recorded_by=actor.user,
        )
        _audit(
            actor,
            person,
            "plan.activity_logged",
            "activity",
            activity.pk,
            {
                "kind": activity.kind,
                "occurred_on": activity.occurred_on,
                "opportunity_id": data.opportunity_id,
            },
        )
        if opportunity is not None and data.kind in (Activity.Kind.ATTENDED, Activity.Kind.ACCOMPANIED):
            link = Link.objects.select_for_update().filter(person=person, opportunity=opportunity).first()
            if link is None:
                link = _link_create(actor, person, opportunity, Link.Status.DISCUSSED, [], data.occurred_on)
            if _rank(link.status) < _rank(Link.Status.ATTENDED):
                _link_move(actor, person, link, Link.Status.ATTENDED, "", data.occurred_on)
    return activity


# ---------------------------------------------------------------------------------------------------------
# Links to community opportunities

_ORDER = [
    Link.Status.SUGGESTED,
    Link.Status.DISCUSSED,
    Link.Status.INTRODUCED,
    Link.Status.ATTENDED,
    Link.Status.REGULAR,
]


def _rank(status: str) -> int:
    return _ORDER.index(status) if status in _ORDER else -1


def _link_create(actor: Actor, person, opportunity, status, matched_interests, when) -> Link:
    try:
        with transaction.atomic():
            link = Link.objects.create(
                person=person,
                opportunity=opportunity,
                status=status,
                matched_interests=list(matched_interests),
            )
    except IntegrityError as error:
        raise ServiceError(
            f"{person.known_as} is already linked to {opportunity.name}",
            field="opportunity",
            code="link_exists",
            params={"person": person.known_as, "opportunity": opportunity.name},
        ) from error
    LinkChange.objects.create(link=link, status=status, changed_on=when, changed_by=actor.user)
    _audit(
        actor,
        person,
        "plan.link_made",
        "link",
        link.pk,
        {"opportunity_id": opportunity.pk, "status": status, "matched": len(matched_interests)},
    )
    return link


def link_create(
    *,
    actor: Actor,
    person_id: int,
    opportunity_id: int,
    status: str = Link.Status.SUGGESTED,
    matched_interests: list[str] | None = None,
) -> Link:
    if status not in (Link.Status.SUGGESTED, Link.Status.DISCUSSED):
        raise ServiceError(
            "A new link starts as suggested or talked about", field="status", code="link_start_status"
        )
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        opportunity = opportunity_get(opportunity_id=opportunity_id)
        if not opportunity.active:
            raise ServiceError(
                "This opportunity is no longer running", field="opportunity", code="opportunity_not_running"
            )
        interests = set(person_tags(person=person)["interest"])
        matched = sorted({name for name in matched_interests or [] if name in interests})
        return _link_create(actor, person, opportunity, status, matched, timezone.localdate())


def link_status_set(
    *,
    actor: Actor,
    person_id: int,
    link_id: int,
    expected_version: int,
    status: str,
    reason: str = "",
    changed_on: date | None = None,
) -> Link:
    """Move a link on (or back, or to stopped, which needs a reason). Going along puts it on the map."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        link = _locked(
            Link.objects.filter(person=person).select_related("opportunity"), link_id, "No such link"
        )
        if link.version != expected_version:
            raise StaleRecordError(STALE)
        when = changed_on or timezone.localdate()
        _not_before_support(person, when, "changed_on", "The date")
        return _link_move(actor, person, link, status, reason, when)


def _link_move(actor: Actor, person: Person, link: Link, status: str, reason: str, when: date) -> Link:
    if status not in Link.Status.values:
        raise ServiceError("Select where things are", field="status", code="link_status_unknown")
    reason = " ".join(reason.split())
    if status == Link.Status.STOPPED and not reason:
        raise ServiceError("Enter why it stopped", field="reason", code="link_reason_missing")
    if status == link.status:
        raise ServiceError(
            f"It is already “{link.get_status_display().lower()}”",
            field="status",
            code="link_status_unchanged",
            params={"status": link.status},
        )
    link.status = status
    link.stopped_reason = reason if status == Link.Status.STOPPED else ""
    link.version += 1
    if status in ON_THE_MAP and link.map_entry_key is None:
        link.map_entry_key = _put_on_map(actor, person, link.opportunity, when)
    link.save()
    LinkChange.objects.create(link=link, status=status, reason=reason, changed_on=when, changed_by=actor.user)
    _audit(
        actor,
        person,
        "plan.link_moved",
        "link",
        link.pk,
        {"status": status, "changed_on": when, "on_map": link.map_entry_key is not None},
    )
    return link


def _put_on_map(actor: Actor, person: Person, opportunity: Opportunity, when: date):
    """Add the opportunity to the person's latest map (starting one if they have none): a group in the outer
    ring, giving companionship. Returns the entry's key."""
    snapshot = latest_snapshot(actor=actor, person=person)
    if snapshot is None:
        snapshot = map_services.snapshot_start(
            actor=actor, person_id=person.pk, taken_on=min(when, timezone.localdate())
        )
    entry = map_services.entry_add(
        actor=actor,
        person_id=person.pk,
        snapshot_id=snapshot.pk,
        data=map_services.EntryData(
            label=opportunity.name[:LABEL_MAX_LENGTH].rstrip(),
            kind="group",
            category=MAP_CATEGORY.get(opportunity.category, "community_group"),
            ring="outer",
            supports=("companionship",),
        ),
    )
    return entry.key


# ---------------------------------------------------------------------------------------------------------
# Review


@dataclass(frozen=True)
class ReviewData:
    held_on: date
    decision: str
    next_review_on: date | None
    scores: dict[int, int | None] = field(default_factory=dict)  # goal id → level, None when not scored
    notes: str = ""
    start_new_map: bool = True


def review_hold(*, actor: Actor, person_id: int, data: ReviewData) -> Review:
    """Hold a review: score goals (and work out the GAS T-score through the measures engine), start the next
    connections map from the last one, plan the next review and record the decision. All or nothing."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        _not_before_support(person, data.held_on, "held_on", "The date of the review")
        if data.decision not in Review.Decision.values:
            raise ServiceError("Select what happens next", field="decision", code="review_decision_unknown")
        if data.decision != Review.Decision.MOVE_ON and data.next_review_on is None:
            raise ServiceError(
                "Enter the date of the next review", field="next_review_on", code="next_review_missing"
            )
        if data.next_review_on is not None and data.next_review_on <= data.held_on:
            raise ServiceError(
                "The next review must be after this one", field="next_review_on", code="next_review_not_after"
            )
        goals = {goal.pk: goal for goal in selectors.goals_to_score(actor=actor, person=person)}
        if set(data.scores) - set(goals):
            raise ServiceError(
                "Score the person's current goals only", field="scores", code="goal_not_current"
            )
        for goal_id, level in data.scores.items():
            if level is not None and level not in LEVEL_FIELDS:
                raise ServiceError(
                    "Choose a score from −2 to +2",
                    field=f"goal_{goal_id}",
                    code="score_out_of_range",
                    params={"goal_id": goal_id},
                )
        review = Review.objects.create(
            person=person,
            held_on=data.held_on,
            decision=data.decision,
            notes=data.notes.strip(),
            next_review_on=data.next_review_on,
            held_by=actor.user,
        )
        scored = [
            (goals[goal_id], level) for goal_id, level in sorted(data.scores.items()) if level is not None
        ]
        GoalScore.objects.bulk_create(
            GoalScore(review=review, goal=goal, level=level) for goal, level in scored
        )
        # Every goal is scored and kept; the T-score is worked out when the GAS definition covers that many
        # goals (20 as shipped), so a person with more goals still has their review (without a T-score).
        if scored and len(scored) <= selectors.gas_goals_at_most():
            weights = [goal.weight for goal, _ in scored]
            review.gas = administration_record(
                actor=actor,
                person_id=person.pk,
                instrument_id=selectors.GAS_INSTRUMENT,
                answers=[float(level) for _, level in scored],
                administered_on=data.held_on,
                mode="with_person",
                timepoint_label="Review",
                weights=None if None in weights else [float(w) for w in weights],
            )
        if data.start_new_map:
            latest = latest_snapshot(actor=actor, person=person)
            if latest is not None and latest.taken_on in (data.held_on, timezone.localdate()):
                # Already started on the review's day, or today on the review page: the review uses it.
                review.snapshot = latest
            else:
                review.snapshot = map_services.snapshot_start(
                    actor=actor, person_id=person.pk, taken_on=data.held_on
                )
        review.save()
        person_next_review_set(actor=actor, person_id=person.pk, next_review_on=data.next_review_on)
        _audit(
            actor,
            person,
            "plan.review_held",
            "review",
            review.pk,
            {
                "held_on": data.held_on,
                "decision": data.decision,
                "goals_scored": len(scored),
                "gas_id": review.gas_id,
                "snapshot_id": review.snapshot_id,
                "next_review_on": data.next_review_on,
            },
        )
    return review


def review_map_start(*, actor: Actor, person_id: int) -> MapSnapshot:
    """The map a review held today changes: the person's latest map when it is dated today (started earlier
    in the review, or drawn today), else a new one started today from the latest (or an empty first map)."""
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)
        latest = latest_snapshot(actor=actor, person=person)
        if latest is not None and latest.taken_on == timezone.localdate():
            return latest
        return map_services.snapshot_start(actor=actor, person_id=person.pk, taken_on=timezone.localdate())


def review_map_entry_add(*, actor: Actor, person_id: int, data: map_services.EntryData) -> MapEntry:
    """Add an entry to the map of today's review (`review_map_start`), from the review page: the map is
    started and the entry added together, or neither."""
    with transaction.atomic():
        snapshot = review_map_start(actor=actor, person_id=person_id)
        return map_services.entry_add(actor=actor, person_id=person_id, snapshot_id=snapshot.pk, data=data)


def plans_erase_for_person(*, person: Person) -> dict[str, int]:
    """Erasure (privacy app, which has locked the person and audits the erasure): remove the person's reviews
    (with their goal scores), activities, community links (with their history), goals (with their steps) and
    assessment, in that order (a review protects its goal scores' goals), in the caller's transaction. Rows
    removed, by model."""
    removed: dict[str, int] = {}
    for model in (Review, Activity, Link, Goal, Assessment):
        for label, count in model.objects.filter(person=person).delete()[1].items():
            removed[label] = removed.get(label, 0) + count
    return removed
