"""The study set-up pages as a study lead uses them: set up a study, add a site, allocate teams (by choice and at
random), change a timepoint and its schedule, replace the unit costs and change the status. Bad input shows the
error summary and changes nothing."""

from decimal import Decimal

import pytest
from markupsafe import escape

from connecting_people.accounts.tests.factories import TeamFactory
from connecting_people.audit.models import AuditEvent
from connecting_people.measures import registry
from connecting_people.study.design import allocation
from connecting_people.study.models import Study, StudyMember, StudyTeam, Timepoint

PROBLEM = "There is a problem"


def text(response) -> str:
    return response.content.decode()


def study_data(**changes) -> dict:
    data = {
        "code": "cpis2",
        "title": "Connecting People second study",
        "starts_on_day": "2",
        "starts_on_month": "3",
        "starts_on_year": "2026",
        "consent_version": "v2.1",
    }
    return data | changes


def unit_cost_data(**changes) -> dict:
    instrument = registry.instrument("csri_example")
    data = {"price_year": "2025/26", "currency": "gbp", "source": "The study's own costing, 2025/26 prices"}
    for number, item in enumerate(instrument.items, start=1):
        data[f"cost_{item.id}"] = f"{number * 10}.50"
        data[f"unit_{item.id}"] = "contact"
    return data | changes


@pytest.fixture
def lead_client(client, org):
    client.force_login(org.researcher)
    return client


