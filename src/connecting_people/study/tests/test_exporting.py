"""The study's pseudonymised export made from the database: what leaves, what never does, and the job around it.

The study below is full of identifiers: people with distinctive names, 999-range NHS numbers, dates of birth,
addresses, phone numbers and eligibility notes in free text; maps whose entries carry first names and place
names; a rated worker with a distinctive name. Every file of its export is scanned for all of them.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.connections import services as map_services
from connecting_people.connections.services import EntryData
from connecting_people.implementation import registry as fidelity_registry
from connecting_people.implementation import services as fidelity_services
from connecting_people.people.tests.factories import PersonFactory, nhs_number_for
from connecting_people.privacy.tests.restricting import restrict_processing
from connecting_people.study import jobs, services
from connecting_people.study.export import IdentifierScanner, Pseudonyms
from connecting_people.study.export import db as exporting
from connecting_people.study.keys import study_key
from connecting_people.study.models import Assessment, Job, Participant

from .conftest import START, days

NOTES = (
    "Lives with her sister Marigold Quenby at 14 Larkspur Close, Hebden Bridge HX7 8AB; "
    "referred by Dr Okonkwo after a crisis, call 07700 900123"
)
NOTE_WORDS = ["Marigold", "Larkspur", "Hebden", "Okonkwo", "crisis", "referred"]
WORKER = ("Wilhelmina", "Scrope")


@dataclass
class Built:
    setup: object
    kept: Participant  # withdrew, keeping data collected up to withdrawal
    removed: Participant  # withdrew, asking for their data to be removed
    active: Participant  # linked, with maps at both timepoints
    research_only: Participant
    names: list[str] = field(default_factory=list)
    dates_of_birth: list[date] = field(default_factory=list)
    nhs_numbers: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # text that must appear nowhere in any file


def _person(org, n: int, given: str, family: str, born: date):
    return PersonFactory(
        team=org.team,
        given_name=given,
        family_name=family,
        preferred_name=f"{given[:3]}ie",
        date_of_birth=born,
        nhs_number=nhs_number_for(4_100 + n),
        address=f"{n} Larkspur Close, Hebden Bridge",
        postcode="HX7 8AB",
        phone="07700 900123",
        email=f"{given.lower()}@example.org",
    )


def _record(setup, participant, timepoint: str, instrument: str, answers, on: date) -> Assessment:
    point = setup.study.timepoints.get(code=timepoint)
    return services.assessment_record(
        actor=setup.lead,
        access=setup.access,
        participant=participant,
        timepoint_id=point.pk,
        instrument_id=instrument,
        answers=answers,
        administered_on=on,
    )


def _map(org, person, on: date, labels: list[tuple[str, str, str, str]]):
    snapshot = map_services.snapshot_start(actor=as_actor(org.lead), person_id=person.pk, taken_on=on)
    for label, kind, category, ring in labels:
        map_services.entry_add(
            actor=as_actor(org.lead),
            person_id=person.pk,
            snapshot_id=snapshot.pk,
            data=EntryData(label=label, kind=kind, category=category, ring=ring, supports=("emotional",)),
        )
    return snapshot


def build(org, setup) -> Built:
    team = setup.teams["T01"]  # org.team, intervention
    enrolled = START + days(3)
    people = {
        "active": _person(org, 1, "Ottoline", "Fairweather", date(1961, 3, 3)),
        "removed": _person(org, 2, "Zebedee", "Marchbanks", date(1974, 11, 23)),
        "kept": _person(org, 3, "Philippa", "Quenby", date(1988, 7, 14)),
    }
    enrolled_people = {
        key: services.person_enrol(
            actor=org.lead,
            person_id=person.pk,
            study_team_id=team.pk,
            enrolled_on=enrolled,
            consented_on=enrolled,
            eligibility_notes=NOTES,
            today=date(2026, 11, 1),
        )
        for key, person in people.items()
    }
    research_only = services.participant_enrol(
        actor=setup.lead,
        access=setup.access,
        study_team_id=setup.teams["T02"].pk,
        enrolled_on=enrolled,
        consented_on=enrolled,
        date_of_birth=date(1957, 9, 30),
        eligibility_notes=NOTES,
        today=date(2026, 11, 1),
    )
    baseline = START + days(5)
    follow_up = baseline + days(185)
    for participant in [*enrolled_people.values(), research_only]:
        _record(setup, participant, "baseline", "ucla3", [1, 2, 3], baseline)
        _record(setup, participant, "baseline", "swemwbs", [3, 4, 2, 5, 3, 4, 2], baseline)
    for key in ("active", "removed"):
        _record(setup, enrolled_people[key], "m6", "ucla3", [2, 2, 2], follow_up)
    _record(setup, research_only, "m6", "swemwbs", [4, 4, 4, 4, 4, 4, None], follow_up)

    friends = [
        ("Marigold", "person", "family", "close"),
        ("Thaddeus", "person", "friend", "middle"),
        ("Larkspur Allotments", "place", "community_group", "outer"),
        # A service named in everyday words that the data dictionary also uses: not a person, so it must not
        # stop the export (every test using `exported` checks the job finished).
        ("Community mental health team", "service", "services", "outer"),
    ]
    for person in people.values():
        _map(org, person, baseline + days(1), friends)
        _map(org, person, follow_up + days(2), [("Esmerelda", "person", "friend", "middle")])

    kept, removed = enrolled_people["kept"], enrolled_people["removed"]
    services.participant_withdraw(
        actor=setup.lead, access=setup.access, participant=kept, withdrawn_on=baseline + days(60),
        reason="participant_choice", choice=Participant.DataChoice.KEEP,
    )  # fmt: skip
    services.participant_withdraw(
        actor=setup.lead, access=setup.access, participant=removed, withdrawn_on=follow_up + days(10),
        reason="moved", choice=Participant.DataChoice.REMOVE,
    )  # fmt: skip
    # Data dated after the withdrawal reached the database before the rules that now refuse it: never exported.
    late = Assessment.objects.get(participant=enrolled_people["active"], timepoint__code="m6")
    late.pk, late.participant = None, kept
    late.save()

    worker = org.practitioner
    worker.first_name, worker.last_name = WORKER
    worker.save()
    scale = fidelity_registry.scale("cp_practice_fidelity")
    for kind, worker_id in (("supervisor", worker.pk), ("team", None)):
        fidelity_services.fidelity_rating_record(
            actor=org.lead, kind=kind, scale_id=scale.id, answers=[2] * len(scale.items),
            rated_on=START + days(30), period_start=START, period_end=START + days(29),
            team_id=org.team.pk, worker_id=worker_id,
        )  # fmt: skip

    built = Built(
        setup=setup, kept=kept, removed=removed, active=enrolled_people["active"], research_only=research_only
    )
    for person in people.values():
        built.names += [f"{person.given_name} {person.family_name}", person.preferred_name]
        built.dates_of_birth.append(person.date_of_birth)
        built.nhs_numbers.append(person.nhs_number)
    built.dates_of_birth.append(research_only.date_of_birth)
    people_labels = [label for label, kind, *_ in friends if kind == "person"]
    built.names += people_labels + ["Esmerelda", " ".join(WORKER)] + NOTE_WORDS
    built.secrets = [
        *built.nhs_numbers,
        *(f"{n[:3]} {n[3:6]} {n[6:]}" for n in built.nhs_numbers),
        "Larkspur",
        "HX7",
        "07700",
        "example.org",
        "Okonkwo",
        "Fairweather",
        "Marchbanks",
        "Quenby",
        "Thaddeus",
        "Esmerelda",
        "Scrope",
        "1961-03-03",
        "1957-09-30",
    ]
    return built


@pytest.fixture
def built(org, study_setup, settings, tmp_path) -> Built:
    settings.CONNECTING_PEOPLE_STUDY_FILES = tmp_path / "study-files"
    return build(org, study_setup)


def _request(built: Built, **options) -> Job:
    s = built.setup
    job = jobs.job_request(
        actor=s.lead,
        access=s.access,
        kind="export",
        purpose="analysis",
        reason="Primary analysis for Marigold's trial steering committee",
        options=options,
    )
    job.refresh_from_db()
    return job


def _unzipped(job: Job, into: Path) -> Path:
    with zipfile.ZipFile(job.result_path) as archive:
        names = archive.namelist()
        assert all(name.startswith(f"cpis-export-{job.pk}/") for name in names)
        archive.extractall(into)
    return into / f"cpis-export-{job.pk}"


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _all_text(directory: Path) -> str:
    """Every file's content as text (Parquet files as their values), to search for known identifiers."""
    parts = []
    for path in sorted(directory.rglob("*")):
        if path.suffix == ".parquet":
            parts.append(json.dumps(pq.read_table(path).to_pylist(), default=str))
        elif path.is_file():
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


