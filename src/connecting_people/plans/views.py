"""Pages of the plan–do–review cycle for one person. Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from connecting_people.community.selectors import opportunity_get
from connecting_people.connections import metrics
from connecting_people.connections import presenters as map_presenters
from connecting_people.connections import selectors as map_selectors
from connecting_people.core.errors import NotFoundError, ServiceError
from connecting_people.core.forms import form_saved, next_url, posted
from connecting_people.measures.selectors import measure_histories
from connecting_people.people import services as people_services
from connecting_people.people.selectors import person_get, person_tags
from connecting_people.people.views import person_for_request
from connecting_people.plans import presenters, selectors, services
from connecting_people.plans.due import next_prompt, next_review_default
from connecting_people.plans.forms import (
    ActivityForm,
    AssessmentForm,
    GoalForm,
    LinkForm,
    LinkMoveForm,
    ReviewForm,
    ReviewMapEntryForm,
    StepDoneForm,
    StepForm,
)
from connecting_people.plans.models import Activity, Link


def _back_to_plan(person, anchor: str = ""):
    response = redirect("plans:plan", person_id=person.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _plan_url(person) -> str:
    return reverse("plans:plan", args=[person.pk])


def _onward(request, person, *, saved: str, done: str, anchor: str = ""):
    """Where a save goes: back to the page that opened the form with `?next=`, else straight on to the next
    thing due for the person (`plans.due`, leaving out `done`, the prompt just dealt with), else the plan."""
    if url := next_url(request):
        messages.success(request, saved)
        return redirect(url)
    prompt = next_prompt(selectors.prompts_for(person=person), done=done)
    if prompt is None:
        messages.success(request, saved)
        return _back_to_plan(person, anchor)
    text = (
        prompt.text if prompt.text[1:2].isupper() else prompt.text[:1].lower() + prompt.text[1:]
    )  # "SWEMWBS"
    messages.success(request, f"{saved} Next: {text}.")
    plan = reverse("plans:plan", args=[person.pk])
    return redirect(presenters.prompt_url(prompt, person, plan))


@login_required
def whats_next(request, person_id: int):
    """Straight to the next thing due for the person (`plans.due`), else their plan: where "Done" leads from a
    page that has no save of its own, such as the connections map. `?done=` names the prompt just dealt with."""
    person = person_get(actor=request.actor, person_id=person_id)  # shows nothing: no view event
    prompt = next_prompt(selectors.prompts_for(person=person), done=request.GET.get("done", ""))
    if prompt is None:
        return redirect("plans:plan", person_id=person.pk)
    return redirect(presenters.prompt_url(prompt, person, reverse("plans:plan", args=[person.pk])))


@login_required
def plan(request, person_id: int):
    person = person_for_request(request, person_id, "plan")
    goals = selectors.goals_of(actor=request.actor, person=person)
    return render(
        request,
        "plans/plan.jinja",
        {
            "person": person,
            "assessment": selectors.assessment_of(actor=request.actor, person=person),
            "tags": person_tags(person=person),
            "goals": goals,
            "links": selectors.links_of(actor=request.actor, person=person),
            "suggestions": selectors.suggestions_for(actor=request.actor, person=person),
            "activities": selectors.activities_of(actor=request.actor, person=person, limit=20),
            "reviews": selectors.reviews_of(actor=request.actor, person=person),
            "prompts": selectors.prompts_for(person=person),
            "today": timezone.localdate(),
            "barrier_names": presenters.BARRIER_NAMES,
            "page_title": f"Plan, do and review: {person.full_name}",
        },
    )


@login_required
def assessment(request, person_id: int):
    person = person_for_request(request, person_id, "plan-assessment")
    current = selectors.assessment_of(actor=request.actor, person=person)
    tags = person_tags(person=person)
    initial = {"strengths": tags["strength"], "interests": tags["interest"]}
    if current:
        initial |= {
            "aspirations": current.aspirations,
            "strengths_in_own_words": current.strengths_in_own_words,
            "barriers": current.barriers,
            "barriers_in_own_words": current.barriers_in_own_words,
            "version": current.version,
        }
    form = AssessmentForm(posted(request), initial=initial)
    if saved := form_saved(
        request,
        form,
        lambda: services.assessment_save(
            actor=request.actor,
            person_id=person.pk,
            expected_version=form.cleaned_data["version"],
            data=form.assessment_data(),
        ),
        stale_to=_plan_url(person),
        then=lambda _: _onward(
            request,
            person,
            saved="Saved what matters to them and what gets in the way.",
            done="assess",
            anchor="assess",
        ),
    ):
        return saved
    return render(
        request,
        "plans/assessment.jinja",
        {"person": person, "form": form, "page_title": f"What matters to {person.known_as}"},
    )


def _goal_choices(request, person):
    snapshot = map_selectors.latest_snapshot(actor=request.actor, person=person)
    entries = list(map_selectors.entries_of(snapshot)) if snapshot else []
    opportunities = [link.opportunity for link in selectors.links_of(actor=request.actor, person=person)]
    return sorted(entries, key=lambda e: e.label.casefold()), opportunities


@login_required
def goal_new(request, person_id: int):
    person = person_for_request(request, person_id, "plan-goal-new")
    entries, opportunities = _goal_choices(request, person)
    form = GoalForm(posted(request), entries=entries, opportunities=opportunities)

    def onward(goal):
        saved = "Goal set with its first step." if form.first_step() else "Goal set."
        if goal.levels_to_complete:
            saved += " Its scale has levels to complete before the review."
        if request.POST.get("then") == "another":
            messages.success(request, f"{saved} Now the next goal.")
            return redirect(request.get_full_path())
        return _onward(request, person, saved=saved, done="goal", anchor=f"goal-{goal.pk}")

    if saved := form_saved(
        request,
        form,
        lambda: services.goal_create(
            actor=request.actor, person_id=person.pk, data=form.goal_data(), first_step=form.first_step()
        ),
        field_names=GoalForm.STEP_FIELDS,
        then=onward,
    ):
        return saved
    return render(
        request,
        "plans/goal.jinja",
        {
            "person": person,
            "form": form,
            "goal": None,
            "goals_set": len(selectors.goals_of(actor=request.actor, person=person)),
            "page_title": "Set a goal",
        },
    )


@login_required
def goal_edit(request, person_id: int, goal_id: int):
    person = person_for_request(request, person_id, "plan-goal-edit")
    goal = selectors.goal_of(actor=request.actor, person=person, goal_id=goal_id)
    entries, opportunities = _goal_choices(request, person)
    form = GoalForm(
        posted(request),
        entries=entries,
        opportunities=opportunities,
        editing=True,
        initial=GoalForm.initial_for(goal),
    )
    if saved := form_saved(
        request,
        form,
        lambda: services.goal_update(
            actor=request.actor,
            person_id=person.pk,
            goal_id=goal.pk,
            expected_version=form.cleaned_data["version"] or 0,
            data=form.goal_data(),
        ),
        stale_to=_plan_url(person),
        saved="Goal updated.",
        then=lambda _: _back_to_plan(person, f"goal-{goal.pk}"),
    ):
        return saved
    return render(
        request,
        "plans/goal.jinja",
        {"person": person, "form": form, "goal": goal, "goals_set": None, "page_title": "Change the goal"},
    )


@login_required
def step_new(request, person_id: int, goal_id: int):
    person = person_for_request(request, person_id, "plan-step-new")
    goal = selectors.goal_of(actor=request.actor, person=person, goal_id=goal_id)
    form = StepForm(posted(request))

    def onward(_step):
        if request.POST.get("then") == "another":
            return request.get_full_path()
        return next_url(request) or _back_to_plan(person, f"goal-{goal.pk}")

    if saved := form_saved(
        request,
        form,
        lambda: services.step_add(
            actor=request.actor, person_id=person.pk, goal_id=goal.pk, data=form.step_data()
        ),
        saved="Step added.",
        then=onward,
    ):
        return saved
    return render(
        request,
        "plans/step.jinja",
        {"person": person, "goal": goal, "step": None, "form": form, "page_title": "Add a step"},
    )


@login_required
def step_edit(request, person_id: int, step_id: int):
    person = person_for_request(request, person_id, "plan-step-edit")
    step = selectors.step_of(actor=request.actor, person=person, step_id=step_id)
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
    if saved := form_saved(
        request,
        form,
        lambda: services.step_update(
            actor=request.actor,
            person_id=person.pk,
            step_id=step.pk,
            expected_version=form.cleaned_data["version"],
            data=form.step_data(),
        ),
        stale_to=_plan_url(person),
        saved="Step updated.",
        then=lambda _: _back_to_plan(person, f"goal-{step.goal_id}"),
    ):
        return saved
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
            actor=request.actor,
            person_id=person_id,
            step_id=step_id,
            expected_version=form.cleaned_data.get("version", 0),
            done=done,
        )
    except NotFoundError:
        raise  # no such step in reach: the 404 page
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
    opportunities = [link.opportunity for link in selectors.links_of(actor=request.actor, person=person)]
    goals = [
        goal for goal in selectors.goals_of(actor=request.actor, person=person) if goal.status == "active"
    ]
    links = selectors.links_of(actor=request.actor, person=person)
    form = ActivityForm(
        posted(request),
        opportunities=opportunities,
        goals=goals,
        initial=_activity_context(request, links, goals),
    )

    def onward(activity):
        saved = "Activity logged."
        if activity.opportunity and activity.kind in (Activity.Kind.ACCOMPANIED, Activity.Kind.ATTENDED):
            saved += f" {activity.opportunity.name} is on the connections map."
        return _onward(request, person, saved=saved, done="visit", anchor="do")

    if saved := form_saved(
        request,
        form,
        lambda: services.activity_add(actor=request.actor, person_id=person.pk, data=form.activity_data()),
        then=onward,
    ):
        return saved
    return render(
        request, "plans/activity.jinja", {"person": person, "form": form, "page_title": "Log what happened"}
    )


def _activity_context(request, links, goals) -> dict:
    """What the activity form starts with, from where it was opened: the opportunity named in `?opportunity=`
    and what most likely happened there (a first visit together while the link is not yet at "went along",
    a session attended after), or the kind named in `?kind=`; the goal it is about when only one goal is
    about that opportunity."""
    initial: dict = {}
    link = next((link for link in links if str(link.opportunity_id) == request.GET.get("opportunity")), None)
    if link is not None:
        initial["opportunity"] = link.opportunity_id
        gone = link.status in (Link.Status.ATTENDED, Link.Status.REGULAR)
        initial["kind"] = Activity.Kind.ATTENDED if gone else Activity.Kind.ACCOMPANIED
        about = [goal for goal in goals if link.opportunity_id in {o.pk for o in goal.opportunities.all()}]
        if len(about) == 1:
            initial["goal"] = about[0].pk
    if request.GET.get("kind") in Activity.Kind.values:
        initial["kind"] = request.GET["kind"]
    return initial


def _links_answer(request, person, message: str, *, error: bool = False, link_id: int | None = None):
    """After a community link is made or moved: the links section on its own for the page's script (which asked
    for it with the X-App-Fragment header, and swaps it in without a reload), else back to the plan's links
    with the message shown there (POST, redirect, GET)."""
    if request.headers.get("X-App-Fragment") == "links":
        people_services.person_record_viewed(actor=request.actor, person=person, page="plan-links")
        return render(
            request,
            "plans/_links.jinja",
            {
                "person": person,
                "links": selectors.links_of(actor=request.actor, person=person),
                "suggestions": selectors.suggestions_for(actor=request.actor, person=person),
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
            actor=request.actor,
            person_id=person.pk,
            opportunity_id=int(opportunity_id)
            if (opportunity_id or "").isascii() and (opportunity_id or "").isdigit()
            else 0,
            status=request.POST.get("status") or Link.Status.SUGGESTED,
            matched_interests=matched,
        )
    except NotFoundError:
        raise  # no such opportunity: the 404 page
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
    link = selectors.link_of(actor=request.actor, person=person, link_id=link_id)
    form = LinkMoveForm(request.POST)
    if not form.is_valid():
        return _links_answer(request, person, "Select where things are", error=True, link_id=link.pk)
    try:
        link = services.link_status_set(
            actor=request.actor,
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
    link = selectors.link_of(actor=request.actor, person=person, link_id=link_id)
    form = LinkForm(
        posted(request),
        initial={"status": link.status, "changed_on": timezone.localdate(), "version": link.version},
    )
    if saved := form_saved(
        request,
        form,
        lambda: services.link_status_set(
            actor=request.actor,
            person_id=person.pk,
            link_id=link.pk,
            expected_version=form.cleaned_data["version"],
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            changed_on=form.cleaned_data["changed_on"],
        ),
        stale_to=reverse("plans:link", args=[person.pk, link.pk]),
        saved=_moved_message,
        then=lambda _: _back_to_plan(person, "links"),
    ):
        return saved
    return render(
        request,
        "plans/link.jinja",
        {
            "person": person,
            "link": link,
            "history": selectors.link_history(actor=request.actor, link=link),
            "form": form,
            "page_title": link.opportunity.name,
        },
    )


@login_required
def review_new(request, person_id: int):
    """The review, held together on one page: what has happened since the last one, the map (started from the
    last one and changed here), the measures due, each goal scored, and what happens next. One save."""
    person = person_for_request(request, person_id, "plan-review-new")
    return _review_page(request, person, map_form=ReviewMapEntryForm())


def _review_page(request, person, *, map_form):
    goals = selectors.goals_to_score(actor=request.actor, person=person)
    held_on = timezone.localdate()
    review_map = selectors.review_map_of(actor=request.actor, person=person, today=held_on)
    weeks = selectors.review_interval_weeks(actor=request.actor, person=person)
    form = ReviewForm(
        None if map_form.is_bound else posted(request),
        goals=goals,
        map_started=review_map.started,
        review_every_weeks=weeks,
        initial={"start_new_map": "yes", "next_review_on": next_review_default(held_on, weeks)},
    )
    # While the map's form is posted, this form is not bound: form_saved saves nothing.
    if saved := form_saved(
        request,
        form,
        lambda: services.review_hold(actor=request.actor, person_id=person.pk, data=form.review_data()),
        field_names={"scores": None},
        saved="Review saved.",
        then=lambda review: reverse("plans:review", args=[person.pk, review.pk]),
    ):
        return saved
    last = selectors.last_review(actor=request.actor, person=person)
    here = reverse("plans:review_new", args=[person.pk])
    return render(
        request,
        "plans/review_new.jinja",
        {
            "person": person,
            "form": form,
            "map_form": map_form,
            "map": presenters.review_map_view(review_map, person),
            "last_review": last,
            "activities": selectors.activities_since(
                actor=request.actor, person=person, since=last.held_on if last else None
            ),
            "measures": presenters.review_measures(
                selectors.measure_facts(person_ids=[person.pk])[person.pk], held_on, person, here
            ),
            "steps_text": presenters.steps_text,
            "map_page": presenters.with_next(reverse("connections:map", args=[person.pk]), here),
            "here": here,
            "gas_goals_at_most": selectors.gas_goals_at_most(),
            "page_title": "Hold a review",
        },
    )


@login_required
@require_POST
def review_map_start(request, person_id: int):
    """Start the review's new map from the last one (or use today's), then back to the review, or on to the
    map page with a way back to the review (`then=map`)."""
    person = person_for_request(request, person_id, "plan-review-map")
    review = reverse("plans:review_new", args=[person.pk])
    try:
        services.review_map_start(actor=request.actor, person_id=person.pk)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(review + "#map")
    if request.POST.get("then") == "map":
        return redirect(presenters.with_next(reverse("connections:map", args=[person.pk]), review))
    messages.success(request, "New map started from the last one. Change what is different now.")
    return redirect(review + "#map")


@login_required
@require_POST
def review_map_add(request, person_id: int):
    """Someone or something added to the review's map from the review page (starting the map if need be)."""
    person = person_for_request(request, person_id, "plan-review-map")
    map_form = ReviewMapEntryForm(request.POST)
    if saved := form_saved(
        request,
        map_form,
        lambda: services.review_map_entry_add(
            actor=request.actor, person_id=person.pk, data=map_form.entry_data()
        ),
        saved=lambda entry: f"{entry.label} added to the new map.",
        then=reverse("plans:review_new", args=[person.pk]) + "#map",
    ):
        return saved
    return _review_page(request, person, map_form=map_form)


