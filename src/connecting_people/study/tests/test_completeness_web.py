"""The completeness page and its numbers from the database: counts by site, arm and timepoint, the flow, who
may see them, a constant number of queries, and no participant named or numbered anywhere on the page."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.measures import registry
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.privacy.tests.restricting import restrict_processing
from connecting_people.study import completeness as c
from connecting_people.study import selectors, services
from connecting_people.study.completeness import db as completeness_data
from connecting_people.study.models import Participant

from .conftest import START, days

ENROLLED = START + days(3)
PRIMARY = "resource_generator_example"
ALL_FIVE = ("resource_generator_example", "swemwbs", "ucla3", "eq5d5l", "csri_example")


def answers(instrument_id: str) -> list:
    instrument = registry.instrument(instrument_id)
    return [item.code_values[0] if item.codes else item.range.minimum for item in instrument.items]


def record(s, participant, timepoint, instrument_id, on: date):
    point = s.study.timepoints.get(code=timepoint)
    participant.refresh_from_db()
    services.assessment_record(
        actor=s.lead,
        access=s.access,
        participant=participant,
        timepoint_id=point.pk,
        instrument_id=instrument_id,
        answers=answers(instrument_id),
        administered_on=on,
    )


def enrol(s, team_code: str) -> Participant:
    return services.participant_enrol(
        actor=s.lead,
        access=s.access,
        study_team_id=s.teams[team_code].pk,
        enrolled_on=ENROLLED,
        consented_on=ENROLLED,
    )


@pytest.fixture
def recorded(study_setup):
    """Seven participants (T01, T02 at site01; T03, T04 at site02; T01 and T03 intervention). Every window has
    closed by now (the 6-month windows close in September 2026)."""
    s = study_setup
    day0 = ENROLLED + days(2)
    p1, p2, p3 = enrol(s, "T01"), enrol(s, "T01"), enrol(s, "T01")
    p4, _p5 = enrol(s, "T02"), enrol(s, "T02")
    p6, _p7 = enrol(s, "T03"), enrol(s, "T04")
    for instrument in ALL_FIVE:  # p1: complete baseline, primary at 6 months
        record(s, p1, "baseline", instrument, day0)
    record(s, p1, "m6", PRIMARY, day0 + days(182))
    record(s, p2, "baseline", "ucla3", day0)  # p2: part of baseline, nothing at 6 months
    record(s, p3, "baseline", "ucla3", day0)  # p3: eq5d5l outside the baseline window, then withdrew
    record(s, p3, "baseline", "eq5d5l", day0 + days(40))
    p3.refresh_from_db()
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=p3,
        withdrawn_on=day0 + days(100),
        reason="moved",
        choice="keep-collected",
    )
    for instrument in ALL_FIVE:  # p4: complete baseline, primary at 6 months, then asked for removal
        record(s, p4, "baseline", instrument, day0)
    record(s, p4, "m6", PRIMARY, day0 + days(182))
    p4.refresh_from_db()
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=p4,
        withdrawn_on=day0 + days(190),
        reason="participant_choice",
        choice="remove-data",
    )
    record(s, p6, "baseline", "ucla3", day0)  # p6: part of baseline, primary at 6 months
    record(s, p6, "m6", PRIMARY, day0 + days(180))
    # p5 and p7: nothing recorded
    site01, site02 = s.study.sites.order_by("code")
    services.screening_record(
        actor=s.lead, access=s.access, site_id=site01.pk, screened_on=START, reason="declined", count=4
    )
    services.screening_record(
        actor=s.lead, access=s.access, site_id=site02.pk, screened_on=START, reason="not_eligible", count=2
    )
    return s


def numbers_of(found: c.Counts) -> tuple:
    return tuple(getattr(found, name) for name in c.COUNT_FIELDS)


def test_the_numbers_from_the_database(recorded):
    found = completeness_data.completeness(study=recorded.study)
    assert found.sites == ("site01", "site02")
    # recruited, withdrawn, removed, restricted, assessed, in window, outside, complete, not yet due, window open,
    # missed
    # Baseline: 6 in the data (p4 removed); p1, p2, p3, p6 assessed, p3 outside; only p1 complete; the rest missed.
    assert numbers_of(found.counts("baseline")) == (7, 2, 1, 0, 4, 3, 1, 1, 0, 0, 5)
    # Missed: p2 (ucla3), p3 (ucla3, eq5d5l), p5, p6 (ucla3), p7.
    assert found.counts("baseline").missing == {
        "resource_generator_example": 5,
        "swemwbs": 5,
        "ucla3": 2,
        "eq5d5l": 4,
        "csri_example": 5,
    }
    # 6 months: p1 and p6 have the primary only; everyone in the data missed it.
    assert numbers_of(found.counts("m6")) == (7, 2, 1, 0, 2, 2, 0, 0, 0, 0, 6)
    assert found.counts("m6").missing["resource_generator_example"] == 4
    assert found.counts("m6").missing["ucla3"] == 6
    assert numbers_of(found.counts("baseline", site="site01", arm="intervention")) == (
        3,
        1,
        0,
        0,
        3,
        2,
        1,
        1,
        0,
        0,
        2,
    )
    assert numbers_of(found.counts("baseline", site="site01", arm="control")) == (
        2,
        1,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
    )
    assert numbers_of(found.counts("m6", site="site02")) == (2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 2)


def test_the_flow_from_the_database(recorded):
    flow = completeness_data.flow_counts(study=recorded.study)
    assert (flow.assessed, flow.enrolled) == (13, 7)
    assert flow.not_enrolled == {"Did not meet the eligibility criteria": 2, "Declined to take part": 4}
    assert flow.follow_up_label == "6 months"
    intervention, control = flow.arms
    assert (intervention.arm, intervention.teams, intervention.allocated) == ("intervention", 2, 4)
    assert (intervention.followed_up, intervention.analysed, intervention.excluded) == (2, 2, {})
    assert intervention.lost == {"Withdrew, moved away or left the service": 1, c.MISSED_FOLLOW_UP: 1}
    assert (control.arm, control.teams, control.allocated, control.followed_up) == ("control", 2, 3, 1)
    assert control.lost == {c.MISSED_FOLLOW_UP: 2}
    assert (control.analysed, control.excluded) == (0, {c.REMOVED: 1})


def test_a_participant_whose_processing_is_restricted_counts_as_recruited_and_restricted_only(recorded, org):
    """Restriction of processing (UK GDPR Article 18, privacy app): none of the participant's assessments is
    counted; they stay in the recruitment and the flow (everyone allocated is accounted for), under "processing
    restricted", and not followed up for that reason."""
    s = recorded
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    restricted = services.person_enrol(
        actor=org.lead,
        person_id=person.pk,
        study_team_id=s.teams["T01"].pk,
        enrolled_on=ENROLLED,
        consented_on=ENROLLED,
    )
    for instrument in ALL_FIVE:  # a complete baseline and the primary at 6 months: none of it counts
        record(s, restricted, "baseline", instrument, ENROLLED + days(2))
    record(s, restricted, "m6", PRIMARY, ENROLLED + days(184))
    restrict_processing(person)

    found = completeness_data.completeness(study=s.study)
    baseline = found.counts("baseline")
    # As in test_the_numbers_from_the_database, plus one recruited and restricted, and in nothing else.
    assert (baseline.recruited, baseline.restricted, baseline.in_data) == (8, 1, 6)
    assert (baseline.assessed, baseline.complete, baseline.missed) == (4, 1, 5)
    assert found.recruited(site="site01", arm="intervention").restricted == 1
    flow = completeness_data.flow_counts(study=s.study)
    intervention, _control = flow.arms
    assert (flow.enrolled, intervention.allocated, intervention.followed_up) == (8, 5, 2)
    assert intervention.lost[c.RESTRICTED] == 1 and intervention.analysed == 2


