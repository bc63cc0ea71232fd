"""The `map` command: export and import through the services as one acting user, scoped to what that user
reaches and audited; a round trip gives the same map back; bad input exits 2 with the reason on stderr, nothing
on stdout and nothing changed."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.connections import selectors, services
from connecting_people.connections.services import EntryData
from connecting_people.connections.tests.test_interchange import DEVELOPMENT_PROTOCOL, export_from_protocol
from connecting_people.core.tests.test_layering import personal_manager_uses
from connecting_people.people.tests.factories import PersonFactory

TODAY = timezone.localdate()
FIRST_MAP = TODAY - timedelta(days=30)
SUMMARY_KEYS = ["person_id", "snapshot_id", "taken_on", "format", "files"]
REPORT_KEYS = [
    "person_id",
    "snapshot_id",
    "taken_on",
    "format",
    "entries_created",
    "ties_created",
    "fields_mapped",
    "fields_not_mapped",
    "values_not_understood",
    "defaults_applied",
    "warnings",
]
PROBLEM_LINE = re.compile(r"^[^:\s]+:\d+: \S")  # "file:line: problem"


@pytest.fixture(autouse=True)
def no_acting_user_in_the_environment(monkeypatch):
    monkeypatch.delenv("CONNECTING_PEOPLE_USER", raising=False)


@pytest.fixture
def person(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner)


@pytest.fixture
def first_map(org, person):
    """The person's first map: Sam, Jo, the Men's Shed and the GP; Sam tied to Jo and to the Shed."""
    user = org.practitioner
    snapshot = services.snapshot_start(actor=as_actor(user), person_id=person.pk, taken_on=FIRST_MAP)

    def add(label, kind, category, ring, supports=(), frequency="", wish=""):
        data = EntryData(label, kind, category, ring, supports, frequency, wish)
        return services.entry_add(
            actor=as_actor(user), person_id=person.pk, snapshot_id=snapshot.pk, data=data
        )

    sam = add("Sam", "person", "friend", "close", ("emotional",), "weekly", "keep")
    jo = add("Jo", "person", "family", "middle", ("practical", "advice"))
    shed = add("Men's Shed", "group", "community_group", "outer", ("companionship",), "monthly", "closer")
    add("GP", "service", "services", "middle")
    services.entry_ties_set(
        actor=as_actor(user),
        person_id=person.pk,
        entry_id=sam.pk,
        expected_version=1,
        other_entry_ids=[jo.pk, shed.pk],
    )
    return snapshot


def run(*args):
    """call_command with captured output: returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(*args):
    """call_command that must fail with exit code 2 and nothing on stdout: returns (stderr, message)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=out, stderr=err)
    assert caught.value.returncode == 2
    assert out.getvalue() == ""
    return err.getvalue(), str(caught.value)


def one_json_line(text: str) -> dict:
    assert text.count("\n") == 1
    return json.loads(text)


def export_command(person, folder, *options, format="json", user="practitioner") -> tuple:
    acting = ("--user", user)
    return ("map", "export", str(person.pk), "--format", format, "--out", str(folder), *options, *acting)


def import_command(person, *paths, taken_on=TODAY, user="practitioner") -> tuple:
    dated = ("--taken-on", str(taken_on)) if taken_on else ()
    return ("map", "import", str(person.pk), *map(str, paths), *dated, "--user", user)


def export(person, format, folder, *options, user="practitioner") -> dict:
    return one_json_line(run(*export_command(person, folder, *options, format=format, user=user))[0])


def import_files(person, *paths, taken_on=TODAY) -> dict:
    return one_json_line(run(*import_command(person, *paths, taken_on=taken_on))[0])


def stored_map(org, person, snapshot_id) -> tuple[set, set]:
    """Every field of every entry, and the ties as pairs of keys."""
    snapshot = selectors.snapshot_get(
        actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=snapshot_id
    )
    domain = selectors.snapshot_domain(snapshot)
    return set(domain.entries), {frozenset((tie.a, tie.b)) for tie in domain.ties}


def events(action: str):
    return AuditEvent.objects.filter(action=action)


# ------------------------------------------------------------------------------------------------ export


@pytest.mark.parametrize(
    ("format", "endings"),
    [
        ("json", [".json"]),
        ("graphml", [".graphml"]),
        ("nc-csv", ["_ego.csv", "_attributeList_person.csv", "_edgeList_tie.csv"]),
    ],
)
def test_export_writes_the_files_into_a_new_folder_and_is_audited(
    org, person, first_map, tmp_path, format, endings
):
    folder = tmp_path / "exports" / "today"

    summary = export(person, format, folder)

    assert list(summary) == SUMMARY_KEYS
    assert summary | {"files": None} == {
        "person_id": person.pk,
        "snapshot_id": first_map.pk,
        "taken_on": FIRST_MAP.isoformat(),
        "format": format,
        "files": None,
    }
    prefix = f"{person.pk}_{first_map.pk}"
    assert summary["files"] == [str(folder.resolve() / f"{prefix}{ending}") for ending in endings]
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{prefix}{ending}" for ending in endings)
    event = events("map.exported").get()
    assert (event.actor, event.person_id, event.object_id) == (org.practitioner, person.pk, str(first_map.pk))
    assert event.summary["format"] == format and event.summary["files"] == len(endings)
    # The files hold exactly what the service gives, byte for byte.
    _, files = services.map_export(
        actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=None, format=format
    )
    assert {name: (folder / name).read_bytes() for name in files} == {
        name: text.encode() for name, text in files.items()
    }


def test_export_of_an_earlier_map(org, person, first_map, tmp_path):
    later = services.snapshot_start(actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY)

    assert export(person, "json", tmp_path)["snapshot_id"] == later.pk
    earlier = export(person, "json", tmp_path, "--snapshot", str(first_map.pk))
    assert (earlier["snapshot_id"], earlier["taken_on"]) == (first_map.pk, FIRST_MAP.isoformat())
    _, message = fails(*export_command(person, tmp_path, "--snapshot", "999999"))
    assert message == f"Person {person.pk} has no map 999999"


def test_export_leaves_a_file_already_there_unless_forced_and_then_audits_nothing(
    person, first_map, tmp_path
):
    export(person, "json", tmp_path)
    written = next(tmp_path.iterdir())
    written.write_text("kept", encoding="utf-8")
    again = export_command(person, tmp_path)

    _, message = fails(*again)

    assert message == f"{written.name} already in {tmp_path}: use --force to replace"
    assert written.read_text(encoding="utf-8") == "kept"
    assert events("map.exported").count() == 1  # the refused export's event was rolled back
    run(*again, "--force")
    assert json.loads(written.read_text(encoding="utf-8"))["entries"]
    assert events("map.exported").count() == 2


def test_export_refuses_a_file_given_as_the_folder(person, first_map, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")

    _, message = fails(*export_command(person, a_file))

    assert message == f"{a_file} is a file, not a folder"
    assert not events("map.exported").exists()


def test_export_without_a_map_yet(person, tmp_path):
    _, message = fails(*export_command(person, tmp_path / "out"))

    assert message == f"Person {person.pk} has no map yet"
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------------------ import


@pytest.mark.parametrize("format", ["json", "graphml", "nc-csv"])
def test_export_then_import_gives_the_same_entries_and_ties(org, person, first_map, tmp_path, format):
    exported = export(person, format, tmp_path)

    summary = import_files(person, *exported["files"])

    assert list(summary) == REPORT_KEYS
    assert summary["person_id"] == person.pk and summary["taken_on"] == TODAY.isoformat()
    assert (summary["format"], summary["entries_created"], summary["ties_created"]) == (format, 4, 2)
    assert summary["values_not_understood"] == summary["defaults_applied"] == summary["warnings"] == []
    assert summary["snapshot_id"] != first_map.pk
    entries, ties = stored_map(org, person, summary["snapshot_id"])
    assert (entries, ties) == stored_map(org, person, first_map.pk)  # same keys, labels, rings, supports ...
    assert {entry.label for entry in entries} == {"Sam", "Jo", "Men's Shed", "GP"}
    assert len(ties) == 2
    event = events("map.imported").get()
    assert (event.actor, event.person_id, event.object_id) == (
        org.practitioner,
        person.pk,
        str(summary["snapshot_id"]),
    )


def test_our_json_exported_again_after_an_import_differs_only_in_map_id_and_date(person, first_map, tmp_path):
    original = Path(export(person, "json", tmp_path / "first")["files"][0])
    imported = import_files(person, original)

    again = Path(export(person, "json", tmp_path / "again")["files"][0])

    assert again.name == f"{person.pk}_{imported['snapshot_id']}.json"
    first_lines, later_lines = (
        original.read_text(encoding="utf-8").splitlines(),
        again.read_text(encoding="utf-8").splitlines(),
    )
    changed = [(a, b) for a, b in zip(first_lines, later_lines, strict=True) if a != b]
    assert changed == [
        (f'  "snapshot_id": "{first_map.pk}",', f'  "snapshot_id": "{imported["snapshot_id"]}",'),
        (f'  "taken_on": "{FIRST_MAP.isoformat()}",', f'  "taken_on": "{TODAY.isoformat()}",'),
    ]


@pytest.mark.skipif(
    not (DEVELOPMENT_PROTOCOL / "protocol.json").exists(),
    reason=f"the shared Network Canvas fixtures are not at {DEVELOPMENT_PROTOCOL}",
)
def test_a_network_canvas_export_is_imported_with_a_summary_of_what_was_left_out(org, person, tmp_path):
    # The shared fixtures hold a Network Canvas protocol and its roster, not an export (no licensed example
    # exists): the export is built from the protocol's codebook as the interchange tests build it.
    protocol = json.loads((DEVELOPMENT_PROTOCOL / "protocol.json").read_text(encoding="utf-8"))
    with (DEVELOPMENT_PROTOCOL / "assets" / "previousInterview.csv").open(
        encoding="utf-8", newline=""
    ) as roster:
        people = [row for _, row in zip(range(3), csv.DictReader(roster), strict=False)]
    paths = []
    for name, text in export_from_protocol(protocol, people).items():
        (tmp_path / name).write_text(text, encoding="utf-8", newline="")
        paths.append(tmp_path / name)

    summary = import_files(person, *paths, taken_on=None)

    assert (summary["format"], summary["entries_created"], summary["ties_created"]) == ("nc-csv", 3, 1)
    assert summary["taken_on"] == "2024-05-01"  # the interview's date, from the ego file
    not_mapped = summary["fields_not_mapped"]
    for listed in (
        "dev-1_s-1_attributeList_person.csv: last_name",
        "dev-1_s-1_attributeList_person.csv: age",
    ):
        assert listed in not_mapped
    assert "dev-1_s-1_attributeList_person.csv: nickname → label" in summary["fields_mapped"]
    entries, _ = stored_map(org, person, summary["snapshot_id"])
    assert len(entries) == 3


def break_ring(tmp_path, exported: dict) -> list[Path]:
    text = Path(exported["files"][0]).read_text(encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(text.replace('"ring": "outer"', '"ring": "far away"'), encoding="utf-8")
    return [bad]


def drop_uuid_column(tmp_path, exported: dict) -> list[Path]:
    paths = [Path(name) for name in exported["files"]]
    nodes = next(path for path in paths if "attributeList" in path.name)
    rows = [line.split(",") for line in nodes.read_text(encoding="utf-8").splitlines()]
    column = rows[0].index("networkCanvasUUID")
    nodes.write_text(
        "".join(",".join(row[:column] + row[column + 1 :]) + "\n" for row in rows), encoding="utf-8"
    )
    return paths


@pytest.mark.parametrize(
    ("format", "damage", "problem"),
    [
        ("json", break_ring, r"bad\.json:\d+: ring 'far away' is not one of: close, middle, outer"),
        (
            "nc-csv",
            drop_uuid_column,
            r"\d+_\d+_attributeList_person\.csv:1: missing required column 'networkCanvasUUID'",
        ),
    ],
)
def test_a_malformed_file_is_refused_line_by_line_and_nothing_saved(
    org, person, first_map, tmp_path, format, damage, problem
):
    paths = damage(tmp_path, export(person, format, tmp_path / "export"))
    events = AuditEvent.objects.count()

    stderr, message = fails(*import_command(person, *paths))

    lines = stderr.splitlines()
    assert lines and all(PROBLEM_LINE.match(line) for line in lines)
    assert any(re.fullmatch(problem, line) for line in lines)
    assert message.startswith("Nothing imported from ")
    assert [s.pk for s in selectors.snapshots_for(actor=as_actor(org.practitioner), person=person)] == [
        first_map.pk
    ]
    assert AuditEvent.objects.count() == events


def test_a_day_that_already_has_a_map_is_refused(org, person, first_map, tmp_path):
    # An earlier day is an older interview, added to the history (test_sessions_and_history); the same day is not.
    exported = export(person, "json", tmp_path)
    events = AuditEvent.objects.count()

    _, message = fails(*import_command(person, *exported["files"], taken_on=FIRST_MAP))
    assert message == f"There is already a map dated {FIRST_MAP:%-d %B %Y}"
    # Without --taken-on the file's own date is used: the same day as the map it came from.
    _, message = fails(*import_command(person, *exported["files"], taken_on=None))
    assert message == f"There is already a map dated {FIRST_MAP:%-d %B %Y}"
    _, message = fails(*import_command(person, *exported["files"], taken_on="1/2/2025"))
    assert message == "--taken-on: '1/2/2025' is not a date (YYYY-MM-DD)"
    assert len(selectors.snapshots_for(actor=as_actor(org.practitioner), person=person)) == 1
    assert AuditEvent.objects.count() == events


def test_a_missing_file_is_named(org, person, first_map, tmp_path):
    missing = tmp_path / "no-such-map.json"

    _, message = fails(*import_command(person, missing))

    assert message == f"cannot read {missing}: No such file or directory"
    assert len(selectors.snapshots_for(actor=as_actor(org.practitioner), person=person)) == 1


# ------------------------------------------------------------------------------------------------ who acts


@pytest.mark.parametrize("username", ["colleague", "other_lead", "researcher", "administrator"])
def test_someone_who_cannot_reach_the_person_gets_nothing_and_changes_nothing(
    org, person, first_map, tmp_path, username
):
    exported = export(person, "json", tmp_path / "by-practitioner")
    events = AuditEvent.objects.count()
    folder = tmp_path / "by-someone-else"

    _, message = fails(*export_command(person, folder, user=username))
    assert message == f"No person {person.pk} that {username} can reach"
    assert not folder.exists()
    _, message = fails(*import_command(person, *exported["files"], user=username))
    assert message == f"No person {person.pk} that {username} can reach"

    assert len(selectors.snapshots_for(actor=as_actor(org.practitioner), person=person)) == 1
    assert AuditEvent.objects.count() == events


def test_the_team_lead_reaches_the_person(org, person, first_map, tmp_path):
    assert export(person, "graphml", tmp_path, user="lead")["snapshot_id"] == first_map.pk
    assert events("map.exported").get().actor == org.lead


def test_the_acting_user_can_come_from_the_environment(org, person, first_map, tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECTING_PEOPLE_USER", "practitioner")

    out, _ = run("map", "export", str(person.pk), "--format", "json", "--out", str(tmp_path))

    assert one_json_line(out)["snapshot_id"] == first_map.pk
    assert events("map.exported").get().actor == org.practitioner
    monkeypatch.setenv("CONNECTING_PEOPLE_USER", "colleague")  # --user wins over the environment
    assert export(person, "json", tmp_path / "other", user="practitioner")["person_id"] == person.pk


def test_an_unknown_missing_or_inactive_user_is_refused(org, person, first_map, tmp_path):
    command = ("map", "export", str(person.pk), "--format", "json", "--out", str(tmp_path))
    org.practitioner.is_active = False
    org.practitioner.save()

    assert fails(*command)[1] == "Say who is acting: --user USERNAME, or set CONNECTING_PEOPLE_USER"
    assert (
        fails(*command, "--user", "")[1]
        == "Say who is acting: --user USERNAME, or set CONNECTING_PEOPLE_USER"
    )
    assert fails(*command, "--user", "nobody")[1] == "No user named nobody"
    assert fails(*command, "--user", "practitioner")[1] == "User practitioner is not active"
    assert fails("map", "import", str(person.pk), "x.json", "--user", "nobody")[1] == "No user named nobody"
    assert list(tmp_path.iterdir()) == []
    assert not events("map.exported").exists()


@pytest.mark.parametrize("given", ["12b", "0", "-3", "", str(2**64)])
def test_an_id_that_is_not_a_record_number_is_refused(person, first_map, tmp_path, given):
    folder = tmp_path / "out"
    other_person = ("map", "export", given, *export_command(person, folder)[3:])

    assert fails(*other_person)[1] == f"A person id is a whole number from 1 up, not {given!r}"
    assert fails(*export_command(person, folder, "--snapshot", given))[1] == (
        f"A map id is a whole number from 1 up, not {given!r}"
    )
    assert not folder.exists() and not events("map.exported").exists()


def test_the_command_reads_personal_data_only_through_selectors_and_services():
    assert personal_manager_uses("connecting_people.connections.management.commands.map") == []


# ------------------------------------------------------------------------------------------------ the real CLI

SEED = """
from datetime import date
from connecting_people.accounts.actor import as_actor
from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import TeamFactory, UserFactory, member
from connecting_people.connections import services
from connecting_people.people.tests.factories import PersonFactory