@pytest.fixture
def exported(built, tmp_path) -> tuple[Built, Job, Path]:
    job = _request(built)
    assert job.state == Job.State.DONE, job.error
    return built, job, _unzipped(job, tmp_path / "unzipped")


# ---------------------------------------------------------------------------------------------------------
# Nothing identifying leaves


@pytest.mark.parametrize("dates", ["days", "shifted"])
def test_no_file_holds_a_name_nhs_number_date_of_birth_or_note(built, tmp_path, dates):
    job = _request(built, dates=dates)
    assert job.state == Job.State.DONE, job.error
    directory = _unzipped(job, tmp_path / "unzipped")
    scanner = IdentifierScanner(
        names=built.names,
        dates_of_birth=built.dates_of_birth,
        shifted_dates=dates == "shifted",
        vocabulary=["site01 site02 T01 T02 T03 T04 intervention control baseline m6"],
    )
    findings = scanner.scan_directory(directory)
    assert findings == []
    text = _all_text(directory)
    for secret in built.secrets:
        assert secret.casefold() not in text.casefold(), secret
    assert NOTES[:30] not in text
    written = {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}
    assert {"participants.csv", "measures_long.parquet", "fidelity_wide.csv", "maps.csv"} <= written
    assert any(name.startswith("maps/") and name.endswith("_ego.csv") for name in written)


