"""A trust takes part in a study only by an act of someone entitled in it (issue 12, ADR 0010).

Found: a study lead in trust 1 added trust 2 as a site, allocated its team and exported its fidelity ratings,
with nobody in trust 2 involved. Now a lead adds directly only a trust where they hold the researcher role;
any other trust is invited and takes part once someone with the researcher role there accepts. Until then its
teams cannot be allocated, no one can be enrolled there, and no page, export or report reads anything of it,
even rows made before this rule (the migration leaves such a site invited)."""

import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.http import Http404
from django.utils import timezone

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import (
    TrustFactory,
    UserFactory,
    member,
    team_lead,
)
from connecting_people.audit.models import AuditEvent
from connecting_people.core.errors import ServiceError
from connecting_people.implementation import services as fidelity_services
from connecting_people.implementation.models import FidelityRating
from connecting_people.implementation.tests.conftest import ANSWERS, SCALE
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.study import jobs, selectors, services
from connecting_people.study.analysis import db as analysis_rows
from connecting_people.study.completeness import db as completeness_data
from connecting_people.study.export import db as exporting
from connecting_people.study.models import Participant, Screening, Study, StudySite, StudyTeam

from .conftest import START, days

ENROLLED = START + days(3)


@pytest.fixture
def trust_two(org):
    """The second trust: a team of it, and someone there with the researcher role."""
    team = org.other_trust_team
    researcher = UserFactory(username="their_researcher")
    member(researcher, Role.RESEARCHER, trust=team.trust)
    return {"trust": team.trust, "team": team, "researcher": researcher}


@pytest.fixture
def study(org):
    made = services.study_create(
        actor=org.researcher,
        data=services.StudyData(code="solo", title="A study", starts_on=START, consent_version="v1"),
    )
    return made, selectors.study_access(actor=org.researcher, study_id=made.pk)


# --- the hole, reproduced ---------------------------------------------------------------------------------


def test_a_lead_cannot_bring_another_trust_in_and_take_its_fidelity_ratings(org, study, trust_two):
    made, access = study
    today = timezone.localdate()
    their_lead = team_lead(trust_two["team"])
    fidelity_services.fidelity_rating_record(
        actor=their_lead,
        kind=FidelityRating.Kind.TEAM,
        scale_id=SCALE,
        answers=list(ANSWERS),
        rated_on=today,
        period_start=today - timedelta(days=30),
        period_end=today,
        team_id=trust_two["team"].pk,
    )
    site = services.site_add(actor=org.researcher, access=access, trust_id=trust_two["trust"].pk)
    assert site.status == StudySite.Status.INVITED
    with pytest.raises(ServiceError, match="has not accepted"):
        services.team_allocate(
            actor=org.researcher, access=access, team_id=trust_two["team"].pk, arm="control"
        )
    with pytest.raises(ServiceError, match="has not accepted"):
        services.teams_allocate_random(actor=org.researcher, access=access, team_ids=[trust_two["team"].pk])
    assert not StudyTeam.objects.exists()
    assert list(exporting.fidelity_rows(made, cutoff=timezone.now(), today=today)) == []
    assert trust_two["team"] not in selectors.teams_not_yet_allocated(study=made)
    event = AuditEvent.objects.get(action="study.site_invited")
    assert event.summary == {"site": "site01", "trust_id": trust_two["trust"].pk, "status": "invited"}


def test_the_add_a_site_page_invites_a_trust_the_lead_is_not_a_researcher_in(client, org, study, trust_two):
    made, _access = study
    client.force_login(org.researcher)
    response = client.post(f"/study/{made.pk}/sites/new/", {"trust": trust_two["trust"].pk})
    assert response.status_code == 302
    overview = client.get(response["Location"]).content.decode()
    assert "invited as site01" in overview and "Invited, waiting for the trust to accept" in overview
    allocate = client.get(f"/study/{made.pk}/teams/allocate/").content.decode()
    assert f'value="{trust_two["team"].pk}"' not in allocate  # its teams are not offered
    response = client.post(
        f"/study/{made.pk}/teams/allocate/", {"team": trust_two["team"].pk, "arm": "control"}
    )
    assert response.status_code == 200 and "has not accepted the invitation" in response.content.decode()
    assert not StudyTeam.objects.exists()