def test_one_site_only(recorded):
    site02 = recorded.study.sites.get(code="site02")
    flow = completeness_data.flow_counts(study=recorded.study, site_id=site02.pk)
    assert (flow.assessed, flow.enrolled, flow.not_enrolled) == (
        4,
        2,
        {"Did not meet the eligibility criteria": 2},
    )
    assert [(arm.teams, arm.allocated, arm.followed_up, arm.analysed) for arm in flow.arms] == [
        (1, 1, 1, 1),
        (1, 1, 0, 0),
    ]
    found = completeness_data.completeness(study=recorded.study, site_id=site02.pk)
    assert found.sites == ("site02",)
    assert found.recruited().recruited == 2


# --- the page -----------------------------------------------------------------------------------------------


def page(study) -> str:
    return reverse("study:completeness", args=[study.pk])


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_member_sees_the_flow_and_the_tables(client, recorded):
    client.force_login(recorded.lead)
    response = client.get(page(recorded.study))
    assert response.status_code == 200
    html = text_of(response)
    assert "<svg" in html and "Enrolled (n=7)" in html and "Assessed for eligibility (n=13)" in html
    assert 'aria-current="page"' in html and ">Completeness<" in html
    flow_table = html[html.index('id="flow-arms"') :]
    flow_table = flow_table[: flow_table.index("</table>")]
    cells = re.findall(r'<td class="nhsuk-table__cell nhsuk-table__cell--numeric">(\d+)</td>', flow_table)
    # teams, allocated, followed up, not followed up, (withdrew moved, missed), analysed, excluded, (removed)
    assert cells == ["2", "2", "4", "3", "2", "1", "2", "2", "1", "0", "1", "2", "2", "0", "0", "1", "0", "1"]
    baseline = html[html.index('id="assessments-baseline"') :]
    all_sites = baseline[baseline.index("All sites") : baseline.index("</table>")]
    last_row = all_sites.split("<tr")[-1]  # all sites, both arms
    assert re.findall(r"numeric\">(\d+)<", last_row) == ["6", "4", "3", "1", "1", "0", "0", "5"]
    assert "Three-item loneliness scale (UCLA 3-item)" in html  # instrument titles in the missing tables
    assert "site01" in html and "site02" in html


