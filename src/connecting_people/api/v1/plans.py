"""A person's plan–do–review record under /api/v1/people/{person_id}/: what matters to them (the assessment),
goals with their goal attainment scales, steps, activities, links to community opportunities and reviews with
each goal's score. Read through the plans selectors (the same reach as the plan pages), written through the
plans services."""

import contextlib
from datetime import date, datetime
from typing import Literal

from django.urls import reverse
from ninja import Field, Query, Router, Schema

from connecting_people.api.auth import require_scope
from connecting_people.api.paging import DEFAULT_LIMIT, Page, page_of
from connecting_people.api.preconditions import expected_version
from connecting_people.api.responses import idempotent, json_response
from connecting_people.core.errors import NotFoundError, ServiceError
from connecting_people.people.selectors import person_get, person_tags
from connecting_people.plans import selectors, services
from connecting_people.plans.models import Activity, Assessment, Goal, Link, Review, Step

router = Router(tags=["plans"])

LEVELS = ("level_minus_2", "level_minus_1", "level_0", "level_plus_1", "level_plus_2")
LEVEL_OF = {-2: "level_minus_2", -1: "level_minus_1", 0: "level_0", 1: "level_plus_1", 2: "level_plus_2"}


class Paging(Schema):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _url(request, name: str, *args) -> str:
    return request.build_absolute_uri(reverse(f"api-v1:{name}", args=args))


def _person(request, person_id: int, shown_on: str | None = None):
    return person_get(actor=request.actor, person_id=person_id, shown_on=shown_on)


@contextlib.contextmanager
def _fields_named(names: dict[str, str]):
    """A service's refusal about one of its fields, pointed at the field as the API names it."""
    try:
        yield
    except ServiceError as error:
        if error.field in names:
            error.field = names[error.field]
        raise


# --- what matters: the assessment ---------------------------------------------------------------------------


class AssessmentOut(Schema):
    person_id: int
    aspirations: str
    strengths_in_own_words: str
    barriers: list[str]
    barriers_in_own_words: str
    strengths: list[str]
    interests: list[str]
    assessed_on: date
    updated_at: datetime
    version: int
    url: str


@router.get(
    "/{int:person_id}/assessment",
    response=AssessmentOut,
    url_name="plan_assessment",
    summary="What matters to the person",
)
def assessment_get(request, person_id: int):
    """Their aspirations, strengths and the barriers in their way, in their own words (404 until one is
    recorded)."""
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-assessment")  # audited only when answered
    return _assessment_answer(request, person)


def _assessment_answer(request, person):
    assessment: Assessment | None = selectors.assessment_of(actor=request.actor, person=person)
    if assessment is None:
        raise NotFoundError("No assessment yet")
    tags = person_tags(person=person)
    body = {
        name: getattr(assessment, name) for name in AssessmentOut.model_fields if hasattr(assessment, name)
    }
    body |= {
        "strengths": tags["strength"],
        "interests": tags["interest"],
        "url": _url(request, "plan_assessment", person.pk),
    }
    return json_response(AssessmentOut(**body), version=assessment.version)


# --- goals and their steps ----------------------------------------------------------------------------------


class StepOut(Schema):
    id: int
    goal_id: int
    what: str
    owner: Step.Owner
    owner_name: str
    due_on: date
    done_on: date | None
    version: int
    url: str


class GoalOut(Schema):
    id: int
    person_id: int
    text: str
    set_on: date
    status: Goal.Status
    level_minus_2: str
    level_minus_1: str
    level_0: str
    level_plus_1: str
    level_plus_2: str
    levels_to_complete: int
    importance: int | None
    difficulty: int | None
    weight: int | None
    map_entry_keys: list[str]
    opportunity_ids: list[int]
    steps: list[StepOut]
    version: int
    url: str


_Level = Field("", max_length=300)


class GoalIn(Schema):
    """The goal in the person's words and its goal attainment scale: what each level would look like. The
    expected outcome (`level_0`) is needed now; the other four may follow before the review."""

    text: str = Field(min_length=1, max_length=300)
    level_minus_2: str = _Level
    level_minus_1: str = _Level
    level_0: str = Field(min_length=1, max_length=300)
    level_plus_1: str = _Level
    level_plus_2: str = _Level
    importance: int | None = Field(None, ge=0, le=3)
    difficulty: int | None = Field(None, ge=0, le=3)
    map_entry_keys: list[str] = Field(default_factory=list, max_length=250)
    opportunity_ids: list[int] = Field(default_factory=list, max_length=50)