def test_a_lead_who_is_a_researcher_in_the_trust_adds_it_directly(org, study):
    made, access = study
    site = services.site_add(actor=org.researcher, access=access, trust_id=org.trust.pk)
    assert (site.status, site.decided_by) == (StudySite.Status.ACTIVE, org.researcher)
    services.team_allocate(actor=org.researcher, access=access, team_id=org.team.pk, arm="control")
    assert AuditEvent.objects.filter(action="study.site_added").count() == 1


# --- accepting and declining --------------------------------------------------------------------------------


def test_a_researcher_of_the_invited_trust_accepts_on_a_page_and_then_its_teams_can_be_allocated(
    client, org, study, trust_two
):
    made, access = study
    site = services.site_add(actor=org.researcher, access=access, trust_id=trust_two["trust"].pk)
    client.force_login(trust_two["researcher"])
    assert "1 invitation for your trust" in client.get("/study/").content.decode()
    listing = client.get("/study/invitations/").content.decode()
    assert f"/study/invitations/{site.pk}/" in listing and "SOLO" in listing
    page = client.get(f"/study/invitations/{site.pk}/").content.decode()
    assert "What taking part means" in page and org.researcher.display_name in page
    missing = client.post(f"/study/invitations/{site.pk}/", {})
    assert "Choose whether your trust takes part" in missing.content.decode()
    response = client.post(f"/study/invitations/{site.pk}/", {"decision": "accept"})
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.status, site.decided_by) == (StudySite.Status.ACTIVE, trust_two["researcher"])
    event = AuditEvent.objects.get(action="study.site_accepted")
    assert event.actor_id == trust_two["researcher"].pk and event.object_id == str(made.pk)
    assert event.summary == {"site": "site01", "trust_id": trust_two["trust"].pk, "study": "solo"}
    services.team_allocate(actor=org.researcher, access=access, team_id=trust_two["team"].pk, arm="control")
    # Answered: the page is gone (404), and the list shows the answer.
    assert client.get(f"/study/invitations/{site.pk}/").status_code == 404
    assert "Taking part" in client.get("/study/invitations/").content.decode()


def test_a_declined_invitation_keeps_the_trust_out_and_may_be_sent_again(client, org, study, trust_two):
    made, access = study
    site = services.site_add(actor=org.researcher, access=access, trust_id=trust_two["trust"].pk)
    client.force_login(trust_two["researcher"])
    assert client.post(f"/study/invitations/{site.pk}/", {"decision": "decline"}).status_code == 302
    site.refresh_from_db()
    assert site.status == StudySite.Status.DECLINED
    assert AuditEvent.objects.filter(action="study.site_declined", actor=trust_two["researcher"]).count() == 1
    with pytest.raises(ServiceError, match="has not accepted"):
        services.team_allocate(
            actor=org.researcher, access=access, team_id=trust_two["team"].pk, arm="control"
        )
    again = services.site_add(actor=org.researcher, access=access, trust_id=trust_two["trust"].pk)
    assert (again.pk, again.code, again.status) == (site.pk, "site01", StudySite.Status.INVITED)


def test_the_invitation_pages_are_the_invited_trusts_only(client, org, study, trust_two):
    made, access = study
    site = services.site_add(actor=org.researcher, access=access, trust_id=trust_two["trust"].pk)
    elsewhere = UserFactory(username="elsewhere_researcher")
    member(elsewhere, Role.RESEARCHER, trust=TrustFactory())
    their_practitioner = UserFactory(username="their_practitioner")
    member(their_practitioner, Role.PRACTITIONER, team=trust_two["team"])
    their_implementation_lead = UserFactory(username="their_implementation_lead")
    member(their_implementation_lead, Role.IMPLEMENTATION_LEAD, trust=trust_two["trust"])
    for user in (org.researcher, elsewhere, their_practitioner, their_implementation_lead, org.administrator):
        client.force_login(user)
        for method in (client.get, client.post):
            response = method(f"/study/invitations/{site.pk}/", {"decision": "accept"})
            assert response.status_code == 404, user
        if user is not org.researcher and user is not elsewhere:
            assert client.get("/study/invitations/").status_code == 404, user
        with pytest.raises(Http404):
            services.site_decide(actor=user, site_id=site.pk, accept=True)
    client.force_login(org.researcher)  # a researcher of another trust sees no invitation of trust two
    assert f"/study/invitations/{site.pk}/" not in client.get("/study/invitations/").content.decode()
    client.force_login(trust_two["researcher"])
    assert client.get("/study/invitations/999999/").status_code == 404
    site.refresh_from_db()
    assert site.status == StudySite.Status.INVITED
    assert not AuditEvent.objects.filter(action__in=["study.site_accepted", "study.site_declined"]).exists()


