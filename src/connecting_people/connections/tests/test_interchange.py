"""Exports and imports of a connections map (pure: no database)."""

import csv
import io
import json
import random
import uuid
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connecting_people.connections.domain import (
    Category,
    Entry,
    Frequency,
    Kind,
    Ring,
    Snapshot,
    Support,
    Tie,
    Wish,
)
from connecting_people.connections.interchange import (
    FORMAT_NAME,
    FORMATS,
    ImportRejected,
    ImportResult,
    export_graphml,
    export_json,
    export_map,
    export_network_canvas,
    import_graphml,
    import_json,
    import_map,
    import_network_canvas,
    minimal_label,
)
from connecting_people.connections.interchange.vocabulary import VOCABULARIES

SHARED = Path(__file__).resolve().parents[4] / ".." / "shared"
DEVELOPMENT_PROTOCOL = SHARED / "fixtures" / "network-canvas" / "architect-development-protocol"
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
NAMESPACE = uuid.UUID("0b6a4a43-57a5-4c0e-9a53-3c8b0f9a6e01")  # stands for a person's UUID


def a_snapshot() -> Snapshot:
    return Snapshot(
        taken_on=date(2025, 3, 1),
        entries=(
            Entry("k-ann", "Ann", Kind.PERSON, Category.FRIEND, Ring.CLOSE,
                  frozenset({Support.EMOTIONAL, Support.ADVICE}), Frequency.WEEKLY, Wish.KEEP),
            Entry("k-shed", "Men's Shed", Kind.GROUP, Category.COMMUNITY_GROUP, Ring.OUTER,
                  frozenset({Support.COMPANIONSHIP}), Frequency.MONTHLY, Wish.CLOSER),
            Entry("k-gp", "GP", Kind.SERVICE, Category.SERVICES, Ring.MIDDLE, wish=Wish.FEWER),
            Entry("k-jo", "J.O.", Kind.PERSON, Category.FAMILY, Ring.CLOSE, frozenset(Support), Frequency.DAILY),
            Entry("k-park", "Victoria Park", Kind.PLACE, Category.NEIGHBOUR, Ring.OUTER),
            Entry("k-sam", "Sam", Kind.PERSON, Category.ONLINE, Ring.MIDDLE,
                  frozenset({Support.INFORMATION}), Frequency.NOT_IN_TOUCH, Wish.RECONNECT),
        ),
        ties=(Tie("k-ann", "k-jo"), Tie("k-shed", "k-ann"), Tie("k-jo", "k-sam")),
    )  # fmt: skip


def export(snapshot: Snapshot, format: str) -> dict[str, str]:
    return export_map(snapshot, format=format, case_id="P-0007", snapshot_id="snap-2")


def reexport(result: ImportResult, format: str) -> dict[str, str]:
    return export_map(
        result.snapshot(), format=format, case_id=result.case_id, snapshot_id=result.snapshot_id
    )


def tie_set(ties) -> set[frozenset[str]]:
    return {frozenset((tie.a, tie.b)) for tie in ties}


def rejected(files, **options) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_map(files, key_namespace=options.get("key_namespace"))
    return list(caught.value.problems)


# --- round trips and determinism --------------------------------------------------------------------------


@pytest.mark.parametrize("format", FORMATS)
def test_export_import_export_gives_the_same_bytes(format):
    snapshot = a_snapshot()
    files = export(snapshot, format)

    result = import_map(files, key_namespace=None)

    assert reexport(result, format) == files
    assert set(result.entries) == set(snapshot.entries)
    assert tie_set(result.ties) == tie_set(snapshot.ties)
    assert (result.taken_on, result.case_id, result.snapshot_id) == (date(2025, 3, 1), "P-0007", "snap-2")
    assert (result.report.entries_created, result.report.ties_created) == (6, 3)
    assert result.report.warnings == result.report.defaults_applied == result.report.fields_not_mapped == ()


@pytest.mark.parametrize("format", FORMATS)
def test_the_same_snapshot_gives_the_same_bytes_however_its_entries_and_ties_are_ordered(format):
    snapshot = a_snapshot()
    entries = list(snapshot.entries)
    random.Random(4).shuffle(entries)
    reordered = replace(
        snapshot,
        entries=tuple(entries),
        ties=(Tie("k-sam", "k-jo"), Tie("k-ann", "k-shed"), Tie("k-jo", "k-ann"), Tie("k-ann", "k-jo")),
    )

    assert export(reordered, format) == export(snapshot, format) == export(snapshot, format)


@pytest.mark.parametrize("format", FORMATS)
def test_importing_with_a_namespace_gives_new_deterministic_keys_and_nothing_else_changes(format):
    snapshot = a_snapshot()
    files = export(snapshot, format)

    first = import_map(files, key_namespace=NAMESPACE)
    again = import_map(files, key_namespace=NAMESPACE)
    other_person = import_map(files, key_namespace=uuid.uuid4())

    new = {entry.key: str(uuid.uuid5(NAMESPACE, entry.key)) for entry in snapshot.entries}
    renamed = replace(
        snapshot,
        entries=tuple(replace(entry, key=new[entry.key]) for entry in snapshot.entries),
        ties=tuple(Tie(new[tie.a], new[tie.b]) for tie in snapshot.ties),
    )
    assert first == again
    assert set(first.entries) == set(renamed.entries)
    assert tie_set(first.ties) == tie_set(renamed.ties)
    assert reexport(first, format) == export(renamed, format)
    assert not {entry.key for entry in other_person.entries} & {entry.key for entry in first.entries}


def _words(min_size: int, max_size: int):
    letters = st.characters(categories=("L", "N"))
    return st.text(letters, min_size=min_size, max_size=max_size)


