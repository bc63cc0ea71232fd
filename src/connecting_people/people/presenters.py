"""Shapes data about people for pages."""

from django.urls import reverse

from connecting_people.people.due import due_items
from connecting_people.plans.due import Prompt
from connecting_people.plans.presenters import prompt_url

# Where each thing the record asks for is done: the consent and review-date questions of the record's page.
RECORD_STEPS = {"consent": "consent", "keep_in_touch": "consent", "review_date": "id_next_review_on"}


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


def caseload_rows(rows) -> list[tuple]:
    """(person, next step, prompts) rows, from `plans.selectors.with_prompts`, as (person, due links): the one
    list of what is due that the caseload, the home page and the person's page all show."""
    return [(person, due_links(due_items(step, prompts), person)) for person, step, prompts in rows]


def suppress_small_numbers(rows: list[dict], columns: list[str], threshold: int) -> list[dict]:
    """Replace counts from 1 to threshold-1 with None, so an aggregate cannot point to a few individuals.
    Zero stays zero: it identifies nobody."""
    result = []
    for row in rows:
        shown = dict(row)
        for column in columns:
            if 0 < shown[column] < threshold:
                shown[column] = None
        result.append(shown)
    return result
