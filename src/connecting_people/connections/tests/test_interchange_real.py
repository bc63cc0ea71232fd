"""Files other tools wrote (issue 16): GraphML from Gephi's, networkx's and yEd's own test files, GraphML written
here and now by networkx and igraph, Network Canvas's GraphML layout, and mapping files. Each test checks what was
kept against the source: node counts, names, kinds, ties.

Files taken from other projects' repositories are not committed here (the workplace keeps such data files only in
the shared fixtures): tests/data/real/README.md names each one's repository, path, commit and licence. They are
read from `../shared/fixtures/graphml/real` (or CONNECTING_PEOPLE_GRAPHML_REAL), and those tests are skipped,
saying so, where the files are not there. The files written by networkx and igraph at test time always run."""

import os
import uuid
from pathlib import Path

import igraph
import networkx as nx
import pytest

from connecting_people.connections.domain import Category, Frequency, Kind, Ring
from connecting_people.connections.interchange import (
    ImportRejected,
    import_map,
    import_sessions,
    read_attribute_mapping,
)

PROJECT = Path(__file__).resolve().parents[4]
REAL = Path(
    os.environ.get(
        "CONNECTING_PEOPLE_GRAPHML_REAL", PROJECT.parent / "shared" / "fixtures" / "graphml" / "real"
    )
)
needs_real = pytest.mark.skipif(
    not (REAL / "gephi-football.graphml").exists(),
    reason=f"the published GraphML files are not at {REAL} (see tests/data/real/README.md)",
)


def load(name: str):
    return import_map({name: (REAL / name).read_bytes()}, key_namespace=None)


def by_label(result):
    return {entry.label: entry for entry in result.entries}


def tie_labels(result) -> set[frozenset[str]]:
    label = {entry.key: entry.label for entry in result.entries}
    return {frozenset((label[tie.a], label[tie.b])) for tie in result.ties}


# --- files from other projects' repositories -------------------------------------------------------------


@needs_real
def test_gephi_football_keeps_every_node_and_every_tie_of_the_source():
    source = nx.read_graphml(REAL / "gephi-football.graphml")
    pairs = {frozenset(edge) for edge in source.edges() if edge[0] != edge[1]}

    result = load("gephi-football.graphml")

    assert len(result.entries) == source.number_of_nodes() == 115
    assert len(result.ties) == len(pairs) == 613
    order = {node: number for number, node in enumerate(source.nodes(), start=1)}
    assert tie_labels(result) == {frozenset(f"Person {order[end]}" for end in pair) for pair in pairs}
    report = result.report
    assert "gephi-football.graphml: partition" in report.fields_not_mapped
    assert "gephi-football.graphml: graph dl (about the whole network)" in report.fields_not_mapped
    assert any(
        "kind set to 'person' (nothing says which it is) (115 rows)" in n for n in report.defaults_applied
    )


@needs_real
def test_gephi_cdata_labels_are_read_and_the_edge_label_is_listed_as_not_mapped():
    result = load("gephi-cdata.graphml")

    assert [entry.label for entry in result.entries] == ["foo", "bar"]
    assert tie_labels(result) == {frozenset({"foo", "bar"})}
    assert result.report.fields_not_mapped == (
        "gephi-cdata.graphml: edge label (edge attributes are not kept)",
    )
    assert "gephi-cdata.graphml:6: directed edges read as undirected ties" in result.report.warnings


@needs_real
def test_yed_labels_drawn_on_the_nodes_become_the_names():
    result = load("networkx-yfiles-extension.graphml")

    assert [entry.label for entry in result.entries] == ["1", "2", "3"]
    assert tie_labels(result) == {frozenset({"1", "2"})}
    assert "networkx-yfiles-extension.graphml: edgegraphics (yEd drawing, not data)" in (
        result.report.fields_not_mapped
    )


@needs_real
def test_yed_group_nodes_become_groups_tied_to_what_is_inside_them():
    result = load("networkx-yed-groups.graphml")
    entries = by_label(result)

    assert sorted(entries) == ["1", "2", "3", "5", "6", "9", "Group 1", "Group 2", "Group 3"]
    assert {label for label, entry in entries.items() if entry.kind is Kind.GROUP} == {
        "Group 1",
        "Group 2",
        "Group 3",
    }
    ties = tie_labels(result)
    assert {frozenset({"Group 3", "Group 1"}), frozenset({"Group 3", "Group 2"})} <= ties
    assert frozenset({"Group 1", "1"}) in ties and frozenset({"Group 2", "5"}) in ties
    assert len(ties) == 4 + 6  # the file's four edges, and six "inside" ties


