"""/api/v1/studies: a member's studies and their participants pseudonymised by the export's own row builders:
no name, NHS number, date of birth or free text leaves; others get 404; the same queries whatever the page's
length."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.study import selectors, services
from connecting_people.study.export import Pseudonyms
from connecting_people.study.keys import study_key
from connecting_people.study.tests.conftest import make_study_setup
from connecting_people.study.tests.test_exporting import build

PROBLEM = "application/problem+json"


@pytest.fixture
def built(org, settings, tmp_path):
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path / "study-files"
    return build(org, make_study_setup(org))


def study_ids(built, *participants) -> list[str]:
    pseudonyms = Pseudonyms(study_key(), study=built.setup.study.pk, prefix="CPIS")
    return [pseudonyms.participant(each.pk) for each in participants]


def participants(client, study, **query) -> list[dict]:
    rows, url = [], f"/api/v1/studies/{study.pk}/participants"
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        rows += response.json()["items"]
        url, query = response.json()["next"], None
    return rows


def test_a_member_lists_their_studies(org, api_as, built):
    study = built.setup.study
    rows = api_as(org.researcher).get("/api/v1/studies").json()["items"]
    assert [(row["id"], row["code"], row["role"], row["site"]) for row in rows] == [
        (study.pk, "cpis", "lead", None)
    ]
    assert rows[0]["participants_url"].endswith(f"/api/v1/studies/{study.pk}/participants")
    assert api_as(built.setup.outsider).get("/api/v1/studies").json()["items"] == []


def test_participants_are_pseudonymised_as_the_export_writes_them(org, api_as, built):
    rows = participants(api_as(org.researcher), built.setup.study)
    expected = study_ids(built, built.active, built.kept, built.research_only)
    assert sorted(row["study_id"] for row in rows) == sorted(expected)  # removed on request: left out
    row = {row["study_id"]: row for row in rows}
    active = row[expected[0]]
    assert (active["site"], active["team"], active["arm"]) == ("site01", "T01", "intervention")
    assert active["age_at_baseline"] == 64 and active["withdrawn"] is False
    assert {(a["timepoint"], a["instrument"]) for a in active["assessments"]} == {
        ("baseline", "ucla3"),
        ("baseline", "swemwbs"),
        ("m6", "ucla3"),
    }
    ucla = next(
        a for a in active["assessments"] if a["timepoint"] == "baseline" and a["instrument"] == "ucla3"
    )
    assert ucla["day"] == 0 and ucla["values"]["total"] == 6
    kept = row[expected[1]]
    assert kept["withdrawn"] is True and kept["withdrawal_day"] == 60
    assert {a["timepoint"] for a in kept["assessments"]} == {"baseline"}  # nothing after withdrawal


def test_no_identifier_leaves(org, api_as, built):
    client = api_as(org.researcher)
    rows = client.get(f"/api/v1/studies/{built.setup.study.pk}/participants").content.decode()
    text = rows + client.get("/api/v1/studies").content.decode()
    for secret in [*built.names, *built.secrets, *(each.isoformat() for each in built.dates_of_birth)]:
        assert secret not in text, secret
    assert '"id"' not in rows and "person" not in rows


def test_others_get_404(org, api_as, built):
    url = f"/api/v1/studies/{built.setup.study.pk}/participants"
    for user in (built.setup.outsider, org.practitioner, org.lead, org.implementation_lead, org.no_role):
        response = api_as(user).get(url)
        assert response.status_code == 404 and response["Content-Type"] == PROBLEM, user
    for user in (org.practitioner, org.lead, org.no_role):
        assert api_as(user).get("/api/v1/studies").status_code == 404
    assert api_as(org.researcher).get("/api/v1/studies/999999/participants").status_code == 404
    assert api_as(org.researcher, scopes=["people:read"]).get(url).status_code == 403


def test_a_researcher_limited_to_a_site_reaches_its_participants_only(org, api_as, built):
    setup = built.setup
    site_two = setup.study.sites.get(code="site02")
    services.member_add(
        actor=setup.lead,
        access=setup.access,
        username="trust_two_researcher",
        role="researcher",
        site_id=site_two.pk,
    )
    from django.contrib.auth import get_user_model

    their = get_user_model().objects.get(username="trust_two_researcher")
    assert selectors.study_access(actor=their, study_id=setup.study.pk).site_id == site_two.pk
    assert participants(api_as(their), setup.study) == []


def test_the_same_queries_for_a_page_of_one_and_of_three(org, api_as, built):
    client = api_as(org.researcher)
    url = f"/api/v1/studies/{built.setup.study.pk}/participants"
    client.get(url)

    def count(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"limit": limit})
            assert response.status_code == 200
        return len(captured)

    assert count(1) == count(4)
