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

import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from ..domain import Snapshot, Support
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
)

GRAPHML_NAMESPACE = "http://graphml.graphdrawing.org/xmlns"
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


def import_graphml(
    text: str | bytes, *, key_namespace: uuid.UUID | None, file_name: str = "map.graphml"
) -> ImportResult:
    """Read GraphML we wrote (see the module docstring). Raises ImportRejected for anything malformed.

    key_namespace: as for `import_json` (uuid5 of each node's ``key``, or of its node id when it has none;
    None keeps them).
    """
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