@st.composite
def snapshots(draw) -> Snapshot:
    keys = draw(st.lists(st.uuids().map(str), min_size=0, max_size=12, unique=True))
    entries = []
    for key in keys:
        kind = draw(st.sampled_from(Kind))
        if kind is Kind.PERSON:
            label = draw(_words(1, 30))
        else:
            label = " ".join(draw(st.lists(_words(1, 8), min_size=1, max_size=3)))
        entries.append(
            Entry(
                key=key,
                label=label,
                kind=kind,
                category=draw(st.sampled_from(Category)),
                ring=draw(st.sampled_from(Ring)),
                supports=frozenset(draw(st.sets(st.sampled_from(Support)))),
                frequency=draw(st.none() | st.sampled_from(Frequency)),
                wish=draw(st.none() | st.sampled_from(Wish)),
            )
        )
    pairs = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1 :]]
    ties = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    return Snapshot(
        taken_on=draw(st.dates(date(2000, 1, 1), date(2100, 1, 1))),
        entries=tuple(entries),
        ties=tuple(Tie(a, b) for a, b in ties),
    )


@settings(max_examples=60, deadline=None)
@given(snapshot=snapshots(), format=st.sampled_from(FORMATS))
def test_any_snapshot_survives_export_import_export(snapshot, format):
    files = export(snapshot, format)

    result = import_map(files, key_namespace=None)

    assert reexport(result, format) == files
    assert set(result.entries) == set(snapshot.entries)
    assert tie_set(result.ties) == tie_set(snapshot.ties)


# --- what each export looks like --------------------------------------------------------------------------


def test_graphml_parses_declares_every_attribute_and_holds_the_map():
    root = ElementTree.fromstring(export_graphml(a_snapshot(), case_id="P-0007", snapshot_id="snap-2"))

    keys = {key.get("id"): key for key in root.findall(f"{GRAPHML}key")}
    node_keys = {
        key.get("attr.name"): key.get("attr.type") for key in keys.values() if key.get("for") == "node"
    }
    assert node_keys == {
        "key": "string",
        "label": "string",
        "kind": "string",
        "category": "string",
        "ring": "string",
        "support_emotional": "boolean",
        "support_practical": "boolean",
        "support_information": "boolean",
        "support_companionship": "boolean",
        "support_advice": "boolean",
        "frequency": "string",
        "wish": "string",
    }
    graph = root.find(f"{GRAPHML}graph")
    assert graph.get("edgedefault") == "undirected"
    for data in root.iter(f"{GRAPHML}data"):
        assert data.get("key") in keys
    about = {data.get("key"): data.text for data in graph.findall(f"{GRAPHML}data")}
    assert about == {
        "format": FORMAT_NAME,
        "version": "1",
        "case_id": "P-0007",
        "snapshot_id": "snap-2",
        "taken_on": "2025-03-01",
    }
    nodes = {
        node.get("id"): {data.get("key"): data.text for data in node.findall(f"{GRAPHML}data")}
        for node in graph.findall(f"{GRAPHML}node")
    }
    assert len(nodes) == 6
    ann = next(node for node in nodes.values() if node["label"] == "Ann")
    assert (
        ann["key"] == "k-ann" and ann["support_emotional"] == "true" and ann["support_practical"] == "false"
    )
    edges = {
        frozenset((nodes[edge.get("source")]["label"], nodes[edge.get("target")]["label"]))
        for edge in graph.findall(f"{GRAPHML}edge")
    }
    assert edges == {frozenset(("Ann", "J.O.")), frozenset(("Ann", "Men's Shed")), frozenset(("J.O.", "Sam"))}


def test_graphml_reads_in_networkx_with_typed_attributes():
    networkx = pytest.importorskip("networkx")
    text = export_graphml(a_snapshot(), case_id="P-0007", snapshot_id="snap-2")

    graph = networkx.parse_graphml(text)

    assert graph.number_of_nodes() == 6 and graph.number_of_edges() == 3
    ann = next(data for _, data in graph.nodes(data=True) if data["label"] == "Ann")
    assert ann["support_advice"] is True and ann["support_practical"] is False and ann["ring"] == "close"


def test_graphml_escapes_markup_in_labels():
    snapshot = Snapshot(
        date(2025, 1, 1), (Entry("k<1>", 'Tom & "Jerry" <b>', Kind.GROUP, Category.FRIEND, Ring.CLOSE),)
    )

    text = export_graphml(snapshot, case_id="a&b", snapshot_id=None)

    root = ElementTree.fromstring(text)
    labels = [data.text for data in root.iter(f"{GRAPHML}data") if data.get("key") == "label"]
    assert labels == ['Tom & "Jerry" <b>']
    assert import_graphml(text, key_namespace=None).entries == snapshot.entries