class GoalPatch(Schema):
    """Only the fields sent are changed."""

    text: str | None = Field(None, min_length=1, max_length=300)
    status: Goal.Status | None = None
    level_minus_2: str | None = Field(None, max_length=300)
    level_minus_1: str | None = Field(None, max_length=300)
    level_0: str | None = Field(None, min_length=1, max_length=300)
    level_plus_1: str | None = Field(None, max_length=300)
    level_plus_2: str | None = Field(None, max_length=300)
    importance: int | None = Field(None, ge=0, le=3)
    difficulty: int | None = Field(None, ge=0, le=3)
    map_entry_keys: list[str] | None = Field(None, max_length=250)
    opportunity_ids: list[int] | None = Field(None, max_length=50)


class StepIn(Schema):
    what: str = Field(min_length=1, max_length=300)
    owner: Step.Owner
    owner_name: str = Field("", max_length=100, description="Who, when the owner is someone else")
    due_on: date


def step_out(request, person_id: int, step: Step) -> dict:
    fields = {name: getattr(step, name) for name in StepOut.model_fields if name != "url"}
    return fields | {"url": _url(request, "plan_step", person_id, step.pk)}


def goal_out(request, goal: Goal) -> dict:
    fields = {
        name: getattr(goal, name) for name in GoalOut.model_fields if hasattr(goal, name) and name != "url"
    }
    return fields | {
        "opportunity_ids": sorted(opportunity.pk for opportunity in goal.opportunities.all()),
        "steps": [step_out(request, goal.person_id, step) for step in goal.steps.all()],
        "url": _url(request, "plan_goal", goal.person_id, goal.pk),
    }


def _goal_data(values: dict) -> services.GoalData:
    return services.GoalData(
        text=values["text"],
        levels={level: values.get(name) or "" for level, name in LEVEL_OF.items()},
        importance=values.get("importance"),
        difficulty=values.get("difficulty"),
        map_entry_keys=tuple(values.get("map_entry_keys") or ()),
        opportunity_ids=tuple(values.get("opportunity_ids") or ()),
        status=values.get("status") or Goal.Status.ACTIVE,
    )


def _goal_answer(request, person, goal_id: int, **options):
    goal = selectors.goal_of(actor=request.actor, person=person, goal_id=goal_id)
    goal = selectors.goals_query(actor=request.actor, person=person).get(pk=goal.pk)
    return json_response(GoalOut(**goal_out(request, goal)), version=goal.version, **options)


@router.get(
    "/{int:person_id}/goals", response=Page[GoalOut], url_name="plan_goals", summary="A person's goals"
)
def goals_list(request, person_id: int, filters: Query[Paging]):
    """Every goal, with its scale and steps, by id, a page at a time."""
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-goals")
    rows = selectors.goals_query(actor=request.actor, person=person)
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    return {"items": [goal_out(request, goal) for goal in items], "next": following}


@router.get(
    "/{int:person_id}/goals/{int:goal_id}", response=GoalOut, url_name="plan_goal", summary="One goal"
)
def goal_get(request, person_id: int, goal_id: int):
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-goal")
    return _goal_answer(request, person, goal_id)


_GOAL_FIELDS = {"opportunities": "opportunity_ids"}


@router.post("/{int:person_id}/goals", response={201: GoalOut}, url_name="plan_goals", summary="Set a goal")
@idempotent
def goal_create(request, person_id: int, payload: GoalIn):
    """Set today, working on it. Send an `Idempotency-Key`."""
    require_scope(request, "plans:write")
    with _fields_named(_GOAL_FIELDS):
        goal = services.goal_create(
            actor=request.actor, person_id=person_id, data=_goal_data(payload.model_dump())
        )
    person = _person(request, person_id)
    return _goal_answer(
        request, person, goal.pk, status=201, location=_url(request, "plan_goal", person_id, goal.pk)
    )