# --- files written now by networkx and igraph ------------------------------------------------------------


def test_networkx_graphml_with_common_attribute_names(tmp_path):
    graph = nx.Graph()
    graph.add_node("a", name="Dr. Kayla Mills", type="person", family_member=True, weight=0.9)
    graph.add_node("b", name="Joe", type="friend", weight=0.5, contact_frequency="Weekly")
    graph.add_node("c", name="St Mary's Church", type="organisation", weight=0.1)
    graph.add_node("d", label="Dave", close_friend=True, favourite_colour="green")
    graph.add_edges_from([("a", "b"), ("b", "d"), ("a", "a")])
    path = tmp_path / "networkx.graphml"
    nx.write_graphml(graph, path)

    result = import_map({path.name: path.read_bytes()}, key_namespace=None)
    entries = by_label(result)

    assert sorted(entries) == ["Dave", "Joe", "Kayla M", "St Mary's Church"]
    kayla, joe, church, dave = (entries[name] for name in ("Kayla M", "Joe", "St Mary's Church", "Dave"))
    assert (kayla.kind, kayla.category, kayla.ring) == (Kind.PERSON, Category.FAMILY, Ring.CLOSE)
    assert (joe.kind, joe.category, joe.ring, joe.frequency) == (
        Kind.PERSON, Category.FRIEND, Ring.MIDDLE, Frequency.WEEKLY,
    )  # fmt: skip
    assert (church.kind, church.category, church.ring) == (Kind.GROUP, Category.FAITH, Ring.OUTER)
    assert (dave.category, dave.ring) == (Category.FRIEND, Ring.CLOSE)
    assert tie_labels(result) == {frozenset({"Kayla M", "Joe"}), frozenset({"Joe", "Dave"})}
    report = result.report
    assert "networkx.graphml: favourite_colour" in report.fields_not_mapped
    assert "networkx.graphml: 1 edge(s) from a node to itself skipped" in report.warnings
    assert all("Mills" not in note for note in report.as_dict()["warnings"])


def test_networkx_graph_whose_node_ids_are_the_names(tmp_path):
    graph = nx.MultiGraph()
    graph.add_edges_from([("Ann", "Bob"), ("Ann", "Bob"), ("Bob", "Cat Smith")])
    path = tmp_path / "names.graphml"
    nx.write_graphml(graph, path)

    result = import_map({path.name: path.read_bytes()}, key_namespace=None)

    assert sorted(by_label(result)) == ["Ann", "Bob", "Cat S"]
    assert len(result.ties) == 2
    assert "names.graphml: 1 edge(s) repeat a tie already read; merged" in result.report.warnings


def test_igraph_graphml_with_names_kinds_and_closeness(tmp_path):
    graph = igraph.Graph(n=4, edges=[(0, 1), (1, 2), (2, 3)])
    graph.vs["name"] = ["Mum", "Priya", "Hearing Voices group", "Victoria Park"]
    graph.vs["kind"] = ["person", "person", "group", "venue"]
    graph.vs["closeness"] = [1.0, 0.6, 0.4, 0.2]
    graph.vs["contact_freq"] = ["Daily", "Less_than_weekly", "Weekly", ""]
    path = tmp_path / "igraph.graphml"
    graph.write_graphml(str(path))

    result = import_map({path.name: path.read_bytes()}, key_namespace=None)
    entries = by_label(result)

    assert [entry.label for entry in result.entries] == [
        "Mum",
        "Priya",
        "Hearing Voices group",
        "Victoria Park",
    ]
    assert [entry.kind for entry in result.entries] == [Kind.PERSON, Kind.PERSON, Kind.GROUP, Kind.PLACE]
    assert [entry.ring for entry in result.entries] == [Ring.CLOSE, Ring.MIDDLE, Ring.MIDDLE, Ring.OUTER]
    assert entries["Mum"].category is Category.FAMILY  # guessed from the name, and reported
    assert entries["Hearing Voices group"].category is Category.PEER_SUPPORT
    assert entries["Priya"].frequency is Frequency.MONTHLY
    assert entries["Mum"].frequency is Frequency.DAILY
    assert tie_labels(result) == {
        frozenset({"Mum", "Priya"}),
        frozenset({"Priya", "Hearing Voices group"}),
        frozenset({"Hearing Voices group", "Victoria Park"}),
    }
    assert any("category 'family' guessed from the name" in note for note in result.report.defaults_applied)


