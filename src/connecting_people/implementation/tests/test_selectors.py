"""Scoped reads and the aggregates for team and trust pages: who sees which ratings, small numbers hidden from
implementation leads, and a fixed number of queries whatever the number of teams."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import TeamFactory, UserFactory, member
from connecting_people.implementation import selectors, services
from connecting_people.implementation.models import FidelityRating
from connecting_people.implementation.tests.conftest import EXPECTED_TOTAL, TODAY, rate

SELF, SUPERVISOR, TEAM = FidelityRating.Kind.SELF, FidelityRating.Kind.SUPERVISOR, FidelityRating.Kind.TEAM


def kinds_visible(user) -> set[str]:
    return set(selectors.visible_ratings(actor=user).values_list("kind", flat=True))


def test_who_sees_which_ratings(org, records):
    assert kinds_visible(org.practitioner) == {SELF}
    assert kinds_visible(org.colleague) == set()  # not the practitioner's own
    assert kinds_visible(org.lead) == {SELF, SUPERVISOR, TEAM}
    assert kinds_visible(org.other_lead) == set()
    assert kinds_visible(org.implementation_lead) == {TEAM}
    for role in ("researcher", "administrator", "no_role"):
        assert kinds_visible(getattr(org, role)) == set()


def test_rating_histories_group_by_kind_and_scale_version_with_change(org):
    rate(org.lead, TEAM, org.team, answers=[2] * 16, rated_on=TODAY - timedelta(days=100))
    rate(org.lead, TEAM, org.team, answers=[3] * 16, rated_on=TODAY)
    rate(org.lead, SUPERVISOR, org.team, org.practitioner)
    histories = selectors.rating_histories(selectors.visible_ratings(actor=org.lead))
    assert [(h.kind, len(h.ratings)) for h in histories] == [(TEAM, 2), (SUPERVISOR, 1)]
    assert histories[0].change_since_first == 16 and histories[0].change_since_last == 16
    assert histories[1].change_since_first is None


def test_team_access_says_how_the_team_is_reached(org):
    assert selectors.team_access(actor=org.lead, team_id=org.team.pk).as_lead is True
    assert selectors.team_access(actor=org.implementation_lead, team_id=org.team.pk).as_lead is False
    for user, team in ((org.other_lead, org.team), (org.implementation_lead, org.other_trust_team)):
        with pytest.raises(Http404):
            selectors.team_access(actor=user, team_id=team.pk)
    with pytest.raises(Http404):
        selectors.team_for_lead(actor=org.implementation_lead, team_id=org.team.pk)


def test_team_workers_show_latest_ratings_supervision_and_training(org, records):
    services.supervision_record(
        actor=org.lead,
        team_id=org.team.pk,
        worker_id=org.practitioner.pk,
        held_on=TODAY - timedelta(days=3),
        connection_work_discussed=True,
    )
    rows = {row.worker.username: row for row in selectors.team_workers(actor=org.lead, team_id=org.team.pk)}
    assert set(rows) == {"practitioner", "colleague"}
    assert rows["practitioner"].latest_self == records.self_rating
    assert rows["practitioner"].latest_supervisor == records.supervisor_rating
    assert rows["practitioner"].last_supervision == TODAY - timedelta(days=3)
    assert rows["practitioner"].trained and not rows["colleague"].trained
    assert rows["colleague"].latest_self is None and rows["colleague"].last_supervision is None


def _team_with_rated_workers(org, count: int):
    workers = []
    for _ in range(count):
        worker = UserFactory()
        member(worker, Role.PRACTITIONER, team=org.team)
        workers.append(worker)
    for index, worker in enumerate(workers):
        rate(org.lead, SUPERVISOR, org.team, worker, answers=[index % 5] * 16)
    return workers


def test_worker_rating_aggregates_are_hidden_from_implementation_leads_under_the_threshold(org, settings):
    settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD = 5
    _team_with_rated_workers(org, 4)  # totals 0, 16, 32, 48
    [lead_row] = selectors.worker_rating_summaries(actor=org.lead, team_ids=[org.team.pk])
    assert lead_row["workers_rated"] == 4 and lead_row["mean_total"] == 24.0
    assert lead_row["mean_subscales"]["agency"] == 4.5
    [trust_row] = selectors.worker_rating_summaries(actor=org.implementation_lead, team_ids=[org.team.pk])
    assert trust_row["workers_rated"] is None
    assert trust_row["mean_total"] is None and trust_row["mean_subscales"] is None


def test_worker_rating_aggregates_show_at_the_threshold_and_count_each_worker_once(org, settings):
    settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD = 5
    workers = _team_with_rated_workers(org, 5)  # totals 0, 16, 32, 48, 64
    rate(org.lead, SUPERVISOR, org.team, workers[0], answers=[4] * 16, rated_on=TODAY - timedelta(days=200))
    [row] = selectors.worker_rating_summaries(actor=org.implementation_lead, team_ids=[org.team.pk])
    assert (
        row["workers_rated"] == 5 and row["mean_total"] == 32.0
    )  # the older rating of workers[0] is not counted
    [old] = selectors.worker_rating_summaries(
        actor=org.lead, team_ids=[org.team.pk], end=TODAY - timedelta(days=100)
    )
    assert old["workers_rated"] == 1 and old["mean_total"] == 64.0
    assert selectors.worker_rating_summaries(actor=org.lead, start=TODAY + timedelta(days=1)) == []


def test_supervision_counts_are_hidden_from_implementation_leads_under_the_threshold(org, settings):
    settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD = 5
    for days in range(3):
        services.supervision_record(
            actor=org.lead,
            team_id=org.team.pk,
            worker_id=org.practitioner.pk,
            held_on=TODAY - timedelta(days=days),
            connection_work_discussed=days != 2,
        )
    by_team = {row["team_id"]: row for row in selectors.supervision_summaries(actor=org.implementation_lead)}
    assert by_team[org.team.pk]["sessions"] is None
    assert by_team[org.other_team.pk]["sessions"] == 0  # zero identifies no one
    [lead_row] = selectors.supervision_summaries(actor=org.lead)
    assert (lead_row["sessions"], lead_row["connection_work_discussed"], lead_row["workers_supervised"]) == (
        3,
        2,
        1,
    )


def test_training_coverage_counts_workers_and_leads_by_level(org, records):
    rows = {row["team_id"]: row for row in selectors.training_coverage(actor=org.implementation_lead)}
    assert rows[org.team.pk] | {"team": ""} == {
        "team_id": org.team.pk,
        "team": "",
        "practitioners": 2,
        "practitioners_trained": 1,
        "leads": 1,
        "leads_trained": 1,
    }
    assert rows[org.other_team.pk]["leads_trained"] == 1
    assert org.other_trust_team.pk not in rows


def test_team_summaries_in_a_fixed_number_of_queries(org, records):
    services.champion_name(
        actor=org.lead, team_id=org.team.pk, expected_current_id=0, champion_id=org.colleague.pk, since=TODAY
    )
    services.checklist_status_set(
        actor=org.lead,
        team_id=org.team.pk,
        item_id="champion_named",
        expected_version=0,
        status="done",
        status_on=TODAY,
    )
    rows = {row.team.pk: row for row in selectors.team_implementation_summaries(actor=org.implementation_lead)}
    mine = rows[org.team.pk]
    assert mine.champion.champion == org.colleague
    assert (mine.active_links, mine.checklist_done, mine.checklist_total) == (1, 1, 12)
    assert mine.latest_team_rating.total == EXPECTED_TOTAL
    assert rows[org.other_team.pk].latest_team_rating is None

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors.team_implementation_summaries(actor=org.implementation_lead)
            selectors.training_coverage(actor=org.implementation_lead)
            selectors.worker_rating_summaries(actor=org.implementation_lead)
            selectors.supervision_summaries(actor=org.implementation_lead)
        return len(captured)

    before = queries()
    for _ in range(3):
        team = TeamFactory(trust=org.trust)
        lead = UserFactory()
        member(lead, Role.TEAM_LEAD, team=team)
        rate(lead, TEAM, team)
    assert queries() == before


def test_own_practice_is_for_practitioners_only(org, records):
    practice = selectors.own_practice(actor=org.practitioner)
    assert practice.self_ratings == [records.self_rating]
    assert [a.session for a in practice.training] == [records.session]
    with pytest.raises(Http404):
        selectors.own_practice(actor=org.lead)


def test_a_lead_sees_only_their_teams_attendees_of_a_trust_session(org, records):
    names = {
        a.attendee.username for a in selectors.session_attendees(actor=org.lead, session=records.trust_session)
    }
    assert names == {"lead"}
    names = {
        a.attendee.username
        for a in selectors.session_attendees(actor=org.implementation_lead, session=records.trust_session)
    }
    assert names == {"lead", "other_lead"}
