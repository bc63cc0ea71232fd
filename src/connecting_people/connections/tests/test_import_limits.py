"""A map import is bounded, the same way in every format and on every way in (the importer, the page, the
command), and so is a map built one entry at a time: too many entries or ties, too many bytes, a zip that
unpacks too far or JSON nested too deep is refused with a message that says the limit, and nothing is saved."""

import io
import tracemalloc
import zipfile
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.connections import services
from connecting_people.connections.domain import (
    MAX_ENTRIES,
    MAX_TIES,
    Category,
    Entry,
    Kind,
    Ring,
    Snapshot,
    Tie,
)
from connecting_people.connections.interchange import (
    FORMATS,
    MAP_FILES_LIMIT_BYTES,
    ImportRejected,
    ImportTooLarge,
    export_map,
    import_map,
)
from connecting_people.connections.models import MapSnapshot
from connecting_people.connections.services import EntryData
from connecting_people.core.errors import ServiceError
from connecting_people.core.input_limits import megabytes
from connecting_people.people.tests.factories import PersonFactory

TODAY = timezone.localdate()
LIMIT_MB = megabytes(MAP_FILES_LIMIT_BYTES)


def a_map(entries: int, ties: int) -> Snapshot:
    """`entries` people and the first `ties` pairs of them (in order: 0-1, 0-2, ... 1-2, ...)."""
    people = tuple(Entry(f"k{n}", f"P{n}", Kind.PERSON, Category.FRIEND, Ring.MIDDLE) for n in range(entries))
    pairs = []
    for i in range(entries):
        for j in range(i + 1, entries):
            if len(pairs) == ties:
                break
            pairs.append(Tie(f"k{i}", f"k{j}"))
    return Snapshot(taken_on=date(2025, 3, 1), entries=people, ties=tuple(pairs))


def files_of(snapshot: Snapshot, format: str) -> dict[str, str]:
    return export_map(snapshot, format=format, case_id="P-1", snapshot_id="s-1")


def zipped(files: dict[str, str | bytes], **options) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, **options) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def refusal(files) -> str:
    with pytest.raises(ImportTooLarge) as caught:
        import_map(files, key_namespace=None)
    assert isinstance(caught.value, ImportRejected)  # callers that show problems show this one too
    (problem,) = caught.value.problems
    return problem


# --- the importer -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("format", FORMATS)
def test_a_map_at_the_limits_is_accepted_in_every_format(format):
    result = import_map(files_of(a_map(MAX_ENTRIES, MAX_TIES), format), key_namespace=None)
    assert (len(result.entries), len(result.ties)) == (MAX_ENTRIES, MAX_TIES)


@pytest.mark.parametrize("format", FORMATS)
def test_one_entry_too_many_is_refused_in_every_format(format):
    problem = refusal(files_of(a_map(MAX_ENTRIES + 1, 0), format))
    assert problem.endswith(f": {MAX_ENTRIES + 1} entries, but a map holds at most {MAX_ENTRIES}")


@pytest.mark.parametrize("format", FORMATS)
def test_one_tie_too_many_is_refused_in_every_format(format):
    problem = refusal(files_of(a_map(MAX_ENTRIES, MAX_TIES + 1), format))
    assert problem.endswith(f": {MAX_TIES + 1:,} ties, but a map holds at most {MAX_TIES:,}")


def test_the_zipped_network_canvas_export_has_the_same_limits():
    files = files_of(a_map(MAX_ENTRIES + 1, 0), "nc-csv")
    problem = refusal({"export.zip": zipped(files)})
    assert problem.endswith(f"{MAX_ENTRIES + 1} entries, but a map holds at most {MAX_ENTRIES}")