def test_json_has_format_version_and_the_documented_fields():
    document = json.loads(export_json(a_snapshot(), case_id="P-0007", snapshot_id="snap-2"))

    assert list(document) == ["format", "version", "case_id", "snapshot_id", "taken_on", "entries", "ties"]
    assert (document["format"], document["version"]) == (FORMAT_NAME, 1)
    ann = next(entry for entry in document["entries"] if entry["label"] == "Ann")
    assert ann == {
        "key": "k-ann",
        "label": "Ann",
        "kind": "person",
        "category": "friend",
        "ring": "close",
        "supports": ["emotional", "advice"],
        "frequency": "weekly",
        "wish": "keep",
    }
    assert [entry["ring"] for entry in document["entries"]] == [
        "close",
        "close",
        "middle",
        "middle",
        "outer",
        "outer",
    ]
    assert {"a": "k-ann", "b": "k-shed"} in document["ties"] or {"a": "k-shed", "b": "k-ann"} in document[
        "ties"
    ]


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_network_canvas_export_follows_the_reference_layout():
    files = export_network_canvas(a_snapshot(), case_id="P-0007", snapshot_id="snap-2")

    assert list(files) == [
        "P-0007_snap-2_ego.csv",
        "P-0007_snap-2_attributeList_person.csv",
        "P-0007_snap-2_edgeList_tie.csv",
    ]
    (ego,) = read_csv(files["P-0007_snap-2_ego.csv"])
    nodes = read_csv(files["P-0007_snap-2_attributeList_person.csv"])
    edges = read_csv(files["P-0007_snap-2_edgeList_tie.csv"])
    assert ego["networkCanvasCaseID"] == "P-0007" and ego["networkCanvasSessionID"] == "snap-2"
    assert ego["sessionStart"] == "2025-03-01T00:00:00.000Z"
    assert uuid.UUID(ego["networkCanvasEgoUUID"])
    assert [node["nodeID"] for node in nodes] == ["1", "2", "3", "4", "5", "6"]
    assert {node["networkCanvasEgoUUID"] for node in nodes + edges} == {ego["networkCanvasEgoUUID"]}
    assert {node["networkCanvasUUID"] for node in nodes} == {entry.key for entry in a_snapshot().entries}
    for node in nodes:
        for variable, options in (("kind", Kind), ("category", Category)):
            ticked = [option for option in options if node[f"{variable}_{option.value}"] == "true"]
            assert len(ticked) == 1
            assert {node[f"{variable}_{option.value}"] for option in options} == {"true", "false"}
    shed = next(node for node in nodes if node["label"] == "Men's Shed")
    assert shed["kind_group"] == "true" and shed["category_community_group"] == "true"
    assert (shed["ring"], shed["frequency"], shed["wish"], shed["support_companionship"]) == (
        "outer",
        "monthly",
        "closer",
        "true",
    )
    by_id = {node["nodeID"]: node for node in nodes}
    for edge in edges:
        assert int(edge["from"]) < int(edge["to"])
        assert edge["networkCanvasSourceUUID"] == by_id[edge["from"]]["networkCanvasUUID"]
        assert edge["networkCanvasTargetUUID"] == by_id[edge["to"]]["networkCanvasUUID"]
    labelled = {frozenset((by_id[edge["from"]]["label"], by_id[edge["to"]]["label"])) for edge in edges}
    assert labelled == {
        frozenset(("Ann", "J.O.")),
        frozenset(("Ann", "Men's Shed")),
        frozenset(("J.O.", "Sam")),
    }


def test_export_file_names_are_safe_whatever_the_ids():
    files = export_map(a_snapshot(), format="json", case_id="../etc/passwd", snapshot_id=None)

    assert list(files) == ["etc-passwd_2025-03-01.json"]


def test_a_tie_to_an_entry_not_in_the_snapshot_is_a_programming_error():
    broken = replace(a_snapshot(), ties=(Tie("k-ann", "k-nobody"),))

    with pytest.raises(ValueError, match="not in the snapshot"):
        export_json(broken, case_id=None, snapshot_id=None)


# --- importing a Network Canvas export --------------------------------------------------------------------

EGO = "e2b7c9d4-51a3-4c8e-9f0a-7d6b5c4a3b21"
STUDY_EXPORT = {
    "BL-017_5b1d2f60_ego.csv": (
        "networkCanvasEgoUUID,networkCanvasCaseID,networkCanvasSessionID,networkCanvasProtocolName,"
        "sessionStart,sessionFinish,sessionExported,APP_VERSION,COMMIT_HASH,name,age\n"
        f"{EGO},BL-017,5b1d2f60,Social Worlds Baseline,2024-11-05T14:02:11.000Z,2024-11-05T14:40:03.000Z,"
        "2024-11-06T09:00:00.000Z,6.5.2,4f2a9c1,Sam Taylor,34\n"
    ),
    "BL-017_5b1d2f60_attributeList_Person.csv": (
        "nodeID,networkCanvasEgoUUID,networkCanvasUUID,name,last_name,nickname,age,"
        "Relationship_friend,Relationship_family_relative,Relationship_romantic_partner,Relationship_other,"
        "RelStrength,contactFreq,support_emotional,support_practical,support_money,"
        "Gender_Cisgender_Female,Gender_Cisgender_Male,closenessLayout_x,closenessLayout_y\n"
        f"1,{EGO},a1,Mary Ann,Jones,,61,false,true,false,false,Very_close,4,true,true,false,true,false,0.5,0.52\n"
        f"2,{EGO},a2,Robert,Smith,Bob,35,true,false,false,false,Somewhat_close,3,false,false,true,false,true,0.8,0.1\n"
        f"3,{EGO},a3,Dee,,,29,false,false,true,false,Close,,true,false,false,true,false,,\n"
        f"4,{EGO},a4,Kwame,Mensah,,40,false,false,false,true,Not_close_at_all,-1,false,false,false,false,true,0.9,0.9\n"
        f"5,{EGO},a5,,,,,false,false,false,false,,,false,false,false,false,false,,\n"
    ),
    "BL-017_5b1d2f60_attributeList_Venue.csv": (
        "nodeID,networkCanvasEgoUUID,networkCanvasUUID,name,visitfreq,venue_type_bar_club,venue_type_park\n"
        f"6,{EGO},v1,Hackney City Farm,Weekly,false,true\n"
    ),
    "BL-017_5b1d2f60_edgeList_Close.csv": (
        "edgeID,from,to,networkCanvasEgoUUID,networkCanvasUUID,networkCanvasSourceUUID,networkCanvasTargetUUID,"
        "friendship-strength\n"
        f"1,1,3,{EGO},e1,a1,a3,3\n"
        f"2,2,4,{EGO},e2,a2,a4,1\n"
    ),
    "BL-017_5b1d2f60_edgeList_Knows.csv": (
        "edgeID,from,to,networkCanvasEgoUUID,networkCanvasUUID,networkCanvasSourceUUID,networkCanvasTargetUUID\n"
        f"3,3,1,{EGO},e3,a3,a1\n"
        f"4,2,6,{EGO},e4,a2,v1\n"
    ),
    "BL-017_5b1d2f60_adjacencyMatrix_Close.csv": ",1,2,3,4\n1,0,0,1,0\n",
}
PERSON_FILE = "BL-017_5b1d2f60_attributeList_Person.csv"
VENUE_FILE = "BL-017_5b1d2f60_attributeList_Venue.csv"


def key(source_uuid: str) -> str:
    return str(uuid.uuid5(NAMESPACE, source_uuid))


