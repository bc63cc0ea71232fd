"""Pages made of several apps' data: the home page per role, the caseloads (with what the plan asks for) and a
person's page (with their plan and studies). Thin: call the apps' selectors and services, render."""

import rules
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from connecting_people.accounts.selectors import teams_led_by, teams_of, trusts_for_implementation
from connecting_people.audit.services import audit_list_viewed
from connecting_people.people import selectors
from connecting_people.people.selectors import team_case_counts
from connecting_people.plans import selectors as plan_selectors
from connecting_people.study import selectors as study_selectors
from connecting_people.web.due import caseload_due, caseload_rows, person_due


@login_required
def home(request):
    user = request.user
    scope = request.actor.scope
    context: dict = {"scope": scope, "page_title": "Home"}
    if scope.is_practitioner:
        context["caseload"] = caseload_due(actor=request.actor, limit=5)
    if scope.is_team_lead:
        context["led_teams"] = list(teams_led_by(user=user))
    if scope.is_implementation_lead:
        context["trusts"] = list(trusts_for_implementation(user=user))
        context["team_counts"] = team_case_counts(actor=request.actor)
        context["threshold"] = settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD
    return render(request, "core/home.jinja", context)


@login_required
def caseload(request):
    if not request.actor.scope.is_practitioner:
        raise Http404
    rows = caseload_due(actor=request.actor)
    audit_list_viewed(actor=request.actor, list_name="my_caseload", rows=len(rows))
    return render(request, "people/caseload.jinja", {"rows": rows, "page_title": "My caseload"})


@login_required
def team_caseload(request):
    scope = request.actor.scope
    if not scope.team_wide_ids:
        raise Http404
    team_id = request.GET.get("team")
    team_id = int(team_id) if team_id and team_id.isascii() and team_id.isdigit() else None
    show_closed = request.GET.get("closed") == "1"
    people = selectors.team_caseload(actor=request.actor, team_id=team_id, include_closed=show_closed)
    page = Paginator(selectors.most_urgent_first(plan_selectors.with_due_facts(people)), 100).get_page(
        request.GET.get("page")
    )
    page.rows = caseload_rows(page.object_list)
    audit_list_viewed(
        actor=request.actor,
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
    person = selectors.person_get(actor=request.actor, person_id=person_id, shown_on="overview")
    return render(
        request,
        "people/overview.jinja",
        {
            "person": person,
            "tags": selectors.person_tags(person=person),
            "due": person_due(person=person),
            "can_allocate": rules.test_rule("allocate_person", request.user, person),
            "can_view_audit": rules.test_rule("view_person_audit", request.user, person),
            "studies": study_selectors.person_studies(person=person, actor=request.actor),
            "page_title": person.full_name,
        },
    )