# --- nothing of a trust that has not accepted reaches any output -----------------------------------------


@pytest.fixture
def legacy(org, study_setup, settings, tmp_path):
    """The shared study (site01: the lead's own trust; site02: the second trust, accepted), with data at both
    sites: participants (one linked to a person with a map), assessments, screening, fidelity ratings. Then
    site02 is put back to invited, as the migration leaves a site that was added by someone outside its trust
    before this rule: all its rows are still there."""
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path / "study-files"
    s = study_setup
    today = timezone.localdate()
    their_lead = team_lead(s.other_site_team)
    their_worker = UserFactory(username="their_worker", first_name="Wilhelmina", last_name="Quince")
    member(their_worker, Role.PRACTITIONER, team=s.other_site_team)
    for team_code in ("T01", "T02", "T03", "T04"):
        participant = services.participant_enrol(
            actor=s.lead,
            access=s.access,
            study_team_id=s.teams[team_code].pk,
            enrolled_on=ENROLLED,
            consented_on=ENROLLED,
        )
        services.assessment_record(
            actor=s.lead,
            access=s.access,
            participant=participant,
            timepoint_id=s.study.timepoints.get(code="baseline").pk,
            instrument_id="ucla3",
            answers=[1, 2, 3],
            administered_on=ENROLLED,
        )
    person = PersonFactory(team=s.other_site_team, given_name="Ottilie", family_name="Marchbanks")
    services.person_enrol(
        actor=their_lead,
        person_id=person.pk,
        study_team_id=s.teams["T03"].pk,
        enrolled_on=ENROLLED,
        consented_on=ENROLLED,
    )
    for site in s.study.sites.all():
        services.screening_record(
            actor=s.lead, access=s.access, site_id=site.pk, screened_on=ENROLLED, reason="declined", count=3
        )
    for kind, worker in ((FidelityRating.Kind.TEAM, None), (FidelityRating.Kind.SUPERVISOR, their_worker)):
        fidelity_services.fidelity_rating_record(
            actor=their_lead,
            kind=kind,
            scale_id=SCALE,
            answers=list(ANSWERS),
            rated_on=today,
            period_start=today - timedelta(days=30),
            period_end=today,
            team_id=s.other_site_team.pk,
            worker_id=worker.pk if worker else None,
        )
    StudySite.objects.filter(study=s.study, code="site02").update(status=StudySite.Status.INVITED)
    theirs = list(Participant.objects.filter(site__code="site02").values_list("number", flat=True))
    assert len(theirs) == 3 and Screening.objects.filter(site__code="site02").exists()
    return s, theirs, their_lead


def test_no_export_row_comes_from_a_trust_that_has_not_accepted(legacy):
    s, theirs, _their_lead = legacy
    now, today = timezone.now(), timezone.localdate()
    rows = list(exporting.participant_rows(s.study, cutoff=now))
    assert {row["site"] for row in rows} == {"site01"} and len(rows) == 2
    ours = {row["person_id"] for row in rows}
    assert {row["person_id"] for row in exporting.administration_rows(s.study, cutoff=now)} == ours
    assert list(exporting.map_rows(s.study, cutoff=now)) == []
    assert list(exporting.fidelity_rows(s.study, cutoff=now, today=today)) == []