def padded(format: str, size: int) -> dict[str, str]:
    """A small valid map in `format`, made `size` bytes long in all with data the importer ignores."""
    files = files_of(a_map(3, 1), format)
    name = next(name for name in files if format != "nc-csv" or "attributeList" in name)
    others = sum(len(content.encode()) for file, content in files.items() if file != name)
    text = files[name]
    if format == "json":
        shape = text.replace('"ties"', '"padding": "{}",\n  "ties"', 1)
    elif format == "graphml":
        shape = text.replace("<graph ", "<desc>{}</desc><graph ", 1)
    else:  # columns the importer reports as not mapped, filled in on the first row (each under csv's limit)
        header, first, *rows = text.rstrip("\n").split("\n")
        columns = 100
        pad = "".join(f",pad{n}" for n in range(columns))
        shape = (
            "\n".join([header + pad, first + ",{}" * columns, *(row + "," * columns for row in rows)]) + "\n"
        )
        room = size - others - len(shape.encode()) + 2 * columns
        share, left = divmod(room, columns)
        return {**files, name: shape.replace("{}", "x" * (share + left), 1).replace("{}", "x" * share)}
    room = size - others - len(shape.encode()) + 2
    return {**files, name: shape.replace("{}", "x" * room, 1)}


@pytest.mark.parametrize("format", FORMATS)
def test_files_over_the_size_limit_are_refused_in_every_format(format):
    small_enough = padded(format, MAP_FILES_LIMIT_BYTES - 100)
    assert import_map(small_enough, key_namespace=None).entries

    too_big = padded(format, MAP_FILES_LIMIT_BYTES + 100)
    assert (
        sum(len(c if isinstance(c, bytes) else c.encode()) for c in too_big.values()) > MAP_FILES_LIMIT_BYTES
    )
    assert refusal(too_big).endswith(f"a map import takes at most {LIMIT_MB}")


def test_a_zip_is_measured_unpacked():
    files = padded("nc-csv", MAP_FILES_LIMIT_BYTES + 100)
    archive = zipped(files)
    assert len(archive) < MAP_FILES_LIMIT_BYTES  # packed it is small
    unpacked = megabytes(sum(len(text.encode()) for text in files.values()))
    assert (
        refusal({"export.zip": archive}) == f"export.zip: unpacks to {unpacked} (at most {LIMIT_MB} is read)"
    )


