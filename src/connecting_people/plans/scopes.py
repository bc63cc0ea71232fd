"""Who may read which plan–do–review records (core.scoping): those of the people the actor may reach, and the
review intervals of those people's teams."""

from django.db.models import QuerySet

from connecting_people.core.scoping import scope_rule
from connecting_people.measures.scopes import people_in_reach
from connecting_people.plans.models import (
    Activity,
    Assessment,
    Goal,
    GoalScore,
    Link,
    LinkChange,
    Review,
    Step,
    TeamReviewInterval,
)


@scope_rule("plans.Assessment")
def assessments(actor) -> QuerySet[Assessment]:
    return Assessment.objects.filter(person__in=people_in_reach(actor))


@scope_rule("plans.Goal")
def goals(actor) -> QuerySet[Goal]:
    return Goal.objects.filter(person__in=people_in_reach(actor))


@scope_rule("plans.Step")
def steps(actor) -> QuerySet[Step]:
    return Step.objects.filter(goal__person__in=people_in_reach(actor))


@scope_rule("plans.Activity")
def activities(actor) -> QuerySet[Activity]:
    return Activity.objects.filter(person__in=people_in_reach(actor))


@scope_rule("plans.Link")
def links(actor) -> QuerySet[Link]:
    return Link.objects.filter(person__in=people_in_reach(actor))


@scope_rule("plans.LinkChange")
def link_changes(actor) -> QuerySet[LinkChange]:
    return LinkChange.objects.filter(link__person__in=people_in_reach(actor))


@scope_rule("plans.Review")
def reviews(actor) -> QuerySet[Review]:
    return Review.objects.filter(person__in=people_in_reach(actor))


@scope_rule("plans.GoalScore")
def goal_scores(actor) -> QuerySet[GoalScore]:
    return GoalScore.objects.filter(review__person__in=people_in_reach(actor))


@scope_rule("plans.TeamReviewInterval")
def team_review_intervals(actor) -> QuerySet[TeamReviewInterval]:
    """The intervals of the teams of the people the actor may reach."""
    return TeamReviewInterval.objects.filter(team_id__in=people_in_reach(actor).values("team_id"))
