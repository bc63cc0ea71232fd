"""Pages of the plan–do–review cycle for one person. Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from connecting_people.community.selectors import opportunity_get
from connecting_people.connections import metrics
from connecting_people.connections import presenters as map_presenters
from connecting_people.connections import selectors as map_selectors
from connecting_people.core.errors import ServiceError, StaleRecordError
from connecting_people.core.forms import posted, saved_by_someone_else, show_service_error
from connecting_people.measures.selectors import measure_histories
from connecting_people.people import services as people_services
from connecting_people.people.selectors import person_tags
from connecting_people.people.views import person_for_request
from connecting_people.plans import presenters, selectors, services
from connecting_people.plans.forms import (
    ActivityForm,
    AssessmentForm,
    GoalForm,
    LinkForm,
    LinkMoveForm,
    ReviewForm,
    StepDoneForm,
    StepForm,
)
from connecting_people.plans.models import Link


def _back_to_plan(person, anchor: str = ""):
    response = redirect("plans:plan", person_id=person.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@login_required
def plan(request, person_id: int):
    person = person_for_request(request, person_id, "plan")
    goals = selectors.goals_of(person=person)
    return render(
        request,
        "plans/plan.jinja",
        {
            "person": person,
            "assessment": selectors.assessment_of(person=person),
            "tags": person_tags(person=person),
            "goals": goals,
            "links": selectors.links_of(person=person),
            "suggestions": selectors.suggestions_for(person=person),
            "activities": selectors.activities_of(person=person, limit=20),
            "reviews": selectors.reviews_of(person=person),
            "prompts": selectors.prompts_for(person=person),
            "today": timezone.localdate(),
            "barrier_names": presenters.BARRIER_NAMES,
            "page_title": f"Plan, do and review: {person.full_name}",
        },
    )


@login_required
def assessment(request, person_id: int):
    person = person_for_request(request, person_id, "plan-assessment")
    current = selectors.assessment_of(person=person)
    tags = person_tags(person=person)
    initial = {
        "assessed_on": timezone.localdate(),
        "strengths": tags["strength"],
        "interests": tags["interest"],
    }
    if current:
        initial |= {
            "aspirations": current.aspirations,
            "strengths_in_own_words": current.strengths_in_own_words,
            "barriers": current.barriers,
            "barriers_in_own_words": current.barriers_in_own_words,
            "version": current.version,
        }
    form = AssessmentForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_save(
                user=request.user,
                person_id=person.pk,
                expected_version=form.cleaned_data["version"],
                data=form.assessment_data(),
            )
        except StaleRecordError as error:
            return saved_by_someone_else(request, error, "plans:plan", person_id=person.pk)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved what matters to them and what gets in the way.")
            return _back_to_plan(person, "assess")
    return render(
        request,
        "plans/assessment.jinja",
        {"person": person, "form": form, "page_title": f"What matters to {person.known_as}"},
    )


def _goal_choices(person):
    snapshot = map_selectors.latest_snapshot(person=person)
    entries = list(map_selectors.entries_of(snapshot)) if snapshot else []
    opportunities = [link.opportunity for link in selectors.links_of(person=person)]
    return sorted(entries, key=lambda e: e.label.casefold()), opportunities


@login_required
def goal_new(request, person_id: int):
    person = person_for_request(request, person_id, "plan-goal-new")
    entries, opportunities = _goal_choices(person)
    form = GoalForm(posted(request), entries=entries, opportunities=opportunities)
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.goal_create(user=request.user, person_id=person.pk, data=form.goal_data())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Goal set. Now add the first step.")
            return redirect("plans:step_new", person_id=person.pk, goal_id=goal.pk)
    return render(
        request,
        "plans/goal.jinja",
        {"person": person, "form": form, "goal": None, "page_title": "Set a goal"},
    )


@login_required
def goal_edit(request, person_id: int, goal_id: int):
    person = person_for_request(request, person_id, "plan-goal-edit")
    goal = selectors.goal_of(person=person, goal_id=goal_id)
    entries, opportunities = _goal_choices(person)
    form = GoalForm(
        posted(request),
        entries=entries,
        opportunities=opportunities,
        editing=True,
        initial=GoalForm.initial_for(goal),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_update(
                user=request.user,
                person_id=person.pk,
                goal_id=goal.pk,
                expected_version=form.cleaned_data["version"] or 0,
                data=form.goal_data(),
            )
        except StaleRecordError as error:
            return saved_by_someone_else(request, error, "plans:plan", person_id=person.pk)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Goal updated.")
            return _back_to_plan(person, f"goal-{goal.pk}")
    return render(
        request,
        "plans/goal.jinja",
        {"person": person, "form": form, "goal": goal, "page_title": "Change the goal"},
    )


@login_required
def step_new(request, person_id: int, goal_id: int):
    person = person_for_request(request, person_id, "plan-step-new")
    goal = selectors.goal_of(person=person, goal_id=goal_id)
    form = StepForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.step_add(user=request.user, person_id=person.pk, goal_id=goal.pk, data=form.step_data())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Step added.")
            if request.POST.get("then") == "another":
                return redirect("plans:step_new", person_id=person.pk, goal_id=goal.pk)
            return _back_to_plan(person, f"goal-{goal.pk}")
    return render(
        request,
        "plans/step.jinja",
        {"person": person, "goal": goal, "step": None, "form": form, "page_title": "Add a step"},
    )


@login_required
def step_edit(request, person_id: int, step_id: int):
    person = person_for_request(request, person_id, "plan-step-edit")
    step = selectors.step_of(person=person, step_id=step_id)
    form = StepForm(
        posted(request),
        initial={
            "what": step.what,
            "owner": step.owner,
            "owner_name": step.owner_name,
            "due_on": step.due_on,
            "version": step.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.step_update(
                user=request.user,
                person_id=person.pk,
                step_id=step.pk,
                expected_version=form.cleaned_data["version"],
                data=form.step_data(),
            )
        except StaleRecordError as error:
            return saved_by_someone_else(request, error, "plans:plan", person_id=person.pk)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Step updated.")
            return _back_to_plan(person, f"goal-{step.goal_id}")
    return render(
        request,
        "plans/step.jinja",
        {"person": person, "goal": step.goal, "step": step, "form": form, "page_title": "Change the step"},
    )


@login_required
@require_POST
def step_done(request, person_id: int, step_id: int):
    form = StepDoneForm(request.POST)
    done = form.is_valid() and form.cleaned_data["done"]
    try:
        step = services.step_done(
            user=request.user,
            person_id=person_id,
            step_id=step_id,
            expected_version=form.cleaned_data.get("version", 0),
            done=done,
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("plans:plan", person_id=person_id)
    messages.success(request, "Step marked as done." if done else "Step marked as not done.")
    response = redirect("plans:plan", person_id=person_id)
    response["Location"] += f"#goal-{step.goal_id}"
    return response


@login_required
def activity_new(request, person_id: int):
    person = person_for_request(request, person_id, "plan-activity-new")
    opportunities = [link.opportunity for link in selectors.links_of(person=person)]
    goals = [goal for goal in selectors.goals_of(person=person) if goal.status == "active"]
    form = ActivityForm(
        posted(request),
        opportunities=opportunities,
        goals=goals,
        initial={"occurred_on": timezone.localdate(), "opportunity": request.GET.get("opportunity")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_add(user=request.user, person_id=person.pk, data=form.activity_data())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Activity logged.")
            return _back_to_plan(person, "do")
    return render(
        request, "plans/activity.jinja", {"person": person, "form": form, "page_title": "Log what happened"}
    )


def _links_answer(request, person, message: str, *, error: bool = False, link_id: int | None = None):
    """After a community link is made or moved: the links section on its own for the page's script (which asked
    for it with the X-App-Fragment header, and swaps it in without a reload), else back to the plan's links
    with the message shown there (POST, redirect, GET)."""
    if request.headers.get("X-App-Fragment") == "links":
        people_services.person_record_viewed(user=request.user, person=person, page="plan-links")
        return render(
            request,
            "plans/_links.jinja",
            {
                "person": person,
                "links": selectors.links_of(person=person),
                "suggestions": selectors.suggestions_for(person=person),
                "tags": person_tags(person=person),
                "status_message": message,
                "status_error": error,
                "focus_link": link_id,
                "fragment": True,
            },
        )
    (messages.error if error else messages.success)(request, message)
    return _back_to_plan(person, f"link-{link_id}" if link_id else "links")


@login_required
@require_POST
def link_new(request, person_id: int):
    """Suggest an opportunity to the person (from the suggestions, or an opportunity's page)."""
    person = person_for_request(request, person_id, "plan-link-new")
    opportunity_id = request.POST.get("opportunity")
    matched = [name for name in request.POST.getlist("matched") if name][:20]
    try:
        link = services.link_create(
            user=request.user,
            person_id=person.pk,
            opportunity_id=int(opportunity_id)
            if (opportunity_id or "").isascii() and (opportunity_id or "").isdigit()
            else 0,
            status=request.POST.get("status") or Link.Status.SUGGESTED,
            matched_interests=matched,
        )
    except ServiceError as error:
        return _links_answer(request, person, error.message, error=True)
    return _links_answer(
        request, person, f"{link.opportunity.name} added to the community links.", link_id=link.pk
    )


@login_required
@require_POST
def link_move(request, person_id: int, link_id: int):
    """Move a community link on from its row on the plan (one button per status), without opening its page."""
    person = person_for_request(request, person_id, "plan-link-move")
    link = selectors.link_of(person=person, link_id=link_id)
    form = LinkMoveForm(request.POST)
    if not form.is_valid():
        return _links_answer(request, person, "Select where things are", error=True, link_id=link.pk)
    try:
        link = services.link_status_set(
            user=request.user,
            person_id=person.pk,
            link_id=link.pk,
            expected_version=form.cleaned_data["version"],
            status=form.cleaned_data["status"],
        )
    except ServiceError as error:  # a stale version among them: someone else moved it first
        return _links_answer(request, person, error.message, error=True, link_id=link.pk)
    return _links_answer(request, person, _moved_message(link), link_id=link.pk)


def _moved_message(link) -> str:
    text = f"{link.opportunity.name}: {link.get_status_display().lower()}."
    if link.status in services.ON_THE_MAP:
        text += " It is on the connections map."
    return text


@login_required
def link_detail(request, person_id: int, link_id: int):
    person = person_for_request(request, person_id, "plan-link")
    link = selectors.link_of(person=person, link_id=link_id)
    form = LinkForm(
        posted(request),
        initial={"status": link.status, "changed_on": timezone.localdate(), "version": link.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            link = services.link_status_set(
                user=request.user,
                person_id=person.pk,
                link_id=link.pk,
                expected_version=form.cleaned_data["version"],
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                changed_on=form.cleaned_data["changed_on"],
            )
        except StaleRecordError as error:
            return saved_by_someone_else(request, error, "plans:link", person_id=person.pk, link_id=link.pk)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _moved_message(link))
            return _back_to_plan(person, "links")
    return render(
        request,
        "plans/link.jinja",
        {
            "person": person,
            "link": link,
            "history": selectors.link_history(link=link),
            "form": form,
            "page_title": link.opportunity.name,
        },
    )


@login_required
def review_new(request, person_id: int):
    person = person_for_request(request, person_id, "plan-review-new")
    goals = selectors.goals_to_score(person=person)
    form = ReviewForm(
        posted(request), goals=goals, initial={"held_on": timezone.localdate(), "start_new_map": "yes"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_hold(user=request.user, person_id=person.pk, data=form.review_data())
        except ServiceError as error:
            show_service_error(form, error, {"scores": None})
        else:
            messages.success(request, "Review saved.")
            return redirect("plans:review", person_id=person.pk, review_id=review.pk)
    return render(
        request,
        "plans/review_new.jinja",
        {
            "person": person,
            "form": form,
            "measures_due": presenters.measures_due(measure_histories(person=person)),
            "gas_goals_at_most": selectors.gas_goals_at_most(),
            "page_title": "Hold a review",
        },
    )


@login_required
def review_detail(request, person_id: int, review_id: int):
    """What changed: the map, the measures and the goals, side by side."""
    person = person_for_request(request, person_id, "plan-review")
    review = selectors.review_of(person=person, review_id=review_id)
    earlier = selectors.review_before(review=review)
    map_change = None
    if review.snapshot and review.snapshot.previous_id:
        snapshots = map_selectors.snapshots_for(person=person)
        previous = map_selectors.previous_of(review.snapshot, snapshots)
        change = metrics.compare(
            map_selectors.snapshot_domain(previous), map_selectors.snapshot_domain(review.snapshot)
        )
        map_change = {
            "previous": previous,
            "current": review.snapshot,
            "rows": map_presenters.compare_rows(change)[:10],
            "gained": len(change["gained"]),
            "lost": len(change["lost"]),
            "kept": len(change["kept"]),
        }
    return render(
        request,
        "plans/review.jinja",
        {
            "person": person,
            "review": review,
            "earlier": earlier,
            "scores": selectors.scores_of(review=review),
            "gas_goals_at_most": selectors.gas_goals_at_most(),
            "map_change": map_change,
            "measures": presenters.measure_changes(measure_histories(person=person), review.held_on),
            "page_title": f"Review of {review.held_on:%-d %B %Y}",
        },
    )


@login_required
def printout(request, person_id: int):
    person = person_for_request(request, person_id, "plan-print")
    return render(
        request,
        "plans/print.jinja",
        {
            "person": person,
            "printout": presenters.plan_printout(
                person=person,
                assessment=selectors.assessment_of(person=person),
                tags=person_tags(person=person),
                goals=[goal for goal in selectors.goals_of(person=person) if goal.status == "active"],
                links=[link for link in selectors.links_of(person=person) if link.status != "stopped"],
            ),
            "page_title": f"{person.known_as}'s plan",
        },
    )


@login_required
def opportunity_link_choice(request, person_id: int, opportunity_id: int):
    """From an opportunity's page: confirm suggesting it to this person."""
    person = person_for_request(request, person_id, "plan-link-choose")
    opportunity = opportunity_get(opportunity_id=opportunity_id)
    return render(
        request,
        "plans/link_choose.jinja",
        {"person": person, "opportunity": opportunity, "page_title": f"Suggest {opportunity.name}"},
    )
