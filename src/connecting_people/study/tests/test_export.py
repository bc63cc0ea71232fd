"""The pseudonymised study export (pure modules, no database): IDs, dates, allow-lists, withdrawal, formats,
streaming memory, maps, the dictionary and the identifier scanner over every file of a synthetic export."""

from __future__ import annotations

import csv
import json
import pickle
import random
import re
import shutil
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from faker import Faker

from connecting_people.connections.domain import Category, Entry, Kind, Ring, Snapshot, Support, Tie
from connecting_people.connections.interchange.network_canvas import export_network_canvas
from connecting_people.implementation.fidelity import SHIPPED_DIR as SCALES_DIR
from connecting_people.implementation.fidelity import load_fidelity_scales
from connecting_people.measures.definitions import load_shipped
from connecting_people.measures.scoring import score_one
from connecting_people.study.export import (
    AgeForm,
    DateMode,
    DatePolicy,
    ExportError,
    ExportSettings,
    Field,
    FieldType,
    IdentifierScanner,
    Pseudonyms,
    StudyIdCollision,
    StudyKey,
    StudyKeyError,
    identifiers,
    load_study_key,
    write_export,
    writers,
)
from connecting_people.study.export.dates import written_age
from connecting_people.study.export.measures import MeasureCounts, layouts, participant_measures
from connecting_people.study.export.participants import SUBJECT_COLUMNS, Roster
from connecting_people.study.export.writers import LongCsv, LongParquet, WideCsv, WideParquet, write_records
from connecting_people.synthetic import nhs_numbers

KEY_TEXT = "test-only key: 7f1c9a2e4b6d8f0a1c3e5b7d9f2a4c6e"
OTHER_KEY_TEXT = "another test key: 0b1d3f5a7c9e2b4d6f8a0c2e4b6d8f1a"
INSTRUMENT_IDS = ("swemwbs", "ucla3", "djg6", "eq5d5l", "csri_example")
STUDY_START = date(2024, 1, 8)
ID_FORMAT = re.compile(r"CPIS-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")

CATALOGUE = load_shipped()
INSTRUMENTS = [CATALOGUE.get(name) for name in INSTRUMENT_IDS]
SCALES = list(load_fidelity_scales([SCALES_DIR]))


# ------------------------------------------------------------------------------------------ synthetic study


@dataclass
class SyntheticStudy:
    """Participant, administration, fidelity and map rows as the Django side would read them, full of the
    identifiers that must never leave, and the lists of names and dates of birth the scanner is given."""

    participants: list[dict] = field(default_factory=list)
    administrations: list[dict] = field(default_factory=list)
    fidelity: list[dict] = field(default_factory=list)
    maps: list[dict] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    dates_of_birth: list[date] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # identifier strings that must appear in no file
    removed: int = 0  # person who withdrew choosing remove-data
    kept: int = 0  # person who withdrew choosing keep-collected, before follow-up
    unconsented: int = 0


def _answers(instrument, rng: random.Random, missing: bool) -> list:
    answers = [
        rng.choice(item.code_values) if item.codes else rng.randint(0, int(min(item.range.maximum, 12)))
        for item in instrument.items
    ]
    if missing:
        answers[rng.randrange(len(answers))] = None
    return answers


def _snapshot(
    taken_on: date, people: list[tuple[str, str]], places: list[str], rng: random.Random
) -> Snapshot:
    entries = [
        Entry(
            key=key,
            label=label,
            kind=Kind.PERSON,
            category=rng.choice([Category.FAMILY, Category.FRIEND, Category.NEIGHBOUR]),
            ring=rng.choice(list(Ring)),
            supports=frozenset(rng.sample(list(Support), 2)),
        )
        for key, label in people
    ]
    entries += [
        Entry(
            key=f"place-{label}",
            label=label,
            kind=Kind.PLACE,
            category=Category.COMMUNITY_GROUP,
            ring=Ring.OUTER,
        )
        for label in places
    ]
    ties = tuple(Tie(a=entries[i].key, b=entries[i + 1].key) for i in range(0, len(entries) - 1, 2))
    return Snapshot(taken_on=taken_on, entries=tuple(entries), ties=ties)


