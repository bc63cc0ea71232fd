"""Two people with the same step open: the first save is kept, the second is refused with a message and
changes nothing, whether they change the step or mark it done from a plan page that is out of date."""

from datetime import timedelta

import pytest
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.core.tests.editing import hidden_fields, opened, refused_as_stale
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services
from connecting_people.plans.models import Step

TODAY = timezone.localdate()
LEVELS = {level: f"Level {level}" for level in (-2, -1, 0, 1, 2)}


def date_fields(name, when):
    return {f"{name}_day": when.day, f"{name}_month": when.month, f"{name}_year": when.year}


@pytest.fixture
def person(org):
    return PersonFactory(
        team=org.team, allocated_worker=org.practitioner, opened_on=TODAY - timedelta(days=60)
    )


@pytest.fixture
def step(org, person):
    goal = services.goal_create(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        data=services.GoalData(text="Sing again", levels=LEVELS),
    )
    return services.step_add(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        goal_id=goal.pk,
        data=services.StepData(what="Ring the choir", owner="person", due_on=TODAY + timedelta(days=7)),
    )


def state():
    return list(Step.objects.values()), AuditEvent.objects.filter(action__startswith="plan.step").count()


def test_second_of_two_step_edits_is_refused_and_the_first_kept(org, person, step):
    url = f"/people/{person.pk}/plan/steps/{step.pk}/"
    worker, worker_form = opened(org.practitioner, url)
    lead, lead_form = opened(org.lead, url)
    fields = {"owner": "person", **date_fields("due_on", TODAY + timedelta(days=14))}
    assert worker.post(url, {**fields, **worker_form, "what": "Ring the choir leader"}).status_code == 302
    before = state()
    refused_as_stale(lead, lead.post(url, {**fields, **lead_form, "what": "Email the choir"}))
    assert state() == before
    step.refresh_from_db()
    assert step.what == "Ring the choir leader"


def _done_form(page: str, step) -> dict:
    """The hidden fields of the step's "Mark done" / "Not done" form on the plan page."""
    form = page.split(f"/steps/{step.pk}/done/")[1].split("</form>")[0]
    return hidden_fields(form)


def test_marking_done_from_an_out_of_date_plan_page_is_refused(org, person, step):
    plan = f"/people/{person.pk}/plan/"
    done_url = f"/people/{person.pk}/plan/steps/{step.pk}/done/"
    lead, _ = opened(org.lead, plan)
    stale_done = _done_form(lead.get(plan).content.decode(), step)
    worker, _ = opened(org.practitioner, plan)
    worker.post(done_url, _done_form(worker.get(plan).content.decode(), step))
    step.refresh_from_db()
    assert step.done_on == TODAY
    # The worker then undoes it; the lead's page still offers "Mark done" from before either change.
    worker.post(done_url, _done_form(worker.get(plan).content.decode(), step))
    before = state()
    refused_as_stale(lead, lead.post(done_url, stale_done))
    assert state() == before
    step.refresh_from_db()
    assert step.done_on is None
