"""Retention in the database: the report of what falls due by class (page and command), and applying it: a dry
run by default, erasure through the erasure service when asked, restricted records kept, study data only under
a deployment's study rule, the audit trail counted but left to `audit archive`, all of it audited."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connecting_people.audit.models import AuditEvent
from connecting_people.people.models import Person
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.privacy import selectors, services
from connecting_people.privacy.retention import years_before
from connecting_people.study.models import Assessment as StudyAssessment
from connecting_people.study.models import Participant, Study

TODAY = date(2047, 6, 1)


def closed(org, years_ago: float, reason="moved_on", team=None, **extra) -> Person:
    closed_on = TODAY - timedelta(days=round(years_ago * 365.25))
    return PersonFactory(
        team=team or org.team,
        status="closed",
        opened_on=closed_on - timedelta(days=400),
        closed_on=closed_on,
        closure_reason=reason,
        **extra,
    )


@pytest.fixture
def people(org, officers):
    made = {
        "due": closed(org, 20.5),
        "not_yet": closed(org, 19.5),
        "died": closed(org, 10.5, reason="died"),
        "died_recently": closed(org, 9.5, reason="died"),
        "held": closed(org, 30),
        "open": PersonFactory(team=org.team, opened_on=date(2020, 1, 1)),
        "other_trust": closed(org, 30, team=org.other_trust_team),
    }
    services.restriction_add(user=officers.a, person_id=made["held"].pk, ground="legal_claims")
    return made


def test_the_report_counts_by_class(org, officers, people):
    report = selectors.retention_report(user=officers.a, today=TODAY)
    by_class = report.by_class()
    practice = by_class["practice_record"]
    assert (practice.held, practice.due, practice.on_hold) == (6, 2, 1)
    assert practice.due_before == years_before(TODAY, 20)
    assert {person.pk for person in report.due_people} == {people["due"].pk, people["died"].pk}
    assert [person.pk for person in report.held_people] == [people["held"].pk]
    assert by_class["study_data"].due is None  # no rule by default
    audit = by_class["audit_trail"]
    assert audit.due == audit.held == AuditEvent.objects.count()  # every event so far is from before 2027
    assert (
        selectors.retention_report(user=officers.a, today=date(2030, 1, 1)).by_class()["audit_trail"].due == 0
    )
    # The other trust's officer sees their own trust only.
    other = selectors.retention_report(user=officers.b, today=TODAY).by_class()["practice_record"]
    assert (other.held, other.due) == (1, 1)


def test_a_dry_run_changes_nothing(org, officers, people):
    events = AuditEvent.objects.count()
    outcome = services.retention_apply(user=officers.a, apply=False, today=TODAY)
    assert sorted(outcome.practice_records) == sorted([people["due"].pk, people["died"].pk])
    assert outcome.practice_on_hold == [people["held"].pk]
    assert Person.objects.count() == len(people) and AuditEvent.objects.count() == events


def test_applying_erases_what_is_due_and_keeps_the_rest(org, officers, people):
    outcome = services.retention_apply(user=officers.a, apply=True, today=TODAY)
    assert sorted(outcome.practice_records) == sorted([people["due"].pk, people["died"].pk])
    left = set(Person.objects.values_list("pk", flat=True))
    assert left == {people[key].pk for key in ("not_yet", "died_recently", "held", "open", "other_trust")}
    tombstones = AuditEvent.objects.filter(action="person.erased")
    assert {event.person_id for event in tombstones} == set(outcome.practice_records)
    assert {(e.summary["lawful_basis"], e.summary["source"]) for e in tombstones} == {
        ("retention_period_ended", "retention")
    }
    run = AuditEvent.objects.get(action="retention.applied")
    assert run.actor_id == officers.a.pk
    assert (run.summary["practice_records_erased"], run.summary["practice_records_on_hold"]) == (2, 1)
    assert run.summary["trust_ids"] == [org.trust.pk]


def test_a_full_record_goes_through_the_erasure_service(org, officers, full):
    closed_on = years_before(TODAY, 21)
    Person.objects.filter(pk=full.person.pk).update(
        status="closed",
        closed_on=closed_on,
        closure_reason="moved_on",
        opened_on=closed_on - timedelta(days=9),
    )
    services.retention_apply(user=officers.a, apply=True, today=TODAY)
    assert not Person.objects.filter(pk=full.person.pk).exists()
    assert not Participant.objects.filter(pk=full.participant.pk).exists()  # no withdrawal choice recorded
    assert AuditEvent.objects.filter(action="person.erased", person_id=full.person.pk).exists()


def test_the_audit_trail_is_counted_never_deleted(org, officers, people):
    far = date(2099, 1, 1)
    events = AuditEvent.objects.count()
    outcome = services.retention_apply(user=officers.a, apply=True, today=far)
    assert outcome.audit_events_due == events and outcome.audit_before == years_before(far, 20)
    assert outcome.as_dict()["audit_trail"]["applied_by"].startswith("connecting-people audit archive")
    assert AuditEvent.objects.count() > events  # only added to: tombstones and the run itself


def test_a_deployment_study_rule_removes_closed_studies_data(org, officers, full, tmp_path, settings):
    rules = tmp_path / "retention.yaml"
    rules.write_text(
        "classes:\n  study_data:\n    keep_years: 1\n    source: The study protocol, section 9\n"
    )
    settings.CONNECTING_PEOPLE_RETENTION_FILE = str(rules)
    later = date(2028, 6, 1)
    assert services.retention_apply(user=officers.a, apply=False, today=later).study_participants == []
    Study.objects.filter(pk=full.study.study.pk).update(status=Study.Status.CLOSED)
    report = selectors.retention_report(user=officers.a, today=later).by_class()["study_data"]
    assert (report.held, report.due) == (1, 1) and report.rule.source == "The study protocol, section 9"
    outcome = services.retention_apply(user=officers.a, apply=True, today=later)
    assert outcome.study_participants == ["CPIS-0001"]
    assert not Participant.objects.exists() and not StudyAssessment.objects.exists()
    assert Person.objects.filter(pk=full.person.pk).exists()  # the practice record has its own rule
    removed = AuditEvent.objects.get(action="study.participant_removed")
    assert removed.summary == {"study": "cpis", "number": "CPIS-0001", "source": "retention"}


class TestPageAndCommand:
    def test_the_page_shows_counts_and_sources(self, client, org, officers, people):
        client.force_login(officers.a)
        page = client.get("/data-protection/retention/").content.decode()
        assert "Records due by class" in page and "Records Management Code of Practice" in page
        assert "connecting-people privacy retention apply" in page and "audit archive" in page

    def run(self, *args):
        out, err = StringIO(), StringIO()
        call_command("privacy", "retention", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def test_report_and_apply_from_the_command_line(self, org, officers, people, monkeypatch):
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)
        user = ["--user", officers.a.username]
        out, _ = self.run("report", "--json", *user)
        classes = {row["class"]: row for row in json.loads(out)["classes"]}
        assert (classes["practice_record"]["due"], classes["practice_record"]["on_hold_restricted"]) == (2, 1)
        out, _ = self.run("report", *user)
        assert "practice_record: held 6, due 2" in out and "study_data: held 0, due no rule" in out
        out, err = self.run("apply", *user)
        assert json.loads(out)["applied"] is False and "Dry run" in err
        assert Person.objects.count() == len(people)
        out, _ = self.run("apply", "--apply", *user)
        assert json.loads(out)["practice_record"]["due"] == 2
        assert Person.objects.count() == len(people) - 2

    def test_only_an_officer_may_run_it(self, org, officers, people):
        with pytest.raises(CommandError, match="not a data protection officer") as refused:
            self.run("apply", "--apply", "--user", org.lead.username)
        assert refused.value.returncode == 2 and Person.objects.count() == len(people)

    def test_a_broken_rules_file_is_refused_by_the_command_and_the_check(
        self, org, officers, tmp_path, settings
    ):
        broken = tmp_path / "broken.yaml"
        broken.write_text("classes:\n  practice_record:\n    keep_years: forever\n")
        settings.CONNECTING_PEOPLE_RETENTION_FILE = str(broken)
        with pytest.raises(CommandError, match="Retention rules refused"):
            self.run("report", "--user", officers.a.username)
        from connecting_people.privacy.checks import retention_rules_load

        [error] = retention_rules_load()
        assert error.id == "privacy.E001" and "broken.yaml" in error.msg