def synthetic_study(people: int = 18, seed: int = 11) -> SyntheticStudy:
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    numbers = nhs_numbers.test_range_numbers(people, rng)  # 999 range: never issued
    study = SyntheticStudy()
    workers = {}
    for team in range(1, 5):
        worker_name = f"{fake.first_name()} {fake.last_name()}"
        workers[team] = (500 + team, worker_name)
        study.names.append(worker_name)
    for i in range(people):
        person_id = 1000 + i
        given, family = fake.first_name(), fake.last_name()
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(50 * 365))
        baseline = STUDY_START + timedelta(days=rng.randrange(90))
        team = i % 4 + 1
        row = {
            "person_id": person_id,
            "site": f"site{(team + 1) // 2:02d}",
            "team": f"T{team:02d}",
            "arm": "intervention" if team % 2 else "control",
            "baseline_on": baseline,
            "date_of_birth": born,
            "consent_version": "v2",
            "withdrawn_on": None,
            "withdrawal_choice": None,
            # what the person's record also holds, and must never leave:
            "given_name": given,
            "family_name": family,
            "nhs_number": numbers[i],
            "postcode": fake.postcode(),
            "email": fake.email(),
            "phone": fake.phone_number(),
            "address": fake.street_address(),
            "notes": fake.sentence(nb_words=8),
        }
        study.participants.append(row)
        study.names.append(f"{given} {family}")
        study.dates_of_birth.append(born)
        study.secrets += [numbers[i], row["postcode"], row["email"], row["phone"], row["notes"], family]

        friends = [(f"entry-{person_id}-{k}", fake.first_name()) for k in range(5)]
        study.names += [label for _, label in friends]
        places = ["Mill Lane Allotments"]
        worker_id, worker_name = workers[team]
        for timepoint, offset in (("baseline", rng.randrange(5)), ("m6", 180 + rng.randrange(10))):
            on = baseline + timedelta(days=offset)
            for instrument in INSTRUMENTS:
                answers = _answers(instrument, rng, missing=rng.random() < 0.1)
                result = score_one(instrument, answers)
                study.administrations.append(
                    {
                        "person_id": person_id,
                        "timepoint": timepoint,
                        "instrument": instrument.id,
                        "version": instrument.version,
                        "administered_on": on,
                        "answers": answers,
                        "total": result["total"],
                        "subscales": result["subscales"],
                        "derived": {d.id: result.get(d.id) for d in instrument.derived},
                        "band": result["band"],
                        "administered_by": worker_name,
                        "notes": f"{given} said {fake.sentence(nb_words=6)}",
                    }
                )
            study.administrations.append(  # an instrument the study did not schedule
                {
                    "person_id": person_id,
                    "timepoint": timepoint,
                    "instrument": "gas",
                    "version": "1",
                    "administered_on": on,
                    "answers": [1, 0],
                }
            )
            if timepoint == "m6":  # one friend lost, one gained
                friends = friends[1:] + [(f"entry-{person_id}-new", fake.first_name())]
                study.names.append(friends[-1][1])
            study.maps.append(
                {
                    "person_id": person_id,
                    "timepoint": timepoint,
                    "snapshot": _snapshot(on, friends, places, rng),
                    "drawn_by": worker_name,
                }
            )
    study.removed = study.participants[0]["person_id"]
    study.participants[0].update(
        withdrawn_on=STUDY_START + timedelta(days=200), withdrawal_choice="remove-data"
    )
    study.kept = study.participants[1]["person_id"]
    study.participants[1].update(
        withdrawn_on=study.participants[1]["baseline_on"] + timedelta(days=40),
        withdrawal_choice="keep-collected",
    )
    study.unconsented = study.participants[2]["person_id"]
    study.participants[2]["consent_version"] = None
    scale = SCALES[0]
    for team, (worker_id, worker_name) in workers.items():
        for level in ("worker", "team"):
            answers = _answers(scale, rng, missing=False)
            result = score_one(scale, answers)
            study.fidelity.append(
                {
                    "rated_level": level,
                    "worker_id": worker_id if level == "worker" else None,
                    "site": f"site{(team + 1) // 2:02d}",
                    "team": f"T{team:02d}",
                    "arm": "intervention" if team % 2 else "control",
                    "period": "p1",
                    "scale": scale.id,
                    "version": scale.version,
                    "rated_on": STUDY_START + timedelta(days=100 + team),
                    "answers": answers,
                    "total": result["total"],
                    "subscales": result["subscales"],
                    "rater": worker_name,
                    "comments": fake.sentence(nb_words=10),
                }
            )
    return study


STUDY = synthetic_study()


def _export(directory: Path, study: SyntheticStudy = STUDY, **settings) -> object:
    return write_export(
        directory,
        key=StudyKey(KEY_TEXT),
        settings=ExportSettings(
            study=42, prefix="CPIS", study_start=STUDY_START, row_group_rows=50, **settings
        ),
        participants=study.participants,
        administrations=study.administrations,
        instruments=INSTRUMENTS,
        fidelity_ratings=study.fidelity,
        fidelity_scales=SCALES,
        maps=study.maps,
    )


@pytest.fixture(scope="module")
def days_export(tmp_path_factory) -> tuple[Path, object]:
    directory = tmp_path_factory.mktemp("export") / "days"
    return directory, _export(directory)


