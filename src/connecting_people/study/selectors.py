"""Every read of study data, given the actor (`actor=`), starting from `scoped(actor, Model)` (study/scopes.py).

A member sees a study's set-up; a member limited to a site sees that site's participants only. Researchers
see participants under their study number, never a name: nothing here returns a person's identity to them.
Staff who work with a person (practitioner, team lead) see that person's own participations, through the
people selectors' scope. Unknown and out-of-scope ids raise NotFoundError (the 404 page), never Http404.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.core.errors import NotFoundError
from connecting_people.core.scoping import scoped
from connecting_people.people.models import Person
from connecting_people.people.selectors import people_visible_to, processing_allowed
from connecting_people.study.design import schedule
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


def site_taking_part(path: str = "site") -> Q:
    """Rows of trusts that take part in their study (a site added by a lead of that trust, or accepted there).
    `path` leads from the model queried to its StudySite ("site", "participant__site", ...). Every read of study
    data filters on it, so nothing of a trust that has not accepted reaches a page, an export or a report."""
    return Q(**{f"{path}__status": StudySite.Status.ACTIVE})


def participant_processing_allowed(path: str = "") -> Q:
    """Participants whose data the study may use: research-only participants (no linked record), and those linked
    to a person whose processing is not restricted (UK GDPR Article 18; `people.selectors.processing_allowed`).
    `path` leads from the model queried to its Participant ("participant", ...). Every research output (the
    export, completeness and the flow, the analysis and its report) reads participants' data through this; a
    restricted participant is counted only as enrolled (`participant_restricted`)."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}person__isnull": True}) | processing_allowed(f"{prefix}person")


def participant_restricted() -> ExpressionWrapper:
    """True for a participant whose data the study may not use (not `participant_processing_allowed`): a column
    to annotate Participant rows with, for outputs that count them without reading their data."""
    return ExpressionWrapper(~participant_processing_allowed(), output_field=BooleanField())


def may_create_study(*, actor: Actor) -> bool:
    actor = as_actor(actor)
    return actor.scope.is_researcher


def studies_for(*, actor: Actor) -> QuerySet[Study]:
    """The studies the actor is a member of."""
    return scoped(as_actor(actor), Study)


@dataclass(frozen=True)
class StudyAccess:
    """A study as one member reaches it: their role and, for a member limited to one site, that site. Every read
    starts from the actor's scoped querysets (`study.scopes`), narrowed to this study."""

    actor: Actor
    study: Study
    member: StudyMember

    @property
    def is_lead(self) -> bool:
        """A study lead across every site: set-up, exports and reports are theirs. (A lead limited to one site,
        which `services.member_add` no longer makes, counts as a researcher of that site.)"""
        return self.member.role == StudyMember.Role.LEAD and self.member.site_id is None

    @property
    def site_id(self) -> int | None:
        return self.member.site_id

    def participants(self) -> QuerySet[Participant]:
        found = scoped(self.actor, Participant).filter(site_taking_part(), study=self.study)
        if self.member.site_id is not None:
            found = found.filter(site_id=self.member.site_id)
        return found

    def sites(self) -> QuerySet[StudySite]:
        """The sites taking part (that the member reaches)."""
        found = (
            scoped(self.actor, StudySite)
            .filter(study=self.study, status=StudySite.Status.ACTIVE)
            .select_related("trust")
        )
        if self.member.site_id is not None:
            found = found.filter(pk=self.member.site_id)
        return found

    def invitations(self) -> QuerySet[StudySite]:
        """Trusts invited that have not accepted (waiting, or declined): shown to leads, never read from."""
        if not self.is_lead:
            return StudySite.objects.none()
        return (
            scoped(self.actor, StudySite)
            .filter(study=self.study)
            .exclude(status=StudySite.Status.ACTIVE)
            .select_related("trust", "invited_by", "decided_by")
        )

    def teams(self) -> QuerySet[StudyTeam]:
        found = (
            scoped(self.actor, StudyTeam)
            .filter(site_taking_part(), study=self.study)
            .select_related("site", "team", "allocated_by")
        )
        if self.member.site_id is not None:
            found = found.filter(site_id=self.member.site_id)
        return found