@router.patch(
    "/{int:person_id}/goals/{int:goal_id}", response=GoalOut, url_name="plan_goal", summary="Change a goal"
)
def goal_update(request, person_id: int, goal_id: int, payload: GoalPatch):
    """Send `If-Match` with the goal's ETag: a change to a goal someone changed since is refused (412). Send
    `importance` and `difficulty` both as null to stop weighting the goal."""
    require_scope(request, "plans:write")
    person = _person(request, person_id)
    goal = selectors.goal_of(actor=request.actor, person=person, goal_id=goal_id)
    version = expected_version(request, goal.version)
    current = {name: getattr(goal, name) for name in ("text", "status", *LEVELS, "importance", "difficulty")}
    current["map_entry_keys"] = goal.map_entry_keys
    current["opportunity_ids"] = [opportunity.pk for opportunity in goal.opportunities.all()]
    given = payload.model_dump(exclude_unset=True)
    for name, value in given.items():
        if value is None and name not in ("importance", "difficulty"):
            continue
        current[name] = value
    with _fields_named(_GOAL_FIELDS):
        services.goal_update(
            actor=request.actor,
            person_id=person.pk,
            goal_id=goal.pk,
            expected_version=version,
            data=_goal_data(current),
        )
    return _goal_answer(request, person, goal.pk)


@router.get(
    "/{int:person_id}/goals/{int:goal_id}/steps",
    response=Page[StepOut],
    url_name="plan_goal_steps",
    summary="A goal's steps",
)
def steps_list(request, person_id: int, goal_id: int, filters: Query[Paging]):
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-steps")
    goal = selectors.goal_of(actor=request.actor, person=person, goal_id=goal_id)
    rows = selectors.steps_query(actor=request.actor, goal=goal)
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    return {"items": [step_out(request, person.pk, step) for step in items], "next": following}


@router.post(
    "/{int:person_id}/goals/{int:goal_id}/steps",
    response={201: StepOut},
    url_name="plan_goal_steps",
    summary="Add a step towards a goal",
)
@idempotent
def step_create(request, person_id: int, goal_id: int, payload: StepIn):
    """What, who does it (the person, the worker or someone else, named) and by when (on or after the day the
    goal was set). Send an `Idempotency-Key`."""
    require_scope(request, "plans:write")
    step = services.step_add(
        actor=request.actor,
        person_id=person_id,
        goal_id=goal_id,
        data=services.StepData(
            what=payload.what, owner=payload.owner, owner_name=payload.owner_name, due_on=payload.due_on
        ),
    )
    return json_response(
        StepOut(**step_out(request, person_id, step)),
        status=201,
        location=_url(request, "plan_step", person_id, step.pk),
        version=step.version,
    )


@router.get(
    "/{int:person_id}/steps/{int:step_id}", response=StepOut, url_name="plan_step", summary="One step"
)
def step_get(request, person_id: int, step_id: int):
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-step")
    step = selectors.step_of(actor=request.actor, person=person, step_id=step_id)
    return json_response(StepOut(**step_out(request, person.pk, step)), version=step.version)


# --- activities, community links, reviews -------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    person_id: int
    kind: Activity.Kind
    occurred_on: date
    help_given: list[str]
    barriers: list[str]
    notes: str
    opportunity_id: int | None
    goal_id: int | None
    recorded_by_id: int
    created_at: datetime
    url: str


def activity_out(request, activity: Activity) -> dict:
    fields = {name: getattr(activity, name) for name in ActivityOut.model_fields if name != "url"}
    return fields | {"url": _url(request, "plan_activity", activity.person_id, activity.pk)}


@router.get(
    "/{int:person_id}/activities",
    response=Page[ActivityOut],
    url_name="plan_activities",
    summary="What was done",
)
def activities_list(request, person_id: int, filters: Query[Paging]):
    """Introductions, visits together, sessions attended, practical help, barriers tackled, contacts: by id, a
    page at a time."""
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-activities")
    rows = selectors.activities_query(actor=request.actor, person=person)
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    return {"items": [activity_out(request, activity) for activity in items], "next": following}


@router.get(
    "/{int:person_id}/activities/{int:activity_id}",
    response=ActivityOut,
    url_name="plan_activity",
    summary="One activity",
)
def activity_get(request, person_id: int, activity_id: int):
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-activity")
    activity = selectors.activity_of(actor=request.actor, person=person, activity_id=activity_id)
    return json_response(ActivityOut(**activity_out(request, activity)))


class LinkOut(Schema):
    id: int
    person_id: int
    opportunity_id: int
    opportunity_name: str
    status: Link.Status
    stopped_reason: str
    matched_interests: list[str]
    map_entry_key: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    url: str


