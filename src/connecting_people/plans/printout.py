"""The words of a person's printed plan, in plain English, from plain values. Pure (no Django).

Every function returns whole sentences (or nothing at all for an empty field), so the printout never says half a
thing. `presenters.plan_printout` turns the records into these values.
"""

from dataclasses import dataclass
from datetime import date

from connecting_people.core.sentences import joined, quoted, sentence, without_end_stop

# What a community opportunity costs, said to the person (the directory's codes).
COST_FOR_PERSON = {
    "free": "It is free",
    "low": "It costs less than £5 a time",
    "paid": "There is a charge",
}
COST_WORD = {"free": "free", "low": "low cost", "paid": "paid"}


@dataclass(frozen=True)
class StepLine:
    what: str
    who: str  # "you", the worker's name, or whoever else agreed to do it
    due_on: date
    done_on: date | None = None


@dataclass(frozen=True)
class GoalLines:
    text: str
    success: str  # what the expected outcome (0 on the goal attainment scale) looks like
    steps: tuple[StepLine, ...] = ()


@dataclass(frozen=True)
class LinkLines:
    name: str
    when: str = ""
    where: str = ""
    cost: str = ""  # a code of COST_FOR_PERSON, or anything else for "not known"
    cost_details: str = ""


def day(value: date) -> str:
    """5 December 2026"""
    return f"{value.day} {value:%B %Y}"


def strengths_and_interests(strengths: list[str], interests: list[str], own_words: str = "") -> list[str]:
    """ "Your strengths: good with animals, kind and reliable." and the like, one sentence per field given."""
    said = [
        sentence(f"Your strengths: {joined(strengths)}") if joined(strengths) else "",
        sentence(f"Your interests: {joined(interests)}") if joined(interests) else "",
        sentence(f"In your words: {quoted(own_words)}") if own_words.strip() else "",
    ]
    return [line for line in said if line] or ["We have not written these down yet."]


def barriers(names: list[str], own_words: str = "") -> list[str]:
    """What can get in the way: the barriers named (in lower case inside the sentence), then the person's words."""
    listed = joined(name.lower() for name in names)
    said = [
        sentence(listed) if listed else "",
        sentence(f"In your words: {quoted(own_words)}") if own_words.strip() else "",
    ]
    return [line for line in said if line]


def goal_success(goal: GoalLines) -> str:
    """ "We will know it has gone as we hoped when: …", or "" when nothing was written."""
    if not goal.success.strip():
        return ""
    return sentence(f"We will know it has gone as we hoped when: {goal.success}")


def step_sentence(step: StepLine) -> str:
    """ "Go along to the choir: you, by 5 December 2026." or "…: you, done on 3 December 2026." """
    when = f"done on {day(step.done_on)}" if step.done_on else f"by {day(step.due_on)}"
    who = step.who.strip()
    what = without_end_stop(step.what)
    return sentence(f"{what}: {who}, {when}" if who else f"{what}, {when}")


def link_sentences(link: LinkLines) -> str:
    """When, where and what it costs, as sentences after the opportunity's name ("" when none is known)."""
    cost, details = COST_FOR_PERSON.get(link.cost, ""), link.cost_details.strip()
    if cost and details:
        # Details that start by saying the cost again ("Free", "Free, donations welcome") stand alone.
        cost = details if details.casefold().startswith(COST_WORD[link.cost]) else f"{cost}: {details}"
    return " ".join(
        line
        for line in (
            sentence(f"When: {link.when}") if link.when.strip() else "",
            sentence(f"Where: {link.where}") if link.where.strip() else "",
            sentence(cost),
        )
        if line
    )


def next_review(on: date | None) -> str:
    return sentence(f"We will look at this again together on {day(on)}") if on else ""