@pytest.fixture(scope="module")
def shifted_export(tmp_path_factory) -> tuple[Path, object]:
    directory = tmp_path_factory.mktemp("export") / "shifted"
    return directory, _export(
        directory, dates=DatePolicy(DateMode.SHIFTED, max_shift_days=60), age=AgeForm.BANDS
    )


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _scanner(**options) -> IdentifierScanner:
    return IdentifierScanner(names=STUDY.names, dates_of_birth=STUDY.dates_of_birth, **options)


def _all_text(directory: Path) -> str:
    """Every file's content as text, but the dictionary (written from definitions; its citations hold names)."""
    parts = []
    for path in sorted(directory.rglob("*")):
        if path.suffix == ".parquet":
            parts.append(str(pq.read_table(path).to_pylist()))
        elif path.is_file() and path.name != "data_dictionary.csv":
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def _first_administration(study: SyntheticStudy, participant: int) -> int:
    """Position of the first administration of the study's `participant`-th participant."""
    person_id = study.participants[participant]["person_id"]
    return next(i for i, row in enumerate(study.administrations) if row["person_id"] == person_id)


# ------------------------------------------------------------------------------------------ key and IDs


def test_study_ids_are_stable_for_the_key_and_differ_by_study_and_key():
    key = StudyKey(KEY_TEXT)
    first = Pseudonyms(key, study=42, prefix="CPIS")
    again = Pseudonyms(StudyKey(KEY_TEXT), study="42", prefix="CPIS")
    other_study = Pseudonyms(key, study=43, prefix="CPIS")
    other_key = Pseudonyms(StudyKey(OTHER_KEY_TEXT), study=42, prefix="CPIS")
    ids = [first.participant(person) for person in range(200)]
    assert all(ID_FORMAT.fullmatch(study_id) for study_id in ids)
    assert len(set(ids)) == 200
    assert ids == [again.participant(person) for person in range(200)]
    assert not set(ids) & {other_study.participant(person) for person in range(200)}
    assert not set(ids) & {other_key.participant(person) for person in range(200)}
    assert first.participant(7) == first.participant(7)  # asking twice is not a collision
    longer = Pseudonyms(key, study=42, prefix="CPIS", characters=15)
    assert longer.participant(7).startswith(first.participant(7))  # lengthening keeps the old ID as its start


def test_date_shift_is_stable_never_zero_and_within_bounds():
    pseudonyms = Pseudonyms(StudyKey(KEY_TEXT), study=42, prefix="CPIS")
    shifts = [pseudonyms.date_shift(person, 30) for person in range(2000)]
    assert shifts == [
        Pseudonyms(StudyKey(KEY_TEXT), study=42, prefix="CPIS").date_shift(p, 30) for p in range(2000)
    ]
    assert 0 not in shifts and min(shifts) == -30 and max(shifts) == 30
    assert len(set(shifts)) == 60


def test_a_collision_stops_the_export(monkeypatch):
    monkeypatch.setattr(identifiers, "crockford_base32", lambda data, characters: "0" * characters)
    pseudonyms = Pseudonyms(StudyKey(KEY_TEXT), study=42, prefix="CPIS")
    pseudonyms.participant(1)
    with pytest.raises(StudyIdCollision, match="15 ID characters"):
        pseudonyms.participant(2)


def test_missing_short_or_weak_key_is_refused_without_showing_it(tmp_path):
    with pytest.raises(StudyKeyError, match="CONNECTING_PEOPLE_STUDY_KEY"):
        load_study_key(environ={})
    with pytest.raises(StudyKeyError, match="MY_KEY"):
        load_study_key(variable="MY_KEY", environ={"MY_KEY": "  "})
    with pytest.raises(StudyKeyError, match="too short") as short:
        load_study_key(environ={"CONNECTING_PEOPLE_STUDY_KEY": "hunter2-hunter2"})
    assert "hunter2" not in str(short.value)
    with pytest.raises(StudyKeyError, match="too weak"):
        StudyKey("ab" * 20)
    with pytest.raises(StudyKeyError, match="does not exist"):
        load_study_key(path=tmp_path / "absent.key")
    key_file = tmp_path / "study.key"
    key_file.write_text(KEY_TEXT + "\n")
    key = load_study_key(path=key_file, environ={"CONNECTING_PEOPLE_STUDY_KEY": OTHER_KEY_TEXT})
    assert key.fingerprint == StudyKey(KEY_TEXT).fingerprint != StudyKey(OTHER_KEY_TEXT).fingerprint
    assert KEY_TEXT not in repr(key) and "7f1c9a2e" not in repr(key)
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(key)


# ------------------------------------------------------------------------------------------ dates and age