def test_the_scanner_would_have_found_them(built, tmp_path):
    """The check above can fail: the same scanner finds the identifiers in rows holding them."""
    scanner = IdentifierScanner(names=built.names, dates_of_birth=built.dates_of_birth)
    rows = [["Ottoline"], [built.nhs_numbers[0]], ["1961-03-03"], [NOTES], ["Larkspur"]]
    rules = {finding.rule for finding in scanner.scan_rows(["value"], rows, file="x.csv")}
    assert {"name", "nhs-number", "date-of-birth", "free-text", "postcode", "phone"} <= rules


def test_an_identifier_in_a_code_column_stops_the_export(built, tmp_path):
    """The final check runs on every export: a consent form 'version' that is a participant's name is refused."""
    s = built.setup
    services.consent_record(
        actor=s.lead,
        access=s.access,
        participant=built.active,
        version="Fairweather",
        consented_on=START + days(20),
    )
    job = _request(built)
    assert job.state == Job.State.FAILED
    assert job.error == (
        "The identifier check found 2 cell(s) that may identify someone (participants.csv: row 1, column "
        "consent_version: name; participants.parquet: row 1, column consent_version: name); the export was deleted."
    )
    assert "Fairweather" not in job.error
    directory = jobs.job_directory(job)
    assert not directory.exists() and not directory.with_name(f"{directory.name}.zip").exists()


# ---------------------------------------------------------------------------------------------------------
# Withdrawal, consent and research-only participants


def _study_id(built: Built, participant: Participant) -> str:
    return Pseudonyms(study_key(), study=built.setup.study.pk, prefix="CPIS").participant(participant.pk)


def test_a_participant_who_asked_for_removal_is_in_no_file(exported):
    built, job, directory = exported
    removed = _study_id(built, built.removed)
    assert removed not in _all_text(directory)
    participants = _csv(directory / "participants.csv")
    assert {row["study_id"] for row in participants} == {
        _study_id(built, p) for p in (built.active, built.kept, built.research_only)
    }
    assert job.summary["participants_left_out"] == {
        "processing-restricted": 0,
        "no-consent": 0,
        "removed-on-request": 1,
    }
    assert job.summary["rows_left_out"]["measures:removed-on-request"] == 3
    assert job.summary["rows_left_out"]["maps:removed-on-request"] == 2


def test_a_participant_whose_processing_is_restricted_is_in_no_file(built, tmp_path):
    """Restriction of processing (UK GDPR Article 18, privacy app): the participant's data stay in the database
    and leave in no export, not even their study ID; the export says how many were left out for it."""
    restrict_processing(built.active.person)
    job = _request(built)
    assert job.state == Job.State.DONE, job.error
    directory = _unzipped(job, tmp_path / "unzipped")
    assert _study_id(built, built.active) not in _all_text(directory)
    assert {row["study_id"] for row in _csv(directory / "participants.csv")} == {
        _study_id(built, p) for p in (built.kept, built.research_only)
    }
    assert {row["study_id"] for row in _csv(directory / "measures_long.csv")} == {
        _study_id(built, p) for p in (built.kept, built.research_only)
    }
    assert {row["study_id"] for row in _csv(directory / "maps.csv")} == {_study_id(built, built.kept)}
    assert job.summary["participants_left_out"]["processing-restricted"] == 1
    # Their rows are not read at all, so none is counted as dropped.
    assert not [name for name in job.summary["rows_left_out"] if "restricted" in name]


