"""Study set-up: the list of studies, a new study, its overview and status, members, sites, allocation of teams to arms, timepoints and their schedule, and the unit-cost table.

Any member of a study reads its set-up (overview, members, timepoints, unit costs); only a study lead changes it.
A page that only changes the set-up (status, a new site, allocation, a timepoint's form, the schedule) answers
404 to other members, as out-of-scope pages do everywhere; on the pages members share, a POST by a non-lead is
404 too, so a non-lead never reaches a service with a write.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse

from connecting_people.core.forms import form_saved, posted
from connecting_people.measures import registry
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.measures.presenters import recordable_instruments
from connecting_people.study import selectors, services
from connecting_people.study.forms.setup import (
    AllocationForm,
    MemberForm,
    RandomiseForm,
    ScheduleForm,
    SiteForm,
    StatusForm,
    StudyForm,
    TimepointForm,
    UnitCostsForm,
    delivery_items,
)
from connecting_people.study.models import Arm, StudySite, StudyTeam
from connecting_people.study.views.jobs import lead_access

NO_TEAMS_LEFT = "Every team of the study's sites is already in an arm. Add a site to allocate more teams."

# --------------------------------------------------------------------------------------------- helpers


def _access(request, study_id):
    return selectors.study_access(actor=request.actor, study_id=study_id)


def _refuse_write_unless_lead(request, access) -> None:
    if request.method == "POST" and not access.is_lead:
        raise Http404("Not a study lead")


def _overview_url(study) -> str:
    return reverse("study:overview", args=[study.pk])


def _timepoints_url(study) -> str:
    return reverse("study:timepoints", args=[study.pk])


def _instrument_title(instrument_id: str) -> str:
    try:
        return registry.instrument(instrument_id).title
    except UnknownInstrumentError:
        return f"{instrument_id} (not in this deployment)"


def _window_text(point) -> str:
    return f"day {point.target_day - point.window_before} to day {point.target_day + point.window_after}"


def _timepoint_rows(points) -> list[dict]:
    """Each timepoint with its window in words and the titles of its instruments, in order."""
    return [
        {
            "point": point,
            "window": _window_text(point),
            "instruments": [_instrument_title(entry.instrument_id) for entry in point.schedule.all()],
        }
        for point in points
    ]


def _form_page(request, access, *, form, heading, submit, back_url, intro=None, template=None, **extra):
    return render(
        request,
        template or "study/form_page.jinja",
        {
            "study": access.study,
            "access": access,
            "section": "overview",
            "form": form,
            "heading": heading,
            "submit": submit,
            "back_url": back_url,
            "intro": intro,
            "page_title": f"{heading}: {access.study.code.upper()}",
            **extra,
        },
    )


# --------------------------------------------------------------------------------------------- studies


@login_required
def study_list(request):
    return render(
        request,
        "study/setup/list.jinja",
        {
            "memberships": list(selectors.memberships_for(actor=request.actor)),
            "may_create": selectors.may_create_study(actor=request.actor),
            "invitations_waiting": selectors.site_invitations_for(actor=request.actor)
            .filter(status=StudySite.Status.INVITED)
            .count(),
            "page_title": "Your studies",
        },
    )


@login_required
def study_create(request):
    if not selectors.may_create_study(actor=request.actor):
        raise Http404("Not a researcher")
    form = StudyForm(posted(request))
    saved = form_saved(
        request,
        form,
        lambda: services.study_create(actor=request.actor, data=services.StudyData(**form.cleaned_data)),
        then=_overview_url,
        saved=lambda study: (
            f"{study.code.upper()} set up, with baseline and 6-month timepoints and illustrative unit costs."
        ),
    )
    if saved:
        return saved
    return render(
        request,
        "study/setup/create.jinja",
        {"form": form, "page_title": "Set up a new study"},
    )


@login_required
def overview(request, study_id: int):
    access = _access(request, study_id)
    study = access.study
    counts = selectors.participant_counts_by_arm(access=access)
    return render(
        request,
        "study/setup/overview.jinja",
        {
            "study": study,
            "access": access,
            "section": "overview",
            "sites": list(access.sites()),
            "invitations": list(access.invitations()),
            "teams": list(access.teams()),
            "timepoints": _timepoint_rows(selectors.timepoints(study=study)),
            "unit_cost_rows": len(selectors.unit_costs(study=study)),
            "members": list(selectors.study_members(study=study)),
            "arm_counts": [(label, counts.get(value, 0)) for value, label in Arm.choices],
            "participant_total": sum(counts.values()),
            "random_method": StudyTeam.Method.RANDOM,
            "page_title": f"{study.code.upper()}: set-up",
        },
    )


@login_required
def status(request, study_id: int):
    access = lead_access(request, study_id)
    form = StatusForm(
        posted(request), initial={"status": access.study.status, "version": access.study.version}
    )
    saved = form_saved(
        request,
        form,
        lambda: services.study_status_set(
            actor=request.actor,
            access=access,
            expected_version=form.cleaned_data["version"],
            status=form.cleaned_data["status"],
        ),
        then=_overview_url,
        saved=lambda study: f"Status changed to {study.get_status_display().lower()}.",
        stale_to=_overview_url(access.study),
    )
    if saved:
        return saved
    return _form_page(
        request,
        access,
        form=form,
        heading="Change the study's status",
        submit="Save the status",
        back_url=_overview_url(access.study),
    )


@login_required
def members(request, study_id: int):
    access = _access(request, study_id)
    _refuse_write_unless_lead(request, access)
    study = access.study
    form = None
    if access.is_lead:
        form = MemberForm(posted(request), sites=list(access.sites()))
        saved = form_saved(
            request,
            form,
            lambda: services.member_add(
                actor=request.actor,
                access=access,
                username=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
                site_id=form.site_id(),
            ),
            then=reverse("study:members", args=[study.pk]),
            saved=lambda member: f"{member.user.username} added as {member.get_role_display().lower()}.",
        )
        if saved:
            return saved
    return render(
        request,
        "study/setup/members.jinja",
        {
            "study": study,
            "access": access,
            "section": "overview",
            "members": list(selectors.study_members(study=study)),
            "form": form,
            "page_title": f"Members: {study.code.upper()}",
        },
    )


# --------------------------------------------------------------------------------------------- sites, arms


@login_required
def site_add(request, study_id: int):
    access = lead_access(request, study_id)
    trusts = list(selectors.trusts_not_yet_sites(study=access.study))
    form = SiteForm(posted(request), trusts=trusts)
    saved = form_saved(
        request,
        form,
        lambda: services.site_add(
            actor=request.actor, access=access, trust_id=int(form.cleaned_data["trust"])
        ),
        then=_overview_url(access.study),
        saved=lambda site: (
            f"{site.trust.name} added as {site.code}."
            if site.status == StudySite.Status.ACTIVE
            else f"{site.trust.name} invited as {site.code}. It takes part once someone with the researcher "
            "role there accepts; until then its teams cannot be allocated."
        ),
    )
    if saved:
        return saved
    return _form_page(
        request,
        access,
        form=form,
        heading="Add or invite a site",
        submit="Add or invite the trust",
        back_url=_overview_url(access.study),
        template=None if trusts or form.is_bound else "study/setup/nothing_left.jinja",
        intro=None if trusts else "Every trust is already a site of this study.",
    )


@login_required
def allocate(request, study_id: int):
    access = lead_access(request, study_id)
    teams = list(selectors.teams_not_yet_allocated(study=access.study))
    form = AllocationForm(posted(request), teams=teams)
    saved = form_saved(
        request,
        form,
        lambda: services.team_allocate(
            actor=request.actor, access=access, team_id=form.team_id(), arm=form.cleaned_data["arm"]
        ),
        then=_overview_url(access.study),
        saved=lambda allocated: (
            f"{allocated.team.name} allocated to the {allocated.get_arm_display().lower()} arm "
            f"as {allocated.code}."
        ),
    )
    if saved:
        return saved
    return _form_page(
        request,
        access,
        form=form,
        heading="Allocate a team to an arm",
        submit="Allocate the team",
        back_url=_overview_url(access.study),
        template=None if teams or form.is_bound else "study/setup/nothing_left.jinja",
        intro=None if teams else NO_TEAMS_LEFT,
    )


@login_required
def randomise(request, study_id: int):
    access = lead_access(request, study_id)
    teams = list(selectors.teams_not_yet_allocated(study=access.study))
    form = RandomiseForm(posted(request), teams=teams)
    saved = form_saved(
        request,
        form,
        lambda: services.teams_allocate_random(
            actor=request.actor, access=access, team_ids=form.team_ids(), seed=form.cleaned_data["seed"]
        ),
        then=_overview_url(access.study),
        saved=lambda allocated: (
            f"Teams allocated at random within their sites, seed {allocated[0].seed}: "
            + ", ".join(f"{row.code} {row.get_arm_display().lower()}" for row in allocated)
            + "."
        ),
        field_names={"team": "teams"},
    )
    if saved:
        return saved
    return _form_page(
        request,
        access,
        form=form,
        heading="Allocate teams at random",
        submit="Allocate at random",
        back_url=_overview_url(access.study),
        template=None if teams or form.is_bound else "study/setup/nothing_left.jinja",
        intro=None if teams else NO_TEAMS_LEFT,
    )


# --------------------------------------------------------------------------------------------- timepoints


@login_required
def timepoints(request, study_id: int):
    access = _access(request, study_id)
    return render(
        request,
        "study/setup/timepoints.jinja",
        {
            "study": access.study,
            "access": access,
            "section": "overview",
            "timepoints": _timepoint_rows(selectors.timepoints(study=access.study)),
            "page_title": f"Timepoints: {access.study.code.upper()}",
        },
    )


def _timepoint_page(request, access, point):
    initial = {}
    if point is not None:
        initial = {
            "code": point.code,
            "label": point.label,
            "target_day": point.target_day,
            "window_before": point.window_before,
            "window_after": point.window_after,
            "version": point.version,
        }
    form = TimepointForm(posted(request), initial=initial)

    def save():
        fields = dict(form.cleaned_data)
        version = fields.pop("version")
        return services.timepoint_save(
            actor=request.actor,
            access=access,
            timepoint_id=point.pk if point is not None else None,
            expected_version=version if point is not None else None,
            data=services.TimepointData(**fields),
        )

    done = form_saved(
        request,
        form,
        save,
        then=_timepoints_url(access.study),
        saved=lambda saved: f"{saved.label} saved: in window from {_window_text(saved)}.",
        stale_to=_timepoints_url(access.study),
    )
    if done:
        return done
    heading = f"Change {point.label}" if point is not None else "Add a timepoint"
    return _form_page(
        request,
        access,
        form=form,
        heading=heading,
        submit="Save the timepoint",
        back_url=_timepoints_url(access.study),
        intro="Days count from the participant's baseline assessment (from enrolment until there is one). "
        "Assessments already recorded are checked against the new window.",
    )


@login_required
def timepoint_add(request, study_id: int):
    return _timepoint_page(request, lead_access(request, study_id), None)


@login_required
def timepoint_edit(request, study_id: int, timepoint_id: int):
    access = lead_access(request, study_id)
    return _timepoint_page(request, access, selectors.timepoint_get(access=access, timepoint_id=timepoint_id))


def _schedulable_instruments(scheduled_ids: list[str]) -> list:
    """The instruments recorded on their own form (Goal Attainment Scaling is scored from goals, so it is not
    offered) and any already scheduled one that is not among them, so a schedule is never shown short: the
    scheduled ones first, in their order, then the rest in the catalogue's order."""
    offered = recordable_instruments()
    offered_ids = {instrument.id for instrument in offered}
    for instrument_id in scheduled_ids:
        if instrument_id in offered_ids:
            continue
        try:
            offered.append(registry.instrument(instrument_id))
        except UnknownInstrumentError:
            continue
    position = {instrument_id: index for index, instrument_id in enumerate(scheduled_ids)}
    return sorted(offered, key=lambda instrument: position.get(instrument.id, len(position)))


