"""/api/v1/people: reach as on the pages, problem JSON, paging, ETag / If-Match, idempotency keys, rate limits."""

from datetime import date

import pytest

from connecting_people.audit.models import AuditEvent
from connecting_people.people.models import Person
from connecting_people.people.tests.factories import PersonFactory, nhs_number_for

PROBLEM = "application/problem+json"


@pytest.fixture
def people(org):
    mine = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    colleagues = PersonFactory(team=org.team, allocated_worker=org.colleague)
    elsewhere = PersonFactory(team=org.other_trust_team)
    return mine, colleagues, elsewhere


def new_person(org, **changes):
    body = {
        "team_id": org.team.pk,
        "given_name": "Ada",
        "family_name": "Okafor",
        "date_of_birth": "1979-04-02",
        "nhs_number": nhs_number_for(424242),
        "opened_on": "2026-01-05",
        "strengths": ["cooking"],
    }
    return body | changes


def test_a_request_without_a_valid_token_is_a_401_problem(db, api_as, people):
    for headers in ({}, {"Authorization": "Bearer cp_0123456789_nonsense"}, {"Authorization": "Basic eDp5"}):
        response = api_as(None).get("/api/v1/people", headers=headers)
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "token_required"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_list_reaches_what_the_caseload_reaches(org, api_as, people):
    mine, colleagues, elsewhere = people
    ids = {row["id"] for row in api_as(org.practitioner).get("/api/v1/people").json()["items"]}
    assert ids == {mine.pk}
    ids = {row["id"] for row in api_as(org.lead).get("/api/v1/people").json()["items"]}
    assert ids == {mine.pk, colleagues.pk}
    assert api_as(org.researcher).get("/api/v1/people").json()["items"] == []


def test_an_id_out_of_reach_is_the_same_404_as_one_that_does_not_exist(org, api_as, people):
    mine, colleagues, elsewhere = people
    client = api_as(org.practitioner)
    answers = [client.get(f"/api/v1/people/{pk}") for pk in (colleagues.pk, elsewhere.pk, 999_999)]
    assert {response.status_code for response in answers} == {404}
    assert (
        len(
            {
                response.content.replace(str(pk).encode(), b"")
                for response, pk in zip(answers, (colleagues.pk, elsewhere.pk, 999_999), strict=True)
            }
        )
        == 1
    )
    assert answers[0]["Content-Type"] == PROBLEM


def test_a_token_without_the_scope_is_refused(org, api_as, people):
    response = api_as(org.practitioner, scopes=["maps:read"]).get("/api/v1/people")
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


def test_reading_a_person_is_audited_as_the_owner_through_the_token(org, api_as, people):
    mine = people[0]
    client = api_as(org.practitioner)
    response = client.get(f"/api/v1/people/{mine.pk}")
    assert response.status_code == 200
    assert response["ETag"] == f'"v{mine.version}"'
    assert response.json()["nhs_number"] == mine.nhs_number
    event = AuditEvent.objects.filter(action="person.viewed", person_id=mine.pk).get()
    assert event.actor_id == org.practitioner.pk
    assert event.summary["via"] == f"token:{client.token.split('_')[1]}"


def test_pages_follow_the_next_link_to_the_end(org, api_as):
    made = {PersonFactory(team=org.team, allocated_worker=org.practitioner).pk for _ in range(5)}
    client = api_as(org.practitioner)
    seen, url = [], "/api/v1/people?limit=2"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["items"]]
        url = page["next"]
    assert seen == sorted(made)
    assert client.get("/api/v1/people?cursor=@@@").json()["code"] == "bad_cursor"
    assert client.get("/api/v1/people?limit=0").status_code == 422


def test_create_answers_201_with_location_and_etag(org, api_as):
    client = api_as(org.practitioner)
    response = client.post("/api/v1/people", new_person(org))
    assert response.status_code == 201, response.content
    created = Person.objects.get(pk=response.json()["id"])
    assert response["Location"].endswith(f"/api/v1/people/{created.pk}")
    assert response["ETag"] == '"v1"'
    assert created.allocated_worker == org.practitioner
    assert client.get(response["Location"]).json()["strengths"] == ["cooking"]