def test_a_participant_who_kept_their_data_has_nothing_dated_after_withdrawal(exported):
    built, job, directory = exported
    kept = _study_id(built, built.kept)
    (row,) = [row for row in _csv(directory / "participants.csv") if row["study_id"] == kept]
    assert row["withdrawn"] == "true" and row["withdrawal_day"] == "60"
    days_kept = [int(r["day"]) for r in _csv(directory / "measures_long.csv") if r["study_id"] == kept]
    assert days_kept and max(days_kept) <= 60
    assert {r["timepoint"] for r in _csv(directory / "measures_wide.csv") if r["study_id"] == kept} == {
        "baseline"
    }
    maps = [r for r in _csv(directory / "maps.csv") if r["study_id"] == kept]
    assert [(r["timepoint"], r["day"]) for r in maps] == [("baseline", "1")]
    assert job.summary["rows_left_out"]["measures:after-withdrawal"] == 1
    assert job.summary["rows_left_out"]["maps:after-withdrawal"] == 1


def test_maps_are_the_linked_participants_only_with_alter_numbers(exported):
    built, _job, directory = exported
    maps = _csv(directory / "maps.csv")
    active = _study_id(built, built.active)
    assert [
        (r["study_id"], r["timepoint"], r["day"], r["alters"]) for r in maps if r["study_id"] == active
    ] == [
        (active, "baseline", "1", "4"),
        (active, "m6", "187", "5"),
    ]
    assert _study_id(built, built.research_only) not in {r["study_id"] for r in maps}
    (alters,) = [p for p in (directory / "maps").iterdir() if p.name.startswith(f"{active}_m6_attributeList")]
    assert sorted(r["label"] for r in _csv(alters)) == ["A1", "A2", "A3", "A4", "A5"]


def test_participant_rows_carry_codes_age_and_consent_version(exported):
    built, _job, directory = exported
    rows = {row["study_id"]: row for row in _csv(directory / "participants.csv")}
    active = rows[_study_id(built, built.active)]
    assert active == {
        "study_id": _study_id(built, built.active),
        "site": "site01",
        "team": "T01",
        "arm": "intervention",
        "consent_version": "v1.0",
        "age_at_baseline": "64",  # born 3 March 1961, baseline 10 January 2026
        "withdrawn": "false",
        "withdrawal_day": "",
    }
    research_only = rows[_study_id(built, built.research_only)]
    assert (research_only["team"], research_only["arm"], research_only["age_at_baseline"]) == (
        "T02",
        "control",
        "68",
    )


def test_the_latest_consent_version_is_exported(built, tmp_path):
    s = built.setup
    services.consent_record(
        actor=s.lead, access=s.access, participant=built.active, version="v2.1", consented_on=START + days(20)
    )
    job = _request(built)
    directory = _unzipped(job, tmp_path / "unzipped")
    rows = {row["study_id"]: row for row in _csv(directory / "participants.csv")}
    assert rows[_study_id(built, built.active)]["consent_version"] == "v2.1"
    assert rows[_study_id(built, built.kept)]["consent_version"] == "v1.0"


# ---------------------------------------------------------------------------------------------------------
# The files agree with each other and with the dictionary


