"""/api/v1/people/{id}/ assessment, goals, steps, activities, links and reviews: reach as on the plan pages, goals
and steps made through the plans services (201, idempotency keys), goals changed with If-Match, query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connecting_people.accounts.actor import actor_for
from connecting_people.audit.models import AuditEvent
from connecting_people.community.tests.factories import OpportunityFactory
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services
from connecting_people.plans.models import Goal, Step

PROBLEM = "application/problem+json"
TODAY = timezone.localdate()
LEVELS = {level: f"Level {level}" for level in (-2, -1, 0, 1, 2)}


def plan_of(person, worker, opportunity):
    actor = actor_for(worker)
    goal = services.goal_create(
        actor=actor,
        person_id=person.pk,
        data=services.GoalData(text="Walk weekly", levels=LEVELS, importance=2, difficulty=1),
        set_on=TODAY,
    )
    step = services.step_add(
        actor=actor,
        person_id=person.pk,
        goal_id=goal.pk,
        data=services.StepData(what="Find a route", owner="person", due_on=TODAY + timedelta(days=7)),
    )
    services.assessment_save(
        actor=actor,
        person_id=person.pk,
        expected_version=None,
        data=services.AssessmentData(assessed_on=TODAY, aspirations="Get out more", barriers=("travel",)),
    )
    activity = services.activity_add(
        actor=actor, person_id=person.pk, data=services.ActivityData(kind="contact_phone", occurred_on=TODAY)
    )
    link = services.link_create(actor=actor, person_id=person.pk, opportunity_id=opportunity.pk)
    review = services.review_hold(
        actor=actor,
        person_id=person.pk,
        data=services.ReviewData(
            held_on=TODAY,
            decision="continue",
            next_review_on=TODAY + timedelta(days=60),
            start_new_map=False,
            scores={goal.pk: 1},
        ),
    )
    return {"goal": goal, "step": step, "activity": activity, "link": link, "review": review}


@pytest.fixture
def plans(org):
    from connecting_people.api.tests.test_maps_api import _worker_of

    opportunity = OpportunityFactory()
    mine = PersonFactory(
        team=org.team, allocated_worker=org.practitioner, opened_on=TODAY - timedelta(days=90)
    )
    elsewhere = PersonFactory(team=org.other_trust_team, opened_on=TODAY - timedelta(days=90))
    return {
        "mine": mine,
        "elsewhere": elsewhere,
        "my": plan_of(mine, org.practitioner, opportunity),
        "their": plan_of(elsewhere, _worker_of(elsewhere), opportunity),
        "opportunity": opportunity,
    }


def base(person) -> str:
    return f"/api/v1/people/{person.pk}"


def paths(person, records) -> dict[str, str]:
    root = base(person)
    return {
        "assessment": f"{root}/assessment",
        "goals": f"{root}/goals",
        "goal": f"{root}/goals/{records['goal'].pk}",
        "steps": f"{root}/goals/{records['goal'].pk}/steps",
        "step": f"{root}/steps/{records['step'].pk}",
        "activities": f"{root}/activities",
        "activity": f"{root}/activities/{records['activity'].pk}",
        "links": f"{root}/links",
        "link": f"{root}/links/{records['link'].pk}",
        "reviews": f"{root}/reviews",
        "review": f"{root}/reviews/{records['review'].pk}",
    }


def test_the_practitioner_and_lead_read_the_plan_and_others_get_404(org, api_as, plans):
    addresses = paths(plans["mine"], plans["my"])
    for role in (org.practitioner, org.lead):
        client = api_as(role)
        for name, path in addresses.items():
            answer = client.get(path)
            assert answer.status_code == 200, (name, answer.content)
    for role in (org.colleague, org.other_lead, org.researcher, org.administrator):
        client = api_as(role)
        for name, path in addresses.items():
            answer = client.get(path)
            assert answer.status_code == 404 and answer["Content-Type"] == PROBLEM, (role, name)


def test_what_the_plan_says(org, api_as, plans):
    client = api_as(org.practitioner)
    my, addresses = plans["my"], paths(plans["mine"], plans["my"])
    assessment = client.get(addresses["assessment"])
    assert assessment.json()["aspirations"] == "Get out more" and assessment.json()["barriers"] == ["travel"]
    assert assessment["ETag"] == '"v1"'
    goal = client.get(addresses["goal"])
    body = goal.json()
    assert body["level_0"] == "Level 0" and body["weight"] == 2 and body["status"] == "active"
    assert [step["id"] for step in body["steps"]] == [my["step"].pk]
    assert goal["ETag"] == f'"v{my["goal"].version}"'
    review = client.get(addresses["review"]).json()
    assert review["scores"] == [{"goal_id": my["goal"].pk, "level": 1}] and review["gas_id"]
    assert client.get(addresses["reviews"]).json()["items"][0]["scores"] == review["scores"]
    link = client.get(addresses["link"]).json()
    assert link["opportunity_id"] == plans["opportunity"].pk and link["status"] == "suggested"
    assert client.get(addresses["activities"]).json()["items"][0]["kind"] == "contact_phone"
    assert client.get(addresses["steps"]).json()["items"][0]["what"] == "Find a route"


def test_mixed_ids_are_404_and_audit_nothing(org, api_as, plans):
    client = api_as(org.practitioner)
    mine_paths = paths(plans["mine"], plans["their"])  # my person, their records
    theirs = paths(plans["elsewhere"], plans["my"])  # their person, my records
    before = AuditEvent.objects.count()
    for name in ("goal", "steps", "step", "activity", "link", "review"):
        for path in (mine_paths[name], theirs[name]):
            answer = client.get(path)
            assert answer.status_code == 404 and answer.json()["code"] == "not_found", path
    for name in ("assessment", "goals", "activities", "links", "reviews"):
        assert client.get(theirs[name]).status_code == 404
    assert AuditEvent.objects.count() == before
    step = {"what": "Ask", "owner": "worker", "due_on": TODAY.isoformat()}
    assert client.post(mine_paths["steps"], step).status_code == 404
    assert client.patch(mine_paths["goal"], {"text": "Mine"}, headers={"If-Match": '"v1"'}).status_code == 404
    assert Step.objects.filter(what="Ask").count() == 0


def test_setting_a_goal_and_its_steps(org, api_as, plans):
    mine = plans["mine"]
    client = api_as(org.practitioner)
    goal = {
        "text": "Join a choir",
        "level_0": "Goes to one rehearsal",
        "level_plus_1": "Goes twice",
        "opportunity_ids": [plans["opportunity"].pk],
    }
    key = {"Idempotency-Key": "choir"}
    answer = client.post(f"{base(mine)}/goals", goal, headers=key)
    assert answer.status_code == 201, answer.content
    made = Goal.objects.get(pk=answer.json()["id"])
    assert answer["Location"].endswith(f"{base(mine)}/goals/{made.pk}") and answer["ETag"] == '"v1"'
    assert (
        answer.json()["opportunity_ids"] == [plans["opportunity"].pk] and made.created_by == org.practitioner
    )
    assert client.post(f"{base(mine)}/goals", goal, headers=key).json()["id"] == made.pk
    assert Goal.objects.filter(person=mine, text="Join a choir").count() == 1
    step = {"what": "Find the time", "owner": "other", "owner_name": "Ade", "due_on": TODAY.isoformat()}
    added = client.post(f"{base(mine)}/goals/{made.pk}/steps", step, headers={"Idempotency-Key": "step"})
    assert added.status_code == 201, added.content
    assert added["Location"].endswith(f"{base(mine)}/steps/{added.json()['id']}")
    assert client.get(added["Location"]).json()["owner_name"] == "Ade"
    assert client.get(answer["Location"]).json()["steps"][0]["what"] == "Find the time"
    assert AuditEvent.objects.filter(action="plan.goal_set", object_id=str(made.pk)).exists()


def test_invalid_goals_and_steps_are_422s_pointing_at_the_field(org, api_as, plans):
    mine, goal = plans["mine"], plans["my"]["goal"]
    client = api_as(org.practitioner)
    before = (Goal.objects.count(), Step.objects.count())
    for body, pointer in (
        ({"text": "", "level_0": "x"}, "/body/text"),
        ({"text": "Swim"}, "/body/level_0"),
        ({"text": "Swim", "level_0": "x", "importance": 5, "difficulty": 1}, "/body/importance"),
        ({"text": "Swim", "level_0": "x", "importance": 2}, "/body/difficulty"),
        ({"text": "Swim", "level_0": "x", "opportunity_ids": [999999]}, "/body/opportunity_ids"),
        ({"text": "Swim", "level_0": "x", "map_entry_keys": ["not-on-the-map"]}, "/body/map_entry_keys"),
    ):
        answer = client.post(f"{base(mine)}/goals", body)
        assert answer.status_code == 422, (body, answer.content)
        assert pointer in {error["pointer"] for error in answer.json()["errors"]}, answer.json()
    steps = f"{base(mine)}/goals/{goal.pk}/steps"
    for body, pointer in (
        ({"what": "x", "owner": "nobody", "due_on": TODAY.isoformat()}, "/body/owner"),
        ({"what": "x", "owner": "other", "due_on": TODAY.isoformat()}, "/body/owner_name"),
        ({"what": "x", "owner": "person", "due_on": (TODAY - timedelta(days=1)).isoformat()}, "/body/due_on"),
    ):
        answer = client.post(steps, body)
        assert answer.status_code == 422, (body, answer.content)
        assert pointer in {error["pointer"] for error in answer.json()["errors"]}, answer.json()
    assert (Goal.objects.count(), Step.objects.count()) == before


def test_changing_a_goal_needs_its_etag(org, api_as, plans):
    goal = plans["my"]["goal"]
    client = api_as(org.practitioner)
    path = f"{base(plans['mine'])}/goals/{goal.pk}"
    assert client.patch(path, {"status": "achieved"}).status_code == 428
    etag = client.get(path)["ETag"]
    changed = client.patch(
        path, {"status": "achieved", "importance": None, "difficulty": None}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["status"] == "achieved" and changed.json()["weight"] is None
    assert changed.json()["text"] == "Walk weekly" and changed.json()["level_plus_2"] == "Level 2"
    assert changed["ETag"] != etag
    stale = client.patch(path, {"text": "Run"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["code"] == "stale_record"
    goal.refresh_from_db()
    assert goal.text == "Walk weekly" and goal.status == "achieved"
    reader = api_as(org.practitioner, scopes=["plans:read"])
    assert reader.patch(path, {"text": "Run"}, headers={"If-Match": changed["ETag"]}).status_code == 403


def test_lists_cost_the_same_queries_for_1_or_5_rows(org, api_as, django_assert_max_num_queries):
    person = PersonFactory(
        team=org.team, allocated_worker=org.practitioner, opened_on=TODAY - timedelta(days=90)
    )
    opportunities = [OpportunityFactory() for _ in range(5)]
    client = api_as(org.practitioner)
    actor = actor_for(org.practitioner)

    def add(index: int) -> None:
        goal = services.goal_create(
            actor=actor,
            person_id=person.pk,
            data=services.GoalData(
                text=f"Goal {index}", levels=LEVELS, opportunity_ids=(opportunities[index].pk,)
            ),
            set_on=TODAY,
        )
        for _ in range(2):
            services.step_add(
                actor=actor,
                person_id=person.pk,
                goal_id=goal.pk,
                data=services.StepData(what="Step", owner="worker", due_on=TODAY),
            )
        services.activity_add(
            actor=actor,
            person_id=person.pk,
            data=services.ActivityData(kind="contact_in_person", occurred_on=TODAY),
        )
        services.link_create(actor=actor, person_id=person.pk, opportunity_id=opportunities[index].pk)
        services.review_hold(
            actor=actor,
            person_id=person.pk,
            data=services.ReviewData(
                held_on=TODAY - timedelta(days=10 - index),
                decision="continue",
                next_review_on=TODAY + timedelta(days=60),
                start_new_map=False,
                scores={goal.pk: 0},
            ),
        )

    add(0)
    lists = [f"{base(person)}/{name}" for name in ("goals", "activities", "links", "reviews")]
    client.get(lists[0])
    counted = {}
    for path in lists:
        with CaptureQueriesContext(connection) as one:
            assert client.get(path).status_code == 200
        counted[path] = len(one.captured_queries)
    for index in range(1, 5):
        add(index)
    for path in lists:
        with django_assert_max_num_queries(counted[path]):
            answer = client.get(path)
        assert len(answer.json()["items"]) == 5, path


# --- writes: what matters, a step done, activities, links ----------------------------------------------------


def test_what_matters_is_replaced_with_if_match_and_a_stale_copy_is_refused(org, api_as, plans):
    client = api_as(org.practitioner)
    url = f"{base(plans['mine'])}/assessment"
    body = {
        "assessed_on": TODAY.isoformat(),
        "aspirations": "Join a choir",
        "barriers": ["travel"],
        "interests": ["singing"],
    }
    assert (
        client.client.put(
            url, body, content_type="application/json", headers={"Authorization": f"Bearer {client.token}"}
        ).status_code
        == 428
    )
    etag = client.get(url)["ETag"]
    changed = client.client.put(
        url,
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.token}", "If-Match": etag},
    )
    assert changed.status_code == 200 and changed.json()["aspirations"] == "Join a choir"
    assert changed.json()["interests"] == ["singing"]
    stale = client.client.put(
        url,
        body | {"aspirations": "x"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.token}", "If-Match": etag},
    )
    assert stale.status_code == 412
    other = f"{base(plans['elsewhere'])}/assessment"
    assert (
        client.client.put(
            other,
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {client.token}", "If-Match": '"v1"'},
        ).status_code
        == 404
    )


def test_a_step_is_marked_done_with_if_match(org, api_as, plans):
    client = api_as(org.practitioner)
    step = plans["my"]["step"]
    url = f"{base(plans['mine'])}/steps/{step.pk}"
    done = client.patch(url, {"done": True}, headers={"If-Match": client.get(url)["ETag"]})
    assert done.status_code == 200 and done.json()["done_on"] == TODAY.isoformat()
    assert client.patch(url, {"done": False}, headers={"If-Match": f'"v{step.version}"'}).status_code == 412
    their = plans["their"]["step"]
    assert (
        client.patch(
            f"{base(plans['mine'])}/steps/{their.pk}", {"done": True}, headers={"If-Match": '"v1"'}
        ).status_code
        == 404
    )


def test_an_activity_is_logged_once_per_idempotency_key(org, api_as, plans):
    client = api_as(org.practitioner)
    url = f"{base(plans['mine'])}/activities"
    body = {"kind": "contact_phone", "occurred_on": TODAY.isoformat(), "notes": "Rang about the walk"}
    first = client.post(url, body, headers={"Idempotency-Key": "call-1"})
    again = client.post(url, body, headers={"Idempotency-Key": "call-1"})
    assert first.status_code == again.status_code == 201 and first.content == again.content
    assert first["Location"].endswith(f"/activities/{first.json()['id']}")
    unknown = client.post(url, body | {"opportunity_id": 999_999})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["pointer"] == "/body/opportunity_id"
    assert client.post(url, body | {"kind": "nonsense"}).status_code == 422


def test_a_link_is_made_and_moved_on(org, api_as, plans):
    client = api_as(org.practitioner)
    opportunity = OpportunityFactory()
    made = client.post(f"{base(plans['mine'])}/links", {"opportunity_id": opportunity.pk})
    assert made.status_code == 201 and made.json()["status"] == "suggested"
    url = made["Location"]
    moved = client.patch(url, {"status": "discussed"}, headers={"If-Match": made["ETag"]})
    assert moved.status_code == 200 and moved.json()["status"] == "discussed"
    assert client.patch(url, {"status": "stopped"}, headers={"If-Match": moved["ETag"]}).status_code == 422
    assert client.post(f"{base(plans['mine'])}/links", {"opportunity_id": 999_999}).status_code == 422
    their = plans["their"]["link"]
    assert (
        client.patch(
            f"{base(plans['mine'])}/links/{their.pk}", {"status": "discussed"}, headers={"If-Match": '"v1"'}
        ).status_code
        == 404
    )