def test_a_network_canvas_export_maps_onto_our_fields():
    result = import_network_canvas(STUDY_EXPORT, key_namespace=NAMESPACE)

    assert (result.case_id, result.snapshot_id, result.taken_on) == ("BL-017", "5b1d2f60", date(2024, 11, 5))
    assert result.entries == (
        Entry(key("a1"), "Mary A", Kind.PERSON, Category.FAMILY, Ring.CLOSE,
              frozenset({Support.EMOTIONAL, Support.PRACTICAL})),
        Entry(key("a2"), "Bob", Kind.PERSON, Category.FRIEND, Ring.MIDDLE),
        Entry(key("a3"), "Dee", Kind.PERSON, Category.PARTNER, Ring.CLOSE, frozenset({Support.EMOTIONAL})),
        Entry(key("a4"), "Kwame", Kind.PERSON, Category.FRIEND, Ring.OUTER),
        Entry(key("a5"), "Person 5", Kind.PERSON, Category.FRIEND, Ring.MIDDLE),
        Entry(key("v1"), "Hackney City Farm", Kind.PLACE, Category.COMMUNITY_GROUP, Ring.MIDDLE,
              frequency=Frequency.WEEKLY),
    )  # fmt: skip
    assert result.ties == (Tie(key("a1"), key("a3")), Tie(key("a2"), key("a4")), Tie(key("a2"), key("v1")))


def test_a_network_canvas_import_reports_what_it_mapped_ignored_and_assumed():
    report = import_network_canvas(STUDY_EXPORT, key_namespace=NAMESPACE).report

    assert (report.format, report.entries_created, report.ties_created) == ("nc-csv", 6, 3)
    assert report.fields_mapped == (
        f"{PERSON_FILE}: name → label",
        f"{PERSON_FILE}: nickname → label",
        f"{PERSON_FILE}: Relationship_{{friend, family_relative, romantic_partner}} → category",
        f"{PERSON_FILE}: RelStrength → ring",
        f"{PERSON_FILE}: contactFreq → frequency",
        f"{PERSON_FILE}: support_{{emotional, practical}} → support",
        f"{VENUE_FILE}: name → label",
        f"{VENUE_FILE}: visitfreq → frequency",
    )
    assert report.fields_not_mapped == (
        "BL-017_5b1d2f60_ego.csv: name (the person's own answers)",
        "BL-017_5b1d2f60_ego.csv: age (the person's own answers)",
        f"{PERSON_FILE}: last_name",
        f"{PERSON_FILE}: age",
        f"{PERSON_FILE}: Relationship_other (option 'other' of 'Relationship' is not a category we record)",
        f"{PERSON_FILE}: support_money (option 'money' of 'support' is not a support we record)",
        f"{PERSON_FILE}: Gender_Cisgender_Female",
        f"{PERSON_FILE}: Gender_Cisgender_Male",
        f"{PERSON_FILE}: closenessLayout_x",
        f"{PERSON_FILE}: closenessLayout_y",
        f"{VENUE_FILE}: venue_type_bar_club",
        f"{VENUE_FILE}: venue_type_park",
        "BL-017_5b1d2f60_edgeList_Close.csv: friendship-strength (edge variables are not kept)",
    )
    assert report.values_not_understood == (
        f"{PERSON_FILE}:2: contactFreq: '4' not understood as a frequency (1 row)",
        f"{PERSON_FILE}:3: contactFreq: '3' not understood as a frequency (1 row)",
        f"{PERSON_FILE}:5: contactFreq: '-1' not understood as a frequency (1 row)",
    )
    assert report.defaults_applied == (
        f"{PERSON_FILE}:5: category set to 'friend' for a person (none understood) (2 rows)",
        f"{PERSON_FILE}:6: label set to kind and nodeID (no name given) (1 row)",
        f"{PERSON_FILE}:6: ring set to 'middle' (no closeness understood) (1 row)",
        f"{VENUE_FILE}:2: category set to 'community_group' for a place (none understood) (1 row)",
        f"{VENUE_FILE}:2: ring set to 'middle' (no closeness understood) (1 row)",
    )
    assert report.warnings == (
        "BL-017_5b1d2f60_adjacencyMatrix_Close.csv: adjacency matrix skipped (the edge lists give the same ties)",
        "BL-017_5b1d2f60_edgeList_Knows.csv: 1 edge(s) repeat a tie already read; merged",
        f"{PERSON_FILE}:2: label from name tidied (family name cut to its initial) (1 row)",
    )
    everything = json.dumps(report.as_dict())  # the CLI prints it
    for dropped in ("Jones", "Smith", "Mensah", "Taylor", "Mary Ann", "Robert"):
        assert dropped not in everything  # the report never repeats the names it dropped


@pytest.mark.parametrize(
    ("values", "rings", "top"),
    [
        (["5", "4", "3", "2", "1"], "close close middle outer outer", 5),
        (["4", "3", "2", "1"], "close close middle outer", 4),
        (["2", "1"], "middle outer", 3),  # a scale is at least 1–3
    ],
)
def test_closeness_numbers_are_read_higher_is_closer_in_thirds_of_the_scale(values, rings, top):
    header = "nodeID,networkCanvasEgoUUID,networkCanvasUUID,name,closeness\n"
    rows = "".join(f"{n},E,u{n},P{n},{value}\n" for n, value in enumerate([*values, "0"], 1))
    files = {"ego.csv": "networkCanvasEgoUUID\nE\n", "x_attributeList_Person.csv": header + rows}

    result = import_network_canvas(files, key_namespace=None)

    assert [entry.ring.value for entry in result.entries] == [*rings.split(), "middle"]
    zero_line = len(values) + 2
    assert f"x_attributeList_Person.csv:{zero_line}: closeness: '0' not understood as a ring (1 row)" in (
        result.report.values_not_understood
    )
    assert any(f"1–{top} scale, higher = closer" in warning for warning in result.report.warnings)


