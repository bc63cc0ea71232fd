"""Who reaches which study data: the scope rules `core.scoping.scoped(actor, Model)` answers with, one per model
(registered from `StudyConfig.ready`). The selectors start every read from these; nothing else decides reach.

Two kinds of reach, both for staff actors only:

* **As a member of a study** (a researcher by role, `StudyMember` of the study): its set-up (sites, teams,
  timepoints, schedule, unit costs, members, screening, jobs) and its participants with their consents and
  assessments, at the sites taking part; a member limited to one site reaches that site's participants (and
  screening) only. The trusts' researchers also reach their trusts' sites (the invitations they answer).
* **As staff who work with a person** (practitioner, team lead, under cover; `people.selectors` decides): that
  person's own participations, and the allocated study teams of the teams they work in (the studies open to the
  people they support).

A rule answers with a queryset built from subqueries (no query of its own), so reading through it costs a page
no more queries than reading the model directly.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from connecting_people.core.scoping import scope_rule
from connecting_people.people.selectors import people_visible_to
from connecting_people.study.models import (
    Assessment,
    Consent,
    Job,
    Participant,
    ScheduledInstrument,
    Screening,
    Study,
    StudyMember,
    StudySite,
    StudyTeam,
    Timepoint,
    UnitCost,
)

NOTHING = Q(pk__in=[])


def _staff_user(actor):
    """The user behind a staff actor (None for any other kind, or nobody)."""
    if getattr(actor, "kind", None) != "staff":
        return None
    user = getattr(actor, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _memberships(actor) -> QuerySet[StudyMember] | None:
    """The actor's study memberships, while they hold the researcher role (None otherwise)."""
    user = _staff_user(actor)
    if user is None or not actor.scope.is_researcher:
        return None
    return StudyMember.objects.filter(user=user)


def member_of(actor, path: str = "study") -> Q:
    """Rows of the studies the actor is a member of; `path` leads from the model to its Study."""
    memberships = _memberships(actor)
    if memberships is None:
        return NOTHING
    return Q(**{f"{path}__in": memberships.values("study_id")})


def member_reaches_site(actor, study_path: str = "study", site_path: str = "site") -> Q:
    """Rows of the actor's studies at a site their membership reaches: every site, or the one it is limited to."""
    memberships = _memberships(actor)
    if memberships is None:
        return NOTHING
    same_study = memberships.filter(study_id=OuterRef(study_path))
    return Q(Exists(same_study.filter(site__isnull=True))) | Q(
        Exists(same_study.filter(site_id=OuterRef(site_path)))
    )


def _works_with(actor) -> Q:
    """Participants linked to people the actor works with (the people selectors' scope)."""
    user = _staff_user(actor)
    if user is None or not actor.scope.works_with_people:
        return NOTHING
    return Q(person__in=people_visible_to(user=user))


@scope_rule("study.Participant")
def participants_in_reach(actor) -> QuerySet[Participant]:
    """Members: the participants of their studies at the sites taking part they reach; staff who work with a
    person: that person's participations."""
    research = Q(site__status=StudySite.Status.ACTIVE) & member_reaches_site(actor)
    return Participant.objects.filter(research | _works_with(actor))


@scope_rule("study.Consent")
def consents_in_reach(actor) -> QuerySet[Consent]:
    return Consent.objects.filter(participant__in=participants_in_reach(actor))


@scope_rule("study.Assessment")
def assessments_in_reach(actor) -> QuerySet[Assessment]:
    return Assessment.objects.filter(participant__in=participants_in_reach(actor))


@scope_rule("study.Study")
def studies_in_reach(actor) -> QuerySet[Study]:
    return Study.objects.filter(member_of(actor, "pk"))


@scope_rule("study.StudyMember")
def members_in_reach(actor) -> QuerySet[StudyMember]:
    """Everyone working on the actor's studies (every member may see who is on one)."""
    return StudyMember.objects.filter(member_of(actor))


@scope_rule("study.StudySite")
def sites_in_reach(actor) -> QuerySet[StudySite]:
    """The sites of the actor's studies, and every site of the trusts where they hold the researcher role (the
    invitations they answer, and what became of them)."""
    user = _staff_user(actor)
    trusts = actor.scope.researcher_trust_ids if user is not None else frozenset()
    return StudySite.objects.filter(member_of(actor) | Q(trust_id__in=trusts))


@scope_rule("study.StudyTeam")
def study_teams_in_reach(actor) -> QuerySet[StudyTeam]:
    """The allocated teams of the actor's studies, and the allocations of the teams they work in."""
    user = _staff_user(actor)
    teams = (
        actor.scope.practitioner_team_ids | actor.scope.team_wide_ids
        if user is not None and actor.scope.works_with_people
        else frozenset()
    )
    return StudyTeam.objects.filter(member_of(actor) | Q(team_id__in=teams))


@scope_rule("study.Timepoint")
def timepoints_in_reach(actor) -> QuerySet[Timepoint]:
    return Timepoint.objects.filter(member_of(actor))


@scope_rule("study.ScheduledInstrument")
def schedule_in_reach(actor) -> QuerySet[ScheduledInstrument]:
    return ScheduledInstrument.objects.filter(member_of(actor, "timepoint__study"))


@scope_rule("study.UnitCost")
def unit_costs_in_reach(actor) -> QuerySet[UnitCost]:
    return UnitCost.objects.filter(member_of(actor))


@scope_rule("study.Screening")
def screening_in_reach(actor) -> QuerySet[Screening]:
    """Screening counts of the sites the actor's memberships reach."""
    return Screening.objects.filter(member_reaches_site(actor))


@scope_rule("study.Job")
def jobs_in_reach(actor) -> QuerySet[Job]:
    return Job.objects.filter(member_of(actor))
