"""Our own JSON document for one connections-map snapshot.

Schema, version 1 (UTF-8, fields in this order, two-space indent, ending with a newline)::

    {
      "format": "connecting-people/connections-map",   // always this
      "version": 1,                                    // an importer refuses versions newer than it knows
      "case_id": "P-0007",                             // the person's pseudonymous id, or null
      "snapshot_id": "…",                              // the snapshot's id, or null
      "taken_on": "2025-03-01",                        // the snapshot's date, ISO 8601
      "entries": [
        {
          "key": "…",                    // stable across snapshots (a UUID in the database)
          "label": "Ann",                // first name or initials (person); name (group, place, service)
          "kind": "person",              // person | group | place | service
          "category": "friend",          // family | partner | friend | neighbour | work_education |
                                         // community_group | faith | peer_support | online | services
          "ring": "close",               // close | middle | outer
          "supports": ["emotional"],     // any of emotional, practical, information, companionship, advice,
                                         // in that order
          "frequency": "weekly",         // daily | weekly | monthly | less_often | not_in_touch | null
          "wish": null                   // keep | closer | reconnect | fewer | null
        }
      ],
      "ties": [ {"a": "<key>", "b": "<key>"} ]         // undirected; each pair once
    }

Entries and ties are in the export order of `result.export_order`. A reader ignores (and reports) fields it
does not know, so later minor additions stay readable; a change that old readers would misread bumps
``version``.
"""

import json
import json.scanner
import uuid
from bisect import bisect_left
from typing import Any

from ...core.input_limits import JSON_MAX_DEPTH, json_depth_problem
from ..domain import Snapshot
from .ordering import export_order, supports_in_order
from .own_format import OwnFormatReader, read_date, read_optional_text
from .result import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Findings,
    ImportRejected,
    ImportResult,
    ImportTooLarge,
    check_counts,
    check_size,
    decoded,
)

_TOP_FIELDS = ("format", "version", "case_id", "snapshot_id", "taken_on", "entries", "ties")
_ENTRY_FIELDS = ("key", "label", "kind", "category", "ring", "supports", "frequency", "wish")


