"""The completeness dashboard's and the flow diagram's numbers, from the database: loads plain rows in a fixed
handful of queries (whatever the number of participants) and hands them to the pure `completeness` module.

The caller decides the scope: a view passes the study of the member's `StudyAccess` and, for a member limited
to one site, that site (`site_id=access.site_id`). Nothing here returns a participant's number or identity,
only counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum
from django.utils import timezone

from connecting_people.study import completeness as pure
from connecting_people.study.completeness.flow import FlowCounts
from connecting_people.study.design import schedule
from connecting_people.study.models import (
    Assessment,
    Participant,
    Screening,
    Study,
    StudySite,
    StudyTeam,
    Timepoint,
)
from connecting_people.study.selectors import (
    participant_processing_allowed,
    participant_restricted,
    site_taking_part,
)


@dataclass(frozen=True)
class StudyRows:
    """What the pure module needs, for one study (or one of its sites)."""

    participants: list[pure.ParticipantRow]
    timepoints: list[pure.TimepointRow]
    assessments: list[pure.AssessmentRow]
    sites: list[str]
    teams: dict[str, int]  # arm -> teams allocated
    not_enrolled: dict[str, int]  # screening reason, in words -> people


def study_rows(*, study: Study, site_id: int | None = None) -> StudyRows:
    """The study's rows, limited to one site when `site_id` is given. Seven queries."""
    points = list(Timepoint.objects.filter(study=study).prefetch_related("schedule"))
    codes = {point.pk: point.code for point in points}
    timepoints = [
        pure.TimepointRow(
            code=point.code,
            label=point.label,
            window=schedule.Window(point.target_day, point.window_before, point.window_after),
            instruments=tuple(
                row.instrument_id
                for row in sorted(point.schedule.all(), key=lambda row: (row.position, row.instrument_id))
            ),
        )
        for point in points
    ]
    # Sites taking part only: nothing of a trust that has not accepted is counted. Participants whose processing
    # is restricted are counted as enrolled and restricted: none of their assessments is read.
    people = Participant.objects.filter(site_taking_part(), study=study)
    sites = study.sites.filter(status=StudySite.Status.ACTIVE)
    teams = StudyTeam.objects.filter(site_taking_part(), study=study)
    screened = Screening.objects.filter(site_taking_part(), study=study)
    if site_id is not None:
        people, sites = people.filter(site_id=site_id), sites.filter(pk=site_id)
        teams, screened = teams.filter(site_id=site_id), screened.filter(site_id=site_id)
    participants = [
        pure.ParticipantRow(
            id=row["pk"],
            site=row["site__code"],
            arm=row["study_team__arm"],
            anchor=row["baseline_on"] or row["enrolled_on"],
            enrolled_on=row["enrolled_on"],
            status=row["status"],
            withdrawn_on=row["withdrawn_on"],
            withdrawal_reason=row["withdrawal_reason"],
            withdrawal_choice=row["withdrawal_choice"],
            restricted=row["restricted"],
        )
        for row in people.annotate(restricted=participant_restricted()).values(
            "restricted",
            "pk",
            "site__code",
            "study_team__arm",
            "baseline_on",
            "enrolled_on",
            "status",
            "withdrawn_on",
            "withdrawal_reason",
            "withdrawal_choice",
        )
    ]
    assessments = [
        pure.AssessmentRow(
            participant=participant,
            timepoint=codes[point],
            instrument=instrument,
            in_window=in_window,
            scored=scored,
        )
        for participant, point, instrument, in_window, scored in Assessment.objects.filter(
            participant__in=people.filter(participant_processing_allowed()).values("pk")
        )
        .annotate(scored=ExpressionWrapper(Q(total__isnull=False), output_field=BooleanField()))
        .values_list("participant_id", "timepoint_id", "instrument_id", "in_window", "scored")
        .order_by()
    ]
    labels = dict(Screening.Reason.choices)
    not_enrolled = {
        labels.get(row["reason"], row["reason"]): int(row["people"])
        for row in screened.values("reason").annotate(people=Sum("count")).order_by("reason")
    }
    ordered = {str(label): not_enrolled[label] for label in labels.values() if label in not_enrolled}
    ordered.update({key: value for key, value in not_enrolled.items() if key not in ordered})
    return StudyRows(
        participants=participants,
        timepoints=timepoints,
        assessments=assessments,
        sites=list(sites.values_list("code", flat=True)),
        teams={row["arm"]: row["n"] for row in teams.values("arm").annotate(n=Count("pk")).order_by("arm")},
        not_enrolled=ordered,
    )


def _completeness(rows: StudyRows, today: date) -> pure.Completeness:
    return pure.completeness(
        participants=rows.participants,
        timepoints=rows.timepoints,
        assessments=rows.assessments,
        today=today,
        sites=rows.sites,
    )


def _flow(rows: StudyRows, study: Study, today: date, follow_up: str | None) -> FlowCounts:
    return pure.flow(
        participants=rows.participants,
        timepoints=rows.timepoints,
        assessments=rows.assessments,
        teams=rows.teams,
        not_enrolled=rows.not_enrolled,
        primary_instrument=study.primary_instrument,
        today=today,
        follow_up=follow_up,
    )


def flow_counts(
    *, study: Study, site_id: int | None = None, today: date | None = None, follow_up: str | None = None
) -> FlowCounts:
    """The flow diagram's numbers for the whole study, or one site. `follow_up`: a timepoint code (default: the
    last timepoint after baseline); the primary outcome is the study's primary instrument."""
    today = today or timezone.localdate()
    return _flow(study_rows(study=study, site_id=site_id), study, today, follow_up)


def completeness(*, study: Study, site_id: int | None = None, today: date | None = None) -> pure.Completeness:
    """The completeness dashboard's numbers for the whole study, or one site."""
    today = today or timezone.localdate()
    return _completeness(study_rows(study=study, site_id=site_id), today)


def dashboard(
    *, study: Study, site_id: int | None = None, today: date | None = None
) -> tuple[pure.Completeness, FlowCounts]:
    """Both, from one load of the rows (the completeness page)."""
    today = today or timezone.localdate()
    rows = study_rows(study=study, site_id=site_id)
    return _completeness(rows, today), _flow(rows, study, today, None)