def test_a_lead_sets_up_a_study_through_the_pages(lead_client, org):
    client = lead_client
    listing = client.get("/study/")
    assert listing.status_code == 200
    assert "Set up a new study" in text(listing)
    assert "You are not a member of any study" in text(listing)

    response = client.post("/study/new/", study_data())
    study = Study.objects.get(code="cpis2")
    assert response.status_code == 302 and response["Location"] == f"/study/{study.pk}/"
    assert study.title == "Connecting People second study"
    assert str(study.starts_on) == "2026-03-02" and study.consent_version == "v2.1"
    assert study.members.get().user == org.researcher and study.members.get().role == StudyMember.Role.LEAD
    base = f"/study/{study.pk}"

    overview = client.get(f"{base}/")
    page = text(overview)
    assert overview.status_code == 200
    assert "Connecting People second study" in page
    assert "Illustrative figures: replace before analysis" in page
    assert "Day 154 to day 238" in page  # 6 months: day 182, 28 days before and 56 after
    assert escape(registry.instrument("swemwbs").title) in page
    for action in (
        "status",
        "sites/new",
        "teams/allocate",
        "teams/randomise",
        "timepoints",
        "unit-costs",
        "members",
    ):
        assert f'href="{base}/{action}/"' in page, action

    listing = text(client.get("/study/"))
    assert "CPIS2" in listing and "Setting up" in listing and "Study lead" in listing

    # The same code again: the error is on the field, and there is still one study with it.
    again = client.post("/study/new/", study_data(title="Another"))
    assert again.status_code == 200 and PROBLEM in text(again)
    assert "A study with the code cpis2 already exists." in text(again)
    assert 'href="#id_code"' in text(again)
    assert Study.objects.filter(code="cpis2").count() == 1

    # A site, then a team allocated by choice.
    assert client.post(f"{base}/sites/new/", {"trust": org.trust.pk}).status_code == 302
    site = study.sites.get()
    assert site.trust == org.trust and site.code == "site01"
    assert org.trust.name in text(client.get(f"{base}/"))

    response = client.post(f"{base}/teams/allocate/", {"team": org.team.pk, "arm": "intervention"})
    assert response.status_code == 302
    first = study.teams.get()
    assert (first.team, first.arm, first.method, first.code) == (org.team, "intervention", "chosen", "T01")
    assert first.allocated_by == org.researcher

    # The same team again (a stale page): refused, shown on the page, nothing changed.
    events = AuditEvent.objects.count()
    response = client.post(f"{base}/teams/allocate/", {"team": org.team.pk, "arm": "control"})
    assert response.status_code == 200 and PROBLEM in text(response)
    assert "already allocated to the intervention arm" in text(response)
    assert list(study.teams.values_list("team_id", "arm")) == [(org.team.pk, "intervention")]
    assert AuditEvent.objects.count() == events
    # The team is no longer offered.
    form_page = text(client.get(f"{base}/teams/allocate/"))
    assert f'value="{org.other_team.pk}"' in form_page and f'value="{org.team.pk}"' not in form_page

    # Two teams at random, with a seed: the arms are the allocation module's for that seed.
    extra = TeamFactory(trust=org.trust)
    response = client.post(
        f"{base}/teams/randomise/", {"teams": [org.other_team.pk, extra.pk], "seed": "20260105"}
    )
    assert response.status_code == 302
    random_rows = list(study.teams.filter(method=StudyTeam.Method.RANDOM).order_by("code"))
    assert [row.code for row in random_rows] == ["T02", "T03"]
    # The site already has T01 in intervention, so the draw balances against it.
    expected = allocation.allocate_within_sites(
        {"site01": ["T02", "T03"]}, 20260105, already={"site01": {"intervention": 1}}
    )
    assert {row.code: row.arm for row in random_rows} == expected
    site_arms = list(study.teams.filter(site__code="site01").values_list("arm", flat=True))
    assert abs(site_arms.count("intervention") - site_arms.count("control")) <= 1
    assert all(row.seed == 20260105 for row in random_rows)
    study.refresh_from_db()
    assert study.allocation_seed == 20260105
    overview = text(client.get(f"{base}/"))
    assert "At random within site, seed 20260105" in overview
    assert "seed 20260105: T02" in overview  # the success message names the seed and the arms

    # The 6-month window, then the baseline schedule, in a chosen order.
    follow_up = study.timepoints.get(code="m6")
    response = client.post(
        f"{base}/timepoints/{follow_up.pk}/",
        {
            "code": "m6",
            "label": "6 months",
            "target_day": "182",
            "window_before": "30",
            "window_after": "60",
            "version": follow_up.version,
        },
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.window_before, follow_up.window_after) == (30, 60)
    assert "Day 152 to day 242" in text(client.get(f"{base}/timepoints/"))

    baseline = study.timepoints.get(code="baseline")
    response = client.post(
        f"{base}/timepoints/{baseline.pk}/schedule/",
        {
            "instruments": ["ucla3", "eq5d5l", "swemwbs"],
            "order_eq5d5l": "1",
            "order_ucla3": "2",
            "version": baseline.version,
        },
    )
    assert response.status_code == 302
    assert list(baseline.schedule.order_by("position").values_list("instrument_id", flat=True)) == [
        "eq5d5l",
        "ucla3",
        "swemwbs",
    ]

    # Unit costs: a negative cost is refused on its field; then the study's own table replaces the illustrative one.
    response = client.post(f"{base}/unit-costs/", unit_cost_data(cost_gp_appointment="-5"))
    assert response.status_code == 200 and PROBLEM in text(response)
    assert "The cost of GP appointments cannot be negative" in text(response)
    assert 'href="#id_cost_gp_appointment"' in text(response)
    study.refresh_from_db()
    assert study.unit_costs_illustrative and study.price_year == "2024/25"
    assert study.unit_costs.get(service="gp_appointment").cost == Decimal("40.00")

    response = client.post(f"{base}/unit-costs/", unit_cost_data(version=study.version))
    assert response.status_code == 302
    study.refresh_from_db()
    assert not study.unit_costs_illustrative
    assert (study.price_year, study.currency) == ("2025/26", "GBP")
    assert study.unit_costs.get(service="gp_appointment").cost == Decimal("10.50")
    assert study.unit_costs.count() == len(registry.instrument("csri_example").items)
    assert "Illustrative figures" not in text(client.get(f"{base}/"))

    # The status.
    assert (
        client.post(f"{base}/status/", {"status": "recruiting", "version": study.version}).status_code == 302
    )
    study.refresh_from_db()
    assert study.status == Study.Status.RECRUITING
    assert "Recruiting" in text(client.get("/study/"))


def test_a_blank_seed_draws_one_and_records_it(lead_client, study_setup, org):
    s = study_setup
    extra = TeamFactory(trust=org.trust)
    response = lead_client.post(f"/study/{s.study.pk}/teams/randomise/", {"teams": [extra.pk], "seed": ""})
    assert response.status_code == 302
    row = s.study.teams.get(team=extra)
    assert row.method == StudyTeam.Method.RANDOM and row.seed is not None
    assert f"seed {row.seed}" in text(lead_client.get(f"/study/{s.study.pk}/"))