def link_out(request, link: Link) -> dict:
    fields = {
        name: getattr(link, name)
        for name in LinkOut.model_fields
        if hasattr(link, name) and name not in ("url", "map_entry_key")
    }
    return fields | {
        "opportunity_name": link.opportunity.name,
        "map_entry_key": str(link.map_entry_key) if link.map_entry_key else None,
        "url": _url(request, "plan_link", link.person_id, link.pk),
    }


@router.get(
    "/{int:person_id}/links",
    response=Page[LinkOut],
    url_name="plan_links",
    summary="Links to community opportunities",
)
def links_list(request, person_id: int, filters: Query[Paging]):
    """Each opportunity the person was linked to and how far it got (suggested … goes regularly, or stopped)."""
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-links")
    rows = selectors.links_query(actor=request.actor, person=person)
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    return {"items": [link_out(request, link) for link in items], "next": following}


@router.get(
    "/{int:person_id}/links/{int:link_id}", response=LinkOut, url_name="plan_link", summary="One link"
)
def link_get(request, person_id: int, link_id: int):
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-link")
    link = selectors.link_of(actor=request.actor, person=person, link_id=link_id)
    return json_response(LinkOut(**link_out(request, link)), version=link.version)


class GoalScoreOut(Schema):
    goal_id: int
    level: Literal[-2, -1, 0, 1, 2]


class ReviewOut(Schema):
    id: int
    person_id: int
    held_on: date
    decision: Review.Decision
    notes: str
    next_review_on: date | None
    snapshot_id: int | None = Field(description="The connections map started at this review")
    gas_id: int | None = Field(description="The goal attainment administration recorded at this review")
    held_by_id: int
    created_at: datetime
    scores: list[GoalScoreOut]
    url: str


def review_out(request, review: Review, scores) -> dict:
    fields = {name: getattr(review, name) for name in ReviewOut.model_fields if name not in ("url", "scores")}
    return fields | {
        "scores": [{"goal_id": score.goal_id, "level": score.level} for score in scores],
        "url": _url(request, "plan_review", review.person_id, review.pk),
    }


@router.get(
    "/{int:person_id}/reviews",
    response=Page[ReviewOut],
    url_name="plan_reviews",
    summary="A person's reviews",
)
def reviews_list(request, person_id: int, filters: Query[Paging]):
    """Each review with each goal's score (−2 … +2), by id, a page at a time."""
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-reviews")
    rows = selectors.reviews_query(actor=request.actor, person=person)
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    return {
        "items": [review_out(request, review, review.scores.all()) for review in items],
        "next": following,
    }


@router.get(
    "/{int:person_id}/reviews/{int:review_id}",
    response=ReviewOut,
    url_name="plan_review",
    summary="One review",
)
def review_get(request, person_id: int, review_id: int):
    require_scope(request, "plans:read")
    person = _person(request, person_id, shown_on="api-plan-review")
    review = selectors.review_of(actor=request.actor, person=person, review_id=review_id)
    scores = selectors.scores_of(actor=request.actor, review=review)
    return json_response(ReviewOut(**review_out(request, review, scores)))


# --- writes beyond goals and steps: what matters, a step done, activities, links --------------------------------


@contextlib.contextmanager
def _opportunity_named_in_body():
    """An opportunity id in the body that names nothing is invalid input (422 at the field), not a missing page."""
    try:
        yield
    except NotFoundError as error:
        if "opportunity_id" not in error.params:
            raise
        raise ServiceError(
            "There is no opportunity with this id in the directory",
            "opportunity_id",
            code="opportunity_unknown",
            params=error.params,
        ) from error


class AssessmentIn(Schema):
    assessed_on: date
    aspirations: str = Field("", max_length=2000)
    strengths_in_own_words: str = Field("", max_length=2000)
    barriers: list[str] = Field(default_factory=list, max_length=20)
    barriers_in_own_words: str = Field("", max_length=2000)
    strengths: list[str] = Field(default_factory=list, max_length=30)
    interests: list[str] = Field(default_factory=list, max_length=30)