def test_ages_in_years_top_coded_or_banded():
    assert written_age(date(1980, 3, 1), date(2024, 2, 29), AgeForm.YEARS) == 43
    assert written_age(date(1980, 3, 1), date(2024, 3, 1), AgeForm.YEARS) == 44
    assert written_age(date(1920, 1, 1), date(2024, 3, 1), AgeForm.YEARS) == 90
    assert written_age(date(1980, 3, 1), date(2024, 3, 1), AgeForm.BANDS) == "35-44"
    assert written_age(date(1950, 3, 1), date(2024, 3, 1), AgeForm.BANDS) == "65+"


def test_days_from_baseline(days_export):
    directory, _ = days_export
    person = STUDY.participants[5]
    study_id = Pseudonyms(StudyKey(KEY_TEXT), study=42, prefix="CPIS").participant(person["person_id"])
    mine = [
        a
        for a in STUDY.administrations
        if a["person_id"] == person["person_id"] and a["instrument"] == "ucla3"
    ]
    expected = {a["timepoint"]: str((a["administered_on"] - person["baseline_on"]).days) for a in mine}
    wide = {
        row["timepoint"]: row["ucla3_day"]
        for row in _csv(directory / "measures_wide.csv")
        if row["study_id"] == study_id
    }
    assert wide == expected
    participants = {row["study_id"]: row for row in _csv(directory / "participants.csv")}
    assert participants[study_id]["age_at_baseline"] == str(
        written_age(person["date_of_birth"], person["baseline_on"], AgeForm.YEARS)
    )
    assert (
        "date_of_birth" not in participants[study_id]
        and "baseline_shifted_date" not in participants[study_id]
    )


def test_shifted_dates_keep_intervals_and_move_every_date(shifted_export):
    directory, _ = shifted_export
    pseudonyms = Pseudonyms(StudyKey(KEY_TEXT), study=42, prefix="CPIS")
    participants = {row["study_id"]: row for row in _csv(directory / "participants.csv")}
    assert {row["age_band"] for row in participants.values()} <= {
        "18-24",
        "25-34",
        "35-44",
        "45-54",
        "55-64",
        "65+",
    }
    checked = 0
    for person in STUDY.participants[3:]:
        study_id = pseudonyms.participant(person["person_id"])
        shift = timedelta(days=pseudonyms.date_shift(person["person_id"], 60))
        assert participants[study_id]["baseline_shifted_date"] == (person["baseline_on"] + shift).isoformat()
        for row in _csv(directory / "measures_wide.csv"):
            if row["study_id"] == study_id:
                real = next(
                    a["administered_on"]
                    for a in STUDY.administrations
                    if a["person_id"] == person["person_id"] and a["timepoint"] == row["timepoint"]
                )
                assert row["swemwbs_shifted_date"] == (real + shift).isoformat() != real.isoformat()
                checked += 1
    assert checked == 2 * len(STUDY.participants[3:])


# ------------------------------------------------------------------------------------------ allow-lists and withdrawal


def test_only_allow_listed_fields_leave(days_export):
    directory, report = days_export
    assert _csv(directory / "participants.csv")[0].keys() == {
        "study_id",
        "site",
        "team",
        "arm",
        "consent_version",
        "age_at_baseline",
        "withdrawn",
        "withdrawal_day",
    }
    assert report.ignored_input_keys["participants"] == [
        "address",
        "email",
        "family_name",
        "given_name",
        "nhs_number",
        "notes",
        "phone",
        "postcode",
    ]
    assert report.ignored_input_keys["administrations"] == ["administered_by", "band", "notes"]
    assert report.ignored_input_keys["fidelity_ratings"] == ["comments", "rater"]
    assert report.ignored_input_keys["maps"] == ["drawn_by"]
    assert report.instruments_not_exported == {"gas": 2 * len(STUDY.participants)}
    everything = _all_text(directory)
    for secret in STUDY.secrets:
        assert secret not in everything
    long_variables = {(row["instrument"], row["variable"]) for row in _csv(directory / "measures_long.csv")}
    assert long_variables == {
        (layout.id, variable) for layout in layouts(INSTRUMENTS).values() for variable in layout.variables
    }


def test_text_cannot_pass_through_a_code_or_number(tmp_path):
    study = synthetic_study(people=4, seed=3)
    first = _first_administration(study, 3)  # participants 0-2 withdrew or did not consent
    study.administrations[first]["timepoint"] = "six months"
    with pytest.raises(ExportError, match=f"administration {first + 1}: timepoint: not a code"):
        _export(tmp_path / "a", study)
    study = synthetic_study(people=4, seed=3)
    study.administrations[first]["answers"][0] = "felt fine"
    with pytest.raises(ExportError, match="must be a number"):
        _export(tmp_path / "b", study)
    with pytest.raises(ExportError, match="not one of the allowed codes"):
        _export(
            tmp_path / "c",
            study=synthetic_study(people=4, seed=3),
            participant_fields=(Field("given_name", FieldType.CODE, "no", codes=("x",)),),
        )
    assert not any(tmp_path.iterdir())  # nothing half-written is left behind


