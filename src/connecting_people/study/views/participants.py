"""Participants: the list, enrolment (research-only by a member; from a person's page by their staff), a participant's page, consent, withdrawal, data entry by timepoint, the to-do list of assessments and the screening log.

Every study page reaches the study through `selectors.study_access` (404 for non-members) and participants
through the member's access (404 for another site's participant when the member is limited to one site).
Researchers know participants by study number only: nothing here puts a person's name, NHS number or date of
birth in a page.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone

from connecting_people.audit.services import audit_list_viewed, audit_record_view
from connecting_people.core.forms import form_saved, posted
from connecting_people.measures import registry
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.measures.presenters import format_score, headline_label
from connecting_people.measures.selectors import headline_value
from connecting_people.people.views import person_for_request
from connecting_people.study import selectors, services
from connecting_people.study.design import schedule
from connecting_people.study.forms.participants import (
    AssessmentForm,
    ConsentForm,
    ParticipantFilterForm,
    PersonEnrolmentForm,
    ResearchOnlyEnrolmentForm,
    ScreeningForm,
    WithdrawalForm,
)
from connecting_people.study.models import Participant, Screening

PAGE_SIZE = 100
# The to-do list's groups, most pressing first: (status, heading).
TO_DO_GROUPS = (
    (schedule.OVERDUE, "Overdue"),
    (schedule.IN_WINDOW, "In window"),
    (schedule.PARTLY_DONE, "Partly done"),
    (schedule.DUE, "Due soon"),
    (schedule.MISSED, "Missed recently"),
)


def _participant(request, study_id: int, participant_id: int):
    access = selectors.study_access(actor=request.actor, study_id=study_id)
    return access, selectors.participant_get(access=access, participant_id=participant_id)


def _participant_url(participant: Participant) -> str:
    return reverse("study:participant", args=[participant.study_id, participant.pk])


def _instrument_or_none(instrument_id: str):
    try:
        return registry.instrument(instrument_id)
    except UnknownInstrumentError:
        return None


def _window_days(timepoint) -> tuple[int, int]:
    return timepoint.target_day - timepoint.window_before, timepoint.target_day + timepoint.window_after


# --- the list -----------------------------------------------------------------------------------------------


@login_required
def participant_list(request, study_id: int):
    access = selectors.study_access(actor=request.actor, study_id=study_id)
    form = ParticipantFilterForm(request.GET, sites=access.sites())
    found = selectors.participants_filtered(access=access, **form.filters())
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_list_viewed(
        user=request.user,
        list_name="study_participants",
        rows=len(page.object_list),
        object_type="study",
        object_id=study_id,
        page=page.number,
        **form.filters(),
    )
    return render(
        request,
        "study/participants/list.jinja",
        {
            "study": access.study,
            "section": "participants",
            "form": form,
            "page": page,
            "filters": form.query_string(),
            "page_title": f"Participants: {access.study.code.upper()}",
        },
    )


# --- enrolment ----------------------------------------------------------------------------------------------


@login_required
def enrol(request, study_id: int):
    access = selectors.study_access(actor=request.actor, study_id=study_id)
    study = access.study
    form = ResearchOnlyEnrolmentForm(
        posted(request),
        teams=access.teams(),
        consent_version=study.consent_version,
        initial={"enrolled_on": timezone.localdate()},
    )
    saved = form_saved(
        request,
        form,
        lambda: services.participant_enrol(
            actor=request.actor,
            access=access,
            study_team_id=form.study_team_id(),
            enrolled_on=form.cleaned_data["enrolled_on"],
            consented_on=form.cleaned_data["consented_on"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            eligibility_notes=form.cleaned_data["eligibility_notes"],
        ),
        then=_participant_url,
        saved=lambda participant: f"Enrolled as {participant.number}.",
    )
    if saved:
        return saved
    recruiting = study.status == study.Status.RECRUITING
    return render(
        request,
        "study/form_page.jinja",
        {
            "study": study,
            "section": "participants",
            "form": form,
            "heading": "Enrol a participant",
            "intro": "Someone taking part in the study only, with no record in practice. People supported by a "
            "participating team are enrolled from their own page by the staff who work with them."
            if recruiting
            else f"{study.code.upper()} is not recruiting ({study.get_status_display().lower()}), so no one "
            "can be enrolled now.",
            "submit": "Enrol",
            "back_url": reverse("study:participants", args=[study.pk]),
            "page_title": "Enrol a participant",
        },
    )


@login_required
def person_enrol(request, person_id: int):
    person = person_for_request(request, person_id, "study-enrol")
    open_teams = list(selectors.studies_open_to_person(person=person, actor=request.actor))
    form = PersonEnrolmentForm(
        posted(request), open_teams=open_teams, initial={"enrolled_on": timezone.localdate()}
    )
    saved = form_saved(
        request,
        form,
        lambda: services.person_enrol(
            actor=request.actor,
            person_id=person.pk,
            study_team_id=form.study_team_id(),
            enrolled_on=form.cleaned_data["enrolled_on"],
            consented_on=form.cleaned_data["consented_on"],
            eligibility_notes=form.cleaned_data["eligibility_notes"],
        ),
        then=reverse("people:overview", args=[person.pk]),
        saved=lambda participant: (
            f"{person.full_name} is enrolled in {participant.study.code.upper()}, "
            f"study number {participant.number}."
        ),
    )
    if saved:
        return saved
    return render(
        request,
        "study/participants/person_enrol.jinja",
        {
            "person": person,
            "form": form,
            "open_teams": open_teams,
            "page_title": f"Enrol {person.full_name} in a study",
        },
    )


# --- one participant ----------------------------------------------------------------------------------------


def _scheduled_rows(row, recorded: dict, participant: Participant, can_record: bool) -> list[dict]:
    """Each instrument scheduled at the row's timepoint: recorded (with its headline score) or not yet."""
    found = []
    for scheduled in row.timepoint.schedule.all():
        instrument = _instrument_or_none(scheduled.instrument_id)
        assessment = recorded.get((row.timepoint.pk, scheduled.instrument_id))
        headline = None
        if assessment is not None and instrument is not None:
            headline = (
                assessment.band or "Not scored"
                if instrument.headline == "band"
                else f"{headline_label(instrument)} {format_score(headline_value(instrument, assessment))}"
            )
        found.append(
            {
                "title": instrument.title if instrument is not None else scheduled.instrument_id,
                "assessment": assessment,
                "headline": headline,
                "record_url": reverse(
                    "study:record",
                    args=[participant.study_id, participant.pk, row.timepoint.pk, scheduled.instrument_id],
                )
                if can_record and assessment is None and instrument is not None
                else None,
            }
        )
    return found


