"""Pages of the community directory. Thin: check the role, parse, call one selector or service, render."""

import rules
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from connecting_people.community import presenters, selectors, services
from connecting_people.community.forms import PLACE_NOT_FOUND, OpportunityForm, SearchForm
from connecting_people.core.forms import form_saved
from connecting_people.people.services import person_open

PAGE_SIZE = 20


def _for_person(request):
    """The person the directory is being searched for (`?for=<record number>` from their plan), or None.
    Scoped like every read of a record: someone out of reach is "Page not found"."""
    value = request.GET.get("for", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise Http404
    # The page shows their name: audited as a view of their record, like every page that shows one.
    return person_open(
        actor=request.actor, person_id=int(value), page=f"community-{request.resolver_match.url_name}"
    )


def _allowed(request, rule: str) -> None:
    """Out of a role's reach is "Page not found", as everywhere else."""
    if not rules.test_rule(rule, request.user):
        raise Http404


@login_required
def search(request):
    _allowed(request, "search_directory")
    for_person = _for_person(request)
    form = SearchForm(request.GET, interests=selectors.interest_names())
    page, place = None, None
    if form.is_valid():
        if form.cleaned_data["near"]:
            place = selectors.place_for(text=form.cleaned_data["near"])
            if place is None:
                form.add_error("near", PLACE_NOT_FOUND.format(text=form.cleaned_data["near"]))
        if not form.errors:
            results = selectors.directory_search(search=form.search(place.point if place else None))
            page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {key: request.GET.get(key, "") for key in [*form.fields, "for"]}
    return render(
        request,
        "community/search.jinja",
        {
            "form": form,
            "page": page,
            "place": place,
            "results": [
                {
                    "opportunity": opportunity,
                    "interests": presenters.interest_names(opportunity),
                    "cost": presenters.cost_text(opportunity),
                    "distance": presenters.distance_text(opportunity, place.point if place else None),
                }
                for opportunity in (page.object_list if page is not None else [])
            ],
            "previous_link": presenters.page_link(query, page.previous_page_number())
            if page is not None and page.has_previous()
            else None,
            "next_link": presenters.page_link(query, page.next_page_number())
            if page is not None and page.has_next()
            else None,
            "filtered": any(request.GET.get(key) for key in form.fields if key != "within"),
            "for_person": for_person,
            "can_edit": rules.test_rule("edit_directory", request.user),
            "page_title": "Community directory",
        },
    )


@login_required
def detail(request, opportunity_id: int):
    _allowed(request, "search_directory")
    for_person = _for_person(request)
    opportunity = selectors.opportunity_get(opportunity_id=opportunity_id)
    return render(
        request,
        "community/detail.jinja",
        {
            "opportunity": opportunity,
            "sessions": presenters.sessions_worth_listing(opportunity),
            "interests": presenters.interest_names(opportunity),
            "cost": presenters.cost_text(opportunity),
            "source": presenters.source_text(opportunity),
            "for_person": for_person,
            "can_edit": rules.test_rule("edit_directory", request.user),
            "page_title": opportunity.name,
        },
    )


@login_required
def new(request):
    _allowed(request, "edit_directory")
    form = OpportunityForm(request.POST or None, creating=True, initial={"cost": "unknown"})
    if saved := form_saved(
        request,
        form,
        lambda: services.opportunity_create(actor=request.actor, data=form.opportunity_data()),
        saved=lambda opportunity: f"{opportunity.name} has been added to the directory.",
        then=lambda opportunity: reverse("community:detail", args=[opportunity.pk]),
    ):
        return saved
    return render(
        request,
        "community/edit.jinja",
        {"form": form, "creating": True, "page_title": "Add an opportunity"},
    )


@login_required
def edit(request, opportunity_id: int):
    _allowed(request, "edit_directory")
    opportunity = selectors.opportunity_get(opportunity_id=opportunity_id)
    initial = OpportunityForm.initial_for(opportunity)
    form = OpportunityForm(request.POST or None, creating=False, initial=initial)
    if saved := form_saved(
        request,
        form,
        lambda: services.opportunity_update(
            actor=request.actor,
            opportunity_id=opportunity.pk,
            expected_version=form.cleaned_data["version"] or 0,
            data=form.opportunity_data(keep_sessions=form.sessions_untouched()),
        ),
        stale_to=reverse("community:detail", args=[opportunity.pk]),
        saved="Changes saved.",
        then=reverse("community:detail", args=[opportunity.pk]),
    ):
        return saved
    times = {(session.starts_at, session.ends_at) for session in opportunity.sessions.all()}
    return render(
        request,
        "community/edit.jinja",
        {
            "form": form,
            "opportunity": opportunity,
            "creating": False,
            "sessions": presenters.session_lines(opportunity) if len(times) > 1 else [],
            "page_title": f"Edit {opportunity.name}",
        },
    )