@login_required
def schedule(request, study_id: int, timepoint_id: int):
    access = lead_access(request, study_id)
    point = selectors.timepoint_get(access=access, timepoint_id=timepoint_id)
    scheduled_ids = [entry.instrument_id for entry in point.schedule.all()]
    form = ScheduleForm(
        posted(request),
        instruments=_schedulable_instruments(scheduled_ids),
        initial=ScheduleForm.initial_for(scheduled_ids) | {"version": point.version},
    )
    saved = form_saved(
        request,
        form,
        lambda: services.schedule_set(
            actor=request.actor,
            access=access,
            timepoint_id=point.pk,
            expected_version=form.cleaned_data["version"],
            instrument_ids=form.instrument_ids(),
        ),
        then=_timepoints_url(access.study),
        saved=f"Schedule for {point.label} saved.",
        stale_to=_timepoints_url(access.study),
        field_names={"instrument_id": "instruments"},
    )
    if saved:
        return saved
    return _form_page(
        request,
        access,
        form=form,
        heading=f"Instruments at {point.label}",
        submit="Save the schedule",
        back_url=_timepoints_url(access.study),
        template="study/setup/schedule.jinja",
        point=point,
    )


# --------------------------------------------------------------------------------------------- unit costs


@login_required
def unit_costs(request, study_id: int):
    access = _access(request, study_id)
    _refuse_write_unless_lead(request, access)
    study = access.study
    rows = list(selectors.unit_costs(study=study))
    try:
        instrument = registry.instrument(study.service_use_instrument)
    except UnknownInstrumentError:
        instrument = None
    form = None
    if access.is_lead and instrument is not None:
        form = UnitCostsForm(
            posted(request), instrument=instrument, initial=UnitCostsForm.initial_for(study, rows)
        )

        def saved_message(_result) -> str:
            study.refresh_from_db()
            return f"Unit costs saved at {study.price_year} prices."

        saved = form_saved(
            request,
            form,
            lambda: services.unit_costs_set(
                actor=request.actor,
                access=access,
                expected_version=form.cleaned_data["version"],
                price_year=form.cleaned_data["price_year"],
                currency=form.cleaned_data["currency"],
                source=form.cleaned_data["source"],
                costs=form.costs(),
            ),
            then=_overview_url(study),
            saved=saved_message,
            stale_to=reverse("study:unit_costs", args=[study.pk]),
        )
        if saved:
            return saved
    by_service = {row.service: row for row in rows}
    services_listed = (
        [(item, by_service.get(item.id)) for item in (*instrument.items, *delivery_items())]
        if instrument is not None
        else []
    )
    return render(
        request,
        "study/setup/unit_costs.jinja",
        {
            "study": study,
            "access": access,
            "section": "overview",
            "instrument": instrument,
            "services_listed": services_listed,
            "form": form,
            "page_title": f"Unit costs: {study.code.upper()}",
        },
    )


urls = [
    path("study/", study_list, name="list"),
    path("study/new/", study_create, name="create"),
    path("study/<int:study_id>/", overview, name="overview"),
    path("study/<int:study_id>/status/", status, name="status"),
    path("study/<int:study_id>/members/", members, name="members"),
    path("study/<int:study_id>/sites/new/", site_add, name="site_add"),
    path("study/<int:study_id>/teams/allocate/", allocate, name="allocate"),
    path("study/<int:study_id>/teams/randomise/", randomise, name="randomise"),
    path("study/<int:study_id>/timepoints/", timepoints, name="timepoints"),
    path("study/<int:study_id>/timepoints/new/", timepoint_add, name="timepoint_add"),
    path("study/<int:study_id>/timepoints/<int:timepoint_id>/", timepoint_edit, name="timepoint_edit"),
    path("study/<int:study_id>/timepoints/<int:timepoint_id>/schedule/", schedule, name="schedule"),
    path("study/<int:study_id>/unit-costs/", unit_costs, name="unit_costs"),
]