def test_closeness_is_read_from_a_sociogram_layout_when_nothing_else_gives_it():
    header = "nodeID,networkCanvasEgoUUID,networkCanvasUUID,nickname,closenessLayout_x,closenessLayout_y\n"
    rows = "1,E,u1,A,0.5,0.6\n2,E,u2,B,0.2,0.5\n3,E,u3,C,0.02,0.98\n"
    files = {"ego.csv": "networkCanvasEgoUUID\nE\n", "x_attributeList_Person.csv": header + rows}

    result = import_network_canvas(files, key_namespace=None)

    assert [entry.ring for entry in result.entries] == [Ring.CLOSE, Ring.MIDDLE, Ring.OUTER]


def test_synonyms_and_text_values_are_understood_case_insensitively():
    header = "nodeID,networkCanvasEgoUUID,networkCanvasUUID,label,kind,category,ring,support,frequency,wish\n"
    rows = (
        "1,E,u1,Vic,Individual,Neighbor,Inner circle,Emotional Support; company,Every day,More contact\n"
        "2,E,u2,St Mark's,venue,Church,Not very close,advice,Rarely,Stay the same\n"
        "3,E,u3,Ola,person,Co-Worker,medium,,Lost touch,get back in touch\n"
    )
    files = {"ego.csv": "networkCanvasEgoUUID\nE\n", "x_attributeList_alter.csv": header + rows}

    result = import_network_canvas(files, key_namespace=None)

    assert result.entries == (
        Entry("u1", "Vic", Kind.PERSON, Category.NEIGHBOUR, Ring.CLOSE,
              frozenset({Support.EMOTIONAL, Support.COMPANIONSHIP}), Frequency.DAILY, Wish.CLOSER),
        Entry("u2", "St Mark's", Kind.PLACE, Category.FAITH, Ring.OUTER, frozenset({Support.ADVICE}),
              Frequency.LESS_OFTEN, Wish.KEEP),
        Entry("u3", "Ola", Kind.PERSON, Category.WORK_EDUCATION, Ring.MIDDLE, frozenset(),
              Frequency.NOT_IN_TOUCH, Wish.RECONNECT),
    )  # fmt: skip
    assert result.report.values_not_understood == result.report.defaults_applied == ()


def test_several_categories_ticked_keeps_the_first_in_our_order_and_says_so():
    header = "nodeID,networkCanvasEgoUUID,networkCanvasUUID,name,relationship_friend,relationship_neighbour,relationship_family\n"
    files = {
        "ego.csv": "networkCanvasEgoUUID\nE\n",
        "x_attributeList_Person.csv": header + "1,E,u1,A,TRUE,TRUE,FALSE\n",
    }

    result = import_network_canvas(files, key_namespace=None)

    assert result.entries[0].category is Category.FRIEND
    assert (
        "x_attributeList_Person.csv:2: several category options ticked; kept friend (1 row)"
        in result.report.warnings
    )


@pytest.mark.parametrize(
    ("text", "kind", "label", "changed"),
    [
        ("Ann", Kind.PERSON, "Ann", False),
        ("Mary Ann Smith", Kind.PERSON, "Mary S", True),
        ("Dr. Kayla Mills", Kind.PERSON, "Kayla M", True),
        ("Prof Dr Hans Meier", Kind.PERSON, "Hans M", True),
        ("Mrs Patel", Kind.PERSON, "Mrs P", True),
        ("Kayla M", Kind.PERSON, "Kayla M", False),
        ("Dr", Kind.PERSON, "Dr", False),
        ("Bartholomew-Montgomery-Fitzwilliam Smith", Kind.PERSON, "Bartholomew-Montgomery-Fitzw S", True),
        ("Dr. Kayla Mills", Kind.SERVICE, "Dr. Kayla Mills", False),
        ("  J.S.  ", Kind.PERSON, "J.S.", True),
        ("=HYPERLINK(x)", Kind.PERSON, "HYPERLINK(x)", True),
        ("Bartholomew-Montgomery-Fitzwilliam", Kind.PERSON, "Bartholomew-Montgomery-Fitzwil", True),
        ("Men's  Shed\n(Tuesdays)", Kind.GROUP, "Men's Shed (Tuesdays)", True),
        ("Victoria Park", Kind.PLACE, "Victoria Park", False),
        ("Community Mental Health Team North", Kind.SERVICE, "Community Mental Health Team N", True),
        ("", Kind.PERSON, "", False),
    ],
)
def test_the_label_policy_keeps_minimal_data(text, kind, label, changed):
    tidy, changes = minimal_label(text, kind=kind)

    assert tidy == label
    assert bool(changes) is changed


def test_every_one_of_our_values_is_understood_by_its_own_vocabulary():
    for vocabulary in VOCABULARIES.values():
        for member in vocabulary.words:
            assert vocabulary.read(member.value) is member
            assert vocabulary.read(member.value.replace("_", " ").upper()) is member


# --- rejecting malformed Network Canvas files -------------------------------------------------------------

EGO_FILE, NODE_FILE, EDGE_FILE = "c_s_ego.csv", "c_s_attributeList_Person.csv", "c_s_edgeList_Knows.csv"
GOOD = {
    EGO_FILE: "networkCanvasEgoUUID,networkCanvasCaseID,networkCanvasSessionID\nE1,C1,S1\n",
    NODE_FILE: (
        "nodeID,networkCanvasEgoUUID,networkCanvasUUID,name,support_emotional\n"
        "1,E1,u1,Ann,true\n"
        "2,E1,u2,Bea,false\n"
        "3,E1,u3,Cy,false\n"
    ),
    EDGE_FILE: "edgeID,from,to,networkCanvasEgoUUID,networkCanvasSourceUUID\n1,1,2,E1,u1\n2,2,3,E1,u2\n",
}


def test_the_small_good_export_is_accepted():
    result = import_network_canvas(GOOD, key_namespace=None)

    assert [entry.label for entry in result.entries] == ["Ann", "Bea", "Cy"]
    assert result.ties == (Tie("u1", "u2"), Tie("u2", "u3"))