# --- Network Canvas GraphML (the layout its exporter writes, with two sessions) ------------------------------

NC = "http://schema.networkcanvas.com/xmlns"


def network_canvas_graphml() -> str:
    """Two sessions in one file, as Network Canvas writes an export of several interviews to GraphML: key ids
    are variable UUIDs (attr.name the variable's name), categorical options one boolean each, layouts _X/_Y,
    the case and session on the <graph>."""
    keys = [
        ("label", "all", "label", "string"),
        ("networkCanvasType", "all", "networkCanvasType", "string"),
        ("networkCanvasUUID", "all", "networkCanvasUUID", "string"),
        ("networkCanvasTargetUUID", "edge", "networkCanvasTargetUUID", "string"),
        ("networkCanvasSourceUUID", "edge", "networkCanvasSourceUUID", "string"),
        ("6d6b-name", "node", "name", "string"),
        ("a1f0-family", "node", "family_member", "boolean"),
        ("b2e1-close", "node", "close_friend", "boolean"),
        ("c3d2-freq", "node", "contact_freq", "string"),
        ("d4c3-layout_X", "node", "closenessLayout_X", "double"),
        ("d4c3-layout_Y", "node", "closenessLayout_Y", "double"),
        ("e5b4-rel_1", "node", "relationship_neighbour", "boolean"),
        ("e5b4-rel_2", "node", "relationship_other", "boolean"),
        ("f6a5-age", "node", "age", "int"),
        ("07f6-strength", "edge", "friendship-strength", "int"),
    ]

    def node(number, uuid_, kind, name, **data):
        values = {
            "label": name,
            "networkCanvasType": kind,
            "networkCanvasUUID": uuid_,
            "6d6b-name": name,
            **data,
        }
        inner = "".join(f'<data key="{key}">{value}</data>' for key, value in values.items())
        return f'    <node id="{number}">{inner}</node>\n'

    def edge(number, a, b, strength):
        return (
            f'    <edge id="{number}" source="{a}" target="{b}"><data key="networkCanvasUUID">e{number}</data>'
            f'<data key="07f6-strength">{strength}</data></edge>\n'
        )

    def graph(case, session, started, body):
        return (
            f'  <graph edgedefault="undirected" nc:caseId="{case}" nc:sessionUUID="{session}"'
            f' nc:protocolName="Social Worlds" nc:sessionStartTime="{started}">\n{body}  </graph>\n'
        )

    first = (
        node(1, "u-1", "person", "Dr. Kayla Mills", **{"a1f0-family": "true", "b2e1-close": "false",
             "c3d2-freq": "Less_than_weekly", "d4c3-layout_X": "0.5", "d4c3-layout_Y": "0.5", "f6a5-age": "70"})
        + node(2, "u-2", "person", "Leon", **{"a1f0-family": "false", "b2e1-close": "true", "c3d2-freq": "Daily",
               "e5b4-rel_1": "false", "e5b4-rel_2": "true"})
        + node(3, "u-3", "person", "Ola", **{"a1f0-family": "false", "b2e1-close": "false", "c3d2-freq": "Weekly",
               "e5b4-rel_1": "true", "d4c3-layout_X": "0.95", "d4c3-layout_Y": "0.5"})
        + node(4, "u-4", "venue", "Hackney City Farm")
        + edge(1, 1, 2, 3)
        + edge(2, 2, 3, 1)
    )  # fmt: skip
    second = node(1, "w-1", "person", "Sam", **{"a1f0-family": "true"}) + node(2, "w-2", "person", "Jo")
    declared = "".join(
        f'  <key id="{key}" for="{domain}" attr.name="{name}" attr.type="{kind}"/>\n'
        for key, domain, name, kind in keys
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xmlns:nc="{NC}">\n'
        + declared
        + graph("BL-017", "5b1d2f60", "2024-11-05T14:02:11.000Z", first)
        + graph("BL-018", "77aa0c31", "2024-11-07T10:00:00.000Z", second)
        + "</graphml>\n"
    )


def test_network_canvas_graphml_of_two_sessions_asks_which_one():
    with pytest.raises(ImportRejected) as caught:
        import_map({"study.graphml": network_canvas_graphml()}, key_namespace=None)

    (problem,) = caught.value.problems
    assert "2 graphs (interview sessions) in one file: 5b1d2f60, 77aa0c31" in problem