def test_the_overview_shows_the_set_up_at_a_glance(lead_client, study_setup, org):
    s = study_setup
    page = text(lead_client.get(f"/study/{s.study.pk}/"))
    for code in ("T01", "T02", "T03", "T04", "site01", "site02"):
        assert code in page
    assert escape(org.other_trust_team.trust.name) in page
    assert "Day 0 to day 28" in page and "Day 154 to day 238" in page
    assert "Recruiting" in page
    assert escape(org.researcher.display_name) in page  # allocated by, and a member
    assert "2024/25" in page and "GBP" in page


def test_the_schedule_offers_every_recordable_instrument(lead_client, study_setup):
    s = study_setup
    baseline = s.study.timepoints.get(code="baseline")
    page = text(lead_client.get(f"/study/{s.study.pk}/timepoints/{baseline.pk}/schedule/"))
    for instrument in registry.catalogue():
        if instrument.repeat is None:
            assert f'value="{instrument.id}"' in page, instrument.id
    assert 'value="gas"' not in page  # scored from goals at review, not on its own form
    assert 'value="resource_generator_example" checked' in page


def test_a_timepoint_can_be_added(lead_client, study_setup):
    s = study_setup
    response = lead_client.post(
        f"/study/{s.study.pk}/timepoints/new/",
        {
            "code": "m12",
            "label": "12 months",
            "target_day": "365",
            "window_before": "28",
            "window_after": "28",
        },
    )
    assert response.status_code == 302
    point = s.study.timepoints.get(code="m12")
    assert (point.target_day, point.window_before, point.window_after) == (365, 28, 28)
    assert "Day 337 to day 393" in text(lead_client.get(f"/study/{s.study.pk}/timepoints/"))


def test_a_member_can_be_added_with_a_site_limit(lead_client, study_setup, org):
    from connecting_people.accounts.models import Role
    from connecting_people.accounts.tests.factories import UserFactory, member

    s = study_setup
    newcomer = UserFactory(username="newcomer")
    member(newcomer, Role.RESEARCHER, trust=org.trust)
    site = s.study.sites.get(code="site02")
    response = lead_client.post(
        f"/study/{s.study.pk}/members/", {"username": "newcomer", "role": "researcher", "site": site.pk}
    )
    assert response.status_code == 302
    added = s.study.members.get(user=newcomer)
    assert (added.role, added.site) == ("researcher", site)
    assert "site02" in text(lead_client.get(f"/study/{s.study.pk}/members/"))


def test_the_unit_cost_form_does_not_offer_illustrative_costs_as_the_studys_own(lead_client, study_setup):
    s = study_setup
    page = text(lead_client.get(f"/study/{s.study.pk}/unit-costs/"))
    assert "Illustrative figures: replace before analysis" in page
    assert 'name="cost_gp_appointment"' in page and 'value="40.00"' not in page
    assert 'name="price_year"' in page and 'value="2024/25"' not in page
    assert "surgery appointment" in page  # the units are offered