def test_a_participant_whose_processing_is_restricted_is_left_out_and_counted():
    """A participant row marked `processing_restricted` needs nothing else: it is left out of every file, counted,
    and any data row of theirs that reaches the export is dropped and counted too."""
    roster = Roster(
        [
            {"person_id": 1, "site": "s1", "team": "T1", "arm": "control", "baseline_on": STUDY_START,
             "consent_version": "v1"},
            {"person_id": 2, "processing_restricted": True},
        ],
        pseudonyms=Pseudonyms(StudyKey(KEY_TEXT), study=1, prefix="R"),
        dates=DatePolicy(),
    )  # fmt: skip
    assert len(roster) == 1 and len(list(roster.rows())) == 1
    assert roster.left_out["processing-restricted"] == 1
    assert roster.ignored_keys == set()
    assert roster.admit(2, STUDY_START, file="measures", position="row 1") is None
    assert roster.dropped_rows == Counter({("measures", "processing-restricted"): 1})
    assert roster.admit(1, STUDY_START, file="measures", position="row 2") is not None


def test_withdrawal_rules(days_export):
    directory, report = days_export
    pseudonyms = Pseudonyms(StudyKey(KEY_TEXT), study=42, prefix="CPIS")
    removed, kept, unconsented = (
        pseudonyms.participant(p) for p in (STUDY.removed, STUDY.kept, STUDY.unconsented)
    )
    everything = _all_text(directory)
    assert removed not in everything and unconsented not in everything
    participants = {row["study_id"]: row for row in _csv(directory / "participants.csv")}
    assert len(participants) == len(STUDY.participants) - 2
    assert participants[kept]["withdrawn"] == "true" and participants[kept]["withdrawal_day"] == "40"
    assert {row["timepoint"] for row in _csv(directory / "measures_long.csv") if row["study_id"] == kept} == {
        "baseline"
    }
    assert {row["timepoint"] for row in _csv(directory / "maps.csv") if row["study_id"] == kept} == {
        "baseline"
    }
    assert report.participants_left_out == {
        "processing-restricted": 0,
        "no-consent": 1,
        "removed-on-request": 1,
    }
    assert report.rows_left_out == {
        "maps:after-withdrawal": 1,
        "maps:no-consent": 2,
        "maps:removed-on-request": 2,
        "measures:after-withdrawal": len(INSTRUMENTS),
        "measures:no-consent": 2 * len(INSTRUMENTS),
        "measures:removed-on-request": 2 * len(INSTRUMENTS),
    }
    manifest = json.loads((directory / "manifest.json").read_text())
    assert (
        manifest["rows_left_out"] == report.rows_left_out
        and manifest["key_fingerprint"] == report.key_fingerprint
    )


def test_data_for_someone_not_enrolled_stops_the_export(tmp_path):
    study = synthetic_study(people=4, seed=3)
    study.administrations.append({**study.administrations[0], "person_id": 99999})
    with pytest.raises(ExportError, match="not a participant of this export"):
        _export(tmp_path / "out", study)
    assert not any(tmp_path.iterdir())


# ------------------------------------------------------------------------------------------ formats


def test_long_wide_and_parquet_agree(days_export):
    directory, report = days_export

    def number(text):
        return None if text in ("", None) else float(text)

    long_csv = {
        (r["study_id"], r["timepoint"], r["instrument"], r["variable"]): number(r["value"])
        for r in _csv(directory / "measures_long.csv")
    }
    long_parquet = {
        (r["study_id"], r["timepoint"], r["instrument"], r["variable"]): r["value"]
        for r in pq.read_table(directory / "measures_long.parquet").to_pylist()
    }
    assert len(long_csv) == report.files["measures_long.csv"] == report.files["measures_long.parquet"]
    wide_csv, wide_parquet = {}, {}
    for rows, out in (
        (_csv(directory / "measures_wide.csv"), wide_csv),
        (pq.read_table(directory / "measures_wide.parquet").to_pylist(), wide_parquet),
    ):
        for row in rows:
            for layout in layouts(INSTRUMENTS).values():
                if row[f"{layout.id}_day"] in ("", None):
                    continue
                for variable in layout.variables:
                    value = row[f"{layout.id}_{variable}"]
                    out[(row["study_id"], row["timepoint"], layout.id, variable)] = (
                        number(value) if isinstance(value, str) else value
                    )
    assert long_csv == long_parquet == wide_csv == wide_parquet
    assert any(value is None for value in long_csv.values())  # missing answers are there, empty
    assert pq.ParquetFile(directory / "measures_long.parquet").num_row_groups > 1
    fidelity = _csv(directory / "fidelity_wide.csv")
    assert {row["rated_level"] for row in fidelity} == {"worker", "team"}
    assert all(row["rated_id"].startswith("CPIS-W-") for row in fidelity if row["rated_level"] == "worker")


