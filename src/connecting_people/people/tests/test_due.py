"""What is due, said once and always as a link: the caseload row, the home page and the person's page all show
the one list from `due.due_items` (the record's own next step and the plan prompts put together)."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from connecting_people.people.due import next_step
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans.due import Prompt
from connecting_people.web.due import due_items

TODAY = date(2026, 11, 26)
MAP = Prompt("map", "Draw the connections map together", False, TODAY + timedelta(days=10))
GOAL = Prompt("goal", "Set a first goal together", False)
LINK = Prompt("link", "Find a community opportunity to try", False)
STEPS = Prompt("steps", "2 steps overdue", True)


def step(**facts):
    return next_step(
        **({"status": "open", "practice_consent": True, "next_review_on": None, "today": TODAY} | facts)
    )


def texts(items):
    return [item.text for item in items]


def test_an_overdue_review_is_due_once_whoever_notices_it():
    review_prompt = Prompt("review", "Review overdue", True, TODAY - timedelta(days=3))
    items = due_items(step(next_review_on=TODAY - timedelta(days=3)), [review_prompt, GOAL])
    assert texts(items) == ["Review overdue", "Set a first goal together"]


def test_a_review_further_ahead_than_the_prompts_look_comes_last():
    items = due_items(step(next_review_on=TODAY + timedelta(days=40)), [MAP, GOAL])
    assert [(i.code, i.due_on) for i in items] == [
        ("map", MAP.due_on),
        ("goal", None),
        ("review", TODAY + timedelta(days=40)),
    ]


def test_what_the_record_asks_for_comes_after_what_is_overdue_and_before_the_rest():
    items = due_items(step(practice_consent=None), [STEPS, MAP, LINK])
    assert [i.code for i in items] == ["steps", "consent", "map", "link"]
    assert due_items(step(next_review_on=None), [GOAL])[0].text == "Plan a date to review together"
    assert texts(due_items(step(practice_consent=False), [])) == [
        "Agree with the person how to keep in touch"
    ]


def test_a_closed_case_has_nothing_due():
    assert due_items(step(status="closed"), [GOAL, LINK]) == []


@pytest.mark.parametrize("consent", [None, True, False])
@pytest.mark.parametrize("review_in_days", [None, -5, 0, 10, 40])
def test_every_code_appears_at_most_once(consent, review_in_days):
    review_on = None if review_in_days is None else TODAY + timedelta(days=review_in_days)
    prompts = [STEPS, MAP, GOAL, LINK]
    if review_on is not None and review_on <= TODAY + timedelta(days=14):
        prompts.insert(0, Prompt("review", "Review due", review_on < TODAY, review_on))
    codes = [i.code for i in due_items(step(practice_consent=consent, next_review_on=review_on), prompts)]
    assert len(codes) == len(set(codes)), codes


# --- the pages ---------------------------------------------------------------------------------------------


def due_cell(page: str, name: str) -> str:
    """The "Due next" cell of the caseload row for `name`."""
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(name)}(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    return row.split("Due next </span>")[1]


def test_caseload_says_review_overdue_once_and_every_due_item_is_a_link(client, org):
    today = timezone.localdate()
    person = PersonFactory(
        team=org.team,
        allocated_worker=org.practitioner,
        allocated_on=today - timedelta(days=60),
        practice_consent=True,
        practice_consent_on=today - timedelta(days=60),
        next_review_on=today - timedelta(days=2),
    )
    client.force_login(org.practitioner)
    for url in ("/people/", "/"):
        cell = due_cell(client.get(url).content.decode(), person.full_name)
        assert cell.count("Review overdue") == 1, url
        # Every item is a link, the first (the headline) included: no plain-text item outside an <a>.
        outside_links = re.sub(r"<a [^>]*>.*?</a>", "", cell, flags=re.S)
        assert "overdue" not in outside_links and "together" not in outside_links, url
        assert f'href="/people/{person.pk}/plan/reviews/new/"' in cell
        assert f'href="/people/{person.pk}/map/"' in cell


def test_caseload_links_record_steps_to_where_they_are_done(client, org):
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner, practice_consent=None)
    client.force_login(org.practitioner)
    cell = due_cell(client.get("/people/").content.decode(), person.full_name)
    assert (
        f'<a href="/people/{person.pk}/edit/#consent">Talk through the way of working and record consent'
        in cell
    )


def test_team_caseload_shows_the_same_due_items(client, org):
    person = PersonFactory(
        team=org.team, allocated_worker=org.practitioner, practice_consent=True, next_review_on=None
    )
    client.force_login(org.lead)
    cell = due_cell(client.get("/people/team/").content.decode(), person.full_name)
    assert f'<a href="/people/{person.pk}/edit/#id_next_review_on">Plan a date to review together' in cell


def test_a_new_persons_page_has_one_list_of_what_is_due(client, org):
    person = PersonFactory(
        team=org.team,
        allocated_worker=org.practitioner,
        allocated_on=timezone.localdate(),
        practice_consent=None,
    )
    client.force_login(org.practitioner)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "Due next" not in page
    assert page.count("What is due") == 1
    box = page.split("What is due")[1].split("</div>")[0]
    # What matters and the starting measures were added to what is due with issue 13's plan flows.
    assert texts_in(box) == [
        "Talk through the way of working and record consent",
        "Draw the connections map together",
        "Talk about what matters to them",
        "Set a first goal together",
        "Find a community opportunity to try",
        "SWEMWBS and UCLA 3-item due",
    ]
    assert f'href="/people/{person.pk}/edit/#consent"' in box
    back = f"%2Fpeople%2F{person.pk}%2F"
    assert f'href="/people/{person.pk}/measures/swemwbs/new/?next={back}"' in box  # comes back to this page


def texts_in(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", text).strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", html, re.S)]
