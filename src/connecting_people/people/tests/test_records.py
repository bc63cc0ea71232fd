"""Creating, editing, allocating and closing records: validation, uniqueness, concurrency, transactions, audit."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from connecting_people.audit.models import AuditEvent
from connecting_people.core.errors import NotAllowedError, ServiceError, StaleRecordError
from connecting_people.people import services
from connecting_people.people.forms import PersonForm
from connecting_people.people.models import Person
from connecting_people.people.tests.factories import PersonFactory, nhs_number_for

VALID = {
    "given_name": "Robin",
    "family_name": "Ashworth",
    "preferred_name": "",
    "date_of_birth_day": "4",
    "date_of_birth_month": "11",
    "date_of_birth_year": "1979",
    "nhs_number": "",
    "phone": "",
    "email": "",
    "address": "",
    "postcode": "",
    "opened_on_day": "1",
    "opened_on_month": "2",
    "opened_on_year": "2026",
    "practice_consent": "unknown",
    "research_consent": "unknown",
    "strengths": "cooking, Listening",
    "interests": "walking",
    "version": "1",
}


def form_errors(**changes) -> dict:
    form = PersonForm(data=VALID | changes)
    form.is_valid()
    return {name: list(errors) for name, errors in form.errors.items()}


class TestPersonForm:
    def test_valid_form_cleans_tags_and_dates(self):
        form = PersonForm(data=VALID | {"nhs_number": "999 000 0018"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["date_of_birth"] == date(1979, 11, 4)
        assert form.cleaned_data["strengths"] == ["cooking", "listening"]
        assert form.cleaned_data["nhs_number"] == "9990000018"

    @pytest.mark.parametrize(
        "number, message",
        [
            ("1234567890", "Enter a valid NHS number"),
            ("99900000", "NHS number must be 10 digits"),
            ("99900000AB", "NHS number must be 10 digits"),
        ],
    )
    def test_invalid_nhs_number(self, number, message):
        assert message in form_errors(nhs_number=number)["nhs_number"][0]

    def test_date_of_birth_in_the_future(self):
        future = timezone.localdate() + timedelta(days=1)
        errors = form_errors(
            date_of_birth_day=str(future.day),
            date_of_birth_month=str(future.month),
            date_of_birth_year=str(future.year),
        )
        assert errors["date_of_birth"] == ["Date of birth must be today or in the past"]

    @pytest.mark.parametrize(
        "day, month, year, message",
        [
            ("31", "2", "1990", "Date of birth must be a real date"),
            ("", "2", "1990", "Date of birth must include a day"),
            ("", "", "", "Enter date of birth"),
            ("1", "1", "90", "Date of birth must be a real date"),
        ],
    )
    def test_date_of_birth_must_be_real_and_complete(self, day, month, year, message):
        errors = form_errors(date_of_birth_day=day, date_of_birth_month=month, date_of_birth_year=year)
        assert errors["date_of_birth"] == [message]

    def test_over_long_fields(self):
        errors = form_errors(given_name="x" * 101, strengths="y" * 61)
        assert "at most 100 characters" in errors["given_name"][0]
        assert "60 characters or fewer" in errors["strengths"][0]

    def test_consent_needs_a_date(self):
        assert form_errors(practice_consent="yes")["practice_consent_on"] == [
            "Enter the date they agreed or declined"
        ]


@pytest.fixture
def person(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner, nhs_number=nhs_number_for(1))


def post_edit(client, person, **changes):
    return client.post(f"/people/{person.pk}/edit/", VALID | {"version": str(person.version)} | changes)


class TestEditPage:
    def test_bad_input_shows_errors_and_saves_nothing(self, client, org, person):
        client.force_login(org.practitioner)
        before = Person.objects.values().get(pk=person.pk)
        response = post_edit(client, person, nhs_number="1234567890", given_name="")
        content = response.content.decode()
        assert response.status_code == 200
        assert "There is a problem" in content
        assert 'href="#id_nhs_number"' in content and "Enter a valid NHS number" in content
        assert Person.objects.values().get(pk=person.pk) == before
        assert not AuditEvent.objects.filter(action="person.updated").exists()

    def test_duplicate_nhs_number_in_the_trust_is_refused(self, client, org, person):
        other = PersonFactory(team=org.other_team, nhs_number=nhs_number_for(2))
        client.force_login(org.practitioner)
        response = post_edit(client, person, nhs_number=other.nhs_number)
        assert "already recorded for someone else in this trust" in response.content.decode()
        person.refresh_from_db()
        assert person.nhs_number == nhs_number_for(1)

    def test_same_nhs_number_in_another_trust_is_allowed(self, client, org, person):
        elsewhere = PersonFactory(team=org.other_trust_team, nhs_number=nhs_number_for(3))
        client.force_login(org.practitioner)
        response = post_edit(client, person, nhs_number=elsewhere.nhs_number)
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.nhs_number == elsewhere.nhs_number

    def test_save_records_changes_bumps_version_and_audits(self, client, org, person):
        client.force_login(org.practitioner)
        response = post_edit(client, person, given_name="Robyn")
        assert response.status_code == 302
        person.refresh_from_db()
        assert (person.given_name, person.version) == ("Robyn", 2)
        event = AuditEvent.objects.get(action="person.updated")
        assert event.person_id == person.pk and "given_name" in event.summary["fields"]
        assert "Robyn" not in str(event.summary)  # free text never enters the trail

    def test_second_of_two_concurrent_edits_is_refused_and_first_kept(self, client, org, person):
        client.force_login(org.practitioner)
        stale_version = person.version
        assert post_edit(client, person, given_name="First").status_code == 302
        response = post_edit(client, person, given_name="Second", version=str(stale_version))
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.given_name == "First"
        follow = client.get(response["Location"])
        assert "Someone else saved changes" in follow.content.decode()

    def test_viewing_a_record_is_audited(self, client, org, person):
        client.force_login(org.practitioner)
        client.get(f"/people/{person.pk}/")
        event = AuditEvent.objects.get(action="person.viewed")
        assert (event.actor_id, event.person_id, event.summary) == (
            org.practitioner.pk,
            person.pk,
            {"page": "overview"},
        )


class TestServices:
    DATA = {
        "given_name": "Sam",
        "family_name": "Lowe",
        "date_of_birth": date(1990, 1, 1),
        "opened_on": date(2026, 1, 1),
    }

    def test_practitioners_new_person_is_allocated_to_them(self, org):
        person = services.person_create(
            user=org.practitioner, team_id=org.team.pk, data=self.DATA, strengths=["art"], interests=[]
        )
        assert person.allocated_worker == org.practitioner and person.trust == org.trust
        assert AuditEvent.objects.filter(action="person.created", person_id=person.pk).exists()

    def test_cannot_add_to_another_team(self, org):
        with pytest.raises(NotAllowedError):
            services.person_create(
                user=org.practitioner, team_id=org.other_team.pk, data=self.DATA, strengths=[], interests=[]
            )

    def test_a_crash_part_way_leaves_nothing_behind(self, org):
        with mock.patch(
            "connecting_people.people.services.audit_record", side_effect=RuntimeError("disk full")
        ):
            with pytest.raises(RuntimeError):
                services.person_create(
                    user=org.practitioner,
                    team_id=org.team.pk,
                    data=self.DATA,
                    strengths=["art"],
                    interests=["music"],
                )
        assert not Person.objects.filter(family_name="Lowe").exists()

    def test_stale_version_is_refused(self, org, person):
        with pytest.raises(StaleRecordError):
            services.person_update(
                user=org.practitioner,
                person_id=person.pk,
                expected_version=person.version + 5,
                data={"given_name": "Z"},
                strengths=[],
                interests=[],
            )

    def test_only_the_lead_allocates_and_only_to_team_practitioners(self, org, person):
        with pytest.raises(NotAllowedError):
            services.person_allocate(
                user=org.practitioner, person_id=person.pk, expected_version=1, worker_id=org.colleague.pk
            )
        with pytest.raises(ServiceError):
            services.person_allocate(
                user=org.lead, person_id=person.pk, expected_version=1, worker_id=org.other_lead.pk
            )
        services.person_allocate(
            user=org.lead, person_id=person.pk, expected_version=1, worker_id=org.colleague.pk
        )
        person.refresh_from_db()
        assert person.allocated_worker == org.colleague
        event = AuditEvent.objects.get(action="person.allocated")
        assert event.summary == {"from_worker_id": org.practitioner.pk, "to_worker_id": org.colleague.pk}

    def test_close_and_reopen(self, org, person):
        with pytest.raises(ServiceError, match="on or after"):
            services.person_close(
                user=org.practitioner,
                person_id=person.pk,
                expected_version=person.version,
                closed_on=person.opened_on - timedelta(days=1),
                reason="moved_on",
            )
        closed = services.person_close(
            user=org.practitioner,
            person_id=person.pk,
            expected_version=person.version,
            closed_on=date(2026, 3, 1),
            reason="moved_on",
        )
        assert closed.status == "closed"
        reopened = services.person_reopen(
            user=org.practitioner, person_id=person.pk, expected_version=closed.version
        )
        assert (reopened.status, reopened.closed_on) == ("open", None)
        assert list(AuditEvent.objects.filter(person_id=person.pk).values_list("action", flat=True)) == [
            "person.closed",
            "person.reopened",
        ]


def test_add_a_person_through_the_page(client, org):
    client.force_login(org.practitioner)
    data = VALID | {"team": str(org.team.pk), "nhs_number": nhs_number_for(9)}
    data.pop("version")
    response = client.post("/people/new/", data)
    assert response.status_code == 302
    person = Person.objects.get(nhs_number=nhs_number_for(9))
    assert response["Location"] == f"/people/{person.pk}/"
    assert sorted(person.tags.values_list("name", flat=True)) == ["cooking", "listening", "walking"]


def test_close_page_rejects_missing_reason(client, org, person):
    client.force_login(org.practitioner)
    response = client.post(
        f"/people/{person.pk}/close/",
        {"closed_on_day": "1", "closed_on_month": "3", "closed_on_year": "2026", "version": person.version},
    )
    assert "There is a problem" in response.content.decode()
    person.refresh_from_db()
    assert person.status == "open"


def test_duplicate_nhs_number_saved_at_the_same_moment_is_refused_cleanly(org, person):
    """The check passes for both of two simultaneous saves; the database constraint stops the second."""
    data = TestServices.DATA | {"nhs_number": person.nhs_number}
    with mock.patch("connecting_people.people.services.nhs_number_in_use", return_value=False):
        with pytest.raises(ServiceError, match="already recorded") as refused:
            services.person_create(
                user=org.practitioner, team_id=org.team.pk, data=data, strengths=[], interests=[]
            )
    assert refused.value.field == "nhs_number"
    assert Person.objects.filter(nhs_number=person.nhs_number).count() == 1


def test_odd_team_filter_is_ignored_not_an_error(client, org):
    client.force_login(org.lead)
    assert client.get("/people/team/", {"team": "²"}).status_code == 200


@pytest.mark.parametrize("page", ["edit", "close", "allocate", "measures", "measures/new"])
def test_every_page_showing_a_record_audits_the_view(client, org, person, page):
    client.force_login(org.lead)
    assert client.get(f"/people/{person.pk}/{page}/").status_code == 200
    assert AuditEvent.objects.filter(action="person.viewed", person_id=person.pk).exists()


def test_a_superuser_gets_no_lead_powers_from_being_superuser(client, org, person):
    org.practitioner.is_superuser = True
    org.practitioner.save()
    client.force_login(org.practitioner)
    assert client.get(f"/people/{person.pk}/allocate/").status_code == 404
    with pytest.raises(NotAllowedError):
        services.person_allocate(
            user=org.practitioner,
            person_id=person.pk,
            expected_version=person.version,
            worker_id=org.colleague.pk,
        )


def test_signed_in_pages_are_not_stored_by_browsers(client, org, person):
    client.force_login(org.practitioner)
    assert client.get(f"/people/{person.pk}/")["Cache-Control"] == "no-store, private"


def test_database_ordering_matches_the_due_next_ranking(org):
    """The team caseload pages in SQL (most_urgent_first); it must rank exactly as due.next_step does."""
    import random

    from connecting_people.people.selectors import most_urgent_first, with_next_steps

    rng = random.Random(4)
    today = timezone.localdate()
    for index in range(60):
        closed = rng.random() < 0.15
        PersonFactory(
            team=org.team,
            family_name=f"Name{index:02d}",
            given_name="A",
            status="closed" if closed else "open",
            closed_on=today if closed else None,
            practice_consent=rng.choice([None, True, True, False]),
            next_review_on=rng.choice(
                [
                    None,
                    today - timedelta(days=rng.randint(1, 30)),
                    today + timedelta(days=rng.randint(0, 30)),
                    today,
                ]
            ),
        )
    people = Person.objects.filter(team=org.team)
    in_python = [person.pk for person, _ in with_next_steps(people, today=today)]
    in_sql = list(most_urgent_first(people, today=today).values_list("pk", flat=True))
    assert in_sql == in_python
