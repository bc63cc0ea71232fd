"""Subject access: everything held about one person of the officer's trust, as a page, a downloadable web page
and JSON, and from the command line; nothing of anyone else; every showing and download audited; 404 for
people of other trusts and unknown numbers."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connecting_people.audit.models import AuditEvent
from connecting_people.people import services as people_services
from connecting_people.privacy import selectors

from .conftest import make_full_person


def document_of(officers, person) -> dict:
    return selectors.subject_access(user=officers.a, person_id=person.pk)


def test_the_document_holds_every_part_of_the_record(org, officers, full):
    people_services.person_open(user=org.practitioner, person_id=full.person.pk, page="overview")
    document = document_of(officers, full.person)
    person = full.person
    record = document["record"]
    assert (record["record_number"], record["given_name"], record["family_name"], record["nhs_number"]) == (
        person.pk,
        person.given_name,
        person.family_name,
        person.nhs_number,
    )
    assert record["date_of_birth"] == person.date_of_birth and record["team"] == org.team.name
    assert record["allocated_worker"] == org.practitioner.display_name
    assert document["consents"]["research"]["agreed"] is True  # enrolment recorded it
    matters = document["what_matters"]
    assert matters["aspirations"] == "To sing in a choir again" and matters["interests"] == ["music"]
    assert matters["barriers"] == ["Confidence or anxiety"] and matters["strengths"] == ["cooking"]
    maps = document["connections_maps"]
    assert len(maps) == 2  # the first map, and the one the review started from it
    first = maps[0]
    # going along to the choir put it on the map of the time
    assert [entry["label"] for entry in first["entries"]] == ["Sam", "J.O.", "Riverside Community Choir"]
    assert (
        first["entries"][0]["support_given"] == ["Emotional"] and first["entries"][0]["closeness"] == "Close"
    )
    assert first["ties"] == [["Sam", "J.O."]]
    assert {entry["label"] for entry in maps[1]["entries"]} >= {"Sam", "J.O.", "Riverside Community Choir"}
    [goal] = document["goals"]
    assert (
        goal["goal"] == "Join a choir that meets every week"
        and goal["attainment_scale"]["0"] == "One group a week"
    )
    assert [step["what"] for step in goal["steps"]] == ["Find the choir's rehearsal times"]
    assert [score["level"] for score in goal["scores_at_reviews"]] == [1]
    [activity] = document["activities"]
    assert (activity["what"], activity["notes"]) == ("Session attended", "Sang alto")
    [link] = document["community_links"]
    assert link["community_opportunity"] == "Riverside Community Choir"
    assert [change["status"] for change in link["history"]] == ["Suggested", "Went along"]
    [review] = document["reviews"]
    assert review["goal_scores"] == [{"goal": goal["goal"], "level": 1}] and review["map_started_on"]
    measures = document["outcome_measures"]["administrations"]
    ucla = next(row for row in measures if row["instrument_id"] == "ucla3")
    assert ucla["answers"] == [1, 2, 3] and ucla["total"] == 6
    assert any(row["instrument_id"] == "gas" for row in measures)  # the review's goal attainment score
    assert document["outcome_measures"]["first_and_latest_scores"]
    [study] = document["study_participation"]
    assert (study["study_number"], study["study"], study["study_code"]) == (
        "CPIS-0001",
        "Connecting People study",
        "cpis",
    )
    assert study["consents"] == [{"form_version": "v1.0", "consented_on": full.participant.enrolled_on}]
    assert [row["answers"] for row in study["research_assessments"]] == [[1, 1, 2]]
    log = document["access_log"]
    assert (log[0]["action"], log[0]["who"]) == ("map.snapshot_started", org.practitioner.display_name)
    assert log[0]["what"] == "Started a connections map"
    viewed = [row for row in log if row["action"] == "person.viewed"]
    assert viewed[-1]["who"] == org.practitioner.display_name
    assert viewed[-1]["what"] == "Looked at the record (page: overview)"


def test_nothing_of_anyone_else(org, officers, full):
    other = make_full_person(org, study_setup=full.study, given_name="Tegen", family_name="Tregenza")
    document = document_of(officers, full.person)
    text = json.dumps(document, default=str)
    for theirs in ("Tegen", "Tregenza", other.person.nhs_number, other.participant.number):
        assert theirs not in text
    # The access log is this person's events, all of them, and no one else's.
    assert len(document["access_log"]) == AuditEvent.objects.filter(person_id=full.person.pk).count()


def test_out_of_trust_and_unknown_numbers_are_404_and_leave_no_event(client, org, officers, full):
    events = AuditEvent.objects.count()
    client.force_login(officers.b)
    for path in ("", "subject-access/", "subject-access/download/json/", "subject-access/download/html/"):
        assert client.get(f"/data-protection/people/{full.person.pk}/{path}").status_code == 404, path
    client.force_login(officers.a)
    assert client.get("/data-protection/people/99999999/subject-access/").status_code == 404
    assert (
        client.get(f"/data-protection/people/{full.person.pk}/subject-access/download/pdf/").status_code
        == 404
    )
    assert AuditEvent.objects.count() == events


def test_every_showing_and_download_is_audited(client, org, officers, full):
    client.force_login(officers.a)
    page = client.get(f"/data-protection/people/{full.person.pk}/subject-access/")
    assert page.status_code == 200 and "Everything held about" in page.content.decode()
    as_json = client.get(f"/data-protection/people/{full.person.pk}/subject-access/download/json/")
    assert as_json["Content-Disposition"].startswith('attachment; filename="subject-access-record-')
    assert json.loads(as_json.content)["record"]["nhs_number"] == full.person.nhs_number
    as_html = client.get(f"/data-protection/people/{full.person.pk}/subject-access/download/html/")
    html = as_html.content.decode()
    assert as_html["Content-Type"].startswith("text/html") and full.person.family_name in html
    # Self-contained: no scripts, nothing fetched from anywhere.
    assert "<script" not in html and "src=" not in html and "<link" not in html
    events = AuditEvent.objects.filter(person_id=full.person.pk, action__startswith="privacy.").order_by("id")
    assert [(e.action, e.summary["format"], e.actor_id) for e in events] == [
        ("privacy.subject_access_viewed", "page", officers.a.pk),
        ("privacy.subject_access_downloaded", "json", officers.a.pk),
        ("privacy.subject_access_downloaded", "html", officers.a.pk),
    ]


def test_the_officer_finds_a_person_by_record_or_nhs_number(client, org, officers, full):
    client.force_login(officers.a)
    spaced = f"{full.person.nhs_number[:3]} {full.person.nhs_number[3:6]} {full.person.nhs_number[6:]}"
    for number in (str(full.person.pk), spaced):
        response = client.get("/data-protection/", {"number": number})
        assert response["Location"] == f"/data-protection/people/{full.person.pk}/", number
    page = client.get("/data-protection/", {"number": "abc"}).content.decode()
    assert "There is a problem" in page and "using numbers only" in page
    client.force_login(officers.b)
    page = client.get("/data-protection/", {"number": full.person.nhs_number}).content.decode()
    assert "No record in your trust" in page and full.person.family_name not in page


class TestCommand:
    def run(self, *args):
        out, err = StringIO(), StringIO()
        call_command("privacy", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    @pytest.mark.parametrize("format", ["json", "html"])
    def test_writes_the_document_and_audits_it(self, org, officers, full, tmp_path, format):
        path = tmp_path / f"sar.{format}"
        out, _ = self.run(
            "subject-access", "--nhs-number", full.person.nhs_number, "--format", format, "--out", str(path),
            "--user", officers.a.username,
        )  # fmt: skip
        assert json.loads(out) == {"record_number": full.person.pk, "format": format, "file": str(path)}
        text = path.read_text(encoding="utf-8")
        assert full.person.family_name in text and "CPIS-0001" in text
        event = AuditEvent.objects.get(action="privacy.subject_access_downloaded")
        assert event.summary == {"format": format, "via": "cli"} and event.person_id == full.person.pk

    def test_refusals_exit_2_and_write_nothing(self, org, officers, full, tmp_path):
        path = tmp_path / "sar.json"
        cases = [
            ["--record", str(full.person.pk), "--user", officers.b.username],
            ["--record", "99999999", "--user", officers.a.username],
            ["--record", str(full.person.pk), "--user", org.lead.username],
        ]
        for case in cases:
            with pytest.raises(CommandError) as refused:
                self.run("subject-access", *case, "--format", "json", "--out", str(path))
            assert refused.value.returncode == 2, case
        assert not path.exists() and not AuditEvent.objects.filter(action__startswith="privacy.").exists()
        path.write_text("already here")
        with pytest.raises(CommandError, match="--force"):
            self.run(
                "subject-access", "--record", str(full.person.pk), "--format", "json", "--out", str(path),
                "--user", officers.a.username,
            )  # fmt: skip
        assert path.read_text() == "already here"
        assert not AuditEvent.objects.filter(action__startswith="privacy.").exists()

    def test_restrict_lift_and_erase(self, org, officers, full):
        user = ["--user", officers.a.username]
        record = ["--record", str(full.person.pk)]
        out, _ = self.run("restrict", *record, "--ground", "legal_claims", *user)
        assert json.loads(out)["restricted"] is True
        with pytest.raises(CommandError, match="told"):
            self.run("lift", *record, "--reason", "legal_claim_ended", *user)
        out, _ = self.run("lift", *record, "--reason", "legal_claim_ended", "--person-told", *user)
        assert json.loads(out)["restricted"] is False
        with pytest.raises(CommandError, match="repeat its record number"):
            self.run("erase", *record, "--lawful-basis", "made_in_error", "--confirm", "1" + record[1], *user)
        out, _ = self.run("erase", *record, "--lawful-basis", "made_in_error", "--confirm", record[1], *user)
        result = json.loads(out)
        assert result["erased"] is True and result["removed"]["people.Person"] == 1
        assert AuditEvent.objects.filter(action="person.erased", person_id=full.person.pk).exists()