@pytest.mark.parametrize(
    ("file", "content", "problem"),
    [
        (
            NODE_FILE,
            "nodeID,networkCanvasEgoUUID,name\n1,E1,Ann\n",
            f"{NODE_FILE}:1: missing required column 'networkCanvasUUID'",
        ),
        (
            EDGE_FILE,
            "edgeID,to,networkCanvasEgoUUID\n1,2,E1\n",
            f"{EDGE_FILE}:1: missing required column 'from'",
        ),
        (
            NODE_FILE,
            GOOD[NODE_FILE].replace("2,E1,u2,Bea,false", "2,E1,u2,Bea,false,extra"),
            f"{NODE_FILE}:3: 6 values, but the header has 5 columns",
        ),
        (
            NODE_FILE,
            GOOD[NODE_FILE].replace("3,E1,u3,Cy,false", "3,E1,u3,Cy"),
            f"{NODE_FILE}:4: 4 values, but the header has 5 columns",
        ),
        (
            EDGE_FILE,
            GOOD[EDGE_FILE].replace("2,2,3,E1,u2", "2,2,9,E1,u2"),
            f"{EDGE_FILE}:3: edge to nodeID 9, which no attribute list has",
        ),
        (
            NODE_FILE,
            GOOD[NODE_FILE].replace("3,E1,u3", "2,E1,u3"),
            f"{NODE_FILE}:4: nodeID 2 repeats {NODE_FILE}:3",
        ),
        (
            NODE_FILE,
            GOOD[NODE_FILE].replace("3,E1,u3", "3,E1,u2"),
            f"{NODE_FILE}:4: networkCanvasUUID repeats {NODE_FILE}:3",
        ),
        (
            NODE_FILE,
            GOOD[NODE_FILE].replace("Bea,false", "Bea,yes"),
            f"{NODE_FILE}:3: support_emotional: 'yes' is not true or false",
        ),
        (
            NODE_FILE,
            GOOD[NODE_FILE].replace("1,E1,u1", "one,E1,u1"),
            f"{NODE_FILE}:2: nodeID: 'one' is not a whole number",
        ),
        (
            EDGE_FILE,
            GOOD[EDGE_FILE].replace("2,2,3,E1", "2,2,3,E2"),
            f"{EDGE_FILE}:3: networkCanvasEgoUUID is not the ego file's: a different interview",
        ),
        (
            EDGE_FILE,
            GOOD[EDGE_FILE].replace("2,2,3,E1,u2", "2,2,3,E1,u3"),
            f"{EDGE_FILE}:3: networkCanvasSourceUUID is not the networkCanvasUUID of nodeID 2",
        ),
        (EDGE_FILE, GOOD[EDGE_FILE].replace("2,2,3", "1,2,3"), f"{EDGE_FILE}:3: edgeID 1 repeats line 2"),
        (EGO_FILE, GOOD[EGO_FILE] + "E9,C9,S9\n", f"{EGO_FILE}:3: expected one row for the person, found 2"),
        (EGO_FILE, "networkCanvasEgoUUID\n", f"{EGO_FILE}:2: expected one row for the person, found 0"),
        (NODE_FILE, "", f"{NODE_FILE}:1: the file is empty (expected a header row)"),
        (
            NODE_FILE,
            "nodeID,networkCanvasEgoUUID,networkCanvasUUID,name,name\n1,E1,u1,Ann,Ann\n",
            f"{NODE_FILE}:1: column 'name' appears more than once",
        ),
        (
            NODE_FILE,
            GOOD[NODE_FILE]
            .replace("1,E1,u1,Ann,true", '1,E1,u1,"Ann\nMarie",true')
            .replace("3,E1,u3,Cy,false", "3,E1,u3"),
            f"{NODE_FILE}:5: 3 values, but the header has 5 columns",
        ),
        (
            NODE_FILE,
            GOOD[NODE_FILE].replace("3,E1,u3,Cy,false", '3,E1,u3,"Cy,false'),
            f"{NODE_FILE}:4: not valid CSV: unexpected end of data",
        ),
        (NODE_FILE, b"nodeID\n\xff\xfe\n", f"{NODE_FILE}:2: not UTF-8 text"),
    ],
)
def test_a_malformed_network_canvas_file_is_rejected_with_its_line(file, content, problem):
    problems = rejected({**GOOD, file: content})

    assert problem in problems


def test_every_problem_in_every_file_is_reported_at_once():
    files = {
        **GOOD,
        NODE_FILE: GOOD[NODE_FILE].replace("Bea,false", "Bea,maybe"),
        EDGE_FILE: GOOD[EDGE_FILE].replace("2,2,3,E1", "2,2,7,E1"),
    }

    assert rejected(files) == [
        f"{NODE_FILE}:3: support_emotional: 'maybe' is not true or false",
        f"{EDGE_FILE}:3: edge to nodeID 7, which no attribute list has",
    ]


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({**GOOD, "notes.csv": "a\n1\n"}, "notes.csv: not part of a Network Canvas CSV export"),
        (
            {NODE_FILE: GOOD[NODE_FILE]},
            "export: expected exactly one …_ego.csv file (one interview), found none",
        ),
        (
            {**GOOD, "d_t_ego.csv": GOOD[EGO_FILE]},
            "2 interview sessions in this export (",
        ),
        ({EGO_FILE: GOOD[EGO_FILE]}, "export: no …_attributeList_<NodeType>.csv file: there are no entries"),
    ],
)
def test_a_set_of_files_that_is_not_one_interview_is_rejected(files, problem):
    problems = rejected(files)

    assert any(found.startswith(problem) for found in problems), problems


def test_a_self_loop_is_skipped_with_a_warning():
    files = {**GOOD, EDGE_FILE: GOOD[EDGE_FILE] + "3,3,3,E1,u3\n"}

    result = import_network_canvas(files, key_namespace=None)

    assert len(result.ties) == 2
    assert f"{EDGE_FILE}:4: edge from nodeID 3 to itself skipped" in result.report.warnings