@pytest.fixture
def bad_input(org, study_setup):
    """For each form: its URL, bad data, and a message the page must show."""
    s = study_setup
    base = f"/study/{s.study.pk}"
    baseline = s.study.timepoints.get(code="baseline")
    free_team = TeamFactory(trust=org.trust)
    return [
        ("/study/new/", study_data(code="", starts_on_month="13"), "Enter a study code"),
        ("/study/new/", study_data(code="has space"), "letters, numbers and hyphens"),
        ("/study/new/", study_data(code="cpis"), "A study with the code cpis already exists."),
        (f"{base}/status/", {"status": "paused"}, "Choose one of the statuses"),
        (f"{base}/status/", {}, "Choose a status"),
        (f"{base}/members/", {"username": "nobody", "role": "researcher"}, "No active user named nobody."),
        (
            f"{base}/members/",
            {"username": "practitioner", "role": "researcher"},
            "does not have the researcher role",
        ),
        (f"{base}/members/", {"username": "researcher", "role": "lead"}, "already a member"),
        (f"{base}/sites/new/", {"trust": ""}, "Choose the trust to add"),
        (f"{base}/sites/new/", {"trust": org.trust.pk}, "already a site of this study"),
        (f"{base}/teams/allocate/", {"team": free_team.pk}, "Choose an arm"),
        (
            f"{base}/teams/allocate/",
            {"team": s.teams["T02"].team_id, "arm": "intervention"},
            "a team is in one arm only",
        ),
        (f"{base}/teams/allocate/", {"team": "999999", "arm": "control"}, "Choose a team."),
        (f"{base}/teams/randomise/", {"seed": "4"}, "Choose the teams to allocate"),
        (
            f"{base}/teams/randomise/",
            {"teams": [free_team.pk], "seed": "four"},
            "The seed must be a whole number",
        ),
        (f"{base}/teams/randomise/", {"teams": [free_team.pk], "seed": "-1"}, "The seed must be 0 or more"),
        (
            f"{base}/teams/randomise/",
            {"teams": [free_team.pk, s.teams["T01"].team_id]},
            "a team is in one arm only",
        ),
        (
            f"{base}/timepoints/new/",
            {
                "code": "m12",
                "label": "12 months",
                "target_day": "a year",
                "window_before": "0",
                "window_after": "28",
            },
            "Target day must be a whole number",
        ),
        (
            f"{base}/timepoints/new/",
            {
                "code": "m3",
                "label": "3 months",
                "target_day": "182",
                "window_before": "0",
                "window_after": "28",
            },
            "There is already a timepoint on day 182.",
        ),
        (
            f"{base}/timepoints/{baseline.pk}/",
            {
                "code": "baseline",
                "label": "Baseline",
                "target_day": "0",
                "window_before": "7",
                "window_after": "28",
            },
            "The window cannot open before baseline",
        ),
        (
            f"{base}/timepoints/{baseline.pk}/",
            {
                "code": "m6",
                "label": "Baseline",
                "target_day": "0",
                "window_before": "0",
                "window_after": "28",
                "version": baseline.version,
            },
            "There is already a timepoint m6.",
        ),
        (f"{base}/timepoints/{baseline.pk}/schedule/", {}, "Choose at least one instrument"),
        (
            f"{base}/timepoints/{baseline.pk}/schedule/",
            {"instruments": ["no_such"]},
            "Choose instruments from the list",
        ),
        (
            f"{base}/timepoints/{baseline.pk}/schedule/",
            {"instruments": ["ucla3"], "order_ucla3": "first"},
            "must be a whole number",
        ),
        (
            f"{base}/unit-costs/",
            unit_cost_data(cost_day_centre="lots"),
            "The cost of day centre attendances must be a number",
        ),
        (
            f"{base}/unit-costs/",
            unit_cost_data(cost_peer_support=""),
            "Enter the cost of peer support group sessions",
        ),
        (f"{base}/unit-costs/", unit_cost_data(price_year=""), "Enter the price year"),
        (f"{base}/unit-costs/", unit_cost_data(currency="pounds"), "three-letter code"),
        (f"{base}/unit-costs/", unit_cost_data(cost_gp_appointment="12.345"), "2 decimal places or fewer"),
    ]


def test_bad_input_on_every_form_shows_the_error_summary_and_changes_nothing(
    lead_client, bad_input, study_setup
):
    s = study_setup

    def state():
        study = Study.objects.get(pk=s.study.pk)
        return (
            AuditEvent.objects.count(),
            Study.objects.count(),
            study.status,
            study.price_year,
            study.unit_costs_illustrative,
            list(study.members.values_list("user_id", "role", "site_id")),
            list(study.sites.values_list("trust_id", "code")),
            list(StudyTeam.objects.order_by("pk").values_list("team_id", "arm", "method")),
            list(
                Timepoint.objects.order_by("pk").values_list(
                    "code", "target_day", "window_before", "window_after"
                )
            ),
            list(study.timepoints.get(code="baseline").schedule.values_list("instrument_id", "position")),
            list(study.unit_costs.values_list("service", "unit", "cost")),
        )

    before = state()
    for url, data, message in bad_input:
        response = lead_client.post(url, data)
        page = text(response)
        assert response.status_code == 200, (url, data)
        assert PROBLEM in page and "nhsuk-error-summary" in page, (url, data)
        assert str(escape(message)) in page, (url, message)
        assert page.count("<title>Error: ") == 1, url
    assert state() == before
