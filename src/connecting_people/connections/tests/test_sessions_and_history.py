"""Issue 16: a study's export of many Network Canvas sessions into several people's maps (matched, dry run
first, all or nothing, scoped to the acting user); an older interview added to a person's history in date order
with measures between consecutive maps still right; progress on stderr only for a terminal."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connecting_people.accounts.actor import as_actor
from connecting_people.connections import metrics, selectors, services
from connecting_people.connections.models import MapSnapshot
from connecting_people.connections.services import EntryData
from connecting_people.connections.tests.test_cli import (
    FIRST_MAP,
    TODAY,
    export,
    fails,
    first_map,
    person,
    run,
)
from connecting_people.connections.tests.test_interchange import EGO, STUDY_EXPORT
from connecting_people.people.tests.factories import PersonFactory

__all__ = ["first_map", "person"]  # fixtures shared with test_cli


@pytest.fixture(autouse=True)
def no_acting_user_in_the_environment(monkeypatch):
    monkeypatch.delenv("CONNECTING_PEOPLE_USER", raising=False)


def session_files(case: str, session: str, ego: str, started: str) -> dict[str, str]:
    """STUDY_EXPORT (one interview, six alters) as another case and session."""
    files = {}
    for name, text in STUDY_EXPORT.items():
        text = text.replace("BL-017", case).replace("5b1d2f60", session).replace(EGO, ego)
        text = text.replace("2024-11-05T14:02:11.000Z", started)
        files[name.replace("BL-017_5b1d2f60", f"{case}_{session}")] = text
    return files


def study_zip(tmp_path, *sessions: dict[str, str]):
    path = tmp_path / "networkCanvasExport.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for files in sessions:
            for name, text in files.items():
                archive.writestr(f"networkCanvasExport/{name}", text)
    return path


def maps_of(org, person) -> list[MapSnapshot]:
    return selectors.snapshots_for(actor=as_actor(org.practitioner), person=person)


# --- an older interview goes into the history -------------------------------------------------------------


@pytest.fixture
def second_map(org, person, first_map):
    """A map ten days ago, copied from the first, with a choir added (a new community tie)."""
    actor = as_actor(org.practitioner)
    snapshot = services.snapshot_start(actor=actor, person_id=person.pk, taken_on=TODAY - timedelta(days=10))
    services.entry_add(
        actor=actor,
        person_id=person.pk,
        snapshot_id=snapshot.pk,
        data=EntryData("Choir", "group", "community_group", "middle"),
    )
    return snapshot


def expected_measures(later: MapSnapshot, earlier: MapSnapshot | None) -> dict:
    return metrics.snapshot_measures(
        selectors.snapshot_domain(later), selectors.snapshot_domain(earlier) if earlier else None
    )


@pytest.mark.parametrize("days_before_first", [-5, 10])  # between the two maps, and before both
def test_an_older_interview_goes_into_the_history_in_date_order(
    org, person, first_map, second_map, tmp_path, days_before_first
):
    exported = export(person, "graphml", tmp_path, "--snapshot", str(first_map.pk))
    older = FIRST_MAP - timedelta(days=days_before_first)

    summary = json.loads(
        run(
            "map",
            "import",
            str(person.pk),
            *exported["files"],
            "--taken-on",
            str(older),
            "--user",
            "practitioner",
        )[0]
    )

    maps = maps_of(org, person)
    assert [snapshot.taken_on for snapshot in maps] == sorted(snapshot.taken_on for snapshot in maps)
    assert len(maps) == 3 and maps[-1].pk == second_map.pk  # the latest is still the latest, still editable
    inserted = next(snapshot for snapshot in maps if snapshot.pk == summary["snapshot_id"])
    position = maps.index(inserted)
    assert inserted.previous_id == (maps[position - 1].pk if position else None)
    following = maps[position + 1]
    assert following.previous_id == inserted.pk
    for index, snapshot in enumerate(maps):  # every stored measure is against the map just before
        assert snapshot.measures == expected_measures(snapshot, maps[index - 1] if index else None)
    assert selectors.is_latest(actor=as_actor(org.practitioner), snapshot=second_map)


def test_a_day_that_already_has_a_map_or_a_future_day_is_refused(org, person, first_map, tmp_path):
    exported = export(person, "json", tmp_path)

    _, message = fails(
        "map",
        "import",
        str(person.pk),
        *exported["files"],
        "--taken-on",
        str(FIRST_MAP),
        "--user",
        "practitioner",
    )
    assert message == f"There is already a map dated {FIRST_MAP:%-d %B %Y}"
    _, message = fails(
        "map", "import", str(person.pk), *exported["files"], "--taken-on", str(TODAY + timedelta(days=1)),
        "--user", "practitioner",
    )  # fmt: skip
    assert message == "The date of the map must be today or in the past"
    assert len(maps_of(org, person)) == 1


def test_starting_a_new_map_still_copies_the_latest_and_must_come_after_it(org, person, first_map, tmp_path):
    exported = export(person, "json", tmp_path)
    run(
        "map",
        "import",
        str(person.pk),
        *exported["files"],
        "--taken-on",
        str(FIRST_MAP - timedelta(days=3)),
        "--user",
        "practitioner",
    )
    actor = as_actor(org.practitioner)

    with pytest.raises(services.ServiceError):
        services.snapshot_start(actor=actor, person_id=person.pk, taken_on=FIRST_MAP - timedelta(days=1))
    started = services.snapshot_start(actor=actor, person_id=person.pk, taken_on=TODAY)

    assert started.previous_id == first_map.pk
    assert selectors.snapshot_domain(started).entries == selectors.snapshot_domain(first_map).entries


# --- a study export of several sessions -------------------------------------------------------------------


@pytest.fixture
def people(org):
    return [PersonFactory(team=org.team, allocated_worker=org.practitioner) for _ in range(2)]


def two_sessions(tmp_path, people):
    return study_zip(
        tmp_path,
        session_files(str(people[0].pk), "s-one", "ego-1", "2024-11-05T14:02:11.000Z"),
        session_files(str(people[1].pk), "s-two", "ego-2", "2024-12-01T09:00:00.000Z"),
    )


def test_a_dry_run_shows_the_matching_and_changes_nothing(org, people, tmp_path):
    export_zip = two_sessions(tmp_path, people)

    out, _ = run("map", "import-sessions", str(export_zip), "--user", "practitioner")

    summary = json.loads(out)
    assert summary["applied"] is False
    assert [(s["session"], s["person_id"], s["status"], s["taken_on"], s["entries"], s["ties"]) for s in summary["sessions"]] == [
        (f"{people[0].pk}_s-one", people[0].pk, "matched", "2024-11-05", 6, 3),
        (f"{people[1].pk}_s-two", people[1].pk, "matched", "2024-12-01", 6, 3),
    ]  # fmt: skip
    assert not MapSnapshot.objects.exists()


def test_apply_imports_every_session_into_its_person(org, people, tmp_path):
    export_zip = two_sessions(tmp_path, people)

    out, _ = run("map", "import-sessions", str(export_zip), "--apply", "--user", "practitioner")

    summary = json.loads(out)
    assert summary["applied"] is True
    for someone, taken_on in zip(people, (date(2024, 11, 5), date(2024, 12, 1)), strict=True):
        (snapshot,) = maps_of(org, someone)
        assert snapshot.taken_on == taken_on
        labels = sorted(entry.label for entry in selectors.snapshot_domain(snapshot).entries)
        assert labels == ["Bob", "Dee", "Hackney City Farm", "Kwame", "Mary A", "Person 5"]
        assert len(selectors.snapshot_domain(snapshot).ties) == 3


def test_sessions_matched_by_a_file_and_people_not_reached_are_listed(org, people, tmp_path):
    export_zip = study_zip(
        tmp_path,
        session_files("BL-001", "s-one", "ego-1", "2024-11-05T14:02:11.000Z"),
        session_files("BL-002", "s-two", "ego-2", "2024-12-01T09:00:00.000Z"),
    )
    third = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    match = tmp_path / "match.csv"
    match.write_text(
        f"case_id,session_id,person_id\nBL-001,,{people[0].pk}\n,s-two,{people[1].pk}\nBL-009,,{third.pk}\n"
    )

    summary = json.loads(
        run("map", "import-sessions", str(export_zip), "--match", str(match), "--user", "practitioner")[0]
    )

    assert [(s["case_id"], s["person_id"], s["status"]) for s in summary["sessions"]] == [
        ("BL-001", people[0].pk, "matched"),
        ("BL-002", people[1].pk, "matched"),
    ]
    assert summary["people_not_reached"] == [third.pk]


def test_a_person_out_of_reach_is_reported_and_nothing_is_imported(org, people, tmp_path):
    elsewhere = PersonFactory(team=org.other_team)
    export_zip = study_zip(
        tmp_path,
        session_files(str(people[0].pk), "s-one", "ego-1", "2024-11-05T14:02:11.000Z"),
        session_files(str(elsewhere.pk), "s-two", "ego-2", "2024-12-01T09:00:00.000Z"),
        session_files("unknown-case", "s-three", "ego-3", "2024-12-02T09:00:00.000Z"),
    )

    summary = json.loads(run("map", "import-sessions", str(export_zip), "--user", "practitioner")[0])
    assert [s["status"] for s in summary["sessions"]] == ["matched", "not reachable", "unmatched"]

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "map",
            "import-sessions",
            str(export_zip),
            "--apply",
            "--user",
            "practitioner",
            stdout=out,
            stderr=err,
        )
    assert caught.value.returncode == 2
    assert f"s-two: not reachable (person {elsewhere.pk})" in err.getvalue()
    assert not MapSnapshot.objects.exists()  # all or nothing: not even the matched session


def test_one_chosen_session_into_one_person(org, people, tmp_path):
    export_zip = two_sessions(tmp_path, people)

    _, message = fails("map", "import", str(people[0].pk), str(export_zip), "--user", "practitioner")
    assert message.startswith("Nothing imported")
    summary = json.loads(
        run(
            "map",
            "import",
            str(people[0].pk),
            str(export_zip),
            "--session",
            "s-two",
            "--user",
            "practitioner",
        )[0]
    )

    assert summary["taken_on"] == "2024-12-01" and summary["entries_created"] == 6
    assert [snapshot.taken_on for snapshot in maps_of(org, people[0])] == [date(2024, 12, 1)]


def test_a_session_with_a_problem_rejects_the_whole_export(org, people, tmp_path):
    broken = session_files(str(people[1].pk), "s-two", "ego-2", "2024-12-01T09:00:00.000Z")
    name = f"{people[1].pk}_s-two_edgeList_Knows.csv"
    broken[name] = broken[name].replace("3,3,1", "3,3,99")
    export_zip = study_zip(
        tmp_path, session_files(str(people[0].pk), "s-one", "ego-1", "2024-11-05T14:02:11.000Z"), broken
    )

    err, _ = fails("map", "import-sessions", str(export_zip), "--apply", "--user", "practitioner")

    assert f"session {people[1].pk}_s-two: {name}:2: edge to nodeID 99, which no attribute list has" in err
    assert not MapSnapshot.objects.exists()


# --- progress ---------------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "quiet", "shown"),
    [(Terminal, False, True), (Terminal, True, False), (io.StringIO, False, False)],
)
def test_progress_goes_to_a_terminal_only_and_never_with_quiet(org, people, tmp_path, stream, quiet, shown):
    export_zip = two_sessions(tmp_path, people)
    out, err = io.StringIO(), stream()

    call_command(
        "map", "import-sessions", str(export_zip), "--apply", "--user", "practitioner", *(["--quiet"] if quiet else []),
        stdout=out, stderr=err,
    )  # fmt: skip

    assert ("Sessions imported: 2 of 2" in err.getvalue()) is shown
    assert (err.getvalue() == "") is not shown
    assert json.loads(out.getvalue())["applied"] is True