def test_an_idempotency_key_makes_a_retry_create_nothing_twice(org, api_as):
    client = api_as(org.practitioner)
    key = {"Idempotency-Key": "create-ada-1"}
    first = client.post("/api/v1/people", new_person(org), headers=key)
    again = client.post("/api/v1/people", new_person(org), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Person.objects.filter(family_name="Okafor").count() == 1
    other = client.post("/api/v1/people", new_person(org, given_name="Bea"), headers=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Person.objects.filter(family_name="Okafor").count() == 1


def test_invalid_input_is_a_422_problem_naming_each_field_and_changes_nothing(org, api_as):
    client = api_as(org.practitioner)
    before = Person.objects.count()
    response = client.post(
        "/api/v1/people",
        new_person(org, nhs_number="9991234560", postcode="nowhere", date_of_birth="1979-13-02"),
    )
    assert response.status_code == 422
    pointers = {error["pointer"] for error in response.json()["errors"]}
    assert {"/body/nhs_number", "/body/postcode", "/body/date_of_birth"} <= pointers
    assert client.post("/api/v1/people", raw="{not json").status_code in (400, 422)
    assert client.post("/api/v1/people", new_person(org, team_id=org.other_trust_team.pk)).status_code == 403
    assert Person.objects.count() == before


def test_a_change_needs_if_match_and_a_stale_one_is_refused_with_412(org, api_as, people):
    mine = people[0]
    client = api_as(org.practitioner)
    url = f"/api/v1/people/{mine.pk}"
    assert client.patch(url, {"preferred_name": "Jo"}).status_code == 428
    etag = client.get(url)["ETag"]
    changed = client.patch(url, {"preferred_name": "Jo"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["preferred_name"] == "Jo"
    assert changed["ETag"] != etag
    stale = client.patch(url, {"preferred_name": "Joanne"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["code"] == "stale_record"
    mine.refresh_from_db()
    assert mine.preferred_name == "Jo"
    assert (
        client.patch(
            f"/api/v1/people/{people[2].pk}", {"preferred_name": "X"}, headers={"If-Match": '"v1"'}
        ).status_code
        == 404
    )


def test_past_its_rate_limit_a_token_is_told_when_to_try_again(org, api_as, people):
    from connecting_people.api.models import ApiToken

    client = api_as(org.practitioner)
    ApiToken.objects.update(rate_limit=3)
    answers = [client.get("/api/v1/people").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get("/api/v1/people")
    assert refused.json()["code"] == "rate_limited" and int(refused["Retry-After"]) >= 1


def test_revoked_and_expired_tokens_stop_working(org, api_as, people):
    from datetime import timedelta

    from django.utils import timezone

    from connecting_people.accounts.actor import actor_for
    from connecting_people.api import services
    from connecting_people.api.models import ApiToken

    client = api_as(org.practitioner)
    assert client.get("/api/v1/people").status_code == 200
    token = ApiToken.objects.get()
    services.token_revoke(actor=actor_for(org.practitioner), token_id=token.pk)
    assert client.get("/api/v1/people").status_code == 401
    other = api_as(org.practitioner)
    ApiToken.objects.filter(revoked_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert other.get("/api/v1/people").status_code == 401


def test_an_unknown_api_address_is_a_problem_not_a_page(db, api_as):
    response = api_as(None).get("/api/v2/anything")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM


def test_the_openapi_document_and_docs_are_served_without_a_cdn(db, client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/people" in document["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower() and "/static/" in docs


def test_date_of_birth_in_the_future_is_refused(org, api_as):
    future = date(date.today().year + 1, 1, 1).isoformat()
    response = api_as(org.practitioner).post("/api/v1/people", new_person(org, date_of_birth=future))
    assert response.status_code == 422


def test_a_list_costs_the_same_queries_for_one_person_and_for_twenty(org, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from connecting_people.people.models import Tag

    client = api_as(org.practitioner)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/people")
        assert response.status_code == 200
        return len(captured), len(response.json()["items"])

    def add_person():
        person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
        for kind, name in ((Tag.Kind.STRENGTH, f"s{person.pk}"), (Tag.Kind.INTEREST, f"i{person.pk}")):
            person.tags.create(kind=kind, name=name)

    add_person()
    client.get("/api/v1/people")  # the token's first use is behind us
    one, shown = count()
    assert shown == 1
    for _ in range(19):
        add_person()
    twenty, shown = count()
    assert shown == 20 and twenty == one
