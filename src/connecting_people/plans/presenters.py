"""Words and side-by-side rows for plan and review pages."""

from datetime import date

from django.urls import reverse

from connecting_people.core.sentences import quoted
from connecting_people.measures import registry
from connecting_people.measures.presenters import format_change, format_score
from connecting_people.measures.selectors import MeasureHistory
from connecting_people.plans import printout
from connecting_people.plans.models import Barrier, Link

BARRIER_NAMES = dict(Barrier.choices)
# Measured at the start and at each review when nothing has been recorded yet: well-being and loneliness.
STARTING_MEASURES = ("swemwbs", "ucla3")


def measures_due(histories: list[MeasureHistory]) -> list:
    """The instruments to complete at a review: each one the person has completed before (their measures are
    followed over time), or the starting pair when there is none yet. Goal attainment is scored on the review
    page itself."""
    seen = []
    for history in histories:
        if history.instrument.id != "gas" and history.instrument.id not in [i.id for i in seen]:
            seen.append(registry.instrument(history.instrument.id))
    return seen or [registry.instrument(instrument_id) for instrument_id in STARTING_MEASURES]


def measure_changes(histories: list[MeasureHistory], on_or_before: date) -> list[dict]:
    """For each measure: the latest score up to the review and the one before it, with the change."""
    rows = []
    for history in histories:
        if history.instrument.id == "gas":
            continue  # goal attainment is shown with the goals
        pairs = [
            (administration, headline)
            for administration, headline in zip(history.administrations, history.headlines, strict=True)
            if administration.administered_on <= on_or_before and headline is not None
        ]
        if not pairs:
            continue
        latest = pairs[-1]
        before = pairs[-2] if len(pairs) > 1 else None
        rows.append(
            {
                "title": history.instrument.title,
                "before": f"{format_score(before[1])} ({before[0].administered_on:%-d %b %Y})"
                if before
                else "–",
                "after": f"{format_score(latest[1])} ({latest[0].administered_on:%-d %b %Y})",
                "change": format_change(latest[1] - before[1]) if before else "–",
            }
        )
    return rows


def barrier_name(code: str) -> str:
    return BARRIER_NAMES.get(code, code)


def prompt_url(prompt, person) -> str:
    """Where a "what is due" prompt leads: straight to the step it is about."""
    if prompt.code == "map":
        return reverse("connections:map", args=[person.pk])
    if prompt.code == "goal":
        return reverse("plans:goal_new", args=[person.pk])
    if prompt.code == "review":
        return reverse("plans:review_new", args=[person.pk])
    anchor = {"steps": "goals", "link": "links"}.get(prompt.code, "")
    return reverse("plans:plan", args=[person.pk]) + (f"#{anchor}" if anchor else "")


def plan_printout(*, person, assessment, tags: dict[str, list[str]], goals, links) -> dict:
    """The sentences of the printed plan (`plans.printout`), from the records: active goals with their steps
    and the community links still going."""
    worker = person.allocated_worker.display_name if person.allocated_worker else "your worker"

    def who(step) -> str:
        return {"person": "you", "worker": worker}.get(step.owner, step.owner_name)

    return {
        "strengths": printout.strengths_and_interests(
            tags.get("strength", []),
            tags.get("interest", []),
            assessment.strengths_in_own_words if assessment else "",
        ),
        "aspirations": quoted(assessment.aspirations) if assessment else "",
        "barriers": printout.barriers(
            [barrier_name(code) for code in assessment.barriers] if assessment else [],
            assessment.barriers_in_own_words if assessment else "",
        ),
        "goals": [
            {
                "text": goal.text,
                "success": printout.goal_success(printout.GoalLines(goal.text, goal.level_0)),
                "steps": [
                    printout.step_sentence(printout.StepLine(step.what, who(step), step.due_on, step.done_on))
                    for step in goal.steps.all()
                ],
            }
            for goal in goals
        ],
        "links": [
            {
                "name": link.opportunity.name,
                "text": printout.link_sentences(
                    printout.LinkLines(
                        name=link.opportunity.name,
                        when=link.opportunity.schedule,
                        where=" ".join(
                            part for part in (link.opportunity.address, link.opportunity.postcode) if part
                        ),
                        cost=link.opportunity.cost,
                        cost_details=link.opportunity.cost_details,
                    )
                ),
            }
            for link in links
        ],
        "next_review": printout.next_review(person.next_review_on),
    }


# The way a community link moves on, in order; "stopped" needs a reason, so it is chosen on the link's page.
LINK_PATH = ("suggested", "discussed", "introduced", "attended", "regular")


def link_moves(status: str) -> list[tuple[str, str]]:
    """The statuses a link can move on to from `status` with one button each: (code, label), in order. None
    from a stopped link (starting again is a choice made on its page)."""
    if status not in LINK_PATH:
        return []
    labels = dict(Link.Status.choices)
    return [(code, labels[code]) for code in LINK_PATH[LINK_PATH.index(status) + 1 :]]