def test_the_export_files_hold_nothing_of_a_trust_that_has_not_accepted(legacy, tmp_path):
    s, _theirs, _their_lead = legacy
    job = jobs.job_request(actor=s.lead, access=s.access, kind="export", purpose="analysis", options={})
    job.refresh_from_db()
    assert job.state == "done", job.error
    with zipfile.ZipFile(job.result_path) as archive:
        archive.extractall(tmp_path / "out")
    text = "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in Path(tmp_path / "out").rglob("*")
        if path.is_file()
    )
    for absent in ("site02", "T03", "T04", "Quince", "Marchbanks"):
        assert absent not in text, absent
    assert job.summary["participants"] == 2
    fidelity = [path for path in Path(tmp_path / "out").rglob("fidelity_long.csv")]
    assert fidelity and len(fidelity[0].read_text(encoding="utf-8").splitlines()) == 1  # the header alone


def test_completeness_flow_and_analysis_count_nothing_of_a_trust_that_has_not_accepted(legacy):
    s, theirs, _their_lead = legacy
    rows = completeness_data.study_rows(study=s.study)
    assert rows.sites == ["site01"] and {p.site for p in rows.participants} == {"site01"}
    assert sum(rows.teams.values()) == 2 and rows.not_enrolled == {"Declined to take part": 3}
    flow = completeness_data.flow_counts(study=s.study)
    assert sum(arm.allocated for arm in flow.arms) == 2
    inputs = analysis_rows.analysis_inputs(s.study)
    assert {row["participant"] for row in inputs["participants"]}.isdisjoint(theirs)
    assert {row["participant"] for row in inputs["scores"]}.isdisjoint(theirs)
    assert inputs["fidelity"] == []


def test_no_study_page_shows_a_trust_that_has_not_accepted(client, legacy):
    s, theirs, _their_lead = legacy
    client.force_login(s.lead)
    base = f"/study/{s.study.pk}"
    for url in (f"{base}/participants/", f"{base}/due/", f"{base}/completeness/", f"{base}/"):
        page = client.get(url).content.decode()
        assert not any(number in page for number in theirs), url
        assert "T03" not in page and "T04" not in page, url
    assert "site02" not in client.get(f"{base}/completeness/").content.decode()
    other = Participant.objects.get(number=theirs[0])
    assert client.get(f"{base}/participants/{other.pk}/").status_code == 404
    assert selectors.participant_counts_by_arm(access=s.access) == {"intervention": 1, "control": 1}
    assert all(row["site"] == "site01" for row in selectors.screening_counts(access=s.access))


def test_no_one_is_enrolled_at_a_trust_that_has_not_accepted(legacy):
    s, _theirs, their_lead = legacy
    with pytest.raises(ServiceError, match="Choose one of the study's teams"):
        services.participant_enrol(
            actor=s.lead,
            access=s.access,
            study_team_id=s.teams["T04"].pk,
            enrolled_on=ENROLLED,
            consented_on=ENROLLED,
        )
    newcomer = PersonFactory(team=s.other_site_team)
    assert list(selectors.studies_open_to_person(person=newcomer)) == []
    with pytest.raises(ServiceError, match="Choose a study the person's team takes part in"):
        services.person_enrol(
            actor=their_lead,
            person_id=newcomer.pk,
            study_team_id=s.teams["T04"].pk,
            enrolled_on=ENROLLED,
            consented_on=ENROLLED,
        )
    site_two = StudySite.objects.get(study=s.study, code="site02")
    with pytest.raises(ServiceError):
        services.screening_record(
            actor=s.lead,
            access=s.access,
            site_id=site_two.pk,
            screened_on=ENROLLED,
            reason="declined",
            count=1,
        )


def test_the_migration_keeps_a_leads_own_trust_and_leaves_any_other_invited(org, study, trust_two):
    """The data step of migration 0003, run over sites made the old way (straight into the table)."""
    import importlib

    from django.apps import apps

    made, _access = study
    own = StudySite.objects.create(study=made, trust=org.trust, code="site01")
    other = StudySite.objects.create(study=made, trust=trust_two["trust"], code="site02")
    step = importlib.import_module("connecting_people.study.migrations.0003_site_joins_by_acceptance")
    step.sites_of_a_leads_own_trust_take_part(apps, None)
    own.refresh_from_db()
    other.refresh_from_db()
    assert (own.status, other.status) == (StudySite.Status.ACTIVE, StudySite.Status.INVITED)
    assert Study.objects.count() == 1
