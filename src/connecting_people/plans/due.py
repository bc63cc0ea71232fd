"""What is due for a person in the Connecting People cycle. Pure: plain facts in, prompts out.

Each prompt names the step it is about, so a page can link straight to it. Prompts come most urgent first:
overdue things, then things due now, then things to plan.

It also answers the two date questions the plan's forms ask most: when the next review falls by default
(the team's interval after this one) and which outcome measures a review still needs.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

MAP_WITHIN = timedelta(weeks=4)  # a connections map is expected within four weeks of allocation
REVIEW_SOON = timedelta(days=14)  # a review this close is shown as due
# A measure recorded this recently counts for the review at hand (the week before it, or that morning), so it
# is not asked for again.
MEASURE_FRESH = timedelta(weeks=4)
# Measured at the start and at each review when nothing has been recorded yet: well-being and loneliness.
STARTING_MEASURES = ("swemwbs", "ucla3")
REVIEW_EVERY_WEEKS = 12  # the next review, for a team that has not set its own interval


@dataclass(frozen=True)
class MeasureFact:
    """One outcome measure the person is followed on: the instrument, a short name, when it was last done."""

    instrument_id: str
    name: str
    last_on: date | None


@dataclass(frozen=True)
class DueFacts:
    status: str
    allocated_on: date | None
    practice_consent: bool | None
    has_map: bool
    has_goal: bool
    has_link: bool
    overdue_steps: int
    next_review_on: date | None
    # Gathered for a person's own pages and caseloads; left at these values they prompt nothing.
    has_assessment: bool = True
    visit: tuple[int, str] | None = None  # (opportunity id, name) of a link at "introduced", not visited yet
    measures: tuple[MeasureFact, ...] | None = None  # None: not gathered


@dataclass(frozen=True)
class Prompt:
    code: str  # map, assess, goal, link, visit, steps, review, measures
    text: str
    overdue: bool
    due_on: date | None = None
    subject: str = ""  # what it is about: the opportunity (visit), the first measure due (measures)


def prompts(facts: DueFacts, today: date) -> list[Prompt]:
    """The prompts for one person: nothing for a closed case or someone who chose not to work this way."""
    if facts.status == "closed" or facts.practice_consent is False:
        return []
    found: list[Prompt] = []
    if not facts.has_map and facts.allocated_on is not None:
        due = facts.allocated_on + MAP_WITHIN
        overdue = today > due
        found.append(
            Prompt(
                "map",
                "Connections map overdue" if overdue else "Draw the connections map together",
                overdue,
                due,
            )
        )
    if facts.overdue_steps:
        plural = "s" if facts.overdue_steps != 1 else ""
        found.append(Prompt("steps", f"{facts.overdue_steps} step{plural} overdue", True))
    if facts.next_review_on is not None and facts.next_review_on <= today + REVIEW_SOON:
        overdue = facts.next_review_on < today
        found.append(
            Prompt("review", "Review overdue" if overdue else "Review due", overdue, facts.next_review_on)
        )
    if not facts.has_assessment:
        found.append(Prompt("assess", "Talk about what matters to them", False))
    if not facts.has_goal:
        found.append(Prompt("goal", "Set a first goal together", False))
    if not facts.has_link:
        found.append(Prompt("link", "Find a community opportunity to try", False))
    if facts.visit is not None:
        found.append(
            Prompt("visit", f"Log the first visit to {facts.visit[1]}", False, None, str(facts.visit[0]))
        )
    if facts.measures is not None:
        review_soon = facts.next_review_on is not None and facts.next_review_on <= today + REVIEW_SOON
        due = measures_due(facts.measures, today, at_review=review_soon)
        if due:
            names = (
                _and_list(measure.name for measure in due)
                if len(due) <= 2
                else f"{due[0].name} and {len(due) - 1} other measures"  # short enough for a caseload row
            )
            found.append(
                Prompt(
                    "measures",
                    f"{names} due",
                    False,
                    facts.next_review_on if review_soon else None,
                    due[0].instrument_id,
                )
            )
    return sorted(found, key=lambda prompt: (not prompt.overdue, prompt.due_on or date.max))


def measures_due(measures: Iterable[MeasureFact], today: date, *, at_review: bool) -> list[MeasureFact]:
    """The measures to complete now, in the order given. A measure never recorded is due (the start of
    support); at a review (`at_review`), so is one last recorded more than MEASURE_FRESH ago. One recorded
    today, or in the weeks just before the review, is not."""
    return [
        measure
        for measure in measures
        if measure.last_on is None or (at_review and measure.last_on < today - MEASURE_FRESH)
    ]


def next_review_default(held_on: date, weeks: int | None) -> date:
    """The next review's date by default: the team's interval (`weeks`) after this one, else
    REVIEW_EVERY_WEEKS."""
    return held_on + timedelta(weeks=weeks or REVIEW_EVERY_WEEKS)


def next_prompt(found: Iterable[Prompt], *, done: str = "") -> Prompt | None:
    """The first prompt that is not about what was just saved (`done`, a prompt code): where the practitioner
    goes next after a save. None when nothing else is due."""
    return next((prompt for prompt in found if prompt.code != done), None)


def _and_list(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
