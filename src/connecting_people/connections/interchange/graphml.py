"""GraphML for one connections-map snapshot: entries as nodes with typed attributes, ties as undirected edges.

Layout of what we write (UTF-8, two-space indent, ``\\n`` line ends, ending with a newline)::

    <graphml xmlns="http://graphml.graphdrawing.org/xmlns" ...>
      <key id="format" for="graph" attr.name="format" attr.type="string"/>     graph: format, version (int),
      ...                                                                      case_id, snapshot_id, taken_on
      <key id="key" for="node" attr.name="key" attr.type="string"/>            node: key, label, kind,
      ...                                                                      category, ring (string);
      <key id="support_emotional" for="node" ... attr.type="boolean">          support_<each> (boolean,
        <default>false</default></key>                                         default false);
      ...                                                                      frequency, wish (string,
      <graph id="map" edgedefault="undirected">                                absent when not given)
        <data key="format">connecting-people/connections-map</data> ...
        <node id="n1"><data key="key">…</data><data key="label">Ann</data>…</node>
        <edge id="e1" source="n1" target="n2"/>
      </graph>
    </graphml>

Node ids are ``n1``…``nN`` in the export order (`ordering.export_order`); the entry's key is the ``key``
attribute, so the file stays valid GraphML whatever the keys look like. Tools such as Gephi and networkx read
it as it is (``label`` is the node label they show).

Reading takes the GraphML we wrote, also after another tool has re-saved it: attributes are found by
``attr.name`` (not by key id), key defaults are honoured, and attributes we do not know are reported as not
mapped. A document type declaration is refused outright (no entity tricks).
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.parsers import expat

from ..domain import Entry, Snapshot, Support, Tie
from .attribute_map import NO_MAPPING, AttributeMapping
from .network_canvas import Notes, RowReader, _Table, plan_columns
from .ordering import export_order, supports_in_order
from .own_format import OwnFormatReader, read_date
from .result import (
    FORMAT_NAME,
    FORMAT_VERSION,
    GRAPHML_MAX_ELEMENTS,
    Findings,
    ImportRejected,
    ImportResult,
    ImportTooLarge,
    check_counts,
    check_size,
    decoded,
    new_key,
)

GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
NC_NAMESPACE = (
    "http://schema.networkcanvas.com/xmlns"  # Network Canvas's graph attributes (caseId, sessionUUID...)
)
YWORKS_NAMESPACE = "http://www.yworks.com/xml/graphml"
_SCHEMA_LOCATION = f"{GRAPHML_NAMESPACE} http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"

_GRAPH_KEYS = (
    ("format", "string"),
    ("version", "int"),
    ("case_id", "string"),
    ("snapshot_id", "string"),
    ("taken_on", "string"),
)
_NODE_KEYS = (
    ("key", "string"),
    ("label", "string"),
    ("kind", "string"),
    ("category", "string"),
    ("ring", "string"),
    *((f"support_{support.value}", "boolean") for support in Support),
    ("frequency", "string"),
    ("wish", "string"),
)
_SUPPORT_KEYS = {f"support_{support.value}": support for support in Support}


def _text(value: str) -> str:
    """Character data for XML 1.0: markup escaped, CR kept as a reference, characters XML cannot hold replaced."""
    out = []
    for character in value:
        code = ord(character)
        if character == "&":
            out.append("&amp;")
        elif character == "<":
            out.append("&lt;")
        elif character == ">":
            out.append("&gt;")
        elif character == "\r":
            out.append("&#13;")
        elif code < 0x20 and character not in "\t\n" or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append("\ufffd")
        else:
            out.append(character)
    return "".join(out)


def export_graphml(snapshot: Snapshot, *, case_id: str | None, snapshot_id: str | None) -> str:
    """The snapshot as GraphML (see the module docstring). Same snapshot, same text."""
    entries, pairs = export_order(snapshot)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<graphml xmlns="{GRAPHML_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{_SCHEMA_LOCATION}">',
    ]
    for name, kind in _GRAPH_KEYS:
        lines.append(f'  <key id="{name}" for="graph" attr.name="{name}" attr.type="{kind}"/>')
    for name, kind in _NODE_KEYS:
        declaration = f'  <key id="{name}" for="node" attr.name="{name}" attr.type="{kind}"'
        lines.append(declaration + ("><default>false</default></key>" if kind == "boolean" else "/>"))
    lines.append('  <graph id="map" edgedefault="undirected">')
    graph_data = {
        "format": FORMAT_NAME,
        "version": str(FORMAT_VERSION),
        "case_id": case_id,
        "snapshot_id": snapshot_id,
        "taken_on": snapshot.taken_on.isoformat(),
    }
    for name, value in graph_data.items():
        if value is not None:
            lines.append(f'    <data key="{name}">{_text(value)}</data>')
    for number, entry in enumerate(entries, start=1):
        lines.append(f'    <node id="n{number}">')
        given = set(supports_in_order(entry.supports))
        values: dict[str, str | None] = {
            "key": entry.key,
            "label": entry.label,
            "kind": entry.kind.value,
            "category": entry.category.value,
            "ring": entry.ring.value,
            **{name: "true" if support in given else "false" for name, support in _SUPPORT_KEYS.items()},
            "frequency": entry.frequency.value if entry.frequency else None,
            "wish": entry.wish.value if entry.wish else None,
        }
        for name, value in values.items():
            if value is not None:
                lines.append(f'      <data key="{name}">{_text(value)}</data>')
        lines.append("    </node>")
    for number, (i, j) in enumerate(pairs, start=1):
        lines.append(f'    <edge id="e{number}" source="n{i + 1}" target="n{j + 1}"/>')
    lines += ["  </graph>", "</graphml>"]
    return "\n".join(lines) + "\n"


@dataclass
class _Element:
    tag: str  # local name, in the GraphML namespace (anything else is tagged with its namespace)
    attributes: dict[str, str]
    line: int
    children: list["_Element"] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str) -> list["_Element"]:
        return [child for child in self.children if child.tag == tag]


class _Refused(Exception):
    def __init__(self, line: int, problem: str, *, too_large: bool = False) -> None:
        self.line = line
        self.problem = problem
        self.too_large = too_large


def _parse(content: str) -> _Element:
    """Parse XML into _Elements with line numbers; refuses DTDs (and so any entity declarations), and stops
    at the element after GRAPHML_MAX_ELEMENTS (each one kept costs memory)."""
    parser = expat.ParserCreate("UTF-8", namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root = _Element("", {}, 0)
    stack = [root]
    count = 0

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > GRAPHML_MAX_ELEMENTS:
            raise _Refused(
                parser.CurrentLineNumber,
                f"more than {GRAPHML_MAX_ELEMENTS:,} elements; a map has far fewer",
                too_large=True,
            )
        namespace, _, local = name.rpartition(" ")
        element = _Element(
            local if namespace == GRAPHML_NAMESPACE else name, attributes, parser.CurrentLineNumber
        )
        stack[-1].children.append(element)
        stack.append(element)

    def end(name: str) -> None:
        stack.pop()

    def characters(data: str) -> None:
        stack[-1].text += data

    def doctype(*args: Any) -> None:
        raise _Refused(parser.CurrentLineNumber, "document type declarations are not accepted")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.Parse(content.encode("utf-8"), True)
    return root.children[0]


def _boolean(value: str) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False}.get(value.strip().lower())


def _document(file_name: str, text: str | bytes) -> tuple[Findings, _Element]:
    check_size({file_name: text})
    findings = Findings("graphml")
    content = decoded(findings, file_name, text)
    findings.raise_if_rejected()
    try:
        document = _parse(content)
    except expat.ExpatError as error:
        message = expat.ErrorString(error.code)
        raise ImportRejected([f"{file_name}:{error.lineno}: not well-formed XML: {message}"]) from None
    except _Refused as refused:
        problem = f"{file_name}:{refused.line}: {refused.problem}"
        raise (ImportTooLarge(problem) if refused.too_large else ImportRejected([problem])) from None
    if document.tag != "graphml":
        raise ImportRejected(
            [f"{file_name}:{document.line}: not GraphML (the root element is not <graphml>)"]
        )
    return findings, document


def _is_ours(document: _Element) -> bool:
    """Whether the file says it is our own format (a graph attribute ``format`` of FORMAT_NAME)."""
    format_keys = {
        key.attributes.get("id")
        for key in document.all("key")
        if key.attributes.get("attr.name", key.attributes.get("id")) == "format"
    }
    return any(
        data.attributes.get("key") in format_keys and data.text.strip() == FORMAT_NAME
        for graph in document.all("graph")
        for data in graph.all("data")
    )


@dataclass(frozen=True)
class GraphSession:
    """One <graph> of a file holding several (Network Canvas writes one per interview session)."""

    index: int  # 1.. in the file
    graph_id: str
    case_id: str | None
    session_id: str | None
    line: int

    @property
    def name(self) -> str:
        return self.session_id or self.graph_id or f"graph {self.index}"


def _session_of(index: int, graph: _Element) -> GraphSession:
    return GraphSession(
        index=index,
        graph_id=graph.attributes.get("id", ""),
        case_id=graph.attributes.get(f"{NC_NAMESPACE} caseId") or None,
        session_id=graph.attributes.get(f"{NC_NAMESPACE} sessionUUID") or None,
        line=graph.line,
    )


def graphml_sessions(text: str | bytes, *, file_name: str = "map.graphml") -> list[GraphSession]:
    """The graphs of a GraphML file, each with the case and session Network Canvas gives it."""
    _, document = _document(file_name, text)
    return [_session_of(index, graph) for index, graph in enumerate(document.all("graph"), start=1)]


def import_graphml(
    text: str | bytes,
    *,
    key_namespace: uuid.UUID | None,
    file_name: str = "map.graphml",
    mapping: AttributeMapping = NO_MAPPING,
    session: str | None = None,
) -> ImportResult:
    """Read one map from GraphML: ours strictly (see the module docstring), anyone else's by mapping their
    attributes onto our fields (`_import_foreign`). Raises ImportRejected for anything malformed.

    key_namespace: as for `import_json` (uuid5 of each node's ``key``, or of its node id when it has none;
    None keeps them). mapping: a mapping file's rules for other tools' attributes. session: which graph of a
    file holding several (its Network Canvas session id, its id, or its number from 1).
    """
    findings, document = _document(file_name, text)
    if _is_ours(document):
        return _import_own(findings, document, file_name=file_name, key_namespace=key_namespace)
    graphs = document.all("graph")
    if not graphs:
        raise ImportRejected([f"{file_name}:{document.line}: no <graph> in the file"])
    sessions = [_session_of(index, graph) for index, graph in enumerate(graphs, start=1)]
    if session is not None:
        chosen = [
            found
            for found in sessions
            if session in (found.session_id, found.graph_id, str(found.index)) and session
        ]
        if len(chosen) != 1:
            listed = ", ".join(found.name for found in sessions)
            raise ImportRejected(
                [f"{file_name}: no graph (session) {session!r} in the file; it holds {listed}"]
            )
        graph, about_session = graphs[chosen[0].index - 1], chosen[0]
    elif len(graphs) > 1:
        listed = ", ".join(found.name for found in sessions)
        raise ImportRejected(
            [
                f"{file_name}:{graphs[1].line}: {len(graphs)} graphs (interview sessions) in one file: {listed}."
                " Choose one (--session), or import them all into their people (map import-sessions)"
            ]
        )
    else:
        graph, about_session = graphs[0], sessions[0]
    return _import_foreign(
        findings,
        document,
        graph,
        about_session,
        file_name=file_name,
        key_namespace=key_namespace,
        mapping=mapping,
    )


def _import_own(
    findings: Findings, document: _Element, *, file_name: str, key_namespace: uuid.UUID | None
) -> ImportResult:
    """Our own GraphML, read strictly: a value that is not one of ours rejects the file."""
    names: dict[str, str] = {}  # key id → attr.name
    defaults: dict[str, dict[str, str]] = {"graph": {}, "node": {}, "edge": {}}
    for key in document.all("key"):
        key_id = key.attributes.get("id")
        if not key_id:
            findings.reject(file_name, key.line, "<key> without an id")
            continue
        names[key_id] = key.attributes.get("attr.name", key_id)
        for default in key.all("default"):
            domain = key.attributes.get("for", "all")
            for target in defaults if domain == "all" else (domain,):
                if target in defaults:
                    defaults[target][names[key_id]] = default.text
    graphs = document.all("graph")
    if len(graphs) != 1:
        line = graphs[1].line if len(graphs) > 1 else document.line
        raise ImportRejected(
            [*findings.problems, f"{file_name}:{line}: expected one <graph> (one map per file)"]
        )
    graph = graphs[0]
    findings.raise_if_rejected()
    check_counts(file_name, entries=len(graph.all("node")), ties=len(graph.all("edge")))

    def data_of(element: _Element, target: str) -> dict[str, str]:
        values = dict(defaults[target])
        for data in element.all("data"):
            key_id = data.attributes.get("key", "")
            if key_id not in names:
                findings.reject(file_name, data.line, f"<data> uses key {key_id!r}, which is not declared")
                continue
            values[names[key_id]] = data.text
        return values

    about = data_of(graph, "graph")
    if "format" not in about:
        findings.warnings.append(f"{file_name}:{graph.line}: no format marker; read as {FORMAT_NAME}")
    elif about["format"].strip() != FORMAT_NAME:
        findings.reject(file_name, graph.line, f"format is {about['format']!r}, not {FORMAT_NAME!r}")
    version = about.get("version", str(FORMAT_VERSION)).strip()
    if not version.isdigit():
        findings.reject(file_name, graph.line, f"version {version!r} is not a whole number")
    elif int(version) > FORMAT_VERSION:
        findings.reject(
            file_name, graph.line, f"version {version} is newer than this importer reads ({FORMAT_VERSION})"
        )
    if graph.attributes.get("edgedefault") == "directed":
        findings.warnings.append(f"{file_name}:{graph.line}: directed edges read as undirected ties")
    taken_on = (
        read_date(findings, file_name, graph.line, "taken_on", about["taken_on"].strip())
        if "taken_on" in about
        else None
    )
    not_mapped: dict[str, None] = {}
    for name in about:
        if name not in dict(_GRAPH_KEYS):
            not_mapped[name] = None

    reader = OwnFormatReader(findings, file_name, key_namespace)
    node_keys: dict[str, str] = {}  # node id → source key
    for child in graph.children:
        if child.tag == "hyperedge":
            findings.reject(file_name, child.line, "hyperedges are not ties between two entries")
        elif child.tag not in ("data", "node", "edge", "desc"):
            findings.warnings.append(f"{file_name}:{child.line}: <{child.tag}> ignored")
    for node in graph.all("node"):
        node_id = node.attributes.get("id", "")
        if not node_id:
            findings.reject(file_name, node.line, "<node> without an id")
            continue
        if node_id in node_keys:
            findings.reject(file_name, node.line, f"node id {node_id!r} is used twice")
            continue
        if node.all("graph"):
            findings.reject(file_name, node.line, "nested graphs are not part of a connections map")
        values = data_of(node, "node")
        for name in values:
            if name not in dict(_NODE_KEYS):
                not_mapped[name] = None
        node_keys[node_id] = values.get("key", node_id).strip()
        supports = []
        for name, support in _SUPPORT_KEYS.items():
            flag = _boolean(values.get(name, "false"))
            if flag is None:
                findings.reject(file_name, node.line, f"{name} {values[name]!r} is not true or false")
            elif flag:
                supports.append(support.value)

        def optional(name: str, values: dict[str, str] = values) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        reader.entry(
            node.line,
            key=node_keys[node_id],
            label=values.get("label"),
            kind=optional("kind"),
            category=optional("category"),
            ring=optional("ring"),
            supports=supports,
            frequency=optional("frequency"),
            wish=optional("wish"),
        )
    for edge in graph.all("edge"):
        ends = [edge.attributes.get(end, "") for end in ("source", "target")]
        unknown = [end for end in ends if end not in node_keys]
        if unknown:
            findings.reject(file_name, edge.line, f"edge to node {unknown[0]!r}, which is not in the file")
            continue
        for name in data_of(edge, "edge"):
            not_mapped[f"edge {name}"] = None
        reader.tie(edge.line, node_keys[ends[0]], node_keys[ends[1]])
    findings.fields_not_mapped.extend(f"{file_name}: {name}" for name in not_mapped)

    findings.raise_if_rejected()
    return ImportResult(
        entries=tuple(reader.entries),
        ties=tuple(reader.ties),
        taken_on=taken_on,
        case_id=about.get("case_id"),
        snapshot_id=about.get("snapshot_id"),
        report=findings.report(len(reader.entries), len(reader.ties)),
    )


# --- other tools' GraphML ---------------------------------------------------------------------------------

_GENERATED_ID = re.compile(r"(?:n|v|node|vertex)?[_-]?\d+", re.IGNORECASE)
_UUID_LIKE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_YED_LABEL_COLUMN = "node label (yEd graphics)"
_GROUP_COLUMN = "group node (yEd)"
_DATE_NAMES = ("taken_on", "date", "interview_date", "sessionStart", "sessionStartTime")


@dataclass(frozen=True)
class _Key:
    name: str
    domain: str  # graph, node, edge, all...
    default: str | None
    yfiles: str | None  # yEd's graphics keys say what they hold in yfiles.type, not attr.name


def _keys(
    findings: Findings, file_name: str, document: _Element, graph: _Element
) -> dict[tuple[str, str], _Key]:
    """Declared keys by (id, domain). Keys may sit at the top (as GraphML says) or inside the graph (as some
    tools write them); one id may be declared once for nodes and once for edges."""
    found: dict[tuple[str, str], _Key] = {}
    for key in [*document.all("key"), *graph.all("key")]:
        key_id = key.attributes.get("id")
        if not key_id:
            findings.reject(file_name, key.line, "<key> without an id")
            continue
        domain = key.attributes.get("for", "all")
        defaults = key.all("default")
        found[(key_id, domain)] = _Key(
            name=key.attributes.get("attr.name", key_id),
            domain=domain,
            default=defaults[0].text if defaults else None,
            yfiles=key.attributes.get("yfiles.type"),
        )
    return found


def _descendants(element: _Element, tag: str) -> list[_Element]:
    found = []
    for child in element.children:
        if child.tag == tag:
            found.append(child)
        found.extend(_descendants(child, tag))
    return found


def _taken_on(value: str) -> date | None:
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _import_foreign(
    findings: Findings,
    document: _Element,
    graph: _Element,
    session: GraphSession,
    *,
    file_name: str,
    key_namespace: uuid.UUID | None,
    mapping: AttributeMapping,
) -> ImportResult:
    """GraphML written by another tool (Network Canvas, networkx, igraph, yEd, Gephi, Cytoscape...).

    - Attributes are found by ``attr.name`` and mapped as a Network Canvas export's variables are
      (`network_canvas.plan_columns`: label/name/nickname for the name, type/kind/category, closeness, weight,
      strength, family_member, close_friend, contact frequency...), after the mapping file's rules.
    - The name: a name attribute, else a yEd node's label, else the node id when it is not a made-up number
      (``n0``, ``12``), else "<Kind> <n>". The label policy applies (`vocabulary.minimal_label`).
    - Kind: a kind attribute, a ``type`` that is a kind, Network Canvas's node type; else person, reported.
    - Network Canvas's own GraphML: its node type (``networkCanvasType``), categorical options
      (``<variable>_<option>``), layouts (``…_X``/``…_Y``), and the graph's case, session and start time.
    - yEd: the node label drawn on each node; a group node (a node holding a nested graph) is a group, tied to
      each node directly inside it.
    - Ties: every edge, undirected; self-loops skipped and parallel edges merged, both reported.
    - Whatever is not mapped (graph attributes, edge attributes, other node attributes) is listed as not
      mapped, and dropped.
    """
    keys = _keys(findings, file_name, document, graph)
    findings.raise_if_rejected()

    misused: dict[tuple[str, str], None] = {}

    def key_for(key_id: str, domain: str) -> _Key | None:
        found = keys.get((key_id, domain)) or keys.get((key_id, "all"))
        if found is None:
            # Declared for another element (a node using an edge's key): read by its name, as networkx does.
            found = next((key for (known, _), key in keys.items() if known == key_id), None)
            if found is not None:
                misused[(key_id, domain)] = None
        return found

    def data_of(element: _Element, domain: str) -> dict[str, str]:
        values = {
            key.name: key.default
            for key in keys.values()
            if key.domain in (domain, "all") and key.default is not None and not key.yfiles
        }
        for data in element.all("data"):
            key_id = data.attributes.get("key", "")
            key = key_for(key_id, domain)
            if key is None:
                findings.reject(file_name, data.line, f"<data> uses key {key_id!r}, which is not declared")
            elif key.yfiles:
                if key.yfiles == "nodegraphics":
                    labels = [
                        label.text.strip() for label in _descendants(data, f"{YWORKS_NAMESPACE} NodeLabel")
                    ]
                    text = next((label for label in labels if label), "")
                    if text:
                        values[_YED_LABEL_COLUMN] = text
            else:
                values[key.name] = data.text
        return values

    # The graph: case, session and date when it says them; its other attributes are about the whole network.
    about = data_of(graph, "graph")
    not_mapped: dict[str, None] = {}
    case_id = session.case_id or about.get("case_id") or None
    snapshot_id = session.session_id or about.get("snapshot_id") or None
    taken_on = None
    started = graph.attributes.get(f"{NC_NAMESPACE} sessionStartTime")
    for text in (started, *(about.get(name) for name in _DATE_NAMES)):
        if text and taken_on is None:
            taken_on = _taken_on(text)
    for name in about:
        if name not in ("case_id", "snapshot_id", *_DATE_NAMES):
            not_mapped[f"graph {name} (about the whole network)"] = None
    for key in keys.values():
        if key.yfiles and key.yfiles != "nodegraphics":
            not_mapped[f"{key.yfiles} (yEd drawing, not data)"] = None
    if graph.attributes.get("edgedefault") == "directed":
        findings.warnings.append(f"{file_name}:{graph.line}: directed edges read as undirected ties")

    # Nodes, also those inside nested graphs (yEd groups), and edges from every level.
    nodes: list[tuple[_Element, str | None]] = []  # (node, id of the group node it is directly inside)
    edges: list[_Element] = []
    hyperedges = 0

    def walk(level: _Element, parent: str | None) -> None:
        nonlocal hyperedges
        for child in level.children:
            if child.tag == "node":
                nodes.append((child, parent))
                for nested in child.all("graph"):
                    walk(nested, child.attributes.get("id", ""))
            elif child.tag == "edge":
                edges.append(child)
            elif child.tag == "hyperedge":
                hyperedges += 1

    walk(graph, None)
    check_counts(file_name, entries=len(nodes), ties=len(edges))

    ids: dict[str, int] = {}  # node id → position in `nodes`
    source_keys: dict[str, str] = {}  # node id → the entry's source key
    rows: list[tuple[int, dict[str, str]]] = []
    header: dict[str, None] = {}
    groups = {parent for _, parent in nodes if parent}
    for position, (node, _) in enumerate(nodes):
        node_id = node.attributes.get("id", "")
        if not node_id:
            findings.reject(file_name, node.line, "<node> without an id")
            continue
        if node_id in ids:
            findings.reject(file_name, node.line, f"node id {node_id!r} is used twice")
            continue
        ids[node_id] = position
        values = data_of(node, "node")
        if node_id in groups:
            values[_GROUP_COLUMN] = "group"
        source_key = (values.get("networkCanvasUUID") or "").strip() or node_id
        if source_key in source_keys.values():
            findings.reject(file_name, node.line, f"networkCanvasUUID {source_key!r} is used twice")
        source_keys[node_id] = source_key
        header.update(dict.fromkeys(values))
        rows.append((node.line, values))
    findings.raise_if_rejected()

    columns = list(header)
    table = _Table(file_name, columns, [(line, {c: v.get(c) or "" for c in columns}) for line, v in rows])
    plan = plan_columns(
        findings, table, mapping, skip=(_YED_LABEL_COLUMN, _GROUP_COLUMN, "networkCanvasUUID")
    )
    if _YED_LABEL_COLUMN in header:
        plan.label.append(_YED_LABEL_COLUMN)
        findings.fields_mapped.append(f"{file_name}: {_YED_LABEL_COLUMN} → label")
    if groups:
        plan.values.setdefault("kind", []).append(_GROUP_COLUMN)
        findings.warnings.append(
            f"{file_name}: {len(groups)} group node(s) holding nested graphs read as groups,"
            " each tied to the nodes directly inside it"
        )
    not_understood, defaults, warnings = Notes(), Notes(), Notes()
    reader = RowReader(
        findings, table, plan, "", not_understood, defaults, warnings, numbered="its place in the file"
    )
    entries: list[Entry] = []
    entry_keys: dict[str, str] = {}  # node id → entry key
    for number, ((line, values), node_id) in enumerate(zip(table.rows, ids, strict=True), start=1):
        fallback = node_id if not (_GENERATED_ID.fullmatch(node_id) or _UUID_LIKE.fullmatch(node_id)) else ""
        if "::" in node_id:
            fallback = ""  # yEd's ids of nested nodes ("n1::n0") are made up too
        entry_keys[node_id] = new_key(source_keys[node_id], key_namespace)
        entries.append(reader.entry(line, values, number, entry_keys[node_id], fallback_label=fallback))

    ties: list[Tie] = []
    pairs: set[frozenset[str]] = set()
    loops = repeats = 0
    edge_names: dict[str, None] = {}
    for edge in edges:
        ends = [edge.attributes.get(end, "") for end in ("source", "target")]
        unknown = [end for end in ends if end not in ids]
        if unknown:
            findings.reject(file_name, edge.line, f"edge to node {unknown[0]!r}, which is not in the file")
            continue
        for name in data_of(edge, "edge"):
            if name not in ("networkCanvasSourceUUID", "networkCanvasTargetUUID", "networkCanvasUUID"):
                edge_names[name] = None
        if ends[0] == ends[1]:
            loops += 1
            continue
        pair = frozenset(ends)
        if pair in pairs:
            repeats += 1
            continue
        pairs.add(pair)
        ties.append(Tie(entry_keys[ends[0]], entry_keys[ends[1]]))
    for node, parent in nodes:
        node_id = node.attributes.get("id", "")
        if parent and frozenset((node_id, parent)) not in pairs:
            pairs.add(frozenset((node_id, parent)))
            ties.append(Tie(entry_keys[parent], entry_keys[node_id]))
    check_counts(file_name, ties=len(ties))
    if loops:
        findings.warnings.append(f"{file_name}: {loops} edge(s) from a node to itself skipped")
    if repeats:
        findings.warnings.append(f"{file_name}: {repeats} edge(s) repeat a tie already read; merged")
    if hyperedges:
        findings.warnings.append(f"{file_name}: {hyperedges} hyperedge(s) skipped (a tie joins two entries)")
    for name in edge_names:
        not_mapped[f"edge {name} (edge attributes are not kept)"] = None
    findings.fields_not_mapped.extend(f"{file_name}: {name}" for name in not_mapped)
    for key_id, domain in misused:
        findings.warnings.append(
            f"{file_name}: key {key_id!r} is declared for other elements, used on a {domain}"
        )

    findings.raise_if_rejected()
    findings.values_not_understood.extend(not_understood.lines())
    findings.defaults_applied.extend(defaults.lines())
    findings.warnings.extend(warnings.lines())
    return ImportResult(
        entries=tuple(entries),
        ties=tuple(ties),
        taken_on=taken_on,
        case_id=case_id,
        snapshot_id=snapshot_id,
        report=findings.report(len(entries), len(ties)),
    )