def test_the_page_names_and_numbers_nobody(client, recorded, org):
    s = recorded
    person = PersonFactory(
        team=org.team, given_name="Philippa", family_name="Quennellworth", nhs_number="9990001234"
    )
    services.person_enrol(
        actor=org.lead,
        person_id=person.pk,
        study_team_id=s.teams["T01"].pk,
        enrolled_on=ENROLLED,
        consented_on=ENROLLED,
    )
    client.force_login(s.lead)
    html = client.get(page(s.study)).content.decode()
    assert "Enrolled (n=8)" in html
    numbers = list(Participant.objects.filter(study=s.study).values_list("number", flat=True))
    assert len(numbers) == 8
    for secret in (*numbers, "CPIS-", "Philippa", "Quennellworth", "9990001234", "999 000 1234", "1980"):
        assert secret not in html, secret


def test_a_full_member_can_show_one_site(client, recorded):
    site01, site02 = recorded.study.sites.order_by("code")
    client.force_login(recorded.lead)
    response = client.get(page(recorded.study), {"site": site02.pk})
    assert response.status_code == 200
    html = text_of(response)
    assert "Enrolled (n=2)" in html and "Assessed for eligibility (n=4)" in html
    assert "site01" not in html.split('id="flow"')[1]  # only the chooser names the other site
    assert client.get(page(recorded.study), {"site": "nonsense"}).status_code == 404
    assert client.get(page(recorded.study), {"site": 999999}).status_code == 404


def test_a_site_limited_member_sees_only_their_site(client, recorded, org):
    s = recorded
    site01, site02 = s.study.sites.order_by("code")
    helper = UserFactory(username="site_two_researcher")
    member(helper, Role.RESEARCHER, trust=site02.trust)
    services.member_add(
        actor=s.lead, access=s.access, username=helper.username, role="researcher", site_id=site02.pk
    )
    client.force_login(helper)
    response = client.get(page(s.study))
    assert response.status_code == 200
    html = text_of(response)
    assert "Enrolled (n=2)" in html and "Enrolled (n=7)" not in html
    assert "site01" not in html and site01.trust.name not in html
    assert "You see your site" in html
    assert client.get(page(s.study), {"site": site01.pk}).status_code == 404
    assert client.get(page(s.study), {"site": site02.pk}).status_code == 200
    csv_text = client.get(page(s.study), {"format": "csv"}).content.decode()
    assert "site01" not in csv_text and "site02" in csv_text


@pytest.mark.parametrize(
    "who", ["outsider", "practitioner", "lead", "administrator", "implementation_lead", "no_role"]
)
def test_everyone_else_gets_not_found(client, study_setup, org, who):
    user = study_setup.outsider if who == "outsider" else getattr(org, who)
    client.force_login(user)
    assert client.get(page(study_setup.study)).status_code == 404


def test_an_unknown_study_is_not_found(client, study_setup):
    client.force_login(study_setup.lead)
    assert client.get(reverse("study:completeness", args=[999999])).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, study_setup):
    response = client.get(page(study_setup.study))
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]


def test_the_numbers_download_as_csv(client, recorded):
    client.force_login(recorded.lead)
    response = client.get(page(recorded.study), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0].split(",")[:14] == ["timepoint", "site", "arm", *c.COUNT_FIELDS]
    assert "missing_ucla3" in lines[0]
    assert lines[0].count(",") + 1 == 14 + 5
    assert "baseline,all,all,7,2,1,0,4,3,1,1,0,0,5,5,5,2,4,5" in lines
    assert len(lines) == 1 + 2 * 3 * 3  # two timepoints × (two sites and all) × (two arms and all)
    assert "CPIS-" not in response.content.decode()


def test_the_page_takes_the_same_number_of_queries_for_5_or_40_participants(
    client, study_setup, django_assert_max_num_queries
):
    s = study_setup
    codes = ["T01", "T02", "T03", "T04"]

    def add(count: int) -> None:
        for index in range(count):
            participant = enrol(s, codes[index % 4])
            record(s, participant, "baseline", "ucla3", ENROLLED + days(index % 30))
            if index % 3 == 0:
                record(s, participant, "m6", PRIMARY, ENROLLED + days(index % 30) + days(180))

    client.force_login(s.lead)
    add(5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(page(s.study)).status_code == 200
    add(35)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page(s.study))
    assert response.status_code == 200 and "Enrolled (n=40)" in response.content.decode()
    assert len(many) == len(few)
    with django_assert_max_num_queries(16):  # sign-in, session, layout, access, sites and 7 for the numbers
        client.get(page(s.study))


def test_the_data_functions_take_a_handful_of_queries(recorded, django_assert_num_queries):
    with django_assert_num_queries(7):
        completeness_data.dashboard(study=recorded.study)
    access = selectors.study_access(actor=recorded.lead, study_id=recorded.study.pk)
    with django_assert_num_queries(7):
        completeness_data.completeness(study=access.study, site_id=access.site_id)