@login_required
def participant_page(request, study_id: int, participant_id: int):
    access, participant = _participant(request, study_id, participant_id)
    data_removed = participant.withdrawal_choice == Participant.DataChoice.REMOVE
    statuses = selectors.timepoint_statuses(
        access=access, participants=access.participants().filter(pk=participant.pk)
    )
    recorded = {
        (assessment.timepoint_id, assessment.instrument_id): assessment
        for assessment in selectors.participant_assessments(participant=participant)
    }
    timepoints = [
        {
            "row": row,
            "window_days": _window_days(row.timepoint),
            "instruments": _scheduled_rows(row, recorded, participant, can_record=not data_removed),
        }
        for row in statuses
    ]
    consents = list(selectors.participant_consents(participant=participant))
    audit_record_view(
        actor=request.user,
        action="study.participant_viewed",
        object_type="study_participant",
        object_id=participant.pk,
        person_id=participant.person_id,
        summary={"study": access.study.code, "number": participant.number},
    )
    return render(
        request,
        "study/participants/participant.jinja",
        {
            "study": access.study,
            "section": "participants",
            "participant": participant,
            "consents": consents,
            "current_consent": any(c.version == access.study.consent_version for c in consents),
            "data_removed": data_removed,
            "timepoints": timepoints,
            "page_title": f"Participant {participant.number}",
        },
    )