def test_a_zipped_export_imports_like_its_files():
    files = export_network_canvas(a_snapshot(), case_id="P-0007", snapshot_id="snap-2")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"networkCanvasExport/{name}", text)
        archive.writestr("networkCanvasExport/P-0007_snap-2.graphml", "<graphml/>")

    result = import_map({"export.zip": buffer.getvalue()}, key_namespace=None)

    assert reexport(result, "nc-csv") == files
    assert result.report.warnings == (
        "export.zip: networkCanvasExport/P-0007_snap-2.graphml skipped (not a CSV file)",
    )


def test_a_file_of_no_known_kind_is_rejected():
    assert rejected({"map.txt": "hello"}) == [
        "map.txt: expected one .json, one .graphml, one .zip of a Network Canvas export, or the .csv files of one"
    ]
    assert rejected({"export.zip": b"not a zip"})[0].startswith("export.zip: not a readable zip file")


# --- rejecting malformed JSON and GraphML -----------------------------------------------------------------


def line_of(text: str, fragment: str, before: int = 0) -> int:
    """1-based line of the first line holding `fragment`, minus `before` lines."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if fragment in line) - before


def test_json_with_a_value_we_do_not_record_is_rejected_at_the_entry_line():
    text = export_json(a_snapshot(), case_id="P-0007", snapshot_id="snap-2")
    broken = text.replace('"kind": "group"', '"kind": "club"')

    problems = rejected({"map.json": broken})

    entry_line = line_of(text, '"key": "k-shed"', before=1)
    assert problems == [f"map.json:{entry_line}: kind 'club' is not one of: person, group, place, service"]


def test_json_tie_to_an_unknown_entry_and_a_syntax_error_are_rejected_with_lines():
    text = export_json(a_snapshot(), case_id="P-0007", snapshot_id="snap-2")
    tie_line = line_of(text, '"a": "k-ann"', before=1)
    broken = text.replace('"a": "k-ann"', '"a": "k-nobody"', 1)

    assert rejected({"map.json": broken}) == [
        f"map.json:{tie_line}: tie names an entry that is not in the file: 'k-nobody'"
    ]
    ring = '"ring": "middle",'
    assert rejected({"map.json": text.replace(ring, ring.rstrip(","), 1)}) == [
        f"map.json:{line_of(text, ring) + 1}: not valid JSON: Expecting ',' delimiter"
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"format": "something-else"}, "map.json:1: format is not 'connecting-people/connections-map'"),
        ({"version": 2}, "map.json:1: version 2 is newer than this importer reads (1)"),
        ({"taken_on": "1st March"}, "map.json:1: taken_on '1st March' is not a date (YYYY-MM-DD)"),
    ],
)
def test_json_of_another_format_or_version_is_rejected(change, problem):
    document = {**json.loads(export_json(a_snapshot(), case_id=None, snapshot_id=None)), **change}

    assert rejected({"map.json": json.dumps(document)}) == [problem]


def test_json_fields_we_do_not_know_are_reported_not_mapped():
    document = json.loads(export_json(a_snapshot(), case_id=None, snapshot_id=None))
    document["colour"] = "blue"
    document["entries"][0]["notes"] = "private"

    report = import_json(json.dumps(document), key_namespace=None).report

    assert report.fields_not_mapped == ("map.json: colour", "map.json: entries[].notes")


def test_graphml_edge_to_an_unknown_node_is_rejected_at_its_line():
    text = export_graphml(a_snapshot(), case_id=None, snapshot_id=None)
    broken = text.replace('target="n3"/>', 'target="n99"/>', 1)

    problems = rejected({"map.graphml": broken})

    assert problems == [f"map.graphml:{line_of(broken, 'n99')}: edge to node 'n99', which is not in the file"]


def test_graphml_that_is_not_well_formed_is_rejected_at_its_line():
    text = export_graphml(a_snapshot(), case_id=None, snapshot_id=None)
    broken = text.replace("</node>", "", 1)

    (problem,) = rejected({"map.graphml": broken})

    assert problem.startswith("map.graphml:") and "not well-formed XML: mismatched tag" in problem


def test_graphml_with_entity_declarations_is_refused():
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE graphml [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph>&lol2;</graph></graphml>\n'
    )

    assert rejected({"map.graphml": laughs}) == ["map.graphml:2: document type declarations are not accepted"]


def test_graphml_bad_values_are_rejected_at_the_node_line():
    text = export_graphml(a_snapshot(), case_id=None, snapshot_id=None)
    broken = text.replace(
        '<data key="support_advice">true</data>', '<data key="support_advice">yes</data>', 1
    )
    broken = broken.replace('<data key="ring">outer</data>', '<data key="ring">far</data>', 1)
    broken = broken.replace('<data key="label">GP</data>', '<data key="nickname">GP</data>', 1)

    problems = rejected({"map.graphml": broken})

    advice_node = line_of(broken, "<node", before=0)
    assert f"map.graphml:{advice_node}: support_advice 'yes' is not true or false" in problems
    assert any("ring 'far' is not one of: close, middle, outer" in problem for problem in problems)
    assert any("<data> uses key 'nickname', which is not declared" in problem for problem in problems)


def test_graphml_resaved_by_another_tool_is_read_by_attribute_name():
    text = export_graphml(a_snapshot(), case_id="P-0007", snapshot_id="snap-2")
    resaved = text
    for name in ("label", "kind", "category", "ring", "support_emotional"):
        resaved = resaved.replace(f'key id="{name}"', f'key id="d_{name}"').replace(
            f'data key="{name}"', f'data key="d_{name}"'
        )
    # A tool that leaves out values equal to the key's default, and adds its own attributes.
    resaved = resaved.replace('      <data key="d_support_emotional">false</data>\n', "")
    resaved = resaved.replace(
        '<key id="wish"', '<key id="x" for="node" attr.name="x" attr.type="double"/>\n  <key id="wish"'
    ).replace('<data key="key">k-ann</data>', '<data key="key">k-ann</data><data key="x">1.5</data>')

    result = import_graphml(resaved, key_namespace=None)

    assert reexport(result, "graphml") == {"P-0007_snap-2.graphml": text}
    assert result.report.fields_not_mapped == ("map.graphml: x",)


# --- a test export built from a real Network Canvas protocol ----------------------------------------------


def _columns(variable: dict) -> list[str]:
    name = variable["name"]
    if variable["type"] == "categorical":
        return [f"{name}_{option['value']}" for option in variable["options"]]
    if variable["type"] == "layout":
        return [f"{name}_x", f"{name}_y"]
    return [name]


def _value(
    variable: dict, column: str, row: int, roster: dict[str, str], position: tuple[float, float]
) -> str:
    if column in roster:
        return roster[column]
    if variable["type"] == "categorical":
        return "true" if column == _columns(variable)[0] else "false"
    if variable["type"] == "layout":
        return str(position[0] if column.endswith("_x") else position[1])
    if variable["type"] == "ordinal":
        return str(variable["options"][0]["value"])
    return {"boolean": "false", "number": str(20 + row), "datetime": "2024-01-0" + str(row + 1)}.get(
        variable["type"], "text"
    )


def export_from_protocol(protocol: dict, roster: list[dict[str, str]]) -> dict[str, str]:
    """A Network Canvas CSV export of one interview, columns from the protocol's codebook."""
    codebook = protocol["codebook"]
    person = next(node for node in codebook["node"].values() if node["name"] == "person")
    friend = next(edge for edge in codebook["edge"].values() if edge["name"] == "friend")
    ego_variables = list(codebook["ego"]["variables"].values())
    ego_columns = [column for variable in ego_variables for column in _columns(variable)]
    ego_header = ["networkCanvasEgoUUID", "networkCanvasCaseID", "networkCanvasSessionID",
                  "networkCanvasProtocolName", "sessionStart", "sessionFinish", "sessionExported"]  # fmt: skip
    ego_row = [EGO, "dev-1", "s-1", "Development Protocol", "2024-05-01T10:00:00.000Z", "", ""]
    ego_row += [
        "1" if variable["type"] == "ordinal" else "x"
        for variable in ego_variables
        for _ in _columns(variable)
    ]
    node_variables = list(person["variables"].values())
    node_header = ["nodeID", "networkCanvasEgoUUID", "networkCanvasUUID"]
    node_header += [column for variable in node_variables for column in _columns(variable)]
    positions = [(0.5, 0.5), (0.75, 0.5), (0.98, 0.98)]
    node_rows = [
        [str(n + 1), EGO, f"node-{n + 1}"]
        + [
            _value(variable, column, n, roster[n], positions[n])
            for variable in node_variables
            for column in _columns(variable)
        ]
        for n in range(3)
    ]
    edge_variables = list(friend["variables"].values())
    edge_header = ["edgeID", "from", "to", "networkCanvasEgoUUID", "networkCanvasUUID",
                   "networkCanvasSourceUUID", "networkCanvasTargetUUID"]  # fmt: skip
    edge_header += [column for variable in edge_variables for column in _columns(variable)]
    edge_row = ["1", "1", "2", EGO, "edge-1", "node-1", "node-2"]
    edge_row += [
        "1" if variable["type"] == "ordinal" else "false"
        for variable in edge_variables
        for _ in _columns(variable)
    ]

    def table(header: list[str], *rows: list[str]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *rows])
        return out.getvalue()

    return {
        "dev-1_s-1_ego.csv": table(ego_header + ego_columns, ego_row),
        "dev-1_s-1_attributeList_person.csv": table(node_header, *node_rows),
        "dev-1_s-1_edgeList_friend.csv": table(edge_header, edge_row),
    }