def study_access(*, actor: Actor, study_id) -> StudyAccess:
    """The study and the user's membership; NotFoundError when they are not a member (or the id is unknown)."""
    actor = as_actor(actor)
    user = actor.user
    if not actor.scope.is_researcher:  # a member who no longer has the researcher role
        raise NotFoundError("No such study")
    try:
        member = (
            scoped(actor, StudyMember).select_related("study", "site").get(study_id=int(study_id), user=user)
        )
    except (StudyMember.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise NotFoundError("No such study") from error
    return StudyAccess(actor=actor, study=member.study, member=member)


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
    except (Participant.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise NotFoundError("No such participant") from error


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
        scoped(access.actor, Assessment)
        .filter(participant__in=[p.pk for p in people])
        .values("participant_id", "timepoint_id")
        .annotate(n=Count("id"))
    )
    for row in rows:
        recorded[(row["participant_id"], row["timepoint_id"])] = row["n"]
    found: list[TimepointStatus] = []
    for participant in people:
        for point in points:
            window = _window(point)
            anchor = schedule.window_anchor(
                point.target_day, enrolled_on=participant.enrolled_on, baseline_on=participant.baseline_on
            )
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


def person_participations(*, actor: Actor, person_id) -> QuerySet[Participant]:
    """A person's enrolments, for staff who can reach the person (404 otherwise, through the people scope)."""
    actor = as_actor(actor)
    user = actor.user
    try:
        person = people_visible_to(user=user).get(pk=int(person_id))
    except (Person.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise NotFoundError("No such person") from error
    return scoped(actor, Participant).filter(person=person).select_related("study", "study_team")


def _reached(actor: Actor | None, model):
    """The actor's scoped rows of `model`; with no actor, every row (for a caller that reached the person through
    the people scope already, and says so by passing none: a page should pass its actor)."""
    return model.objects.all() if actor is None else scoped(as_actor(actor), model)


def studies_open_to_person(*, person: Person, actor: Actor | None = None) -> QuerySet[StudyTeam]:
    """The recruiting studies whose allocated teams include the person's team (and who have not enrolled them).
    None while the person's processing is restricted (they cannot be enrolled)."""
    if person.processing_restricted:
        return StudyTeam.objects.none()
    return (
        _reached(actor, StudyTeam)
        .filter(
            site_taking_part(), team_id=person.team_id, study__status=Study.Status.RECRUITING
        )
        .exclude(study__participants__person=person)
        .select_related("study", "site")
    )


def jobs_for(*, access: StudyAccess, kind: str) -> QuerySet[Job]:
    return scoped(access.actor, Job).filter(study=access.study, kind=kind).select_related("requested_by")


def job_get(*, access: StudyAccess, job_id, kind: str) -> Job:
    try:
        return (
            scoped(access.actor, Job)
            .filter(study=access.study)
            .select_related("requested_by")
            .get(pk=int(job_id), kind=kind)
        )
    except (Job.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise NotFoundError("No such file") from error


# --- set-up pages -------------------------------------------------------------------------------------------


def study_members(*, study: Study) -> QuerySet[StudyMember]:
    """Everyone working on the study, with their site limit (set-up: every member may see who is on it)."""
    return study.members.select_related("user", "site__trust").order_by("user__username")


def timepoint_get(*, access: StudyAccess, timepoint_id) -> Timepoint:
    """One of the study's timepoints with its schedule; NotFoundError for another study's or an unknown id."""
    try:
        return access.study.timepoints.prefetch_related(
            Prefetch("schedule", queryset=ScheduledInstrument.objects.order_by("position", "instrument_id"))
        ).get(pk=int(timepoint_id))
    except (Timepoint.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError("No such timepoint") from error


def trusts_not_yet_sites(*, study: Study):
    """The trusts a lead may add or invite as a site: every trust that is not a site or invited already (one
    that declined may be invited again), by name."""
    from connecting_people.accounts.models import Trust

    return Trust.objects.exclude(
        pk__in=study.sites.exclude(status=StudySite.Status.DECLINED).values("trust_id")
    ).order_by("name")


def teams_not_yet_allocated(*, study: Study):
    """The teams of the trusts taking part that are in neither arm yet, by trust then team name."""
    from connecting_people.accounts.models import Team

    return (
        Team.objects.filter(
            trust_id__in=study.sites.filter(status=StudySite.Status.ACTIVE).values("trust_id")
        )
        .exclude(pk__in=study.teams.values("team_id"))
        .select_related("trust")
        .order_by("trust__name", "name")
    )


def participant_counts_by_arm(*, access: StudyAccess) -> dict[str, int]:
    """{arm: participants enrolled} over the participants the member reaches (withdrawn ones included)."""
    rows = access.participants().values("study_team__arm").annotate(n=Count("id")).order_by()
    return {row["study_team__arm"]: row["n"] for row in rows}


def memberships_for(*, actor: Actor) -> QuerySet[StudyMember]:
    """The user's memberships, each with its study (the list of "your studies")."""
    actor = as_actor(actor)
    if actor.user_id is None:
        return StudyMember.objects.none()
    return (
        scoped(actor, StudyMember)
        .filter(user_id=actor.user_id)
        .select_related("study", "site")
        .order_by("study__code")
    )


# --- participant pages --------------------------------------------------------------------------------------


def participants_filtered(
    *, access: StudyAccess, site_code: str = "", arm: str = "", status: str = ""
) -> QuerySet[Participant]:
    """The participant list (`participant_list`) narrowed to one site (by code), arm and status; an empty
    value leaves that out. Ordered by study number."""
    found = participant_list(access=access)
    if site_code:
        found = found.filter(site__code=site_code)
    if arm:
        found = found.filter(study_team__arm=arm)
    if status:
        found = found.filter(status=status)
    return found.order_by("number")


def participant_consents(*, participant: Participant) -> QuerySet[Consent]:
    """The versions of the consent form the participant consented to, oldest first."""
    return participant.consents.order_by("consented_on", "id")


def assessments_to_do(
    *, access: StudyAccess, today: date | None = None, missed_within: int = 30
) -> list[TimepointStatus]:
    """The (participant, timepoint) pairs someone needs to act on: due, in window, overdue or partly done, and
    missed with a window that closed in the last `missed_within` days. Participants who asked for their data to
    be removed are left out, and so is anyone who has withdrawn (nothing more is collected from them). A constant
    number of queries (`timepoint_statuses`)."""
    today = today or timezone.localdate()
    reachable = access.participants().filter(status=Participant.Status.ACTIVE)
    return [
        row
        for row in timepoint_statuses(access=access, today=today, participants=reachable)
        if row.status in (*schedule.OPEN_STATUSES, schedule.PARTLY_DONE)
        or (row.status == schedule.MISSED and 0 < (today - row.closes).days <= missed_within)
    ]


def screening_counts(*, access: StudyAccess) -> list[dict]:
    """People assessed and not enrolled, summed by site and reason: [{"site": code, "reason": ..., "total": n}]
    over the sites the member reaches."""
    found = scoped(access.actor, Screening).filter(site_taking_part(), study=access.study)
    if access.site_id is not None:
        found = found.filter(site_id=access.site_id)
    rows = found.values("site__code", "reason").annotate(total=Sum("count")).order_by("site__code", "reason")
    return [{"site": row["site__code"], "reason": row["reason"], "total": row["total"]} for row in rows]


@dataclass(frozen=True)
class PersonStudies:
    participations: list[Participant]
    open_teams: list[StudyTeam]


def person_studies(*, person: Person, actor: Actor | None = None) -> PersonStudies:
    """For the person's own page (the caller reached `person` through the people scope): the studies they are
    enrolled in and the recruiting studies open to them. Two queries."""
    participations = list(
        _reached(actor, Participant).filter(person=person).select_related("study").order_by("study__code")
    )
    return PersonStudies(
        participations=participations, open_teams=list(studies_open_to_person(person=person, actor=actor))
    )


# --- invitations to take part ---------------------------------------------------------------------------------


def researcher_trust_ids(*, actor: Actor) -> frozenset[int]:
    """The trusts where the user holds the researcher role: they answer their trusts' invitations."""
    actor = as_actor(actor)
    return actor.scope.researcher_trust_ids


def site_invitations_for(*, actor: Actor) -> QuerySet[StudySite]:
    """Every study site of the trusts where the user holds the researcher role: invitations waiting, and those
    taking part or declined, newest first."""
    actor = as_actor(actor)
    return (
        scoped(actor, StudySite)
        .filter(trust_id__in=researcher_trust_ids(actor=actor))
        .select_related("study", "trust", "invited_by", "decided_by")
        .order_by("-invited_at", "-id")
    )


def site_invitation_get(*, actor: Actor, site_id) -> StudySite:
    """An invitation waiting for one of the user's trusts; NotFoundError for anyone else's, an unknown id, or one
    already answered."""
    actor = as_actor(actor)
    try:
        return site_invitations_for(actor=actor).get(pk=int(site_id), status=StudySite.Status.INVITED)
    except (StudySite.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise NotFoundError("No such invitation") from error


# --- for the data protection officer (privacy app), whose reach the caller has already checked ----------------


@dataclass(frozen=True)
class ParticipationHeld:
    participant: Participant  # with its study and study team
    consents: list[Consent]  # oldest first
    assessments: list[Assessment]  # oldest first, with the timepoint


def participations_held_about(*, person: Person) -> list[ParticipationHeld]:
    """Every study participation of a person already reached, in the order enrolled, with its consents and
    research assessments: three queries whatever the number of studies."""
    participants = list(
        Participant.objects.filter(person=person)
        .select_related("study", "study_team")
        .order_by("enrolled_on", "id")
    )
    ids = [participant.pk for participant in participants]
    consents: dict[int, list[Consent]] = {pk: [] for pk in ids}
    for consent in Consent.objects.filter(participant_id__in=ids).order_by("consented_on", "id"):
        consents[consent.participant_id].append(consent)
    assessments: dict[int, list[Assessment]] = {pk: [] for pk in ids}
    for row in (
        Assessment.objects.filter(participant_id__in=ids)
        .select_related("timepoint")
        .order_by("administered_on", "id")
    ):
        assessments[row.participant_id].append(row)
    return [
        ParticipationHeld(participant=p, consents=consents[p.pk], assessments=assessments[p.pk])
        for p in participants
    ]


def participations_of_person(*, person: Person) -> list[Participant]:
    """The study participations of a person already reached, with their studies, in the order made."""
    return list(Participant.objects.filter(person=person).select_related("study").order_by("id"))


def participants_at_trusts(*, trust_ids) -> QuerySet[Participant]:
    """The participants enrolled at these trusts' sites."""
    return Participant.objects.filter(site__trust_id__in=trust_ids)


def participants_due_for_removal(*, trust_ids, before: date | None) -> QuerySet[Participant]:
    """Participants at these trusts' sites, in closed studies, whose latest study date (enrolment, withdrawal or
    last research assessment) is on or before `before` (none when `before` is None)."""
    if before is None:
        return Participant.objects.none()
    return (
        participants_at_trusts(trust_ids=trust_ids)
        .filter(study__status=Study.Status.CLOSED)
        .annotate(
            last_on=Greatest(
                "enrolled_on",
                Coalesce("withdrawn_on", "enrolled_on"),
                Coalesce(Max("assessments__administered_on"), "enrolled_on"),
            )
        )
        .filter(last_on__lte=before)
    )
