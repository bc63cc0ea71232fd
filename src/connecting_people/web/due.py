"""What is due for a person, as the one list every page shows: the record's own next step (`people.due`) and the
plan–do–review prompts (`plans.due`) put together, each item once, each a link to where it is done. It lives here,
above both apps, because it is made of both."""

from django.urls import reverse

from connecting_people.accounts.actor import Actor
from connecting_people.people import selectors as people_selectors
from connecting_people.people.due import NextStep
from connecting_people.plans import selectors as plan_selectors
from connecting_people.plans.due import Prompt
from connecting_people.plans.presenters import prompt_url

# Where each thing the record asks for is done: the consent and review-date questions of the record's page.
RECORD_STEPS = {"consent": "consent", "keep_in_touch": "consent", "review_date": "id_next_review_on"}


def due_items(step: NextStep, prompts: list[Prompt]) -> list[Prompt]:
    """Everything due for one person, most urgent first, each thing once: the overdue prompts, then what the
    record asks for (consent, a review date), then the other prompts, then a review planned further ahead than
    the prompts look. Nothing for a closed case."""
    if step.code == "closed":
        return []
    overdue = [prompt for prompt in prompts if prompt.overdue]
    others = [prompt for prompt in prompts if not prompt.overdue]
    if step.code == "review":
        # A review due soon or overdue is already a prompt; one further ahead is still worth showing, last.
        later = (
            []
            if any(p.code == "review" for p in prompts)
            else [Prompt("review", step.text, False, step.due_on)]
        )
        return overdue + others + later
    return overdue + [Prompt(step.code, step.text, step.overdue, step.due_on)] + others


def due_url(item: Prompt, person) -> str:
    """The page (and the place on it) where the practitioner does what a due item asks."""
    if item.code in RECORD_STEPS:
        return reverse("people:edit", args=[person.pk]) + f"#{RECORD_STEPS[item.code]}"
    # A measure comes back to the person's page when saved (the plan's own steps go on to what is due next).
    return prompt_url(item, person, reverse("people:overview", args=[person.pk]))


def due_links(items: list[Prompt], person) -> list[dict]:
    """Due items as links for a page: text, where it leads, whether overdue, and the date when it has one."""
    return [
        {"text": item.text, "url": due_url(item, person), "overdue": item.overdue, "due_on": item.due_on}
        for item in items
    ]


def _due_rows(pairs) -> list[tuple]:
    """(person, next step) pairs of annotated people as (person, due links) rows."""
    rows = plan_selectors.with_prompts(pairs)
    return [(person, due_links(due_items(step, prompts), person)) for person, step, prompts in rows]


def caseload_rows(people) -> list[tuple]:
    """People annotated by `plans.selectors.with_due_facts`, as (person, due links) rows, most urgent first: the
    one list of what is due that the caseload, the team caseload and the home page all show."""
    return _due_rows(people_selectors.with_next_steps(people))


def caseload_due(*, actor: Actor, limit: int | None = None) -> list[tuple]:
    """The practitioner's own caseload with what is due (the first `limit` rows when given): the caseload page
    shows it whole, the home page its top five."""
    people = plan_selectors.with_due_facts(people_selectors.caseload_for(actor=actor))
    pairs = people_selectors.with_next_steps(people)
    return _due_rows(pairs if limit is None else pairs[:limit])


def person_due(*, person) -> list[dict]:
    """What is due for one person (already reached through a scoped selector), as links."""
    step = people_selectors.with_next_steps([person])[0][1]
    return due_links(due_items(step, plan_selectors.prompts_for(person=person)), person)