@pytest.mark.skipif(
    not (DEVELOPMENT_PROTOCOL / "protocol.json").exists(),
    reason=f"the shared Network Canvas fixtures are not at {DEVELOPMENT_PROTOCOL}",
)
def test_an_export_shaped_by_the_network_canvas_development_protocol():
    protocol = json.loads((DEVELOPMENT_PROTOCOL / "protocol.json").read_text(encoding="utf-8"))
    with (DEVELOPMENT_PROTOCOL / "assets" / "previousInterview.csv").open(
        encoding="utf-8", newline=""
    ) as roster:
        people = [row for _, row in zip(range(3), csv.DictReader(roster), strict=False)]
    files = export_from_protocol(protocol, people)

    result = import_network_canvas(files, key_namespace=NAMESPACE)

    assert [entry.label for entry in result.entries] == [row["nickname"].split()[0] for row in people]
    assert [entry.ring for entry in result.entries] == [Ring.CLOSE, Ring.MIDDLE, Ring.OUTER]
    assert {entry.kind for entry in result.entries} == {Kind.PERSON}
    assert {entry.category for entry in result.entries} == {
        Category.FRIEND
    }  # the protocol has no relationship
    assert result.ties == (Tie(key("node-1"), key("node-2")),)
    file = "dev-1_s-1_attributeList_person.csv"
    assert result.report.fields_mapped == (
        f"{file}: name → label",
        f"{file}: nickname → label",
        f"{file}: close_friend → category friend, ring close when true",
        f"{file}: contactFreq → frequency",
        f"{file}: closenessLayout_x → ring",
        f"{file}: closenessLayout_y → ring",
    )
    not_mapped = result.report.fields_not_mapped
    for column in (
        "last_name",
        "age",
        "contactType_person",
        "anotherLayout_x",
        "discussFreq",
    ):
        assert f"{file}: {column}" in not_mapped
    assert f"{file}: support_friend (option 'friend' of 'support' is not a support we record)" in not_mapped
    assert "dev-1_s-1_edgeList_friend.csv: friendship-strength (edge variables are not kept)" in not_mapped
    assert "dev-1_s-1_ego.csv: categoricalVariable_Value_A (the person's own answers)" in not_mapped
    assert result.report.values_not_understood == (
        f"{file}:2: contactFreq: '4' not understood as a frequency (3 rows)",
    )
