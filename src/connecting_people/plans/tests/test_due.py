"""What is due: worked examples of the pure rules, and the caseload's query count with prompts."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.connections import services as map_services
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services
from connecting_people.plans.due import (
    DueFacts,
    MeasureFact,
    measures_due,
    next_prompt,
    next_review_default,
    prompts,
)

TODAY = date(2026, 11, 26)
NEW = DueFacts(
    status="open",
    allocated_on=TODAY - timedelta(days=10),
    practice_consent=True,
    has_map=False,
    has_goal=False,
    has_link=False,
    overdue_steps=0,
    next_review_on=None,
)


def codes(facts: DueFacts) -> list[tuple[str, bool]]:
    return [(prompt.code, prompt.overdue) for prompt in prompts(facts, TODAY)]


def test_someone_new_is_prompted_for_a_map_a_goal_and_a_link():
    assert codes(NEW) == [("map", False), ("goal", False), ("link", False)]
    assert prompts(NEW, TODAY)[0].due_on == TODAY + timedelta(days=18)


def test_no_map_four_weeks_after_allocation_is_overdue_and_comes_first():
    late = DueFacts(**{**NEW.__dict__, "allocated_on": TODAY - timedelta(weeks=4, days=1)})
    assert codes(late)[0] == ("map", True)
    assert prompts(late, TODAY)[0].text == "Connections map overdue"


def test_overdue_steps_and_reviews():
    facts = DueFacts(
        **{
            **NEW.__dict__,
            "has_map": True,
            "has_goal": True,
            "has_link": True,
            "overdue_steps": 2,
            "next_review_on": TODAY - timedelta(days=1),
        }
    )
    assert codes(facts) == [("review", True), ("steps", True)]  # overdue first; a dated one before the rest
    assert prompts(facts, TODAY)[1].text == "2 steps overdue"
    soon = DueFacts(**{**facts.__dict__, "overdue_steps": 0, "next_review_on": TODAY + timedelta(days=14)})
    assert codes(soon) == [("review", False)]
    later = DueFacts(**{**soon.__dict__, "next_review_on": TODAY + timedelta(days=15)})
    assert codes(later) == []


def with_(**changes) -> DueFacts:
    return DueFacts(**{**NEW.__dict__, **changes})


def test_what_matters_then_the_first_visit_after_an_introduction():
    assert codes(with_(has_assessment=False)) == [
        ("map", False),
        ("assess", False),
        ("goal", False),
        ("link", False),
    ]
    visit = prompts(with_(has_map=True, has_goal=True, has_link=True, visit=(7, "Riverside Choir")), TODAY)
    assert [(p.code, p.text, p.subject) for p in visit] == [
        ("visit", "Log the first visit to Riverside Choir", "7")
    ]


SWEMWBS, UCLA = ("swemwbs", "SWEMWBS"), ("ucla3", "UCLA 3-item")


def measured(**last_on) -> tuple[MeasureFact, ...]:
    names = dict([SWEMWBS, UCLA])
    return tuple(MeasureFact(key, names[key], when) for key, when in last_on.items())


def test_measures_never_recorded_are_due_at_the_start():
    facts = with_(has_map=True, has_goal=True, has_link=True, measures=measured(swemwbs=None, ucla3=None))
    [prompt] = prompts(facts, TODAY)
    assert (prompt.code, prompt.text, prompt.subject) == (
        "measures",
        "SWEMWBS and UCLA 3-item due",
        "swemwbs",
    )


def test_measures_are_due_again_at_a_review_unless_recorded_in_the_weeks_before_it():
    done = dict(has_map=True, has_goal=True, has_link=True)
    earlier = TODAY - timedelta(weeks=12)
    not_yet = with_(**done, next_review_on=TODAY + timedelta(days=30), measures=measured(swemwbs=earlier))
    assert codes(not_yet) == []  # no review soon: nothing to measure yet
    soon = with_(
        **done, next_review_on=TODAY + timedelta(days=7), measures=measured(swemwbs=earlier, ucla3=earlier)
    )
    assert [(p.code, p.text) for p in prompts(soon, TODAY)] == [
        ("review", "Review due"),
        ("measures", "SWEMWBS and UCLA 3-item due"),
    ]
    this_morning = with_(
        **done, next_review_on=TODAY + timedelta(days=7), measures=measured(swemwbs=TODAY, ucla3=earlier)
    )
    assert [p.text for p in prompts(this_morning, TODAY)] == ["Review due", "UCLA 3-item due"]
    assert measures_due(measured(swemwbs=TODAY - timedelta(weeks=4)), TODAY, at_review=True) == []
    assert measures_due(measured(swemwbs=TODAY - timedelta(weeks=4, days=1)), TODAY, at_review=True) != []


def test_many_measures_due_are_named_by_the_first_and_counted():
    many = (*measured(swemwbs=None, ucla3=None), MeasureFact("lsns6", "LSNS-6", None))
    facts = with_(has_map=True, has_goal=True, has_link=True, measures=many)
    assert [p.text for p in prompts(facts, TODAY)] == ["SWEMWBS and 2 other measures due"]


def test_after_a_save_the_next_thing_due_and_the_next_review():
    found = prompts(with_(has_assessment=False), TODAY)
    assert next_prompt(found, done="map").code == "assess"
    assert next_prompt(found).code == "map"
    assert next_prompt([], done="goal") is None
    assert next_review_default(TODAY, None) == TODAY + timedelta(weeks=12)
    assert next_review_default(TODAY, 6) == TODAY + timedelta(weeks=6)


def test_nothing_for_a_closed_case_or_someone_who_said_no():
    assert prompts(DueFacts(**{**NEW.__dict__, "status": "closed"}), TODAY) == []
    assert prompts(DueFacts(**{**NEW.__dict__, "practice_consent": False}), TODAY) == []


def test_caseload_shows_prompts_with_a_query_count_that_does_not_grow(client, org):
    today = timezone.localdate()
    client.force_login(org.practitioner)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/people/")
        assert response.status_code == 200
        return len(captured.captured_queries), response.content.decode()

    first = PersonFactory(
        team=org.team, allocated_worker=org.practitioner, practice_consent=True, opened_on=today
    )
    client.get("/people/")
    few, page = count()
    assert "Draw the connections map together" in page and f"/people/{first.pk}/map/" in page
    levels = {level: "x" for level in (-2, -1, 0, 1, 2)}
    for n in range(12):
        person = PersonFactory(
            team=org.team,
            allocated_worker=org.practitioner,
            practice_consent=True,
            opened_on=today - timedelta(days=60),
        )
        goal = services.goal_create(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            data=services.GoalData(text="x", levels=levels),
            set_on=today - timedelta(days=30),
        )
        services.step_add(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            goal_id=goal.pk,
            data=services.StepData(what="x", owner="person", due_on=today - timedelta(days=1)),
        )
        if n % 2:
            map_services.snapshot_start(actor=as_actor(org.practitioner), person_id=person.pk, taken_on=today)
    many, page = count()
    assert many == few
    assert page.count("1 step overdue") == 12
