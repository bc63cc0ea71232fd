"""What is due for a person in the Connecting People cycle. Pure: plain facts in, prompts out.

Each prompt names the step it is about, so a page can link straight to it. Prompts come most urgent first:
overdue things, then things due now, then things to plan.
"""

from dataclasses import dataclass
from datetime import date, timedelta

MAP_WITHIN = timedelta(weeks=4)  # a connections map is expected within four weeks of allocation
REVIEW_SOON = timedelta(days=14)  # a review this close is shown as due


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


@dataclass(frozen=True)
class Prompt:
    code: str  # map, goal, link, steps, review
    text: str
    overdue: bool
    due_on: date | None = None


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
    if not facts.has_goal:
        found.append(Prompt("goal", "Set a first goal together", False))
    if not facts.has_link:
        found.append(Prompt("link", "Find a community opportunity to try", False))
    return sorted(found, key=lambda prompt: (not prompt.overdue, prompt.due_on or date.max))