def export_json(snapshot: Snapshot, *, case_id: str | None, snapshot_id: str | None) -> str:
    """The snapshot as our JSON document (see the module docstring). Same snapshot, same text."""
    entries, pairs = export_order(snapshot)
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "case_id": case_id,
        "snapshot_id": snapshot_id,
        "taken_on": snapshot.taken_on.isoformat(),
        "entries": [
            {
                "key": entry.key,
                "label": entry.label,
                "kind": entry.kind.value,
                "category": entry.category.value,
                "ring": entry.ring.value,
                "supports": [support.value for support in supports_in_order(entry.supports)],
                "frequency": entry.frequency.value if entry.frequency else None,
                "wish": entry.wish.value if entry.wish else None,
            }
            for entry in entries
        ],
        "ties": [{"a": entries[i].key, "b": entries[j].key} for i, j in pairs],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def import_json(
    text: str | bytes, *, key_namespace: uuid.UUID | None, file_name: str = "map.json"
) -> ImportResult:
    """Read our JSON document. Raises ImportRejected (``"file:line: problem"`` list) for anything malformed.

    key_namespace: the entries' new keys are uuid5(key_namespace, key in the file); None keeps the file's keys
    (to restore a map into the person it came from, so snapshots still line up entry by entry).
    """
    check_size({file_name: text})
    findings = Findings("json")
    content = decoded(findings, file_name, text)
    findings.raise_if_rejected()
    # The parser recurses once per level: the depth is checked first, without recursing.
    too_deep = json_depth_problem(content, max_depth=JSON_MAX_DEPTH)
    if too_deep is not None:
        raise ImportTooLarge(
            f"{file_name}:{too_deep}: arrays and objects nested more than {JSON_MAX_DEPTH} deep"
        )
    try:
        document = _load_with_lines(content)
    except json.JSONDecodeError as error:
        raise ImportRejected([f"{file_name}:{error.lineno}: not valid JSON: {error.msg}"]) from None

    def line_of(value: Any) -> int | None:
        return getattr(value, "line", None)

    if not isinstance(document, dict):
        raise ImportRejected([f"{file_name}:1: expected a JSON object with format {FORMAT_NAME!r}"])
    top = line_of(document)
    if document.get("format") != FORMAT_NAME:
        raise ImportRejected([f"{file_name}:{top}: format is not {FORMAT_NAME!r}"])
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportRejected([f"{file_name}:{top}: version must be a whole number"])
    if version > FORMAT_VERSION:
        raise ImportRejected(
            [f"{file_name}:{top}: version {version} is newer than this importer reads ({FORMAT_VERSION})"]
        )
    entries, ties = document.get("entries"), document.get("ties", [])
    check_counts(
        file_name,
        entries=len(entries) if isinstance(entries, list) else 0,
        ties=len(ties) if isinstance(ties, list) else 0,
    )
    findings.fields_not_mapped.extend(f"{file_name}: {name}" for name in document if name not in _TOP_FIELDS)
    taken_on = read_date(findings, file_name, top, "taken_on", document.get("taken_on"))
    case_id = read_optional_text(findings, file_name, top, "case_id", document.get("case_id"))
    snapshot_id = read_optional_text(findings, file_name, top, "snapshot_id", document.get("snapshot_id"))

    reader = OwnFormatReader(findings, file_name, key_namespace)
    if not isinstance(entries, list):
        findings.reject(file_name, top, "entries must be a list")
        entries = []
    unknown_fields: set[str] = set()
    for item in entries:
        line = line_of(item)
        if not isinstance(item, dict):
            findings.reject(file_name, line or top, "each entry must be an object")
            continue
        unknown_fields.update(name for name in item if name not in _ENTRY_FIELDS)
        supports = item.get("supports", [])
        if not isinstance(supports, list):
            findings.reject(file_name, line, "supports must be a list")
            supports = []
        reader.entry(
            line,
            key=item.get("key"),
            label=item.get("label"),
            kind=item.get("kind"),
            category=item.get("category"),
            ring=item.get("ring"),
            supports=supports,
            frequency=item.get("frequency"),
            wish=item.get("wish"),
        )
    findings.fields_not_mapped.extend(f"{file_name}: entries[].{name}" for name in sorted(unknown_fields))

    if not isinstance(ties, list):
        findings.reject(file_name, top, "ties must be a list")
        ties = []
    for item in ties:
        if not isinstance(item, dict):
            findings.reject(file_name, top, "each tie must be an object with a and b")
            continue
        reader.tie(line_of(item), item.get("a"), item.get("b"))

    findings.raise_if_rejected()
    return ImportResult(
        entries=tuple(reader.entries),
        ties=tuple(reader.ties),
        taken_on=taken_on,
        case_id=case_id,
        snapshot_id=snapshot_id,
        report=findings.report(len(reader.entries), len(reader.ties)),
    )


class _LocatedObject(dict):
    """A decoded JSON object that remembers the line its ``{`` is on."""

    line: int


def _load_with_lines(text: str) -> Any:
    """json.loads, except that every object knows its line (for "file:line" errors).

    Uses the standard library's pure-Python scanner with its object parser wrapped: the documented
    JSONDecoder hooks are called only after an object ends, when its position is gone.
    """
    newlines = [index for index, character in enumerate(text) if character == "\n"]
    decoder = json.JSONDecoder()
    parse_object = decoder.parse_object  # type: ignore[attr-defined]

    def located_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        start = s_and_end[1] - 1
        value, end = parse_object(s_and_end, *args)
        result = _LocatedObject(value)
        result.line = bisect_left(newlines, start) + 1
        return result, end

    decoder.parse_object = located_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder.decode(text)