def test_long_wide_and_parquet_agree(exported):
    _built, job, directory = exported
    long_rows = _csv(directory / "measures_long.csv")
    wide_rows = _csv(directory / "measures_wide.csv")
    assert len(long_rows) == pq.read_metadata(directory / "measures_long.parquet").num_rows
    assert len(wide_rows) == pq.read_metadata(directory / "measures_wide.parquet").num_rows
    assert (
        job.summary["files"]["measures_long.csv"]
        == len(long_rows)
        == job.summary["files"]["measures_long.parquet"]
    )
    # baseline and m6 of the active and research-only participants, baseline of the one who kept their data
    assert job.summary["files"]["measures_wide.csv"] == len(wide_rows) == 5
    assert {(r["study_id"], r["timepoint"]) for r in long_rows} == {
        (r["study_id"], r["timepoint"]) for r in wide_rows
    }
    # every long value is in the wide file, under <instrument>_<variable>
    wide = {(r["study_id"], r["timepoint"]): r for r in wide_rows}
    for row in long_rows:
        assert (
            wide[(row["study_id"], row["timepoint"])][f"{row['instrument']}_{row['variable']}"]
            == row["value"]
        )
    # 4 baselines of ucla3 and swemwbs, m6 ucla3 of the active participant, m6 swemwbs of the research-only one
    ucla3 = len([r for r in long_rows if r["instrument"] == "ucla3" and r["variable"] == "total"])
    swemwbs = len([r for r in long_rows if r["instrument"] == "swemwbs" and r["variable"] == "total"])
    assert (ucla3, swemwbs) == (4, 4)
    parquet = pq.read_table(directory / "measures_wide.parquet").to_pylist()
    assert sorted(str(r["ucla3_total"]) for r in parquet) == sorted(
        str(float(r["ucla3_total"])) if r["ucla3_total"] else "None" for r in wide_rows
    )


def test_the_data_dictionary_lists_every_exported_column(exported):
    _built, _job, directory = exported
    dictionary = {row["variable"] for row in _csv(directory / "data_dictionary.csv")}
    checked = 0
    for path in directory.rglob("*.csv"):
        if path.name == "data_dictionary.csv":
            continue
        with open(path, encoding="utf-8", newline="") as file:
            header = next(csv.reader(file))
        missing = [column for column in header if column not in dictionary]
        assert missing == [], f"{path.name}: {missing}"
        checked += 1
    assert checked >= 9  # participants, measures and fidelity long and wide, maps.csv, a map's three files


def test_fidelity_ratings_of_the_study_teams_are_exported_with_worker_study_ids(exported, org):
    built, job, directory = exported
    rows = _csv(directory / "fidelity_wide.csv")
    assert sorted((r["rated_level"], r["team"], r["arm"], r["timepoint"]) for r in rows) == [
        ("team", "T01", "intervention", "team-d0-d29"),
        ("worker", "T01", "intervention", "supervisor-d0-d29"),
    ]
    worker = Pseudonyms(study_key(), study=built.setup.study.pk, prefix="CPIS").worker(org.practitioner.pk)
    assert {r["rated_id"] for r in rows} == {"T01", worker}
    assert {r["cp_practice_fidelity_day"] for r in rows} == {"30"}
    assert job.summary["fidelity_ratings_replaced"] == 0


# ---------------------------------------------------------------------------------------------------------
# The job: the zip, the summary, the audit


def test_the_job_writes_a_zip_and_a_summary_of_counts_and_codes(exported):
    built, job, _directory = exported
    path = Path(job.result_path)
    assert (
        path == jobs.job_directory(job).with_name(f"{job.pk}.zip")
        and jobs.job_result_file(job) == path.resolve()
    )
    assert not jobs.job_directory(job).exists()  # only the zip is kept
    assert job.summary["participants"] == 3
    assert job.summary["files"]["participants.csv"] == 3
    assert job.summary["date_mode"] == "days-from-baseline"
    assert re.fullmatch(r"[0-9a-f]{12}", job.summary["fingerprint"])
    assert job.summary["fingerprint"] == study_key().fingerprint
    manifest = json.loads(zipfile.ZipFile(path).read(f"cpis-export-{job.pk}/manifest.json"))
    assert manifest["key_fingerprint"] == job.summary["fingerprint"]


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [*value.keys(), *(text for item in value.values() for text in _strings(item))]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_the_export_is_audited_with_who_what_and_why_and_no_free_text(exported):
    built, job, _directory = exported
    events = {e.action: e for e in AuditEvent.objects.filter(object_type="study_job", object_id=str(job.pk))}
    assert set(events) == {"study.export_requested", "study.export_made"}
    made = events["study.export_made"]
    assert made.actor_id == built.setup.lead.pk
    assert made.summary["purpose"] == "analysis"
    assert made.summary["participants"] == 3 and made.summary["files"]["measures_wide.csv"] == 5
    assert made.summary["fingerprint"] == job.summary["fingerprint"]
    for event in events.values():
        for text in _strings(event.summary):
            assert re.fullmatch(r"[A-Za-z0-9_.:/+-]{1,64}", text), text  # codes only: no sentence, no name
        assert "Marigold" not in json.dumps(event.summary)