def test_wide_output_refuses_rows_out_of_order(tmp_path):
    study = synthetic_study(people=6, seed=3)
    first = _first_administration(study, 3)
    study.administrations.append(dict(study.administrations[first]))  # a baseline again, after other people
    with pytest.raises(ExportError, match="ordered by participant and timepoint"):
        _export(tmp_path / "out", study)
    with pytest.raises(ExportError, match="ordered by participant and timepoint"):
        _export(tmp_path / "out", study, formats=("wide_parquet",))
    _export(tmp_path / "long", study, formats=("long_csv",))  # long output does not need the order...
    study.administrations.pop()
    study.administrations.insert(first + 1, dict(study.administrations[first]))
    with pytest.raises(
        ExportError, match="two administrations of swemwbs"
    ):  # ...but one of each per timepoint
        _export(tmp_path / "twice", study)


def test_streaming_memory_stays_flat(tmp_path, monkeypatch):
    """Python allocations while streaming 200,000 long rows to all four formats peak about as high as for 20,000
    (tracemalloc; pyarrow's own buffers are not traced, the benchmark's RSS covers them). What may grow is the
    bookkeeping of one entry per participant and per timepoint of the current participant: 100 participants
    with 22 or 222 timepoints each here."""
    swemwbs = CATALOGUE.get("swemwbs")
    found = layouts([swemwbs])
    people = [
        {
            "person_id": p,
            "site": "s1",
            "team": "t1",
            "arm": "control",
            "baseline_on": STUDY_START,
            "consent_version": "v1",
        }
        for p in range(100)
    ]
    roster = Roster(
        people, pseudonyms=Pseudonyms(StudyKey(KEY_TEXT), study=1, prefix="M"), dates=DatePolicy()
    )
    answers = [3, 4, 2, 5, 3, 4, 1]

    def administrations(rows):
        visits = rows // len(found["swemwbs"].variables) // len(people)
        for person in range(100):
            for visit in range(visits):
                yield {
                    "person_id": person,
                    "timepoint": f"t{visit:04d}",
                    "instrument": "swemwbs",
                    "version": "1",
                    "administered_on": STUDY_START + timedelta(days=visit),
                    "answers": answers,
                    "total": 22.0,
                    "derived": {"metric": 19.25},
                }

    def peak(rows):
        out = tmp_path / str(rows)
        out.mkdir()
        common = {"subject_columns": SUBJECT_COLUMNS, "date_column": "day"}
        writers = [
            LongCsv(out / "long.csv", **common),
            WideCsv(out / "wide.csv", layouts=[found["swemwbs"]], **common),
            LongParquet(out / "long.parquet", shifted_dates=False, row_group_rows=4096, **common),
            WideParquet(  # small row groups: both runs fill several
                out / "wide.parquet",
                layouts=[found["swemwbs"]],
                shifted_dates=False,
                row_group_rows=256,
                **common,
            ),
        ]
        tracemalloc.start()
        try:
            counts = MeasureCounts(Counter(), set())
            written = write_records(
                participant_measures(administrations(rows), roster=roster, instruments=found, counts=counts),
                writers,
            )
            return tracemalloc.get_traced_memory()[1], written[out / "long.csv"]
        finally:
            tracemalloc.stop()

    # The CSV writers remember the texts of numbers they have written, up to a fixed number (a bounded cache,
    # `writers.TEXTS_REMEMBERED`). Lowered here so that both runs reach the bound: what is left to compare is
    # whatever would grow with the rows.
    monkeypatch.setattr(writers, "TEXTS_REMEMBERED", 500)
    peak(2_000)  # first use: imports and caches (pyarrow loads its pandas shim on the first conversion)
    small, small_rows = peak(20_000)
    large, large_rows = peak(200_000)
    assert large_rows >= 9 * small_rows
    # Holding every row would make the large run ten times the small one. The margin is wide because the peak
    # also moves with interpreter state that earlier tests in the same process left behind (seen 1.3x under
    # xdist on PostgreSQL runs, 1.0x alone).
    assert large < small * 2, (small, large)


# ------------------------------------------------------------------------------------------ maps