def test_a_zip_that_lies_about_its_sizes_is_refused_without_unpacking_it():
    archive = bytearray(zipped({"x_ego.csv": b"\0" * (MAP_FILES_LIMIT_BYTES * 4)}))
    # Say 10 bytes in the central directory (the sizes zipfile trusts): unpacking must not go past them.
    directory = archive.rindex(b"PK\x01\x02")
    archive[directory + 24 : directory + 28] = (10).to_bytes(4, "little")
    tracemalloc.start()
    try:
        with pytest.raises(ImportRejected) as caught:
            import_map({"export.zip": bytes(archive)}, key_namespace=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.problems == ("export.zip: not a readable zip file (Bad CRC-32 for file 'x_ego.csv')",)
    assert peak < 2_000_000


def test_a_zip_bomb_is_refused_by_its_ratio_before_it_reaches_the_size_limit():
    bomb = zipped({"x_ego.csv": b"0" * 3_000_000})
    assert refusal({"export.zip": bomb}) == (
        "export.zip: x_ego.csv unpacks to more than 100 times its packed size (a zip bomb?)"
    )


def test_a_zip_of_too_many_files_is_refused():
    archive = zipped({f"x_{n}.txt": "" for n in range(60)})
    assert refusal({"export.zip": archive}) == "export.zip: holds 60 files (at most 50 are read)"


def test_too_many_files_at_once_are_refused():
    files = {f"p_attributeList_t{n}.csv": "" for n in range(21)}
    assert refusal(files) == "21 files, but a map import takes at most 20"


def test_json_nested_far_too_deep_is_refused_without_recursing():
    text = '{"format": "connecting-people/connections-map", "entries": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert refusal({"map.json": text}) == "map.json:1: arrays and objects nested more than 64 deep"


def test_a_csv_header_of_very_many_columns_is_refused_quickly():
    header = ",".join(f"c{n}" for n in range(200_000))
    files = {"x_ego.csv": "networkCanvasEgoUUID\nE\n", "x_attributeList_p.csv": header + "\n"}
    assert refusal(files) == "x_attributeList_p.csv:1: 200,000 columns; at most 2,000 are read"


def test_graphml_of_too_many_elements_is_refused_while_parsing():
    text = (
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph>'
        + "<x/>" * 60_000
        + "</graph></graphml>"
    )
    assert refusal({"map.graphml": text}) == "map.graphml:1: more than 50,000 elements; a map has far fewer"


# --- the service, the page and the command ----------------------------------------------------------------


@pytest.fixture
def person(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner)


def test_the_service_saves_nothing_when_a_file_is_too_large(org, person):
    events = AuditEvent.objects.count()
    with pytest.raises(ImportTooLarge):
        services.snapshot_import(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            files=files_of(a_map(MAX_ENTRIES + 1, 0), "json"),
        )
    assert not MapSnapshot.objects.filter(person=person).exists()
    assert AuditEvent.objects.count() == events


def test_the_page_says_the_limit_in_its_error_summary_and_saves_nothing(client, org, person):
    client.force_login(org.practitioner)
    ((name, text),) = files_of(a_map(MAX_ENTRIES + 1, 0), "json").items()
    response = client.post(
        f"/people/{person.pk}/map/import/", {"files": [SimpleUploadedFile(name, text.encode())]}
    )
    page = response.content.decode()
    summary = page.split('class="nhsuk-error-summary"')[1].split("</div>")[0]
    assert response.status_code == 200
    assert f"{MAX_ENTRIES + 1} entries, but a map holds at most {MAX_ENTRIES}" in summary
    assert not MapSnapshot.objects.filter(person=person).exists()


def test_the_page_refuses_an_upload_over_the_limit_before_keeping_it_all(client, org, person, monkeypatch):
    kept = []  # bytes that reached Django's own handlers, which keep the file (here in a temporary file)
    keep = TemporaryFileUploadHandler.receive_data_chunk
    monkeypatch.setattr(
        TemporaryFileUploadHandler,
        "receive_data_chunk",
        lambda self, raw_data, start: kept.append(len(raw_data)) or keep(self, raw_data, start),
    )
    client.force_login(org.practitioner)
    big = SimpleUploadedFile("map.json", b" " * (3 * MAP_FILES_LIMIT_BYTES))
    response = client.post(f"/people/{person.pk}/map/import/", {"files": [big]})
    page = response.content.decode()
    summary = page.split('class="nhsuk-error-summary"')[1].split("</div>")[0]
    assert response.status_code == 200
    assert f"The files must be {LIMIT_MB} or smaller in all" in summary
    assert "Select the files" not in page
    assert f"several .csv files, {LIMIT_MB} at most in all" in page  # said before anyone tries
    assert sum(kept) <= MAP_FILES_LIMIT_BYTES
    assert not MapSnapshot.objects.filter(person=person).exists()


def test_an_upload_cut_short_keeps_the_csrf_check(org, person):
    import re

    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org.practitioner)
    url = f"/people/{person.pk}/map/import/"
    big = SimpleUploadedFile("map.json", b" " * (MAP_FILES_LIMIT_BYTES + 1))
    assert client.post(url, {"files": [big]}).status_code == 403  # no token: refused as ever
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).content.decode())[1]
    big.seek(0)
    # The token comes before the files in the form, so it is read before the upload is cut short.
    response = client.post(url, {"csrfmiddlewaretoken": token, "files": [big]})
    assert response.status_code == 200 and "or smaller in all" in response.content.decode()


def test_the_command_says_the_limit_on_stderr_exits_2_and_saves_nothing(org, person, tmp_path):
    path = tmp_path / "map.json"
    path.write_text(files_of(a_map(MAX_ENTRIES, MAX_TIES + 1), "json")["P-1_s-1.json"])
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "map", "import", str(person.pk), str(path), "--user", org.practitioner.username, stderr=err
        )
    assert caught.value.returncode == 2
    assert f"{MAX_TIES + 1:,} ties, but a map holds at most {MAX_TIES:,}" in err.getvalue()
    assert not MapSnapshot.objects.filter(person=person).exists()