@login_required
def consent(request, study_id: int, participant_id: int):
    access, participant = _participant(request, study_id, participant_id)
    study = access.study
    form = ConsentForm(
        posted(request), initial={"version": study.consent_version, "consented_on": timezone.localdate()}
    )
    saved = form_saved(
        request,
        form,
        lambda: services.consent_record(
            actor=request.actor,
            access=access,
            participant=participant,
            version=form.cleaned_data["version"],
            consented_on=form.cleaned_data["consented_on"],
        ),
        then=_participant_url(participant),
        saved=lambda given: f"Consent to version {given.version} recorded.",
    )
    if saved:
        return saved
    history = ", ".join(
        f"version {c.version} on {c.consented_on.day} {c.consented_on:%B %Y}"
        for c in selectors.participant_consents(participant=participant)
    )
    return render(
        request,
        "study/form_page.jinja",
        {
            "study": study,
            "section": "participants",
            "form": form,
            "caption": participant.number,
            "heading": "Record consent to a new version",
            "intro": f"The current consent form is version {study.consent_version}. "
            f"Consent recorded so far: {history or 'none'}.",
            "submit": "Record consent",
            "back_url": _participant_url(participant),
            "page_title": f"Consent: {participant.number}",
        },
    )


@login_required
def withdraw(request, study_id: int, participant_id: int):
    access, participant = _participant(request, study_id, participant_id)
    form = WithdrawalForm(posted(request), initial={"withdrawn_on": timezone.localdate()})
    saved = not participant.withdrawn and form_saved(
        request,
        form,
        lambda: services.participant_withdraw(
            actor=request.actor,
            access=access,
            participant=participant,
            withdrawn_on=form.cleaned_data["withdrawn_on"],
            reason=form.cleaned_data["reason"],
            choice=form.cleaned_data["choice"],
        ),
        then=_participant_url(participant),
        saved=f"{participant.number} has withdrawn from the study.",
    )
    if saved:
        return saved
    return render(
        request,
        "study/participants/withdraw.jinja",
        {
            "study": access.study,
            "section": "participants",
            "participant": participant,
            "form": form,
            "page_title": f"Withdraw {participant.number}",
        },
    )


@login_required
def record(request, study_id: int, participant_id: int, timepoint_id: int, instrument_id: str):
    access, participant = _participant(request, study_id, participant_id)
    point = selectors.timepoint_get(access=access, timepoint_id=timepoint_id)
    instrument = _instrument_or_none(instrument_id)
    if instrument is None:
        raise Http404("No such instrument")
    form = AssessmentForm(
        posted(request), instrument=instrument, initial={"administered_on": timezone.localdate()}
    )
    first, last = _window_days(point)

    def recorded(assessment) -> str:
        if not assessment.in_window:
            messages.warning(
                request,
                f"{instrument.title} was recorded outside the window: day {assessment.day}, "
                f"window day {first} to day {last}.",
            )
        return _participant_url(participant)

    saved = form_saved(
        request,
        form,
        lambda: services.assessment_record(
            actor=request.actor,
            access=access,
            participant=participant,
            timepoint_id=point.pk,
            instrument_id=instrument.id,
            answers=form.answers(),
            administered_on=form.cleaned_data["administered_on"],
        ),
        then=recorded,
        saved=f"{instrument.title} recorded at {point.label}.",
        field_names={
            item.id: form.item_field_name(item.id) for item in instrument.items if item.id not in form.fields
        },
    )
    if saved:
        return saved
    window = schedule.Window(point.target_day, point.window_before, point.window_after)
    anchor = participant.anchor_on
    return render(
        request,
        "study/participants/record.jinja",
        {
            "study": access.study,
            "section": "participants",
            "participant": participant,
            "timepoint": point,
            "instrument": instrument,
            "form": form,
            "window": {
                "opens": window.opens(anchor),
                "target": window.target(anchor),
                "closes": window.closes(anchor),
                "first": first,
                "last": last,
            },
            "counted_from_enrolment": participant.baseline_on is None,
            "page_title": f"{instrument.title}: {participant.number}, {point.label}",
        },
    )