def test_network_canvas_graphml_maps_its_variables():
    result = import_map({"study.graphml": network_canvas_graphml()}, key_namespace=None, session="5b1d2f60")
    entries = by_label(result)

    assert (result.case_id, result.snapshot_id, str(result.taken_on)) == ("BL-017", "5b1d2f60", "2024-11-05")
    assert sorted(entries) == ["Hackney City Farm", "Kayla M", "Leon", "Ola"]
    kayla, leon, ola, farm = (entries[name] for name in ("Kayla M", "Leon", "Ola", "Hackney City Farm"))
    assert (kayla.kind, kayla.category, kayla.ring, kayla.frequency) == (
        Kind.PERSON, Category.FAMILY, Ring.CLOSE, Frequency.MONTHLY,
    )  # fmt: skip
    assert (leon.category, leon.ring, leon.frequency) == (Category.FRIEND, Ring.CLOSE, Frequency.DAILY)
    assert (ola.category, ola.ring, ola.frequency) == (Category.NEIGHBOUR, Ring.OUTER, Frequency.WEEKLY)
    assert farm.kind is Kind.PLACE
    assert [entry.key for entry in result.entries] == ["u-1", "u-2", "u-3", "u-4"]
    assert tie_labels(result) == {frozenset({"Kayla M", "Leon"}), frozenset({"Leon", "Ola"})}
    report = result.report
    assert "study.graphml: age" in report.fields_not_mapped
    assert (
        "study.graphml: edge friendship-strength (edge attributes are not kept)" in report.fields_not_mapped
    )
    assert any("relationship_other (option 'other'" in note for note in report.fields_not_mapped)


def test_every_session_of_a_network_canvas_graphml_is_read():
    sessions, _ = import_sessions({"study.graphml": network_canvas_graphml()})

    assert [(s.name, s.case_id, len(s.result.entries)) for s in sessions] == [
        ("5b1d2f60", "BL-017", 4),
        ("77aa0c31", "BL-018", 2),
    ]
    assert sessions[1].result.entries[0].category is Category.FAMILY


# --- mapping files ------------------------------------------------------------------------------------------


def test_a_mapping_file_says_what_names_cannot(tmp_path):
    graph = nx.Graph()
    graph.add_node(1, Vorname="Anna", Beziehung="Familie", Naehe="sehr nah", Notizen="x", ist_nachbar=False)
    graph.add_node(2, Vorname="Ben", Beziehung="Kollege", Naehe="fern", Notizen="y", ist_nachbar=True)
    graph.add_edge(1, 2)
    path = tmp_path / "de.graphml"
    nx.write_graphml(graph, path)
    mapping = read_attribute_mapping(
        "mapping.yaml",
        "fields:\n  Vorname: label\n  Beziehung: category\n  Naehe: ring\n  Notizen: ignore\n"
        "  ist_nachbar: category=neighbour\n"
        "values:\n  category: {Familie: family, Kollege: work_education}\n  ring: {sehr nah: close, fern: outer}\n",
    )

    result = import_map({path.name: path.read_bytes()}, key_namespace=None, mapping=mapping)

    assert [(e.label, e.category, e.ring) for e in result.entries] == [
        ("Anna", Category.FAMILY, Ring.CLOSE),
        ("Ben", Category.WORK_EDUCATION, Ring.OUTER),
    ]
    assert "de.graphml: Notizen (left out by mapping.yaml)" in result.report.fields_not_mapped
    assert len(result.ties) == 1


def test_a_mapping_file_in_json_and_its_problems_all_at_once():
    assert read_attribute_mapping("m.json", '{"fields": {"x": "label"}}').fields == {"x": "label"}
    with pytest.raises(ImportRejected) as caught:
        read_attribute_mapping("m.json", '{"fields": {"a": "colour", "b": "ring=far"}, "values": {"x": {}}}')

    assert len(caught.value.problems) == 3
    assert caught.value.problems[0].startswith("m.json: fields: a: 'colour' is not one of")


def test_any_graphml_is_still_bounded():
    nodes = "".join(f'<node id="n{i}"/>' for i in range(251))
    text = f'<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph>{nodes}</graph></graphml>'

    with pytest.raises(ImportRejected) as caught:
        import_map({"big.graphml": text}, key_namespace=uuid.uuid4())

    assert caught.value.problems == ("big.graphml: 251 entries, but a map holds at most 250",)
