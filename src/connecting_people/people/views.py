"""Pages for the person supported. Thin: parse, call one service or selector, render."""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from connecting_people.accounts.selectors import practitioners_in_team, scope_for, teams_of
from connecting_people.audit.selectors import audit_events_for_person
from connecting_people.audit.services import audit_list_viewed, audit_trail_viewed
from connecting_people.core.errors import ServiceError, StaleRecordError
from connecting_people.core.forms import saved_by_someone_else, show_service_error
from connecting_people.people import presenters, selectors, services
from connecting_people.people.due import due_items
from connecting_people.people.forms import AllocateForm, CloseForm, NewPersonForm, PersonForm, ReopenForm
from connecting_people.plans import selectors as plan_selectors
from connecting_people.study import selectors as study_selectors


def person_for_request(request, person_id: int, page: str):
    """The person a page is about: shown (GET) means audited as viewed; acted on (POST) is audited by the
    service that does the writing."""
    if request.method == "GET":
        return services.person_open(user=request.user, person_id=person_id, page=page)
    return selectors.person_get(user=request.user, person_id=person_id)


@login_required
def caseload(request):
    scope = scope_for(user=request.user)
    if not scope.is_practitioner:
        raise Http404
    rows = presenters.caseload_rows(
        plan_selectors.with_prompts(
            selectors.with_next_steps(
                plan_selectors.with_due_facts(selectors.caseload_for(user=request.user))
            )
        )
    )
    audit_list_viewed(user=request.user, list_name="my_caseload", rows=len(rows))
    return render(request, "people/caseload.jinja", {"rows": rows, "page_title": "My caseload"})


@login_required
def team_caseload(request):
    scope = scope_for(user=request.user)
    if not scope.team_wide_ids:
        raise Http404
    team_id = request.GET.get("team")
    team_id = int(team_id) if team_id and team_id.isascii() and team_id.isdigit() else None
    show_closed = request.GET.get("closed") == "1"
    people = selectors.team_caseload(user=request.user, team_id=team_id, include_closed=show_closed)
    page = Paginator(selectors.most_urgent_first(plan_selectors.with_due_facts(people)), 100).get_page(
        request.GET.get("page")
    )
    page.rows = presenters.caseload_rows(
        plan_selectors.with_prompts(selectors.with_next_steps(page.object_list))
    )
    audit_list_viewed(
        user=request.user,
        list_name="team_caseload",
        rows=len(page.rows),
        object_type="team",
        object_id=team_id or "",
        page=page.number,
        closed=show_closed,
    )
    return render(
        request,
        "people/team.jinja",
        {
            "page": page,
            "teams": list(teams_of(user=request.user).filter(pk__in=scope.team_wide_ids)),
            "team_id": team_id,
            "show_closed": show_closed,
            "page_title": "Team caseload",
        },
    )


@login_required
def person_overview(request, person_id: int):
    person = services.person_open(user=request.user, person_id=person_id, page="overview")
    step = selectors.with_next_steps([person])[0][1]
    due = presenters.due_links(due_items(step, plan_selectors.prompts_for(person=person)), person)
    return render(
        request,
        "people/overview.jinja",
        {
            "person": person,
            "tags": selectors.person_tags(person=person),
            "due": due,
            "can_allocate": rules.test_rule("allocate_person", request.user, person),
            "can_view_audit": rules.test_rule("view_person_audit", request.user, person),
            "studies": study_selectors.person_studies(person=person, actor=request.actor),
            "page_title": person.full_name,
        },
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
                user=request.user,
                given_name=form.cleaned_data["given_name"],
                family_name=form.cleaned_data["family_name"],
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
        if duplicates:
            audit_list_viewed(user=request.user, list_name="possible_duplicates", rows=len(duplicates))
        else:
            try:
                person = services.person_create(
                    user=request.user,
                    team_id=form.cleaned_data["team"],
                    data=form.record_data(),
                    strengths=form.cleaned_data["strengths"],
                    interests=form.cleaned_data["interests"],
                    added_despite_possible_duplicate=confirmed,
                )
            except ServiceError as error:
                show_service_error(form, error)
            else:
                messages.success(request, f"{person.full_name} has been added.")
                return redirect("people:overview", person_id=person.pk)
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
        if form.is_valid():
            try:
                services.person_update(
                    user=request.user,
                    person_id=person.pk,
                    expected_version=form.cleaned_data["version"] or 0,
                    data=form.record_data(),
                    strengths=form.cleaned_data["strengths"],
                    interests=form.cleaned_data["interests"],
                )
            except StaleRecordError as error:
                messages.error(request, error.message)
                return redirect("people:overview", person_id=person.pk)
            except ServiceError as error:
                show_service_error(form, error)
            else:
                messages.success(request, "Changes saved.")
                return redirect("people:overview", person_id=person.pk)
    else:
        form = PersonForm(initial=PersonForm.initial_for(person, selectors.person_tags(person=person)))
    return render(
        request,
        "people/edit.jinja",
        {"form": form, "person": person, "creating": False, "page_title": f"Edit {person.full_name}"},
    )


@login_required
def person_allocate(request, person_id: int):
    person = selectors.person_get(user=request.user, person_id=person_id)
    if not rules.test_rule("allocate_person", request.user, person):
        raise Http404
    if request.method == "GET":
        services.person_record_viewed(user=request.user, person=person, page="allocate")
    form = AllocateForm(
        request.POST or None,
        practitioners=practitioners_in_team(team=person.team),
        initial={"worker": person.allocated_worker_id, "version": person.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.person_allocate(
                user=request.user,
                person_id=person.pk,
                expected_version=form.cleaned_data["version"],
                worker_id=form.cleaned_data["worker"],
            )
        except StaleRecordError as error:
            return saved_by_someone_else(request, error, "people:overview", person_id=person.pk)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"{person.full_name} is now allocated.")
            return redirect("people:overview", person_id=person.pk)
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
                user=request.user,
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
            user=request.user,
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
    events = audit_events_for_person(user=request.user, person_id=person_id)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    audit_trail_viewed(user=request.user, person_id=person_id, page=page.number, rows=len(page.object_list))
    return render(
        request, "people/audit.jinja", {"page": page, "person_id": person_id, "page_title": "Audit trail"}
    )
