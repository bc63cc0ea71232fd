"""Pages for the person supported. Thin: parse, call one service or selector, render. (The caseloads and the
person's page show other apps' data too, so they are in web.views.)"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from connecting_people.accounts.selectors import practitioners_in_team, teams_of
from connecting_people.audit.services import audit_list_viewed, audit_trail_viewed
from connecting_people.core.errors import ServiceError
from connecting_people.core.forms import form_saved, show_service_error
from connecting_people.people import selectors, services
from connecting_people.people.forms import AllocateForm, CloseForm, NewPersonForm, PersonForm, ReopenForm
from connecting_people.people.services import PersonData


def person_for_request(request, person_id: int, page: str):
    """The person a page is about: shown (GET) means audited as viewed; acted on (POST) is audited by the
    service that does the writing."""
    return selectors.person_get(
        actor=request.actor, person_id=person_id, shown_on=page if request.method == "GET" else None
    )


@login_required
def person_new(request):
    teams = list(teams_of(user=request.user))
    if not teams:
        raise Http404
    form = NewPersonForm(
        request.POST or None,
        teams=teams,
        initial={
            "opened_on": timezone.localdate(),
            "practice_consent": "unknown",
            "research_consent": "unknown",
        },
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        confirmed = form.duplicates_confirmed()
        if not confirmed:
            duplicates = selectors.possible_duplicates(
                actor=request.actor,
                given_name=form.cleaned_data["given_name"],
                family_name=form.cleaned_data["family_name"],
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
        if duplicates:
            audit_list_viewed(actor=request.actor, list_name="possible_duplicates", rows=len(duplicates))
        else:
            saved = form_saved(
                request,
                form,
                lambda: services.person_create(
                    actor=request.actor,
                    team_id=form.cleaned_data["team"],
                    data=PersonData.of(form.record_data()),
                    strengths=form.cleaned_data["strengths"],
                    interests=form.cleaned_data["interests"],
                    added_despite_possible_duplicate=confirmed,
                ),
                then=lambda person: reverse("people:overview", args=[person.pk]),
                saved=lambda person: f"{person.full_name} has been added.",
            )
            if saved:
                return saved
    return render(
        request,
        "people/edit.jinja",
        {
            "form": form,
            "creating": True,
            "duplicates": duplicates,
            "duplicate_key": form.duplicate_key() if duplicates else "",
            "page_title": "Check for an existing record" if duplicates else "Add a person",
        },
    )


@login_required
def person_edit(request, person_id: int):
    person = person_for_request(request, person_id, "edit")
    if request.method == "POST":
        form = PersonForm(request.POST)
        overview = reverse("people:overview", args=[person.pk])
        saved = form_saved(
            request,
            form,
            lambda: services.person_update(
                actor=request.actor,
                person_id=person.pk,
                expected_version=form.cleaned_data["version"] or 0,
                data=PersonData.of(form.record_data()),
                strengths=form.cleaned_data["strengths"],
                interests=form.cleaned_data["interests"],
            ),
            then=overview,
            saved="Changes saved.",
            stale_to=overview,
        )
        if saved:
            return saved
    else:
        form = PersonForm(initial=PersonForm.initial_for(person, selectors.person_tags(person=person)))
    return render(
        request,
        "people/edit.jinja",
        {"form": form, "person": person, "creating": False, "page_title": f"Edit {person.full_name}"},
    )


@login_required
def person_allocate(request, person_id: int):
    person = selectors.person_get(actor=request.actor, person_id=person_id)
    if not rules.test_rule("allocate_person", request.user, person):
        raise Http404
    if request.method == "GET":
        selectors.person_shown(actor=request.actor, person=person, page="allocate")
    form = AllocateForm(
        request.POST or None,
        practitioners=practitioners_in_team(team=person.team),
        initial={"worker": person.allocated_worker_id, "version": person.version},
    )
    overview = reverse("people:overview", args=[person.pk])
    saved = form_saved(
        request,
        form,
        lambda: services.person_allocate(
            actor=request.actor,
            person_id=person.pk,
            expected_version=form.cleaned_data["version"],
            worker_id=form.cleaned_data["worker"],
        ),
        then=overview,
        saved=f"{person.full_name} is now allocated.",
        stale_to=overview,
    )
    if saved:
        return saved
    return render(
        request,
        "people/allocate.jinja",
        {"form": form, "person": person, "page_title": f"Allocate {person.full_name}"},
    )


@login_required
def person_close(request, person_id: int):
    person = person_for_request(request, person_id, "close")
    form = CloseForm(
        request.POST or None, initial={"closed_on": timezone.localdate(), "version": person.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.person_close(
                actor=request.actor,
                person_id=person.pk,
                expected_version=form.cleaned_data["version"],
                closed_on=form.cleaned_data["closed_on"],
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"{person.full_name}'s case is closed.")
            return redirect("people:overview", person_id=person.pk)
    return render(
        request,
        "people/close.jinja",
        {"form": form, "person": person, "page_title": f"Close {person.full_name}'s case"},
    )


@login_required
@require_POST
def person_reopen(request, person_id: int):
    form = ReopenForm(request.POST)
    try:
        person = services.person_reopen(
            actor=request.actor,
            person_id=person_id,
            expected_version=form.cleaned_data["version"] if form.is_valid() else 0,
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.full_name}'s case is open again.")
    return redirect("people:overview", person_id=person_id)


@login_required
def person_audit(request, person_id: int):
    events = selectors.audit_events_for_person(actor=request.actor, person_id=person_id)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    audit_trail_viewed(actor=request.actor, person_id=person_id, page=page.number, rows=len(page.object_list))
    return render(
        request, "people/audit.jinja", {"page": page, "person_id": person_id, "page_title": "Audit trail"}
    )