def test_map_labels_become_alter_numbers_stable_across_timepoints(days_export):
    directory, _ = days_export
    person = STUDY.participants[4]
    study_id = Pseudonyms(StudyKey(KEY_TEXT), study=42, prefix="CPIS").participant(person["person_id"])
    alters = {}
    for timepoint in ("baseline", "m6"):
        rows = _csv(directory / "maps" / f"{study_id}_{timepoint}_attributeList_person.csv")
        alters[timepoint] = {row["networkCanvasUUID"]: row["label"] for row in rows}
        assert all(re.fullmatch(r"A\d+", label) for label in alters[timepoint].values())
        ego = _csv(directory / "maps" / f"{study_id}_{timepoint}_ego.csv")[0]
        assert ego["networkCanvasCaseID"] == study_id and ego["sessionStart"] == ""
    kept = alters["baseline"].keys() & alters["m6"].keys()
    assert len(kept) == 5  # four friends and the allotments stayed; one friend lost, one gained
    assert all(alters["baseline"][uuid] == alters["m6"][uuid] for uuid in kept)
    assert sorted(alters["m6"].values(), key=lambda a: int(a[1:]))[-1] == "A7"
    index = [row for row in _csv(directory / "maps.csv") if row["study_id"] == study_id]
    assert [(row["timepoint"], row["alters"]) for row in index] == [("baseline", "6"), ("m6", "6")]


# ------------------------------------------------------------------------------------------ dictionary


def test_dictionary_describes_every_column_without_licensed_wording(days_export):
    directory, _ = days_export
    entries = _csv(directory / "data_dictionary.csv")
    described = {(row["file"], row["variable"]) for row in entries}
    for name in ("participants", "maps_index"):
        header = (
            (directory / f"{'maps' if name == 'maps_index' else name}.csv")
            .read_text()
            .splitlines()[0]
            .split(",")
        )
        assert {(name, column) for column in header} <= described
    wide = (directory / "measures_wide.csv").read_text().splitlines()[0].split(",")
    measure_variables = {row["variable"] for row in entries if row["file"] == "measures"}
    assert set(wide) - set(SUBJECT_COLUMNS) - {"timepoint"} == measure_variables
    optimistic = next(row for row in entries if row["variable"] == "swemwbs_optimistic")
    assert optimistic["allowed"].startswith("1 = none of the time; 2 = rarely")
    assert optimistic["item_or_score"] == "optimistic" and optimistic["type"] == "integer_code"
    djg_total = next(row for row in entries if row["variable"] == "djg6_total")
    assert djg_total["allowed"] == "0 to 6" and "bands (official" in djg_total["notes"]
    assert (
        next(row for row in entries if row["variable"] == "csri_example_day_centre")["unit"] == "attendances"
    )
    assert any(row["file"] == "fidelity" for row in entries)


# ------------------------------------------------------------------------------------------ scanner


@pytest.mark.parametrize("which", ["days", "shifted"])
def test_scanner_passes_a_correct_export_in_every_format(which, days_export, shifted_export):
    directory, report = days_export if which == "days" else shifted_export
    kinds = {path.suffix for path in directory.rglob("*") if path.is_file()}
    assert kinds == {".csv", ".parquet", ".json"}
    assert len(list((directory / "maps").iterdir())) == 3 * report.files["maps.csv"]
    assert _scanner(shifted_dates=which == "shifted").scan_directory(directory) == []