def test_rows_are_streamed_from_generators(built, monkeypatch):
    seen = {}
    real = exporting.write_export

    def spy(directory, **kwargs):
        for name in ("participants", "administrations", "fidelity_ratings", "maps"):
            seen[name] = inspect.isgenerator(kwargs[name])
        return real(directory, **kwargs)

    monkeypatch.setattr(exporting, "write_export", spy)
    job = _request(built)
    assert job.state == Job.State.DONE, job.error
    assert seen == {"participants": True, "administrations": True, "fidelity_ratings": True, "maps": True}


def test_a_missing_study_key_fails_the_job_with_a_clear_message(built, settings, tmp_path):
    settings.CONNECTING_PEOPLE_STUDY_KEY_FILE = str(tmp_path / "no-such.key")
    settings.CONNECTING_PEOPLE_STUDY_KEY_MAKE = False
    job = _request(built)
    assert job.state == Job.State.FAILED
    assert job.error.startswith("No usable study key, so nothing was exported: no study key: the key file")
    assert not jobs.job_directory(job).exists()
    assert AuditEvent.objects.filter(action="study.export_failed", object_id=str(job.pk)).exists()


def test_two_versions_of_an_instrument_are_refused_clearly(built):
    stray = Assessment.objects.filter(participant=built.active, instrument_id="ucla3").first()
    stray.instrument_version = "0.9"
    stray.save()
    job = _request(built)
    assert job.state == Job.State.FAILED
    assert job.error.startswith("The instrument ucla3 has been recorded in more than one version (0.9, ")


def test_shifted_dates_and_chosen_formats(built, tmp_path):
    job = _request(built, dates="shifted", formats=["wide_csv"])
    directory = _unzipped(job, tmp_path / "unzipped")
    assert job.summary["date_mode"] == "shifted" and job.summary["formats"] == ["wide_csv"]
    assert (
        not (directory / "measures_long.csv").exists() and not (directory / "measures_long.parquet").exists()
    )
    header = next(csv.reader(io.StringIO((directory / "measures_wide.csv").read_text())))
    assert "ucla3_shifted_date" in header and "ucla3_day" not in header


# ---------------------------------------------------------------------------------------------------------
# Small parts


def test_the_map_nearest_each_target_date_within_its_window_is_chosen():
    points = [("baseline", 0, 0, 28), ("m6", 182, 28, 56)]
    anchor = date(2026, 1, 10)
    maps = [
        (1, date(2026, 1, 5)),  # before the baseline window
        (2, date(2026, 1, 12)),
        (3, date(2026, 1, 11)),  # nearer baseline's target
        (4, date(2026, 6, 20)),  # in m6's window, 20 days early
        (5, date(2026, 7, 20)),  # in m6's window, 10 days late: nearer
    ]
    assert exporting.maps_chosen(maps, anchor=anchor, timepoints=points) == [("baseline", 3), ("m6", 5)]
    # Overlapping windows: a map is used for one timepoint only; the next nearest goes to the other.
    overlapping = [("a", 0, 0, 30), ("b", 10, 10, 30)]
    chosen = exporting.maps_chosen(
        [(7, date(2026, 1, 15)), (8, date(2026, 1, 30))], anchor=anchor, timepoints=overlapping
    )
    assert chosen == [("a", 7), ("b", 8)]
    assert exporting.maps_chosen([], anchor=anchor, timepoints=points) == []


def test_study_id_prefix_is_the_code_in_capitals_letters_and_digits_only(study_setup):
    study = study_setup.study
    assert exporting.study_id_prefix(study) == "CPIS"
    study.code = "cp-2026-evaluation"
    assert exporting.study_id_prefix(study) == "CP2026EVAL"
    study.code = "2026"
    assert exporting.study_id_prefix(study) == "S2026"


def test_of_two_ratings_of_one_worker_for_one_period_the_later_is_exported(built, org, tmp_path):
    scale = fidelity_registry.scale("cp_practice_fidelity")
    fidelity_services.fidelity_rating_record(
        actor=org.lead, kind="supervisor", scale_id=scale.id, answers=[4] * len(scale.items),
        rated_on=START + days(35), period_start=START, period_end=START + days(29),
        team_id=org.team.pk, worker_id=org.practitioner.pk,
    )  # fmt: skip
    job = _request(built)
    directory = _unzipped(job, tmp_path / "unzipped")
    (worker,) = [r for r in _csv(directory / "fidelity_wide.csv") if r["rated_level"] == "worker"]
    assert worker["cp_practice_fidelity_day"] == "35"
    assert job.summary["fidelity_ratings_replaced"] == 1
