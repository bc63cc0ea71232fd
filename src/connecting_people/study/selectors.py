"""Every read of study data, given the acting user and scoped to the studies they are a member of.

A member sees a study's set-up; a member limited to a site sees that site's participants only. Researchers
see participants under their study number, never a name: nothing here returns a person's identity to them.
Staff who work with a person (practitioner, team lead) see that person's own participations, through the
people selectors' scope. Unknown and out-of-scope ids answer 404.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from connecting_people.accounts.selectors import scope_for
from connecting_people.people.models import Person
from connecting_people.people.selectors import people_visible_to
from connecting_people.study import schedule
from connecting_people.study.models import (
    Assessment,
    Job,
    Participant,
    ScheduledInstrument,
    Study,
    StudyMember,
    StudySite,
    StudyTeam,
    Timepoint,
    UnitCost,
)


def may_create_study(*, user) -> bool:
    return scope_for(user=user).is_researcher


def studies_for(*, user) -> QuerySet[Study]:
    """The studies the user is a member of."""
    if not getattr(user, "is_authenticated", False):
        return Study.objects.none()
    return Study.objects.filter(members__user=user)


@dataclass(frozen=True)
class StudyAccess:
    """A study as one member reaches it: their role and, for a member limited to one site, that site."""

    study: Study
    member: StudyMember

    @property
    def is_lead(self) -> bool:
        return self.member.role == StudyMember.Role.LEAD

    @property
    def site_id(self) -> int | None:
        return self.member.site_id

    def participants(self) -> QuerySet[Participant]:
        found = Participant.objects.filter(study=self.study)
        if self.member.site_id is not None:
            found = found.filter(site_id=self.member.site_id)
        return found

    def sites(self) -> QuerySet[StudySite]:
        found = self.study.sites.select_related("trust")
        if self.member.site_id is not None:
            found = found.filter(pk=self.member.site_id)
        return found

    def teams(self) -> QuerySet[StudyTeam]:
        found = self.study.teams.select_related("site", "team", "allocated_by")
        if self.member.site_id is not None:
            found = found.filter(site_id=self.member.site_id)
        return found


def study_access(*, user, study_id) -> StudyAccess:
    """The study and the user's membership; Http404 when they are not a member (or the id is unknown)."""
    try:
        member = StudyMember.objects.select_related("study", "site").get(study_id=int(study_id), user=user)
    except (StudyMember.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such study") from error
    return StudyAccess(study=member.study, member=member)


def timepoints(*, study: Study) -> list[Timepoint]:
    return list(
        study.timepoints.prefetch_related(
            Prefetch("schedule", queryset=ScheduledInstrument.objects.order_by("position", "instrument_id"))
        )
    )


def unit_costs(*, study: Study) -> QuerySet[UnitCost]:
    return study.unit_costs.all()


def participant_list(*, access: StudyAccess) -> QuerySet[Participant]:
    return access.participants().select_related("site", "study_team").annotate(assessed=Count("assessments"))


def participant_get(*, access: StudyAccess, participant_id) -> Participant:
    try:
        return (
            access.participants()
            .select_related("site", "study_team", "enrolled_by")
            .get(pk=int(participant_id))
        )
    except (Participant.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such participant") from error


def participant_assessments(*, participant: Participant) -> QuerySet[Assessment]:
    return participant.assessments.select_related("timepoint", "recorded_by").order_by(
        "timepoint__target_day", "instrument_id"
    )


@dataclass(frozen=True)
class TimepointStatus:
    participant: Participant
    timepoint: Timepoint
    status: str
    opens: date
    target: date
    closes: date
    recorded: int
    scheduled: int


def _window(timepoint: Timepoint) -> schedule.Window:
    return schedule.Window(timepoint.target_day, timepoint.window_before, timepoint.window_after)


def timepoint_statuses(
    *, access: StudyAccess, today: date | None = None, participants: QuerySet[Participant] | None = None
) -> list[TimepointStatus]:
    """Every (participant, timepoint) the user can reach, with its status on `today`. Three queries."""
    today = today or timezone.localdate()
    points = timepoints(study=access.study)
    people = list(
        (participants if participants is not None else access.participants()).select_related(
            "site", "study_team"
        )
    )
    recorded: dict[tuple[int, int], int] = defaultdict(int)
    rows = (
        Assessment.objects.filter(participant__in=[p.pk for p in people])
        .values("participant_id", "timepoint_id")
        .annotate(n=Count("id"))
    )
    for row in rows:
        recorded[(row["participant_id"], row["timepoint_id"])] = row["n"]
    found: list[TimepointStatus] = []
    for participant in people:
        anchor = participant.anchor_on
        for point in points:
            window = _window(point)
            scheduled = len(point.schedule.all())
            done = recorded[(participant.pk, point.pk)]
            found.append(
                TimepointStatus(
                    participant=participant,
                    timepoint=point,
                    status=schedule.status(
                        window,
                        anchor=anchor,
                        today=today,
                        scheduled=scheduled,
                        recorded=done,
                        withdrawn_on=participant.withdrawn_on,
                    ),
                    opens=window.opens(anchor),
                    target=window.target(anchor),
                    closes=window.closes(anchor),
                    recorded=done,
                    scheduled=scheduled,
                )
            )
    return found


def person_participations(*, user, person_id) -> QuerySet[Participant]:
    """A person's enrolments, for staff who can reach the person (404 otherwise, through the people scope)."""
    try:
        person = people_visible_to(user=user).get(pk=int(person_id))
    except (Person.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such person") from error
    return Participant.objects.filter(person=person).select_related("study", "study_team")


def studies_open_to_person(*, person: Person) -> QuerySet[StudyTeam]:
    """The recruiting studies whose allocated teams include the person's team (and who have not enrolled them)."""
    return (
        StudyTeam.objects.filter(team_id=person.team_id, study__status=Study.Status.RECRUITING)
        .exclude(study__participants__person=person)
        .select_related("study", "site")
    )


def jobs_for(*, access: StudyAccess, kind: str) -> QuerySet[Job]:
    return access.study.jobs.filter(kind=kind).select_related("requested_by")


def job_get(*, access: StudyAccess, job_id, kind: str) -> Job:
    try:
        return access.study.jobs.select_related("requested_by").get(pk=int(job_id), kind=kind)
    except (Job.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such file") from error
