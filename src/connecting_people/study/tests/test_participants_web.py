"""The participant pages as a study member uses them: the list and its filters, enrolment, a participant's page,
consent, withdrawal, data entry by timepoint (and the out-of-window warning), the to-do list (constant queries
whatever the number of participants), the screening log, and enrolment from a person's page by their staff.
Bad input shows the error summary and saves nothing."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.measures import registry
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.study import services
from connecting_people.study.models import Assessment, Consent, Participant, Screening, Study

from .conftest import START, days

PROBLEM = "There is a problem"
UCLA_ITEMS = ("companionship", "left_out", "isolated")
TODAY = date.today()


def text(response) -> str:
    return response.content.decode()


def date_fields(name: str, day: date) -> dict:
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def enrol(s, team="T01", on=None, **extra) -> Participant:
    on = on or START + days(3)
    return services.participant_enrol(
        actor=s.lead, access=s.access, study_team_id=s.teams[team].pk, enrolled_on=on, consented_on=on, **extra
    )


def record(s, participant, code, on, instrument="ucla3", answers=(1, 2, 3)):
    return services.assessment_record(
        actor=s.lead,
        access=s.access,
        participant=participant,
        timepoint_id=s.study.timepoints.get(code=code).pk,
        instrument_id=instrument,
        answers=list(answers),
        administered_on=on,
    )


def participant_url(s, participant) -> str:
    return f"/study/{s.study.pk}/participants/{participant.pk}/"


def record_url(s, participant, code, instrument="ucla3") -> str:
    point = s.study.timepoints.get(code=code)
    return f"{participant_url(s, participant)}{point.pk}/{instrument}/"


def ucla_post(on: date, answers=("1", "2", "3")) -> dict:
    return date_fields("administered_on", on) | {
        f"item_{item}": value for item, value in zip(UCLA_ITEMS, answers, strict=True) if value is not None
    }


@pytest.fixture
def member(client, study_setup):
    client.force_login(study_setup.lead)
    return client


# --- the list -----------------------------------------------------------------------------------------------


def test_the_list_shows_each_participant_and_filters_by_site_arm_and_status(member, study_setup, org):
    s = study_setup
    first = enrol(s, "T01")
    record(s, first, "baseline", START + days(5))
    second = enrol(s, "T02")
    third = enrol(s, "T03")
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=second,
        withdrawn_on=START + days(30),
        reason="moved",
        choice="keep-collected",
    )
    linked = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    services.person_enrol(
        actor=org.practitioner,
        person_id=linked.pk,
        study_team_id=s.teams["T01"].pk,
        enrolled_on=START + days(4),
        consented_on=START + days(4),
    )
    base = f"/study/{s.study.pk}/participants/"
    page = text(member.get(base))
    assert "4 participants, by study number" in page
    assert f'href="{participant_url(s, first)}">CPIS-0001</a>' in page
    assert "Withdrawn 4 Feb 2026" in page
    assert page.count("Research only") == 3 and page.count("From practice") == 1
    assert "Enrol a participant" in page

    def numbers(query: str) -> list[str]:
        shown = text(member.get(base + query))
        return [n for n in ("CPIS-0001", "CPIS-0002", "CPIS-0003", "CPIS-0004") if f">{n}</a>" in shown]

    assert numbers("?site=site02") == [third.number]
    assert numbers("?arm=control") == [second.number]
    assert numbers("?status=withdrawn") == [second.number]
    assert numbers("?site=site01&arm=intervention&status=active") == ["CPIS-0001", "CPIS-0004"]
    bad = member.get(base + "?site=site99&arm=control")
    assert PROBLEM in text(bad) and "There is no site “site99”: showing every site" in text(bad)
    assert numbers("?site=site99&arm=control") == [second.number]  # the good filter still applies
    assert "No participants match" in text(member.get(base + "?site=site02&arm=control"))


# --- enrolment ----------------------------------------------------------------------------------------------


def enrol_post(s, team="T03", **changes) -> dict:
    on = START + days(20)
    return (
        {"study_team": str(s.teams[team].pk), "eligibility_notes": "Met criteria; check hearing aid"}
        | date_fields("enrolled_on", on)
        | date_fields("consented_on", on - days(2))
        | date_fields("date_of_birth", date(1970, 4, 1))
        | changes
    )


def test_a_member_enrols_a_research_only_participant(member, study_setup):
    s = study_setup
    url = f"/study/{s.study.pk}/participants/new/"
    form = text(member.get(url))
    assert "T03 – site02 – intervention" in form and "T02 – site01 – control" in form
    assert "version v1.0 of the consent form" in form
    response = member.post(url, enrol_post(s), follow=True)
    participant = Participant.objects.get()
    assert response.redirect_chain[-1][0] == participant_url(s, participant)
    assert "Enrolled as CPIS-0001." in text(response)
    assert (participant.study_team.code, participant.enrolled_on) == ("T03", START + days(20))
    assert participant.date_of_birth == date(1970, 4, 1) and participant.research_only
    assert participant.eligibility_notes == "Met criteria; check hearing aid"
    assert list(participant.consents.values_list("version", "consented_on")) == [("v1.0", START + days(18))]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"study_team": ""}, "Select an answer: team"),
        ({"study_team": "999999"}, "Choose one of the study&#39;s teams"),
        ({"enrolled_on_day": ""}, "Date of enrolment must include a day"),
        (date_fields("enrolled_on", TODAY + days(1)), "Date of enrolment must be today or in the past"),
        (
            date_fields("enrolled_on", START - days(1)),
            "The enrolment date cannot be before the study starts.",
        ),
        (
            date_fields("consented_on", START + days(21)),
            "Consent must be given on or before the day of enrolment.",
        ),
        (date_fields("date_of_birth", START + days(25)), "The date of birth must be before enrolment."),
    ],
)
def test_bad_enrolment_shows_the_error_summary_and_saves_nothing(member, study_setup, changes, message):
    s = study_setup
    response = member.post(f"/study/{s.study.pk}/participants/new/", enrol_post(s, **changes))
    assert response.status_code == 200
    assert PROBLEM in text(response) and message in text(response)
    assert not Participant.objects.exists()


def test_a_study_that_is_not_recruiting_refuses_enrolment(member, study_setup):
    s = study_setup
    services.study_status_set(
        actor=s.lead, access=s.access, expected_version=s.access.study.version, status=Study.Status.FOLLOW_UP
    )
    url = f"/study/{s.study.pk}/participants/new/"
    assert "CPIS is not recruiting (follow-up only)" in text(member.get(url))
    response = member.post(url, enrol_post(s))
    assert PROBLEM in text(response) and "cpis is not recruiting (follow-up only)." in text(response)
    assert not Participant.objects.exists()


# --- a participant's page -----------------------------------------------------------------------------------


def test_the_participants_page_shows_enrolment_consent_and_each_timepoint(member, study_setup):
    s = study_setup
    participant = enrol(s, eligibility_notes="Referred by the duty team")
    record(s, participant, "baseline", START + days(5))
    record(s, participant, "baseline", START + days(5), instrument="swemwbs", answers=[3] * 7)
    record(s, participant, "m6", START + days(5 + 250))  # outside the window (day 154 to 238)
    page = text(member.get(participant_url(s, participant)))
    assert "<h1>Participant CPIS-0001</h1>" in page
    for shown in ("site01", "T01", "Intervention", "Research only", "8 January 2026", "10 January 2026"):
        assert shown in page, shown
    assert "Referred by the duty team" in page
    assert "v1.0 (current)" in page
    # The baseline's window counts from enrolment: opens and target on that day, closes 28 days later.
    assert (
        "Window: opens 8 January 2026, target 8 January 2026, closes 5 February 2026 (day 0 to day 28)"
        in page
    )
    assert "10 January 2026, day 0" in page and "Total 6" in page
    assert "Metric score" in page  # SWEMWBS's headline is its metric score
    assert "17 September 2026, day 250" in page and "Outside window" in page
    assert page.count("Outside window") == 1
    assert f'href="{record_url(s, participant, "baseline", "eq5d5l")}"' in page
    assert f'href="{record_url(s, participant, "baseline", "ucla3")}"' not in page  # already recorded
    # Both windows have closed with some instruments recorded: missed, with what was recorded said.
    assert " ".join(page.split()).count("> Missed </strong>") == 2 and "2 of 5 instruments recorded" in page
    assert "Withdraw from the study" in page


def test_a_participant_who_asked_for_their_data_to_be_removed_is_offered_no_record_links(member, study_setup):
    s = study_setup
    participant = enrol(s)
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=participant,
        withdrawn_on=START + days(30),
        reason="participant_choice",
        choice="remove-data",
    )
    page = text(member.get(participant_url(s, participant)))
    assert "Their data is removed from the study" in page
    assert "/ucla3/" not in page and ">Record<" not in page
    assert "Remove all their data from the study" in page and "Participant&#39;s choice" in page
    assert "Withdraw from the study" not in page


# --- consent ------------------------------------------------------------------------------------------------


def test_consent_to_a_new_version_is_recorded_and_a_repeat_refused(member, study_setup):
    s = study_setup
    participant = enrol(s)
    url = f"{participant_url(s, participant)}consent/"
    assert "Consent recorded so far: version v1.0 on 8 January 2026." in text(member.get(url))
    response = member.post(
        url, {"version": "v2.0"} | date_fields("consented_on", START + days(40)), follow=True
    )
    assert "Consent to version v2.0 recorded." in text(response)
    assert list(participant.consents.values_list("version", flat=True)) == ["v1.0", "v2.0"]
    repeat = member.post(url, {"version": "v1.0"} | date_fields("consented_on", START + days(41)))
    assert PROBLEM in text(repeat) and "Consent to version v1.0 is already recorded." in text(repeat)
    missing = member.post(url, {"version": ""} | date_fields("consented_on", START + days(41)))
    assert "Enter version of the consent form" in text(missing)
    assert Consent.objects.count() == 2


# --- withdrawal ---------------------------------------------------------------------------------------------


def test_withdrawal_records_the_choice_about_the_data(member, study_setup):
    s = study_setup
    participant = enrol(s)
    url = f"{participant_url(s, participant)}withdraw/"
    form = text(member.get(url))
    assert "Withdrawal cannot be undone" in form
    assert (
        "Keep the data collected up to withdrawal" in form and "left out of every export and analysis" in form
    )
    data = date_fields("withdrawn_on", START + days(30)) | {"reason": "unwell", "choice": "keep-collected"}
    response = member.post(url, data, follow=True)
    assert "CPIS-0001 has withdrawn from the study." in text(response)
    participant.refresh_from_db()
    assert (participant.status, participant.withdrawn_on, participant.withdrawal_reason) == (
        "withdrawn",
        START + days(30),
        "unwell",
    )
    assert participant.withdrawal_choice == "keep-collected"
    assert "Too unwell to continue" in text(response)
    again = text(member.post(url, data | {"choice": "remove-data"}))
    assert "withdrew on 4 February 2026" in again and "<form" not in again.split("<main")[1]
    participant.refresh_from_db()
    assert participant.withdrawal_choice == "keep-collected"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"choice": ""}, "Select an answer: what should happen to the data already collected"),
        ({"reason": ""}, "Select an answer: why are they leaving the study"),
        (date_fields("withdrawn_on", START), "Withdrawal cannot be before enrolment."),
    ],
)
def test_bad_withdrawal_shows_the_error_summary_and_saves_nothing(member, study_setup, changes, message):
    s = study_setup
    participant = enrol(s)
    data = date_fields("withdrawn_on", START + days(30)) | {"reason": "unwell", "choice": "remove-data"}
    response = member.post(f"{participant_url(s, participant)}withdraw/", data | changes)
    assert response.status_code == 200 and PROBLEM in text(response) and message in text(response)
    participant.refresh_from_db()
    assert participant.status == "active"


# --- data entry ---------------------------------------------------------------------------------------------


def test_recording_an_instrument_at_a_timepoint(member, study_setup):
    s = study_setup
    participant = enrol(s)
    url = record_url(s, participant, "baseline")
    form = text(member.get(url))
    assert "Three-item loneliness scale" in form and "How often do you feel left out?" in form
    assert "(day 0 to day 28, counted from enrolment until the baseline is recorded)" in form
    response = member.post(url, ucla_post(START + days(6)), follow=True)
    assert response.redirect_chain[-1][0] == participant_url(s, participant)
    assert "Three-item loneliness scale (UCLA 3-item) recorded at Baseline." in text(response)
    assert "outside the window" not in text(response)
    assessment = Assessment.objects.get()
    assert (assessment.total, assessment.day, assessment.in_window) == (6.0, 0, True)
    assert assessment.timepoint.code == "baseline" and assessment.answers == [1, 2, 3]


def test_a_date_outside_the_window_is_saved_with_a_warning(member, study_setup):
    s = study_setup
    participant = enrol(s)
    record(s, participant, "baseline", START + days(5))
    response = member.post(record_url(s, participant, "m6"), ucla_post(START + days(5 + 120)), follow=True)
    assert response.redirect_chain[-1][0] == participant_url(s, participant)
    page = text(response)
    assert "recorded outside the window: day 120, window day 154 to day 238." in page
    assert "Outside window" in page
    assert Assessment.objects.get(timepoint__code="m6").day == 120


@pytest.mark.parametrize(
    "post, message",
    [
        (ucla_post(START + days(6), answers=(None, None, None)), "Enter at least one answer"),
        (ucla_post(START + days(6), answers=("1", "9", "3")), "Select a valid choice"),
        (ucla_post(TODAY + days(1)), "Date completed must be today or in the past"),
        (ucla_post(START + days(2)), "The date cannot be before the participant consented."),
    ],
)
def test_bad_answers_show_the_error_summary_and_save_nothing(member, study_setup, post, message):
    s = study_setup
    participant = enrol(s)
    response = member.post(record_url(s, participant, "baseline"), post)
    assert response.status_code == 200 and PROBLEM in text(response) and message in text(response)
    assert not Assessment.objects.exists()


def test_refused_data_is_shown_as_an_error_and_nothing_is_saved(member, study_setup):
    s = study_setup
    participant = enrol(s)
    record(s, participant, "baseline", START + days(5))
    again = member.post(record_url(s, participant, "baseline"), ucla_post(START + days(7)))
    assert "Three-item loneliness scale (UCLA 3-item) is already recorded at Baseline." in text(again)
    answers = {f"item_{item.id}": "3" for item in registry.instrument("wemwbs").items}
    unscheduled = member.post(
        record_url(s, participant, "m6", "wemwbs"),
        date_fields("administered_on", START + days(190)) | answers,
    )
    assert PROBLEM in text(unscheduled) and "wemwbs is not scheduled at 6 months." in text(unscheduled)
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=participant,
        withdrawn_on=START + days(100),
        reason="moved",
        choice="keep-collected",
    )
    later = member.post(record_url(s, participant, "m6"), ucla_post(START + days(190)))
    assert PROBLEM in text(later) and "withdrew on 15 April 2026" in text(later)
    assert Assessment.objects.count() == 1


def test_an_unknown_instrument_or_timepoint_is_not_found(member, study_setup):
    s = study_setup
    participant = enrol(s)
    other = services.study_create(
        actor=s.lead, data=services.StudyData(code="other", title="Other", starts_on=START, consent_version="1")
    )
    base = participant_url(s, participant)
    baseline = s.study.timepoints.get(code="baseline")
    assert member.get(f"{base}{baseline.pk}/no_such_measure/").status_code == 404
    assert member.get(f"{base}999999/ucla3/").status_code == 404
    assert member.get(f"{base}{other.timepoints.first().pk}/ucla3/").status_code == 404
    assert member.post(f"{base}999999/ucla3/", ucla_post(START + days(5))).status_code == 404
    assert not Assessment.objects.exists()


# --- to do --------------------------------------------------------------------------------------------------


def test_the_to_do_list_groups_open_and_recently_missed_timepoints(member, study_setup):
    s = study_setup
    in_window = enrol(s, on=TODAY - days(160))
    recently_missed = enrol(s, on=TODAY - days(45))
    due_soon = enrol(s, on=TODAY - days(145))
    overdue = enrol(s, on=TODAY - days(190))
    removed = enrol(s, on=TODAY - days(190))
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=removed,
        withdrawn_on=TODAY - days(1),
        reason="participant_choice",
        choice="remove-data",
    )
    page = text(member.get(f"/study/{s.study.pk}/to-do/"))
    for heading, count in [("Overdue", 1), ("In window", 1), ("Partly done", 0), ("Due soon", 1)]:
        assert f"{heading}: {count}" in page, heading
    assert "Missed recently: 1" in page
    sections = {
        heading: page.split(f'<h2 id="{anchor}">')[1].split("</table>")[0]
        for heading, anchor in [
            ("overdue", "overdue"),
            ("in window", "in-window"),
            ("due", "due"),
            ("missed", "missed"),
        ]
    }
    assert overdue.number in sections["overdue"] and "8 days overdue, 48 days left" in sections["overdue"]
    assert in_window.number in sections["in window"] and "78 days left" in sections["in window"]
    assert due_soon.number in sections["due"] and "Opens in 9 days" in sections["due"]
    assert recently_missed.number in sections["missed"] and "Closed 17 days ago" in sections["missed"]
    assert removed.number not in page
    assert f'href="{participant_url(s, overdue)}"' in sections["overdue"]


def test_the_to_do_list_costs_the_same_queries_for_3_or_30_participants(
    member, study_setup, django_assert_max_num_queries
):
    s = study_setup
    url = f"/study/{s.study.pk}/to-do/"

    def add(count: int) -> None:
        for index in range(count):
            participant = enrol(
                s, team=("T01", "T02", "T03", "T04")[index % 4], on=TODAY - days(index * 7 % 230)
            )
            if index % 3 == 0:
                record(s, participant, "baseline", participant.enrolled_on)

    add(3)
    member.get(url)
    with CaptureQueriesContext(connection) as small:
        assert member.get(url).status_code == 200
    add(27)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = text(member.get(url))
    assert Participant.objects.count() == 30 and page.count("/participants/") >= 10


# --- screening ----------------------------------------------------------------------------------------------


def test_the_screening_log_counts_by_site_and_reason(member, study_setup):
    s = study_setup
    url = f"/study/{s.study.pk}/screening/"
    site_one = s.study.sites.get(code="site01")
    data = {"site": str(site_one.pk), "reason": "declined", "count": "3"} | date_fields("screened_on", START)
    response = member.post(url, data, follow=True)
    assert "3 people added to the screening log at site01." in text(response)
    member.post(url, data | {"count": "2", "reason": "not_eligible"})
    page = text(member.get(url))
    assert "People assessed and not enrolled: 5" in page
    site_row = page.split('<th scope="row" class="nhsuk-table__header">site01</th>')[1].split("</tr>")[0]
    assert [cell.split("</td>")[0] for cell in site_row.split('numeric">')[1:]] == ["2", "3", "0", "0", "5"]
    assert sorted(Screening.objects.values_list("reason", "count")) == [("declined", 3), ("not_eligible", 2)]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"count": "0"}, "Enter how many people, 1 or more"),
        ({"count": "some"}, "Enter how many people as a whole number"),
        ({"reason": ""}, "Select an answer: why were they not enrolled"),
        ({"site": ""}, "Select an answer: site"),
    ],
)
def test_bad_screening_entries_save_nothing(member, study_setup, changes, message):
    s = study_setup
    site_one = s.study.sites.get(code="site01")
    data = {"site": str(site_one.pk), "reason": "declined", "count": "3"} | date_fields("screened_on", START)
    response = member.post(f"/study/{s.study.pk}/screening/", data | changes)
    assert response.status_code == 200 and PROBLEM in text(response) and message in text(response)
    assert not Screening.objects.exists()


# --- from a person's page -----------------------------------------------------------------------------------


def test_staff_enrol_a_person_from_their_page(client, study_setup, org):
    s = study_setup
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    client.force_login(org.practitioner)
    overview = text(client.get(f"/people/{person.pk}/"))
    assert "<h2>Research studies</h2>" in overview
    assert f'href="/people/{person.pk}/study/enrol/">Enrol in a study</a>' in overview
    form = text(client.get(f"/people/{person.pk}/study/enrol/"))
    assert "CPIS: Connecting People study (consent form v1.0)" in form
    data = {"study_team": str(s.teams["T01"].pk)} | date_fields("enrolled_on", START + days(12))
    data |= date_fields("consented_on", START + days(12))
    response = client.post(f"/people/{person.pk}/study/enrol/", data, follow=True)
    assert response.redirect_chain[-1][0] == f"/people/{person.pk}/"
    participant = Participant.objects.get()
    assert participant.person == person and participant.number == "CPIS-0001"
    page = text(response)
    assert "is enrolled in CPIS, study number CPIS-0001." in page
    assert "CPIS (Connecting People study): study number CPIS-0001, taking part" in page
    assert "Enrol in a study</a>" not in page  # no other study open to them


def test_bad_enrolment_from_a_persons_page_saves_nothing(client, study_setup, org):
    s = study_setup
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    client.force_login(org.lead)
    url = f"/people/{person.pk}/study/enrol/"
    dates = date_fields("enrolled_on", START + days(12)) | date_fields("consented_on", START + days(12))
    for data, message in [
        (dates, "Select an answer: study"),
        (dates | {"study_team": str(s.teams["T02"].pk)}, "Choose one of the studies open to them"),
        (
            {"study_team": str(s.teams["T01"].pk)} | date_fields("enrolled_on", START + days(12)),
            "Enter date of consent",
        ),
    ]:
        response = client.post(url, data)
        assert response.status_code == 200 and PROBLEM in text(response) and message in text(response)
    assert not Participant.objects.exists()


def test_no_study_open_means_no_link_and_no_form(client, study_setup, org):
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    services.study_status_set(
        actor=study_setup.lead,
        access=study_setup.access,
        expected_version=study_setup.access.study.version,
        status=Study.Status.CLOSED,
    )
    client.force_login(org.practitioner)
    assert "Research studies" not in text(client.get(f"/people/{person.pk}/"))
    page = text(client.get(f"/people/{person.pk}/study/enrol/"))
    assert "is recruiting now" in page and 'name="study_team"' not in page


# --- researchers never see who a participant is -------------------------------------------------------------


def test_no_study_page_shows_a_linked_persons_name_nhs_number_or_date_of_birth(member, study_setup, org):
    s = study_setup
    person = PersonFactory(
        team=org.team,
        allocated_worker=org.practitioner,
        given_name="Ottoline",
        family_name="Zebedee-Quartermaine",
        date_of_birth=date(1961, 2, 13),
    )
    participant = services.person_enrol(
        actor=org.practitioner,
        person_id=person.pk,
        study_team_id=s.teams["T01"].pk,
        enrolled_on=START + days(12),
        consented_on=START + days(12),
    )
    record(s, participant, "baseline", START + days(13))
    base = participant_url(s, participant)
    pages = [
        f"/study/{s.study.pk}/participants/",
        f"/study/{s.study.pk}/participants/?site=site01",
        f"/study/{s.study.pk}/participants/new/",
        base,
        f"{base}consent/",
        f"{base}withdraw/",
        record_url(s, participant, "baseline", "eq5d5l"),
        record_url(s, participant, "m6"),
        f"/study/{s.study.pk}/to-do/",
        f"/study/{s.study.pk}/screening/",
    ]
    nhs_number = person.nhs_number
    spaced = f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"
    for url in pages:
        response = member.get(url)
        assert response.status_code == 200, url
        page = text(response)
        assert participant.number in page or url.endswith(("/new/", "/screening/", "/to-do/")), url
        for identifier in ("Zebedee", "Quartermaine", "Ottoline", nhs_number, spaced, "1961", "13 February"):
            assert identifier not in page, (url, identifier)
    withdrawn = member.post(
        f"{base}withdraw/",
        date_fields("withdrawn_on", START + days(40)) | {"reason": "moved", "choice": "keep-collected"},
        follow=True,
    )
    assert "has withdrawn" in text(withdrawn) and "Zebedee" not in text(withdrawn)
