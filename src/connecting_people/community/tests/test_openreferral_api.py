"""The Open Referral UK 3.0 API under /openreferral/: every answer, walked from the root through every list and
every record it names, validates against the compiled HSDS 3.0 and ORUK 3.0 schemas (unknown fields allowed
and disallowed), on the demo directory and on the real example files imported; only running opportunities are
published; bad parameters and unknown ids are RFC 9457 problems; a page costs the same queries at any size."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.community import hsds, services
from connecting_people.community.hsds import export, vocabulary
from connecting_people.community.models import Opportunity
from connecting_people.community.tests.factories import OpportunityFactory, OrganisationFactory
from connecting_people.community.tests.openreferral import (
    HSDS,
    ORUK,
    PROFILES,
    SCHEMAS,
    needs_fixtures,
    needs_schemas,
    problems,
    strict,
    validator,
)
from connecting_people.synthetic.community import generate_opportunities

pytestmark = [pytest.mark.django_db, needs_schemas]
BASE = "/openreferral"


def envelope_problems(document: dict) -> list[str]:
    """The paging envelope (each openapi.json's `Page`, with `contents`), every key required, unknown keys
    refused."""
    from jsonschema import Draft202012Validator

    found = []
    for profile in PROFILES:
        spec = json.loads((SCHEMAS / profile / "openapi.json").read_text(encoding="utf-8"))
        page = spec["components"]["schemas"]["Page"]
        schema = {
            "type": "object",
            "properties": page["properties"] | {"contents": {"type": "array"}},
            "required": [*page["properties"], "contents"],
        }
        found += [
            f"{profile} Page: {e.message}" for e in Draft202012Validator(strict(schema)).iter_errors(document)
        ]
    return found


def root_problems(document: dict) -> list[str]:
    from jsonschema import Draft202012Validator

    found = []
    for profile in PROFILES:
        spec = json.loads((SCHEMAS / profile / "openapi.json").read_text(encoding="utf-8"))
        schema = spec["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        schema = strict(schema) | {"required": list(schema["properties"])}
        found += [f"{profile} /: {e.message}" for e in Draft202012Validator(schema).iter_errors(document)]
    return found


# list path → (schema of each item, schema of the record at /path/{id})
LISTS = {
    "services": ("service_list", "service"),
    "service_at_locations": ("service_at_location_list", "service_at_location"),
    "organizations": ("organization_list", "organization"),
    "taxonomies": ("taxonomy", "taxonomy"),
    "taxonomy_terms": ("taxonomy_term", "taxonomy_term"),
}


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.content[:300])
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def walk(client, per_page: int = 7) -> dict[str, int]:
    """Every page of every list and every record they name; returns how many records of each were checked.
    Fails naming every way any answer breaks a schema."""
    found: list[str] = root_problems(get(client, f"{BASE}/"))
    checked = {}
    for name, (item_schema, record_schema) in LISTS.items():
        page_number, ids = 1, []
        while True:
            document = get(client, f"{BASE}/{name}?per_page={per_page}&page={page_number}")
            found += [f"/{name} page {page_number}: {p}" for p in envelope_problems(document)]
            for item in document["contents"]:
                found += [f"/{name} item {item.get('id')}: {p}" for p in problems(item, item_schema)]
                ids.append(item["id"])
            assert document["size"] == len(document["contents"]) <= per_page
            if document["last_page"]:
                break
            page_number += 1
        assert page_number == document["total_pages"] and len(ids) == document["total_items"]
        for record_id in ids:
            record = get(client, f"{BASE}/{name}/{record_id}")
            assert record["id"] == record_id
            found += [f"/{name}/{record_id}: {p}" for p in problems(record, record_schema)]
        checked[name] = len(ids)
    full = get(client, f"{BASE}/services?full=true&per_page=200")
    for item in full["contents"]:
        found += [f"/services?full=true item {item['id']}: {p}" for p in problems(item, "service")]
    assert not found, "\n".join(found[:40])
    return checked


@pytest.fixture
def directory(db):
    """The demo's directory (60 synthetic opportunities, ids that are not UUIDs), one kept by hand with an
    organisation, and one that no longer runs."""
    generate_opportunities(count=60, seed=7, source="synthetic:demo", log=lambda *args: None)
    trust = OrganisationFactory(name="Riverside Trust", description="Walks and talks", phone="01632 960000")
    OpportunityFactory(
        name="Riverside walking group",
        organisation=trust,
        interests=["walking"],
        sessions=[(1, "10:00", "12:00")],
        address="Riverside Hall",
        postcode="CP3 1AB",
        contact_phone="01632 960001",
    )
    gone = OpportunityFactory(name="Closed choir", active=False, source="feed", source_id="closed-1")
    return gone


def test_every_answer_validates_on_the_demo_directory(client, directory):
    checked = walk(client)
    running = Opportunity.objects.filter(active=True)
    assert checked["services"] == running.count() < Opportunity.objects.count()  # some no longer run
    assert checked["taxonomies"] == 3 and checked["organizations"] >= 2
    assert checked["service_at_locations"] == running.count()  # every one of these has a place


@needs_fixtures
@pytest.mark.parametrize(
    "path",
    [
        HSDS / "service_full.json",
        HSDS / "organization_full.json",
        ORUK / "service_full.json",
        ORUK / "service_at_location_full.json",
        HSDS / "csv",
    ],
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_every_answer_validates_on_the_real_examples_imported(client, path):
    if path.is_dir():
        records = hsds.read_tables({p.name: p.read_text(encoding="utf-8") for p in path.glob("*.csv")})
    else:
        records = hsds.read_json(json.loads(path.read_text(encoding="utf-8")), where=path.name)
    services.directory_import(records=records, source=path.name)
    checked = walk(client)
    assert checked["services"] == 1 and checked["organizations"] == 1


def test_only_running_opportunities_are_published(client, directory):
    gone = export.published_id("closed-1")
    assert gone not in json.dumps(get(client, f"{BASE}/services?per_page=200"))
    assert get(client, f"{BASE}/services/{gone}", status=404)["status"] == 404


def test_nothing_personal_and_no_phone_numbers(client, directory):
    text = json.dumps(get(client, f"{BASE}/services?full=true&per_page=200"))
    assert "01632" not in text and "phones" not in text


def test_the_paging_envelope(client, directory):
    first = get(client, f"{BASE}/services?per_page=10")
    total = first["total_items"]
    assert (first["page_number"], first["size"], first["first_page"], first["empty"]) == (1, 10, True, False)
    assert first["total_pages"] == -(-total // 10) and not first["last_page"]
    last = get(client, f"{BASE}/services?per_page=10&page={first['total_pages']}")
    assert (
        last["last_page"]
        and not last["first_page"]
        and last["size"] == total - 10 * (first["total_pages"] - 1)
    )
    beyond = get(client, f"{BASE}/services?per_page=10&page={first['total_pages'] + 1}")
    assert beyond["contents"] == [] and beyond["last_page"]
    assert get(client, f"{BASE}/services")["size"] == 50  # the default page


def test_filters(client, directory):
    walking = export.term_id(vocabulary.OWN_INTEREST_TAXONOMY, "walking")
    found = get(client, f"{BASE}/services?taxonomy_term_id={walking}&per_page=200")["contents"]
    assert "Riverside walking group" in [s["name"] for s in found]
    full = [get(client, f"{BASE}/services/{s['id']}") for s in found]
    assert all(any(a["taxonomy_term"]["id"] == walking for a in s["attributes"]) for s in full)
    assert [s["name"] for s in get(client, f"{BASE}/services?search=riverside+walking")["contents"]] == [
        "Riverside walking group"
    ]
    tuesday = get(client, f"{BASE}/services?day=TU&per_page=200")["contents"]
    assert "Riverside walking group" in [s["name"] for s in tuesday]
    assert get(client, f"{BASE}/services?day=tuesday&per_page=200")["contents"] == tuesday
    (trust,) = [o for o in get(client, f"{BASE}/organizations?search=riverside+trust")["contents"]]
    assert [s["name"] for s in get(client, f"{BASE}/services?organization_id={trust['id']}")["contents"]] == [
        "Riverside walking group"
    ]
    interests = export.taxonomy_id(vocabulary.OWN_INTEREST_TAXONOMY)
    terms = get(client, f"{BASE}/taxonomy_terms?taxonomy_id={interests}&per_page=200")["contents"]
    assert terms and all(term["taxonomy"] == vocabulary.OWN_INTEREST_TAXONOMY for term in terms)


@pytest.mark.parametrize(
    "query, name",
    [
        ("page=0", "page"),
        ("page=two", "page"),
        ("per_page=201", "per_page"),
        ("per_page=-1", "per_page"),
        ("full=perhaps", "full"),
        ("day=someday", "day"),
        ("taxonomy_term_id=nope", "taxonomy_term_id"),
        ("taxonomy_id=nope", "taxonomy_id"),
        ("organization_id=nope", "organization_id"),
        ("format=ndjson", "format"),
        ("minimum_age=18", "minimum_age"),
        ("postcode=CP1+1AA", "postcode"),
    ],
)
def test_bad_parameters_are_problems(client, directory, query, name):
    response = client.get(f"{BASE}/services?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert (
        body["status"] == 400 and body["title"] == "Bad Request" and body["invalid_params"][0]["name"] == name
    )
    assert body["instance"] == f"{BASE}/services?{query}"


@pytest.mark.parametrize(
    "name", ["services", "service_at_locations", "organizations", "taxonomies", "taxonomy_terms"]
)
def test_unknown_ids_are_not_found_problems(client, directory, name):
    response = client.get(f"{BASE}/{name}/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_read_only(client, directory):
    response = client.post(f"{BASE}/services", {})
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
    assert response["Content-Type"].startswith("application/problem+json")


def test_open_without_signing_in_and_before_the_second_factor(client, org, settings, directory):
    assert client.get(f"{BASE}/services").status_code == 200
    settings.CONNECTING_PEOPLE_REQUIRE_MFA = True
    client.force_login(org.practitioner)  # signed in, no second factor yet
    assert client.get(f"{BASE}/services").status_code == 200
    assert client.get("/community/").status_code == 302  # the rest of the service still asks for it


@pytest.mark.parametrize(
    "query", ["services?full=true&", "services?", "service_at_locations?", "organizations?"]
)
def test_a_page_costs_the_same_queries_at_any_size(client, directory, query):
    counts, sizes = [], []
    for per_page in (2, 50):
        with CaptureQueriesContext(connection) as captured:
            sizes.append(get(client, f"{BASE}/{query}per_page={per_page}")["size"])
        counts.append(len(captured.captured_queries))
    assert sizes[0] == 2 and sizes[1] > 10
    assert counts[0] == counts[1], counts


def test_detail_costs_the_same_queries_whatever_the_directory_size(client, directory):
    service_id = get(client, f"{BASE}/services?per_page=1")["contents"][0]["id"]
    with CaptureQueriesContext(connection) as captured:
        get(client, f"{BASE}/services/{service_id}")
    assert len(captured.captured_queries) <= 7


def test_the_schemas_are_read_as_they_are():
    """The compiled schemas allow unknown fields (none says additionalProperties): the strict form is made
    here, so a schema that starts saying it would be noticed."""
    for profile in PROFILES:
        text = (SCHEMAS / profile / "service.json").read_text(encoding="utf-8")
        assert "additionalProperties" not in text
        assert validator(profile, "service", unknown_fields=False).schema["additionalProperties"] is False


def test_an_hsds_client_reads_the_whole_directory_from_the_api(client, directory, monkeypatch):
    """Our own importer, as any HSDS client would: every page of /services, then each service in full (its
    requests answered by this test's client instead of the network). It gets every running opportunity, and
    nothing is rejected."""
    from urllib.parse import urlsplit

    from connecting_people.community import sources
    from connecting_people.community.public_web import Answer

    def answer(url, **_options):
        parts = urlsplit(url)
        response = client.get(f"{parts.path}?{parts.query}" if parts.query else parts.path)
        return Answer(response.status_code, "", response.content, url)

    monkeypatch.setattr(sources, "fetch", answer)
    source = sources.read_api("https://directory.example.org/openreferral", per_page=25)
    running = Opportunity.objects.filter(active=True)
    assert source.directory.rejections == ()
    assert sorted(record.name for record in source.directory.opportunities) == sorted(
        running.values_list("name", flat=True)
    )
    walk = next(r for r in source.directory.opportunities if r.name == "Riverside walking group")
    assert walk.interests == ("walking",) and walk.postcode == "CP3 1AB" and walk.contact_phone == ""