def test_scanner_finds_identifiers_planted_in_each_format(days_export, tmp_path):
    source, _ = days_export
    directory = tmp_path / "planted"
    shutil.copytree(source, directory)
    person = STUDY.participants[7]
    nhs = person["nhs_number"]
    plants = {
        # (file, row, column): (text, rule)
        ("participants.csv", 2, "site"): (person["given_name"], "name"),
        ("participants.csv", 3, "team"): (f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}", "nhs-number"),
        ("measures_long.csv", 5, "value"): (nhs, "nhs-number"),
        ("measures_wide.csv", 1, "swemwbs_day"): (
            person["date_of_birth"].strftime("%d/%m/%Y"),
            "date-of-birth",
        ),
        ("measures_wide.csv", 2, "ucla3_day"): ("2024-03-05", "full-date"),
        ("fidelity_long.csv", 3, "timepoint"): ("LS6 1AN", "postcode"),
        ("maps.csv", 1, "timepoint"): ("someone@example.org", "email"),
        ("maps.csv", 2, "files"): ("07700 900123", "phone"),
        ("participants.csv", 4, "consent_version"): ("signed after a long talk", "free-text"),
    }
    for name in {file for file, _, _ in plants}:
        path = directory / name
        with open(path, encoding="utf-8", newline="") as file:
            rows = list(csv.reader(file))
        for (file, row, column), (text, _) in plants.items():
            if file == name:
                rows[row][rows[0].index(column)] = text
        with open(path, "w", encoding="utf-8", newline="") as file:
            csv.writer(file, lineterminator="\n").writerows(rows)
    table = pq.read_table(directory / "measures_long.parquet")
    variables = table.column("variable").to_pylist()
    variables[10] = person["family_name"].upper()
    pq.write_table(
        table.set_column(table.schema.get_field_index("variable"), "variable", [variables]),
        directory / "measures_long.parquet",
    )
    plants[("measures_long.parquet", 11, "variable")] = ("", "name")
    alters = next((directory / "maps").glob("*_attributeList_person.csv"))
    alters.write_text(alters.read_text().replace(",A1,", ",Mill Lane,", 1))  # a place name: two words
    plants[(f"maps/{alters.name}", None, "label")] = ("", "free-text")
    (directory / "notes.txt").write_text("stray file")
    plants[("notes.txt", 0, "")] = ("", "unexpected-file")

    found = {(f.file, f.row, f.column, f.rule) for f in _scanner().scan_directory(directory)}
    for (file, row, column), (_, rule) in plants.items():
        assert any(
            (f_file, f_column, f_rule) == (file, column, rule) and (row is None or f_row == row)
            for f_file, f_row, f_column, f_rule in found
        ), (file, row, column, rule)
    assert all(str(finding) for finding in _scanner().scan_directory(directory))
    assert not any(person["family_name"] in str(f) for f in _scanner().scan_directory(directory))


def test_scanner_catches_names_that_the_raw_map_exporter_would_let_out():
    person = STUDY.maps[0]
    raw = export_network_canvas(person["snapshot"], case_id="x", snapshot_id="baseline")
    name, text = next((name, text) for name, text in raw.items() if "attributeList" in name)
    rows = list(csv.reader(text.splitlines()))
    findings = list(_scanner().scan_rows(rows[0], rows[1:], file=name))
    assert {f.rule for f in findings if f.column == "label"} >= {"name"}


@pytest.mark.parametrize(
    ("value", "rules"),
    [
        ("9434765919", {"nhs-number"}),
        ("943-476-5919", {"nhs-number"}),
        ("9434765918", set()),  # fails the check digit
        ("0.9434765919", set()),  # a number's decimals
        ("+44 7700 900123", {"phone"}),
        ("SW1A 1AA", {"postcode"}),
        ("sw1a1aa", {"postcode"}),
        ("CPIS-M19NX-9PAXT", set()),  # a study ID whose middle looks like a postcode
        ("3 March 1961", {"full-date"}),
        ("went to the park", {"free-text"}),
        ("19610303", {"full-date"}),
        ("12.5", set()),
        ("a@b.co", {"email"}),
        ("keep-collected", set()),
        ("x" * 65, {"free-text"}),
    ],
)
def test_scanner_rules(value, rules):
    assert set(IdentifierScanner().cell_rules(value)) == rules


def test_scanner_names_in_prose_only_as_full_names():
    scanner = IdentifierScanner(names=["Hope Walker", "Grace"])
    assert scanner.cell_rules("looking forward with hope", prose=True) == ()
    assert scanner.cell_rules("as told to Hope Walker", prose=True) == ("name",)
    assert scanner.cell_rules("Walker, Hope", prose=True) == ("name",)
    assert scanner.cell_rules("grace") == ("name",)
    assert scanner.cell_rules("grace_period") == ("name",)
    assert scanner.cell_rules("4ace9e1b") == ()


def test_scanner_tells_the_exports_own_words_from_names(days_export):
    scanner = IdentifierScanner(
        names=["Alan Day", "Lou Close", "Ann Baseline"], vocabulary=["baseline", "m6"]
    )
    assert scanner.cell_rules("day_centre") == ("name",)  # "day" is not yet known as one of our words
    scanner.learn_vocabulary(["csri_example_day_centre"])
    assert scanner.cell_rules("day_centre") == ()
    assert scanner.cell_rules("Day") == ("name",)  # written as a name, it is one
    assert scanner.cell_rules("baseline") == ()
    directory, _ = days_export  # withdrawal_day, swemwbs_close, ring "close", timepoint "baseline"
    assert (
        IdentifierScanner(
            names=["Alan Day", "Lou Close", "Ann Baseline"], vocabulary=["baseline", "m6"]
        ).scan_directory(directory)
        == []
    )


def test_the_texts_remembered_are_bounded():
    texts = writers.Texts()
    texts([float(n) + 0.5 for n in range(writers.TEXTS_REMEMBERED + 1_000)])
    assert len(texts.known) == writers.TEXTS_REMEMBERED
    assert texts([2.5, 3, None, True]) == ["2.5", "3", "", "true"]
