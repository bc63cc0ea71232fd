"""Words and side-by-side rows for plan and review pages."""

from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from markupsafe import Markup

from connecting_people.connections import metrics
from connecting_people.connections.render import map_svg
from connecting_people.core.presenters import date_long, date_short
from connecting_people.core.sentences import quoted
from connecting_people.measures import registry
from connecting_people.measures.presenters import format_change, format_score
from connecting_people.measures.selectors import MeasureHistory
from connecting_people.plans import printout
from connecting_people.plans.due import measures_due
from connecting_people.plans.models import Barrier, Link

BARRIER_NAMES = dict(Barrier.choices)


def with_next(url: str, here: str | None) -> str:
    """`url` with `?next=here`, so the page it opens comes back to `here` after its save."""
    return f"{url}?{urlencode({'next': here})}" if here else url


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


def prompt_url(prompt, person, here: str | None = None) -> str:
    """Where a "what is due" prompt leads: straight to the step it is about. A measure opened from a page
    (`here`, the page's own path) comes back to it after its save; the plan's own steps go on to whatever is
    due next instead."""
    if prompt.code == "map":
        return reverse("connections:map", args=[person.pk])
    if prompt.code == "assess":
        return reverse("plans:assessment", args=[person.pk])
    if prompt.code == "goal":
        return reverse("plans:goal_new", args=[person.pk])
    if prompt.code == "review":
        return reverse("plans:review_new", args=[person.pk])
    if prompt.code == "visit":
        return (
            reverse("plans:activity_new", args=[person.pk]) + "?" + urlencode({"opportunity": prompt.subject})
        )
    if prompt.code == "measures":
        return with_next(reverse("measures:record", args=[person.pk, prompt.subject]), here)
    anchor = {"steps": "goals", "link": "links"}.get(prompt.code, "")
    return reverse("plans:plan", args=[person.pk]) + (f"#{anchor}" if anchor else "")


def map_change_names(change: dict, before, after) -> dict:
    """Who and what changed on the map (from `metrics.compare` of the `before` and `after` snapshots), by name:
    gained, lost, moved closer and moved further out, and whether anything changed at all."""
    label_before = {entry.key: entry.label for entry in before.entries}
    label_after = {entry.key: entry.label for entry in after.entries}
    names = {
        "gained": sorted((label_after[key] for key in change["gained"]), key=str.casefold),
        "lost": sorted((label_before[key] for key in change["lost"]), key=str.casefold),
        "closer": sorted((label_after[key] for key in change["closer"]), key=str.casefold),
        "further": sorted((label_after[key] for key in change["further"]), key=str.casefold),
    }
    names["changed"] = any(names.values())
    return names


def review_map_view(review_map, person) -> dict:
    """The map section of the review page: the drawing of the latest map and, once the review's new map is
    started, what changed on it since the one before."""
    view: dict = {"latest": review_map.latest, "previous": review_map.previous, "started": review_map.started}
    if review_map.current is not None:
        view["svg"] = Markup(
            map_svg(
                review_map.current,
                map_id="review-map",
                title=f"Connections map of {person.known_as}, {date_long(review_map.latest.taken_on)}",
                centre_label=person.known_as,
            )
        )
        view["size"] = len(review_map.current.entries)
    if review_map.before is not None:
        view["change"] = map_change_names(
            metrics.compare(review_map.before, review_map.current), review_map.before, review_map.current
        )
    return view


def review_measures(facts, today: date, person, here: str) -> list[dict]:
    """The outcome measures a review asks for: each one the person is followed on, due unless it was recorded
    in the last few weeks (`due.MEASURE_FRESH`: that morning, or just before the review), each with a link
    that comes back to `here` (the review) after its save."""
    due = {fact.instrument_id for fact in measures_due(facts, today, at_review=True)}
    return [
        {
            "id": fact.instrument_id,
            "name": fact.name,
            "title": registry.instrument(fact.instrument_id).title,
            "last_on": fact.last_on,
            "due": fact.instrument_id in due,
            "url": with_next(reverse("measures:record", args=[person.pk, fact.instrument_id]), here),
        }
        for fact in facts
    ]


def steps_text(goal) -> str:
    """A goal's steps in one line for the review: what, who, and done or by when."""
    parts = []
    for step in goal.steps.all():
        who = step.owner_name if step.owner == "other" else step.get_owner_display().lower()
        when = f"done {date_short(step.done_on)}" if step.done_on else f"by {date_short(step.due_on)}"
        parts.append(f"{step.what} ({who}, {when})")
    return "Steps: " + "; ".join(parts) + "." if parts else "No steps yet."


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
