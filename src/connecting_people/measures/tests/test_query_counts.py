"""The measures page costs the same number of queries however many administrations a person has."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.accounts.actor import as_actor
from connecting_people.measures.services import administration_record
from connecting_people.people.tests.factories import PersonFactory

INSTRUMENTS = {
    "swemwbs": [3] * 7,
    "ucla3": [2, 1, 3],
    "eq5d5l": [1, 2, 3, 2, 1, 60],
    "lsns6": [1, 2, 3, 4, 5, 0],
}


def _record(org, person, rounds: int) -> None:
    for round_number in range(rounds):
        for instrument_id, answers in INSTRUMENTS.items():
            administration_record(
                actor=as_actor(org.practitioner),
                person_id=person.pk,
                instrument_id=instrument_id,
                answers=answers,
                administered_on=date(2025, 1, 1) + timedelta(days=round_number),
                mode="with_person",
            )


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_measures_page_query_count_does_not_grow(client, org):
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner, date_of_birth=date(1970, 1, 1))
    client.force_login(org.practitioner)
    url = f"/people/{person.pk}/measures/"
    _record(org, person, 1)
    client.get(url)  # warm the instrument catalogue and the session
    few = _count(client, url)
    _record(org, person, 9)
    assert _count(client, url) == few


def test_each_recording_keeps_the_persons_first_and_latest_headline(org):
    from connecting_people.measures.models import HeadlineSpan

    person = PersonFactory(team=org.team, allocated_worker=org.practitioner, date_of_birth=date(1970, 1, 1))
    for day, answers in ((1, [1, 1, 1]), (2, [3, 3, 3]), (3, [2, 2, 2])):
        administration_record(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            instrument_id="ucla3",
            answers=answers,
            administered_on=date(2025, 1, day),
            mode="with_person",
        )
    span = HeadlineSpan.objects.get(person=person, instrument_id="ucla3")
    assert (span.first_on, span.first_score) == (date(2025, 1, 1), 3.0)
    assert (span.latest_on, span.latest_score, span.scored) == (date(2025, 1, 3), 6.0, 3)


def test_refresh_spans_command_rebuilds_them(org):
    import io

    from django.core.management import call_command

    from connecting_people.measures.models import HeadlineSpan

    person = PersonFactory(team=org.team, allocated_worker=org.practitioner, date_of_birth=date(1970, 1, 1))
    _record(org, person, 2)
    before = list(HeadlineSpan.objects.order_by("instrument_id").values())
    HeadlineSpan.objects.all().delete()
    out = io.StringIO()
    call_command("refresh_spans", stdout=out)
    assert "spans written" in out.getvalue()
    after = list(HeadlineSpan.objects.order_by("instrument_id").values())
    assert [{k: v for k, v in row.items() if k != "id"} for row in after] == [
        {k: v for k, v in row.items() if k != "id"} for row in before
    ]
