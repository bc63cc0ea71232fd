"""Study data in the demo and the generated scales: the demo's "cpdemo" (led by researcher.a, recruiting, a
dozen participants with baselines and a few follow-ups) and a finished study at each scale over its teams."""

from datetime import date, timedelta

from django.core.management import call_command

from connecting_people.accounts.models import Team, User
from connecting_people.audit.models import AuditEvent
from connecting_people.people.models import Person
from connecting_people.study import selectors, services
from connecting_people.study.models import Assessment, Study, StudyMember
from connecting_people.study.simulation.db import SIMULATOR_USERNAME
from connecting_people.synthetic.demo import DEMO_TEAMS
from connecting_people.synthetic.study import StudyShape, choose_teams

TODAY = date.today()


def test_the_demo_has_a_recruiting_study_led_by_researcher_a(db):
    call_command("demo")
    study = Study.objects.get(code="cpdemo")
    lead = StudyMember.objects.get(study=study)
    assert (lead.user.username, lead.role) == ("researcher.a", StudyMember.Role.LEAD)
    assert study.status == Study.Status.RECRUITING
    assert sorted(study.teams.values_list("arm", flat=True)) == ["control", "intervention"]
    assert set(study.teams.values_list("team__name", flat=True)) == set(DEMO_TEAMS)

    participants = list(study.participants.select_related("study_team", "person"))
    assert len(participants) == 12
    assessed = Assessment.objects.filter(participant__study=study)
    baselines = set(assessed.filter(timepoint__code="baseline").values_list("participant_id", flat=True))
    assert baselines == {p.pk for p in participants}
    followed_up = set(assessed.filter(timepoint__code="m6").values_list("participant_id", flat=True))
    assert 1 <= len(followed_up) <= 8  # a few: the later recruits are not at six months yet
    assert not assessed.filter(administered_on__gt=TODAY).exists()

    linked = [p for p in participants if p.person_id is not None]
    assert linked and len(linked) < len(participants)
    assert all(p.person.team_id == p.study_team.team_id and p.person.research_consent for p in linked)

    # what researcher.a sees on signing in: their study, with assessments done and some still to come
    researcher = User.objects.get(username="researcher.a")
    assert list(selectors.studies_for(actor=researcher)) == [study]
    access = selectors.study_access(actor=researcher, study_id=study.pk)
    statuses = {row.status for row in selectors.timepoint_statuses(access=access)}
    assert "done" in statuses and statuses & {"not due", "due", "in window", "overdue"}


def test_loading_the_demo_again_adds_no_second_study(db):
    call_command("demo")
    counts = (Study.objects.count(), Assessment.objects.count())
    call_command("demo")
    assert (Study.objects.count(), Assessment.objects.count()) == counts == (1, counts[1])


def test_a_new_study_can_be_set_up_on_top_of_the_demo(db):
    """What the researcher's browser journey does: a study of its own over the demo's teams and people."""
    call_command("demo")
    researcher = User.objects.get(username="researcher.a")
    study = services.study_create(
        actor=researcher,
        data=services.StudyData(
            code="journey", title="Journey study", starts_on=TODAY - timedelta(days=10), consent_version="v1"
        ),
    )
    access = selectors.study_access(actor=researcher, study_id=study.pk)
    riverside, hillside = (Team.objects.get(name=name) for name in DEMO_TEAMS)
    services.site_add(actor=researcher, access=access, trust_id=riverside.trust_id)
    first = services.team_allocate(actor=researcher, access=access, team_id=riverside.pk, arm="intervention")
    services.team_allocate(actor=researcher, access=access, team_id=hillside.pk, arm="control")
    services.study_status_set(
        actor=researcher, access=access, expected_version=access.study.version, status=Study.Status.RECRUITING
    )
    in_demo_study = Study.objects.get(code="cpdemo").participants.filter(person__team=riverside).first()
    assert in_demo_study is not None
    lead = User.objects.get(username="lead.a")
    joined = services.person_enrol(
        actor=lead,
        person_id=in_demo_study.person_id,
        study_team_id=first.pk,
        enrolled_on=TODAY,
        consented_on=TODAY,
    )
    assert joined.number == "JOURNEY-0001" and joined.study == study


def test_scale_s_has_a_finished_study_over_its_teams(db):
    call_command("demo", scale="S", seed=4)
    study = Study.objects.get(code="s4-study")
    assert study.status == Study.Status.FOLLOW_UP
    assert study.members.get().user.username == SIMULATOR_USERNAME
    teams = set(Team.objects.filter(trust__ods_code="s4t1").values_list("pk", flat=True))
    assert set(study.teams.values_list("team_id", flat=True)) == teams
    assert sorted(study.teams.values_list("arm", flat=True)) == ["control", "intervention"]
    participants = study.participants.select_related("person", "study_team")
    assert participants.count() == 40
    linked = [p for p in participants if p.person_id is not None]
    assert 0 < len(linked) <= 20
    assert all(p.person.team_id == p.study_team.team_id for p in linked)
    assert len({p.person_id for p in linked}) == len(linked)
    assessments = Assessment.objects.filter(participant__study=study)
    assert assessments.filter(timepoint__code="m6").exists()
    assert not assessments.filter(administered_on__gt=TODAY).exists()
    summary = AuditEvent.objects.get(action="synthetic.generated").summary
    assert summary["study_participants"] == 40 and summary["study_assessments"] == assessments.count()
    assert Person.objects.filter(trust__ods_code="s4t1").count() == 40  # no people were added for the study


def team(pk: int, trust: int) -> Team:
    return Team(pk=pk, trust_id=trust, name=f"team {pk}")


def test_choose_teams_takes_whole_sites_from_trusts_with_enough_teams():
    teams = [team(10 * trust + n, trust) for trust in range(1, 5) for n in range(3)]
    teams.append(team(99, 9))  # a trust with one team cannot be a site of two
    chosen, shape = choose_teams(teams, StudyShape(3, 2, 10))
    assert [t.pk for t in chosen] == [10, 11, 20, 21, 30, 31] and shape == StudyShape(3, 2, 10)


def test_choose_teams_shares_a_trust_between_sites_when_it_must():
    teams = [team(n, 1) for n in range(1, 21)]
    chosen, shape = choose_teams(teams, StudyShape(5, 4, 25))
    assert [t.pk for t in chosen] == list(range(1, 21)) and shape == StudyShape(5, 4, 25)


def test_choose_teams_shrinks_the_study_to_the_teams_there_are():
    chosen, shape = choose_teams([team(n, 1) for n in range(1, 8)], StudyShape(5, 2, 10))
    assert len(chosen) == 6 and shape == StudyShape(3, 2, 10)
    chosen, shape = choose_teams([team(1, 1), team(2, 2), team(3, 2)], StudyShape(2, 4, 10))
    assert len(chosen) == 3 and shape == StudyShape(1, 3, 10)
