"""What is due: worked examples of the pure rules, and the caseload's query count with prompts."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connecting_people.connections import services as map_services
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services
from connecting_people.plans.due import DueFacts, prompts

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
            user=org.practitioner,
            person_id=person.pk,
            data=services.GoalData(text="x", levels=levels),
            set_on=today - timedelta(days=30),
        )
        services.step_add(
            user=org.practitioner,
            person_id=person.pk,
            goal_id=goal.pk,
            data=services.StepData(what="x", owner="person", due_on=today - timedelta(days=1)),
        )
        if n % 2:
            map_services.snapshot_start(user=org.practitioner, person_id=person.pk, taken_on=today)
    many, page = count()
    assert many == few
    assert page.count("1 step overdue") == 12