team = TeamFactory()
practitioner, colleague = UserFactory(username="practitioner"), UserFactory(username="colleague")
member(practitioner, Role.PRACTITIONER, team=team)
member(colleague, Role.PRACTITIONER, team=team)
person = PersonFactory(team=team, allocated_worker=practitioner)
snapshot = services.snapshot_start(actor=as_actor(practitioner), person_id=person.pk, taken_on=date(2025, 3, 1))
data = services.EntryData(label="Sam", kind="person", category="friend", ring="close", supports=("emotional",))
services.entry_add(actor=as_actor(practitioner), person_id=person.pk, snapshot_id=snapshot.pk, data=data)
print(person.pk)
"""


def test_the_connecting_people_script_exports_as_the_acting_user(tmp_path):
    script = Path(sys.executable).with_name("connecting-people")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "connecting_people.cli"]
    # The test database lives in this process's memory, where no other process can see it: the script gets a
    # database file of its own, migrated and seeded through the same script.
    env = os.environ | {
        "CONNECTING_PEOPLE_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }

    def cli(*args):
        return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=120)

    migrated = cli("migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    seeded = cli("shell", "--verbosity", "0", "--command", SEED)
    assert seeded.returncode == 0, seeded.stderr
    person_id = seeded.stdout.split()[-1]
    folder = tmp_path / "out"

    good = cli("map", "export", person_id, "--format", "json", "--out", str(folder), "--user", "practitioner")

    assert good.returncode == 0, good.stderr
    summary = json.loads(good.stdout)
    assert summary["files"] == [str(folder.resolve() / f"{person_id}_{summary['snapshot_id']}.json")]
    document = json.loads(Path(summary["files"][0]).read_text(encoding="utf-8"))
    assert [entry["label"] for entry in document["entries"]] == ["Sam"]
    refused = cli(
        "map", "export", person_id, "--format", "json", "--out", str(tmp_path / "x"), "--user", "colleague"
    )
    assert (refused.returncode, refused.stdout) == (2, "")
    assert f"No person {person_id} that colleague can reach" in refused.stderr
    assert not (tmp_path / "x").exists()