@login_required
def review_detail(request, person_id: int, review_id: int):
    """What changed: the map, the measures and the goals, side by side."""
    person = person_for_request(request, person_id, "plan-review")
    review = selectors.review_of(actor=request.actor, person=person, review_id=review_id)
    earlier = selectors.review_before(actor=request.actor, review=review)
    map_change = None
    snapshots = map_selectors.snapshots_for(actor=request.actor, person=person) if review.snapshot else []
    if review.snapshot and review.snapshot.previous_id:
        previous = map_selectors.previous_of(review.snapshot, snapshots)
        before = map_selectors.snapshot_domain(previous)
        after = map_selectors.snapshot_domain(review.snapshot)
        change = metrics.compare(before, after)
        map_change = {
            "previous": previous,
            "current": review.snapshot,
            "rows": map_presenters.compare_rows(change)[:10],
            "kept": len(change["kept"]),
            **presenters.map_change_names(change, before, after),
        }
    return render(
        request,
        "plans/review.jinja",
        {
            "person": person,
            "review": review,
            "earlier": earlier,
            "scores": selectors.scores_of(actor=request.actor, review=review),
            "gas_goals_at_most": selectors.gas_goals_at_most(),
            "map_change": map_change,
            "map_is_latest": bool(snapshots) and snapshots[-1].pk == review.snapshot_id,
            "measures": presenters.measure_changes(
                measure_histories(actor=request.actor, person=person), review.held_on
            ),
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
                assessment=selectors.assessment_of(actor=request.actor, person=person),
                tags=person_tags(person=person),
                goals=[
                    goal
                    for goal in selectors.goals_of(actor=request.actor, person=person)
                    if goal.status == "active"
                ],
                links=[
                    link
                    for link in selectors.links_of(actor=request.actor, person=person)
                    if link.status != "stopped"
                ],
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
