"""Who reaches the participant pages. A study member: every page. A member limited to one site: that site's
participants only (404 for the other site's, and no enrolment at its teams). A researcher who is not a member,
and every practice role: 404 for everything, reads and writes alike. Anonymous: sent to sign in.
Enrolment from a person's page: the staff who work with the person only."""

from datetime import date

import pytest

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.study import services
from connecting_people.study.models import Assessment, Consent, Participant, Screening, StudyMember

from .conftest import START, days

NOT_MEMBERS = ["outsider", "practitioner", "lead", "implementation_lead", "administrator", "no_role"]
STUDY_PAGES = ["participants", "enrol", "due", "screening"]
PARTICIPANT_PAGES = ["participant", "consent", "withdraw", "record"]
SIGN_IN = "/accounts/sign-in/?next="


def date_fields(name: str, day: date) -> dict:
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


@pytest.fixture
def world(study_setup, org):
    """Two participants, one at each site, and a member limited to the second site."""
    s = study_setup
    at_site_one, at_site_two = (
        services.participant_enrol(
            actor=s.lead,
            access=s.access,
            study_team_id=s.teams[team].pk,
            enrolled_on=START + days(3),
            consented_on=START + days(3),
        )
        for team in ("T01", "T03")
    )
    site_two = s.study.sites.get(code="site02")
    limited = UserFactory(username="site_two_researcher")
    member(limited, Role.RESEARCHER, trust=site_two.trust)
    StudyMember.objects.create(study=s.study, user=limited, role="researcher", site=site_two, added_by=s.lead)
    return {"s": s, "one": at_site_one, "two": at_site_two, "limited": limited, "site_two": site_two}


def url(world, page: str, participant=None) -> str:
    s = world["s"]
    study = s.study.pk
    if page in STUDY_PAGES:
        return {
            "participants": f"/study/{study}/participants/",
            "enrol": f"/study/{study}/participants/new/",
            "due": f"/study/{study}/to-do/",
            "screening": f"/study/{study}/screening/",
        }[page]
    base = f"/study/{study}/participants/{participant.pk}/"
    baseline = s.study.timepoints.get(code="baseline").pk
    return {
        "participant": base,
        "consent": f"{base}consent/",
        "withdraw": f"{base}withdraw/",
        "record": f"{base}{baseline}/ucla3/",
    }[page]


def user(world, org, name):
    return world["s"].outsider if name == "outsider" else getattr(org, name)


def every_url(world) -> list[str]:
    return [url(world, page) for page in STUDY_PAGES] + [
        url(world, page, participant)
        for page in PARTICIPANT_PAGES
        for participant in (world["one"], world["two"])
    ]


def test_a_member_reaches_every_page(client, world):
    client.force_login(world["s"].lead)
    for address in every_url(world):
        assert client.get(address).status_code == 200, address


@pytest.mark.parametrize("name", NOT_MEMBERS)
def test_anyone_not_a_member_gets_404_for_every_page(client, world, org, name):
    client.force_login(user(world, org, name))
    for address in every_url(world):
        assert client.get(address).status_code == 404, (name, address)


def test_anonymous_is_sent_to_sign_in(client, world):
    for address in every_url(world):
        response = client.get(address)
        assert response.status_code == 302 and response["Location"].startswith(SIGN_IN), address
        assert client.post(address, {}).status_code == 302


# What a write to each page needs (valid, so only access can refuse it).
def writes(world) -> list[tuple[str, dict]]:
    s = world["s"]
    return [
        (
            url(world, "enrol"),
            {"study_team": str(s.teams["T01"].pk)}
            | date_fields("enrolled_on", START + days(9))
            | date_fields("consented_on", START + days(9)),
        ),
        (
            url(world, "screening"),
            {"site": str(s.study.sites.get(code="site01").pk), "reason": "declined", "count": "2"}
            | date_fields("screened_on", START + days(9)),
        ),
        (
            url(world, "consent", world["one"]),
            {"version": "v2.0"} | date_fields("consented_on", START + days(9)),
        ),
        (
            url(world, "withdraw", world["one"]),
            {"reason": "moved", "choice": "keep-collected"} | date_fields("withdrawn_on", START + days(9)),
        ),
        (
            url(world, "record", world["one"]),
            {"item_companionship": "1", "item_left_out": "2", "item_isolated": "3"}
            | date_fields("administered_on", START + days(9)),
        ),
    ]