# --- to do and screening ------------------------------------------------------------------------------------


def _when(row, today: date) -> str:
    """How near the row is: days until its window opens, days left in it, days past the target or since it
    closed."""

    def days(n: int) -> str:
        return f"{n} day{'' if n == 1 else 's'}"

    if row.status == schedule.DUE:
        return f"Opens in {days((row.opens - today).days)}"
    if row.status == schedule.MISSED:
        return f"Closed {days((today - row.closes).days)} ago"
    left = (row.closes - today).days
    left_text = "closes today" if left == 0 else f"{days(left)} left"
    if row.status == schedule.OVERDUE:
        return f"{days((today - row.target).days)} overdue, {left_text}"
    return left_text[:1].upper() + left_text[1:]


@login_required
def due(request, study_id: int):
    access = selectors.study_access(actor=request.actor, study_id=study_id)
    today = timezone.localdate()
    rows = selectors.assessments_to_do(access=access, today=today)
    groups = []
    for status, heading in TO_DO_GROUPS:
        members = [{"row": row, "when": _when(row, today)} for row in rows if row.status == status]
        members.sort(key=lambda item: (item["row"].closes, item["row"].participant.number))
        groups.append({"status": status, "heading": heading, "rows": members})
    audit_list_viewed(
        user=request.user, list_name="study_to_do", rows=len(rows), object_type="study", object_id=study_id
    )
    return render(
        request,
        "study/participants/due.jinja",
        {
            "study": access.study,
            "section": "due",
            "groups": groups,
            "today": today,
            "page_title": f"To do: {access.study.code.upper()}",
        },
    )


@login_required
def screening(request, study_id: int):
    access = selectors.study_access(actor=request.actor, study_id=study_id)
    sites = list(access.sites())
    form = ScreeningForm(posted(request), sites=sites, initial={"screened_on": timezone.localdate()})
    saved = form_saved(
        request,
        form,
        lambda: services.screening_record(
            actor=request.actor,
            access=access,
            site_id=int(form.cleaned_data["site"]),
            screened_on=form.cleaned_data["screened_on"],
            reason=form.cleaned_data["reason"],
            count=form.cleaned_data["count"],
        ),
        then=reverse("study:screening", args=[access.study.pk]),
        saved=lambda entry: (
            f"{entry.count} {'person' if entry.count == 1 else 'people'} added to the screening log at "
            f"{entry.site.code}."
        ),
    )
    if saved:
        return saved
    counts = {(row["site"], row["reason"]): row["total"] for row in selectors.screening_counts(access=access)}
    reasons = Screening.Reason.choices
    table = [
        {
            "site": site.code,
            "counts": [counts.get((site.code, reason), 0) for reason, _label in reasons],
            "total": sum(counts.get((site.code, reason), 0) for reason, _label in reasons),
        }
        for site in sites
    ]
    return render(
        request,
        "study/participants/screening.jinja",
        {
            "study": access.study,
            "section": "participants",
            "form": form,
            "reasons": reasons,
            "table": table,
            "totals": [sum(row["counts"][index] for row in table) for index in range(len(reasons))],
            "grand_total": sum(row["total"] for row in table),
            "page_title": f"Screening log: {access.study.code.upper()}",
        },
    )


urls = [
    path("study/<int:study_id>/participants/", participant_list, name="participants"),
    path("study/<int:study_id>/participants/new/", enrol, name="enrol"),
    path("study/<int:study_id>/participants/<int:participant_id>/", participant_page, name="participant"),
    path("study/<int:study_id>/participants/<int:participant_id>/consent/", consent, name="consent"),
    path("study/<int:study_id>/participants/<int:participant_id>/withdraw/", withdraw, name="withdraw"),
    path(
        "study/<int:study_id>/participants/<int:participant_id>/<int:timepoint_id>/<slug:instrument_id>/",
        record,
        name="record",
    ),
    path("study/<int:study_id>/to-do/", due, name="due"),
    path("study/<int:study_id>/screening/", screening, name="screening"),
    path("people/<int:person_id>/study/enrol/", person_enrol, name="person_enrol"),
]