def test_the_command_does_not_read_a_file_over_the_limit(org, person, tmp_path):
    path = tmp_path / "map.json"
    with path.open("wb") as handle:
        handle.truncate(MAP_FILES_LIMIT_BYTES + 1)  # sparse: nothing is written to disk
    with pytest.raises(CommandError) as caught:
        call_command("map", "import", str(person.pk), str(path), "--user", org.practitioner.username)
    assert caught.value.returncode == 2
    assert str(caught.value) == (
        f"{path.name}: {megabytes(MAP_FILES_LIMIT_BYTES + 1)} in all, but a map import takes at most {LIMIT_MB}"
    )
    assert not MapSnapshot.objects.filter(person=person).exists()


def full_map(org, person, entries: int, ties: int) -> MapSnapshot:
    text = files_of(a_map(entries, ties), "json")["P-1_s-1.json"]
    snapshot, _ = services.snapshot_import(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        files={"map.json": text},
        taken_on=TODAY - timedelta(days=1),
    )
    return snapshot


def test_adding_entries_one_by_one_stops_at_the_same_limit(client, org, person):
    snapshot = full_map(org, person, MAX_ENTRIES, 0)
    data = EntryData(label="Sam", kind="person", category="friend", ring="close")
    with pytest.raises(ServiceError) as caught:
        services.entry_add(
            actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=snapshot.pk, data=data
        )
    assert caught.value.message == f"A map holds at most {MAX_ENTRIES} entries. Remove one to add another."
    client.force_login(org.practitioner)
    response = client.post(
        f"/people/{person.pk}/map/{snapshot.pk}/add/",
        {"label": "Sam", "kind": "person", "category": "friend", "ring": "close"},
    )
    assert response.status_code == 200 and "A map holds at most" in response.content.decode()
    assert snapshot.entries.count() == MAX_ENTRIES


def test_a_new_map_copied_from_a_full_one_can_still_be_changed(org, person):
    full_map(org, person, MAX_ENTRIES, 0)
    copy = services.snapshot_start(actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY)
    entry = copy.entries.first()
    services.entry_remove(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=entry.pk,
        expected_version=entry.version,
    )
    data = EntryData(label="Sam", kind="person", category="friend", ring="close")
    services.entry_add(actor=as_actor(org.practitioner), person_id=person.pk, snapshot_id=copy.pk, data=data)
    assert copy.entries.count() == MAX_ENTRIES


def test_tying_entries_stops_at_the_same_limit(org, person):
    snapshot = full_map(org, person, 102, MAX_TIES)  # 5,151 pairs, 5,000 of them tied
    tied: dict[int, set[int]] = {}
    for a, b in snapshot.ties.values_list("a_id", "b_id"):
        tied.setdefault(a, set()).add(b)
        tied.setdefault(b, set()).add(a)
    entry, other = next(
        (entry, other)
        for entry in snapshot.entries.values_list("pk", flat=True)
        for other in snapshot.entries.values_list("pk", flat=True)
        if other != entry and other not in tied.get(entry, set())
    )
    with pytest.raises(ServiceError) as caught:
        services.entry_ties_set(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            entry_id=entry,
            expected_version=snapshot.entries.get(pk=entry).version,
            other_entry_ids=[*tied.get(entry, set()), other],
        )
    assert caught.value.message == f"A map holds at most {MAX_TIES:,} ties. Untick one to add another."
    assert snapshot.ties.count() == MAX_TIES


def test_the_limits_are_documented_with_their_numbers():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[4] / "docs" / "connections.md").read_text()
    assert f"{MAX_ENTRIES} entries" in text and f"{MAX_TIES:,} ties" in text and LIMIT_MB in text