def snapshot() -> tuple:
    return (
        list(Participant.objects.values_list("pk", "status").order_by("pk")),
        Consent.objects.count(),
        Assessment.objects.count(),
        Screening.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("name", ["outsider", "practitioner", "lead", "administrator", "limited"])
def test_writes_out_of_reach_are_404_and_change_nothing(client, world, org, name):
    client.force_login(world["limited"] if name == "limited" else user(world, org, name))
    before = snapshot()
    for address, data in writes(world):
        if name == "limited" and address in (url(world, "enrol"), url(world, "screening")):
            continue  # the limited member reaches these pages: see the next test
        assert client.post(address, data).status_code == 404, (name, address)
    assert snapshot() == before


def test_the_same_writes_succeed_for_a_member(client, world):
    """The writes above are valid: refused only for want of access."""
    client.force_login(world["s"].lead)
    for address, data in writes(world):
        response = client.post(address, data)
        assert response.status_code == 302, address
    assert Participant.objects.count() == 3 and Screening.objects.get().count == 2
    assert Assessment.objects.count() == 1 and Consent.objects.filter(version="v2.0").count() == 1


def test_a_site_limited_member_reaches_their_own_sites_participants_only(client, world):
    client.force_login(world["limited"])
    for page in PARTICIPANT_PAGES:
        assert client.get(url(world, page, world["two"])).status_code == 200, page
        assert client.get(url(world, page, world["one"])).status_code == 404, page
    listing = client.get(url(world, "participants")).content.decode()
    assert world["two"].number in listing and world["one"].number not in listing
    to_do = client.get(url(world, "due")).content.decode()
    assert world["one"].number not in to_do


def test_a_site_limited_member_cannot_enrol_or_log_screening_at_the_other_site(client, world):
    s = world["s"]
    client.force_login(world["limited"])
    form = client.get(url(world, "enrol")).content.decode()
    assert "T03 – site02" in form and "T04 – site02" in form and "T01" not in form and "site01" not in form
    before = snapshot()
    other_site = dict(writes(world))
    response = client.post(url(world, "enrol"), other_site[url(world, "enrol")])
    assert response.status_code == 200 and "Choose one of the study&#39;s teams" in response.content.decode()
    response = client.post(url(world, "screening"), other_site[url(world, "screening")])
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert snapshot() == before
    own_team = {"study_team": str(s.teams["T04"].pk)} | date_fields("enrolled_on", START + days(9))
    own_team |= date_fields("consented_on", START + days(9))
    assert client.post(url(world, "enrol"), own_team).status_code == 302
    assert Participant.objects.order_by("pk").last().site == world["site_two"]


# --- enrolment from a person's page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("practitioner", 200),  # allocated to the person
        ("lead", 200),
        ("colleague", 404),
        ("other_lead", 404),
        ("researcher", 404),  # leads the study, and still never reaches a person's page
        ("implementation_lead", 404),
        ("administrator", 404),
    ],
)
def test_enrolment_from_a_persons_page_is_for_their_staff(client, study_setup, org, name, expected):
    s = study_setup
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    address = f"/people/{person.pk}/study/enrol/"
    client.force_login(getattr(org, name))
    assert client.get(address).status_code == expected
    data = {"study_team": str(s.teams["T01"].pk)} | date_fields("enrolled_on", START + days(9))
    data |= date_fields("consented_on", START + days(9))
    assert client.post(address, data).status_code == (302 if expected == 200 else 404)
    assert Participant.objects.filter(person=person).exists() is (expected == 200)


def test_enrolment_from_a_persons_page_sends_anonymous_to_sign_in(client, study_setup, org):
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    response = client.get(f"/people/{person.pk}/study/enrol/")
    assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)
    assert client.post(f"/people/{person.pk}/study/enrol/", {}).status_code == 302
    assert not Participant.objects.exists()


def test_an_unknown_participant_or_person_is_not_found(client, world, org):
    s = world["s"]
    client.force_login(s.lead)
    assert client.get(f"/study/{s.study.pk}/participants/999999/").status_code == 404
    assert client.get("/study/999999/participants/").status_code == 404
    client.force_login(org.lead)
    assert client.get("/people/999999/study/enrol/").status_code == 404