@router.put(
    "/{int:person_id}/assessment",
    response=AssessmentOut,
    url_name="plan_assessment",
    summary="Record or change what matters to the person",
)
def assessment_put(request, person_id: int, payload: AssessmentIn):
    """The whole of what matters, replacing what was there. Changing one that exists needs `If-Match` with its
    ETag; the first one is recorded without."""
    require_scope(request, "plans:write")
    person = _person(request, person_id)
    current = selectors.assessment_of(actor=request.actor, person=person)
    version = expected_version(request, current.version) if current is not None else None
    data = services.AssessmentData(
        **payload.model_dump(exclude={"barriers", "strengths", "interests"}),
        barriers=tuple(payload.barriers),
        strengths=tuple(payload.strengths),
        interests=tuple(payload.interests),
    )
    services.assessment_save(actor=request.actor, person_id=person.pk, expected_version=version, data=data)
    return _assessment_answer(request, person)


class StepDone(Schema):
    done: bool
    done_on: date | None = None


@router.patch(
    "/{int:person_id}/steps/{int:step_id}",
    response=StepOut,
    url_name="plan_step",
    summary="Mark a step done or not done",
)
def step_mark(request, person_id: int, step_id: int, payload: StepDone):
    require_scope(request, "plans:write")
    person = _person(request, person_id)
    step = selectors.step_of(actor=request.actor, person=person, step_id=step_id)
    version = expected_version(request, step.version)
    step = services.step_done(
        actor=request.actor,
        person_id=person.pk,
        step_id=step.pk,
        expected_version=version,
        done=payload.done,
        done_on=payload.done_on,
    )
    return json_response(StepOut(**step_out(request, person.pk, step)), version=step.version)


class ActivityIn(Schema):
    kind: Activity.Kind
    occurred_on: date
    help_given: list[str] = Field(default_factory=list, max_length=10)
    barriers: list[str] = Field(default_factory=list, max_length=20)
    notes: str = Field("", max_length=2000)
    opportunity_id: int | None = None
    goal_id: int | None = None


@router.post(
    "/{int:person_id}/activities",
    response={201: ActivityOut},
    url_name="plan_activities",
    summary="Log something done",
)
@idempotent
def activity_create(request, person_id: int, payload: ActivityIn):
    """A session attended at a linked opportunity moves the link on to "went along", as on the pages."""
    require_scope(request, "plans:write")
    person = _person(request, person_id)
    data = services.ActivityData(
        **payload.model_dump(exclude={"help_given", "barriers"}),
        help_given=tuple(payload.help_given),
        barriers=tuple(payload.barriers),
    )
    with _opportunity_named_in_body():
        activity = services.activity_add(actor=request.actor, person_id=person.pk, data=data)
    body = ActivityOut(**activity_out(request, activity))
    return json_response(body, status=201, location=body.url)


class LinkIn(Schema):
    opportunity_id: int
    status: Literal["suggested", "discussed"] = "suggested"


@router.post(
    "/{int:person_id}/links",
    response={201: LinkOut},
    url_name="plan_links",
    summary="Link the person to a community opportunity",
)
@idempotent
def link_create(request, person_id: int, payload: LinkIn):
    require_scope(request, "plans:write")
    person = _person(request, person_id)
    with _opportunity_named_in_body():
        link = services.link_create(
            actor=request.actor,
            person_id=person.pk,
            opportunity_id=payload.opportunity_id,
            status=payload.status,
        )
    link = selectors.link_of(actor=request.actor, person=person, link_id=link.pk)
    body = LinkOut(**link_out(request, link))
    return json_response(body, status=201, location=body.url, version=link.version)


class LinkChange(Schema):
    status: Link.Status
    reason: str = Field("", max_length=500)
    changed_on: date | None = None


@router.patch(
    "/{int:person_id}/links/{int:link_id}",
    response=LinkOut,
    url_name="plan_link",
    summary="Move a link on, back, or to stopped",
)
def link_change(request, person_id: int, link_id: int, payload: LinkChange):
    """Stopping needs a reason. Going along puts the opportunity on the person's connections map."""
    require_scope(request, "plans:write")
    person = _person(request, person_id)
    link = selectors.link_of(actor=request.actor, person=person, link_id=link_id)
    version = expected_version(request, link.version)
    services.link_status_set(
        actor=request.actor,
        person_id=person.pk,
        link_id=link.pk,
        expected_version=version,
        status=payload.status,
        reason=payload.reason,
        changed_on=payload.changed_on,
    )
    link = selectors.link_of(actor=request.actor, person=person, link_id=link.pk)
    return json_response(LinkOut(**link_out(request, link)), version=link.version)
