"""Network Canvas-style CSV: the ego, attribute-list and edge-list files of one interview.

What we write (UTF-8, comma-separated, ``\\n`` line ends, header row first; ``<prefix>`` is
``<case_id>_<snapshot_id>``, each made safe for a file name)::

    <prefix>_ego.csv                  networkCanvasEgoUUID, networkCanvasCaseID (case_id),
                                      networkCanvasSessionID (snapshot_id), networkCanvasProtocolName,
                                      sessionStart (taken_on, midnight UTC), sessionFinish, sessionExported
                                      (both empty: we do not know them, and the file must not depend on the
                                      clock). One row. No ego variables: the person's own answers stay with us.
    <prefix>_attributeList_person.csv nodeID (1..n), networkCanvasEgoUUID, networkCanvasUUID (the entry key),
                                      label; kind, category and support as categorical variables, one
                                      true/false column per option (kind_person … kind_service,
                                      category_family … category_services, support_emotional …
                                      support_advice); ring, frequency, wish as ordinal variables holding our
                                      value (close/middle/outer …; empty when not given).
    <prefix>_edgeList_tie.csv         edgeID (1..m), from, to (nodeIDs, lower first), networkCanvasEgoUUID,
                                      networkCanvasUUID, networkCanvasSourceUUID, networkCanvasTargetUUID.
                                      Undirected. Written (header only) even when there are no ties.

One node type, "person", holds every entry whatever its kind: analysis tools (egor, the R scripts studies
use) expect one alter file, our entries all carry the same variables, and ``kind_*`` says which are groups,
places or services. The ego UUID and edge UUIDs are uuid5 of the case, snapshot and keys, so the files depend
on the snapshot alone.

Reading takes any Network Canvas export of one interview: exactly one ``…_ego.csv``, one or more
``…_attributeList_<NodeType>.csv`` and any ``…_edgeList_<EdgeType>.csv`` (``…_adjacencyMatrix…`` files are
skipped: the edge lists say the same). nodeIDs are one numbering across all attribute lists, as Network
Canvas writes them. How their variables become ours is in `import_network_canvas`.
"""

import csv
import io
import math
import re
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from .. import lexicon
from ..domain import Category, Entry, Frequency, Kind, Ring, Snapshot, Support, Tie, Wish
from .attribute_map import IGNORE, NO_MAPPING, AttributeMapping
from .ordering import export_order, file_prefix
from .result import (
    EXPORT_NAMESPACE,
    MAX_COLUMNS,
    Findings,
    ImportResult,
    ImportTooLarge,
    check_counts,
    check_size,
    decoded,
    located,
    new_key,
)
from .vocabulary import (
    CATEGORY_FLAGS,
    DEFAULT_CATEGORY,
    DEFAULT_KIND,
    DEFAULT_RING,
    FIELD_NAMES,
    KIND_OR_CATEGORY_NAMES,
    KINDS,
    RING_FLAGS,
    SUPPORTS,
    minimal_label,
    normalised,
)

NODE_TYPE = "person"
EDGE_TYPE = "tie"
PROTOCOL_NAME = "Connecting People connections map"
EXPORT = "export"  # stands for the whole set of files in problems that belong to none of them

_EGO_COLUMNS = (
    "networkCanvasEgoUUID",
    "networkCanvasCaseID",
    "networkCanvasSessionID",
    "networkCanvasProtocolName",
    "sessionStart",
    "sessionFinish",
    "sessionExported",
)
_EGO_METADATA = {*_EGO_COLUMNS, "APP_VERSION", "COMMIT_HASH"}
_NODE_REQUIRED = ("nodeID", "networkCanvasEgoUUID", "networkCanvasUUID")
_EDGE_REQUIRED = ("from", "to", "networkCanvasEgoUUID")
_EDGE_OPTIONAL = ("edgeID", "networkCanvasUUID", "networkCanvasSourceUUID", "networkCanvasTargetUUID")

_EGO_FILE = re.compile(r"(?:^|_)ego\.csv$", re.IGNORECASE)
_ATTRIBUTE_FILE = re.compile(r"(?:^|_)attributeList_(?P<type>.+)\.csv$", re.IGNORECASE)
_EDGE_FILE = re.compile(r"(?:^|_)edgeList_(?P<type>.+)\.csv$", re.IGNORECASE)
_MATRIX_FILE = re.compile(r"(?:^|_)adjacencyMatrix(?:_.+)?\.csv$", re.IGNORECASE)
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")


# --- export -----------------------------------------------------------------------------------------------


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _flag(value: bool) -> str:
    return "true" if value else "false"


def export_network_canvas(
    snapshot: Snapshot, *, case_id: str | None, snapshot_id: str | None
) -> dict[str, str]:
    """The snapshot as Network Canvas-style CSV files, {file name: text} (see the module docstring).

    Same snapshot, same files, byte for byte.
    """
    entries, pairs = export_order(snapshot)
    prefix = file_prefix(snapshot, case_id=case_id, snapshot_id=snapshot_id)
    ego = str(uuid.uuid5(EXPORT_NAMESPACE, f"ego\n{case_id or ''}\n{snapshot_id or ''}\n{snapshot.taken_on}"))
    ego_rows = [
        list(_EGO_COLUMNS),
        [
            ego,
            case_id or "",
            snapshot_id or "",
            PROTOCOL_NAME,
            f"{snapshot.taken_on.isoformat()}T00:00:00.000Z",
            "",
            "",
        ],
    ]
    node_rows = [
        [
            *_NODE_REQUIRED,
            "label",
            *(f"kind_{kind.value}" for kind in Kind),
            *(f"category_{category.value}" for category in Category),
            "ring",
            *(f"support_{support.value}" for support in Support),
            "frequency",
            "wish",
        ]
    ]
    for number, entry in enumerate(entries, start=1):
        node_rows.append(
            [
                str(number),
                ego,
                entry.key,
                entry.label,
                *(_flag(entry.kind is kind) for kind in Kind),
                *(_flag(entry.category is category) for category in Category),
                entry.ring.value,
                *(_flag(support in entry.supports) for support in Support),
                entry.frequency.value if entry.frequency else "",
                entry.wish.value if entry.wish else "",
            ]
        )
    edge_rows = [["edgeID", "from", "to", "networkCanvasEgoUUID", *_EDGE_OPTIONAL[1:]]]
    for number, (i, j) in enumerate(pairs, start=1):
        a, b = entries[i].key, entries[j].key
        edge_uuid = str(uuid.uuid5(EXPORT_NAMESPACE, f"tie\n{a}\n{b}"))
        edge_rows.append([str(number), str(i + 1), str(j + 1), ego, edge_uuid, a, b])
    return {
        f"{prefix}_ego.csv": _csv(ego_rows),
        f"{prefix}_attributeList_{NODE_TYPE}.csv": _csv(node_rows),
        f"{prefix}_edgeList_{EDGE_TYPE}.csv": _csv(edge_rows),
    }


# --- reading the files ------------------------------------------------------------------------------------


@dataclass
class _Table:
    file: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line the row starts on, column → raw value)


def _read_table(findings: Findings, file: str, content: str | bytes) -> _Table | None:
    """A CSV file as header and rows, each row with its line number; None (and problems) when malformed."""
    problems_before = len(findings.problems)
    text = decoded(findings, file, content)
    if len(findings.problems) > problems_before:
        return None
    if not text.strip():
        findings.reject(file, 1, "the file is empty (expected a header row)")
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            findings.reject(file, reader.line_num, f"not valid CSV: {error}")
            return None
        if not row:
            continue  # a blank line
        if header is None:
            if len(row) > MAX_COLUMNS:
                raise ImportTooLarge(f"{file}:{line}: {len(row):,} columns; at most {MAX_COLUMNS:,} are read")
            header = [name.strip() for name in row]
            counted = Counter(name for name in header if name)
            for name in sorted(name for name, times in counted.items() if times > 1):
                findings.reject(file, line, f"column {name!r} appears more than once")
            continue
        if len(row) != len(header):
            findings.reject(file, line, f"{len(row)} values, but the header has {len(header)} columns")
            continue
        rows.append((line, {name: value for name, value in zip(header, row, strict=True) if name}))
    if header is None:
        findings.reject(file, 1, "the file has no header row")
        return None
    if len(findings.problems) > problems_before:
        return None
    return _Table(file, header, rows)


def _require(findings: Findings, table: _Table, columns: tuple[str, ...]) -> bool:
    missing = [name for name in columns if name not in table.header]
    for name in missing:
        findings.reject(table.file, 1, f"missing required column {name!r}")
    return not missing


def _boolean(findings: Findings, file: str, line: int, column: str, value: str) -> bool:
    flag = {"true": True, "1": True, "false": False, "0": False, "": False}.get(value.strip().lower())
    if flag is None:
        findings.reject(file, line, f"{column}: {value!r} is not true or false")
        return False
    return flag


def _whole_number(findings: Findings, file: str, line: int, column: str, value: str) -> int | None:
    if _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value)
    findings.reject(file, line, f"{column}: {value!r} is not a whole number")
    return None


# --- mapping their variables onto ours --------------------------------------------------------------------

_NAMES = {target: {normalised(name) for name in names} for target, names in FIELD_NAMES.items()}
_LABEL_PRIORITY = [normalised(name) for name in FIELD_NAMES["label"]]
_KIND_OR_CATEGORY = {normalised(name) for name in KIND_OR_CATEGORY_NAMES}
_CATEGORY_FLAGS = {normalised(name): meaning for name, meaning in CATEGORY_FLAGS.items()}
_RING_FLAGS = {normalised(name): ring for name, ring in RING_FLAGS.items()}
_TRUE = {"true", "1", "yes"}
_YES_NO = {"true", "false", "1", "0", "yes", "no", ""}
_SUPPORT_FLAGS = {
    normalised(word) + "support": support
    for support, words in SUPPORTS.words.items()
    for word in (support.value, *words)
}


@dataclass
class ColumnPlan:
    """Which columns of one attribute list (or one GraphML file's node attributes) give which of our fields."""

    label: list[str] = field(default_factory=list)  # in priority order
    options: dict[str, list[tuple[str, StrEnum]]] = field(default_factory=dict)  # field → [(column, member)]
    values: dict[str, list[str]] = field(default_factory=dict)  # field → value columns
    support_flags: list[tuple[str, Support]] = field(default_factory=list)
    flags: list[tuple[str, str, StrEnum]] = field(default_factory=list)  # (yes/no column, field, member)
    kind_or_category: list[str] = field(
        default_factory=list
    )  # "type": a kind when it is one, else a category
    layout: tuple[str, str] | None = None  # (x column, y column) of a closeness sociogram
    ring_scale: dict[str, int] = field(default_factory=dict)  # numeric ring column → top of its scale
    ring_fraction: set[str] = field(default_factory=set)  # numeric ring columns on a 0–1 scale
    mapping: AttributeMapping = NO_MAPPING


def _split_option(column: str) -> tuple[str, str, str] | None:
    """(field, variable, option) for a categorical ``<variable>_<option>`` column we recognise, else None.

    Variable names may themselves hold underscores, so the longest recognised variable wins.
    """
    for index in range(len(column) - 1, 0, -1):
        if column[index] != "_":
            continue
        variable, option = column[:index], column[index + 1 :]
        for target, names in _NAMES.items():
            if target != "label" and normalised(variable) in names and option:
                return target, variable, option
    return None


def _yes_no_column(table: "_Table", column: str) -> bool:
    """Whether every value of the column is true/false (or empty), and at least one is given."""
    seen = False
    for _, values in table.rows:
        value = values.get(column, "").strip().lower()
        if value not in _YES_NO:
            return False
        seen = seen or bool(value)
    return seen


def _numbers(table: "_Table", column: str) -> list[float] | None:
    """The column's numbers when every non-empty value is one (None otherwise, or when there are none)."""
    found: list[float] = []
    for _, values in table.rows:
        raw = values.get(column, "").strip()
        if not raw:
            continue
        try:
            number = float(raw)
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        found.append(number)
    return found or None


def plan_columns(
    findings: Findings, table: "_Table", mapping: AttributeMapping = NO_MAPPING, *, skip: tuple[str, ...] = ()
) -> ColumnPlan:
    """Decide which columns give which of our fields, and report it (fields mapped and not mapped).

    Order: the mapping file, then the names we know (`vocabulary.FIELD_NAMES`), yes/no flags
    (``family_member``, ``close_friend``, ``close``), ``<kind>Support`` booleans, categorical options
    (``relationship_friend``), then a closeness layout."""
    plan = ColumnPlan(mapping=mapping)
    file = table.file
    mapped: dict[str, str] = {}
    why_not: dict[str, str] = {}
    # Categorical option columns are reported together: "relationship_{friend, family} → category".
    option_group: dict[str, tuple[str, str]] = {}  # column → (variable, field)
    options_of: dict[tuple[str, str], list[str]] = {}
    columns = [name for name in table.header if name and name not in _NODE_REQUIRED and name not in skip]
    for column in columns:
        name = normalised(column)
        if name in mapping.fields:
            target = mapping.fields[name]
            if target == IGNORE:
                why_not[column] = f"left out by {mapping.source}"
            elif target == "label":
                mapped[column] = "label"
            elif target == "support" and _yes_no_column(table, column):
                why_not[column] = "a yes/no column: say which support, as support=<kind>"
            else:
                plan.values.setdefault(target, []).append(column)
                mapped[column] = target
            continue
        if name in mapping.flags:
            target, member = mapping.flags[name]
            plan.flags.append((column, target, member))
            mapped[column] = f"{target} {member.value} when true"
            continue
        if name in _LABEL_PRIORITY:
            mapped[column] = "label"
            continue
        exact = next(
            (target for target, names in _NAMES.items() if target != "label" and name in names), None
        )
        if exact:
            plan.values.setdefault(exact, []).append(column)
            mapped[column] = exact
            continue
        if name in _KIND_OR_CATEGORY:
            plan.kind_or_category.append(column)
            mapped[column] = "kind or category"
            continue
        if name in _CATEGORY_FLAGS and _yes_no_column(table, column):
            category, ring = _CATEGORY_FLAGS[name]
            plan.flags.append((column, "category", category))
            if ring is not None:
                plan.flags.append((column, "ring", ring))
            mapped[column] = (
                f"category {category.value}" + (f", ring {ring.value}" if ring else "") + " when true"
            )
            continue
        if name in _RING_FLAGS and _yes_no_column(table, column):
            plan.flags.append((column, "ring", _RING_FLAGS[name]))
            mapped[column] = f"ring {_RING_FLAGS[name].value} when true"
            continue
        if name in _SUPPORT_FLAGS:
            plan.support_flags.append((column, _SUPPORT_FLAGS[name]))
            mapped[column] = "support"
            continue
        split = _split_option(column)
        if split:
            target, variable, option = split
            member = mapping.read(target, option)
            if member is None:
                why_not[column] = f"option {option!r} of {variable!r} is not a {target} we record"
            else:
                plan.options.setdefault(target, []).append((column, member))
                mapped[column] = target
                option_group[column] = (variable, target)
                options_of.setdefault((variable, target), []).append(option)
    plan.label = sorted(
        (column for column, target in mapped.items() if target == "label"),
        key=lambda column: (
            _LABEL_PRIORITY.index(normalised(column)) if normalised(column) in _LABEL_PRIORITY else -1
        ),
    )
    if "ring" not in plan.options and "ring" not in plan.values:
        for column in columns:
            if column[-2:] in ("_x", "_X") and column not in mapped:
                variable = column[:-2]
                name = normalised(variable)
                y_column = next(
                    (other for other in (f"{variable}_y", f"{variable}_Y") if other in table.header), None
                )
                if (name in _NAMES["ring"] or name.startswith("closeness")) and y_column:
                    plan.layout = (column, y_column)
                    mapped[column] = mapped[y_column] = "ring"
                    findings.warnings.append(
                        f"{file}: {variable}: ring read from the distance to the sociogram's centre"
                        " (inner third close, middle third middle, the rest outer)"
                    )
                    break
    for column in plan.values.get("ring", []):
        numbers = [number for number in _numbers(table, column) or () if number > 0]
        if numbers and all(number.is_integer() for number in numbers) and max(numbers) > 1:
            plan.ring_scale[column] = max(3, int(max(numbers)))
            findings.warnings.append(
                f"{file}: {column}: numbers read on a 1–{plan.ring_scale[column]} scale, higher = closer"
                " (top third close, middle third middle, bottom third outer)"
            )
        elif numbers and max(numbers) <= 1:
            plan.ring_fraction.add(column)
            findings.warnings.append(
                f"{file}: {column}: numbers read on a 0–1 scale, higher = closer"
                " (above two thirds close, above one third middle, the rest outer)"
            )
        elif numbers:
            plan.ring_scale[column] = max(3, math.ceil(max(numbers)))
            findings.warnings.append(
                f"{file}: {column}: numbers read on a 0–{plan.ring_scale[column]} scale, higher = closer"
                " (top third close, middle third middle, bottom third outer)"
            )
    reported: set[tuple[str, str]] = set()
    for column in columns:
        if column in option_group:
            group = option_group[column]
            if group not in reported:
                reported.add(group)
                variable, target = group
                listed = ", ".join(options_of[group])
                findings.fields_mapped.append(f"{file}: {variable}_{{{listed}}} → {target}")
        elif column in mapped:
            findings.fields_mapped.append(f"{file}: {column} → {mapped[column]}")
        elif column in why_not:
            findings.fields_not_mapped.append(f"{file}: {column} ({why_not[column]})")
        else:
            findings.fields_not_mapped.append(f"{file}: {column}")
    for column in table.header:
        if not column:
            findings.fields_not_mapped.append(f"{file}: (unnamed column)")
    return plan


def _ring_from_number(value: int, top: int) -> Ring:
    # Thirds of the 1..top scale, compared in whole numbers so 3 on a 1–4 scale is exactly two thirds up.
    if 3 * (value - 1) >= 2 * (top - 1):
        return Ring.CLOSE
    if 3 * (value - 1) >= top - 1:
        return Ring.MIDDLE
    return Ring.OUTER


def _ring_from_fraction(value: float) -> Ring:
    if value > 2 / 3:
        return Ring.CLOSE
    if value > 1 / 3:
        return Ring.MIDDLE
    return Ring.OUTER


def _ring_from_layout(x: float, y: float) -> Ring:
    distance = math.hypot(x - 0.5, y - 0.5) / 0.5  # 0 at the centre, 1 at the edge of the circle
    if distance <= 1 / 3:
        return Ring.CLOSE
    if distance <= 2 / 3:
        return Ring.MIDDLE
    return Ring.OUTER


class Notes:
    """Per-row notes counted and kept once, with the first line they happened on (reports stay short)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], list[int]] = {}

    def add(self, file: str, line: int, text: str) -> None:
        first_and_count = self._seen.setdefault((file, text), [line, 0])
        first_and_count[1] += 1

    def lines(self) -> list[str]:
        return [
            located(file, first, f"{text} ({count} row{'s' if count != 1 else ''})")
            for (file, text), (first, count) in self._seen.items()
        ]


@dataclass
class RowReader:
    """Builds one entry from one row (or GraphML node), following a ColumnPlan; notes what it assumed."""

    findings: Findings
    table: "_Table"
    plan: ColumnPlan
    node_type: str
    not_understood: Notes
    defaults: Notes
    warnings: Notes
    numbered: str = "nodeID"  # what the fallback label's number is called in the report

    def _flagged(self, target: str, line: int, values: dict[str, str]) -> StrEnum | None:
        for column, field_name, member in self.plan.flags:
            if field_name == target and values.get(column, "").strip().lower() in _TRUE:
                return member
        return None

    def single(self, target: str, line: int, values: dict[str, str]) -> StrEnum | None:
        """One of our values for a single-valued field: ticked options, then value columns, then yes/no flags,
        first understood."""
        file = self.table.file
        ticked = [
            member
            for column, member in self.plan.options.get(target, [])
            if _boolean(self.findings, file, line, column, values[column])
        ]
        if ticked:
            order = list(type(ticked[0]))
            chosen = min(ticked, key=order.index)
            if len(set(ticked)) > 1:
                self.warnings.add(file, line, f"several {target} options ticked; kept {chosen}")
            return chosen
        for column in self.plan.values.get(target, []):
            raw = values.get(column, "").strip()
            if not raw:
                continue
            member = self.plan.mapping.read(target, raw)
            if member is None and target == "ring":
                member = self._ring_number(column, raw)
            if member is not None:
                return member
            self.not_understood.add(file, line, f"{column}: {raw!r} not understood as a {target}")
        flagged = self._flagged(target, line, values)
        if flagged is not None:
            return flagged
        if target == "ring" and self.plan.layout:
            x_column, y_column = self.plan.layout
            x, y = values.get(x_column, "").strip(), values.get(y_column, "").strip()
            if x and y:
                try:
                    position = float(x), float(y)
                except ValueError:
                    position = (math.nan, math.nan)
                if all(math.isfinite(value) for value in position):
                    return _ring_from_layout(*position)
                self.not_understood.add(file, line, f"{x_column}/{y_column}: ({x}, {y}) is not a position")
        return None

    def _ring_number(self, column: str, raw: str) -> Ring | None:
        try:
            number = float(raw)
        except ValueError:
            return None
        if not math.isfinite(number) or number <= 0:
            return None  # 0 and negatives: Network Canvas "missing" codes
        if column in self.plan.ring_fraction and number <= 1:
            return _ring_from_fraction(number)
        if column in self.plan.ring_scale:
            top = self.plan.ring_scale[column]
            if number.is_integer():
                return _ring_from_number(int(number), top)
            return _ring_from_fraction(number / top)
        return None

    def kind_or_category(self, line: int, values: dict[str, str]) -> tuple[Kind | None, Category | None]:
        file = self.table.file
        for column in self.plan.kind_or_category:
            raw = values.get(column, "").strip()
            if not raw:
                continue
            kind = self.plan.mapping.read("kind", raw)
            if kind is not None:
                assert isinstance(kind, Kind)
                return kind, None
            category = self.plan.mapping.read("category", raw)
            if category is not None:
                assert isinstance(category, Category)
                return None, category
            self.not_understood.add(file, line, f"{column}: {raw!r} not understood as a kind or category")
        return None, None

    def supports(self, line: int, values: dict[str, str]) -> frozenset[Support]:
        file = self.table.file
        given: set[Support] = set()
        for column, member in self.plan.options.get("support", []):
            if _boolean(self.findings, file, line, column, values[column]):
                given.add(member)  # type: ignore[arg-type]
        for column, support in self.plan.support_flags:
            if _boolean(self.findings, file, line, column, values.get(column, "")):
                given.add(support)
        for column, field_name, member in self.plan.flags:
            if field_name == "support" and values.get(column, "").strip().lower() in _TRUE:
                given.add(member)  # type: ignore[arg-type]
        for column in self.plan.values.get("support", []):
            for word in re.split(r"[;,|]", values.get(column, "")):
                if word.strip():
                    read = self.plan.mapping.read("support", word)
                    if read is None:
                        self.not_understood.add(
                            file, line, f"{column}: {word.strip()!r} not understood as a support"
                        )
                    else:
                        given.add(read)  # type: ignore[arg-type]
        return frozenset(given)

    def entry(
        self, line: int, values: dict[str, str], node_id: int | str, key: str, *, fallback_label: str = ""
    ) -> Entry:
        file = self.table.file
        kind = self.single("kind", line, values)
        typed_kind, typed_category = self.kind_or_category(line, values)
        kind = kind or typed_kind
        if kind is None:
            kind = KINDS.read(self.node_type)
        if kind is None:
            kind = DEFAULT_KIND
            told = f" (node type {self.node_type!r})" if self.node_type else " (nothing says which it is)"
            self.defaults.add(file, line, f"kind set to {kind.value!r}{told}")
        assert isinstance(kind, Kind)
        label = ""
        for column in self.plan.label:
            if values.get(column, "").strip():
                label, changes = minimal_label(values[column], kind=kind)
                if changes:
                    self.warnings.add(file, line, f"label from {column} tidied ({', '.join(changes)})")
                break
        if not label and fallback_label:
            label, changes = minimal_label(fallback_label, kind=kind)
            self.warnings.add(
                file, line, "label taken from the node id" + (f" ({', '.join(changes)})" if changes else "")
            )
        if not label:
            label = f"{kind.value.capitalize()} {node_id}"
            self.defaults.add(file, line, f"label set to kind and {self.numbered} (no name given)")
        category = self.single("category", line, values) or typed_category
        guess = lexicon.guess(label)
        if category is None and guess.from_name and guess.kind is kind:
            category = guess.category
            self.defaults.add(
                file, line, f"category {category.value!r} guessed from the name (none understood)"
            )
        if category is None:
            category = DEFAULT_CATEGORY[kind]
            self.defaults.add(
                file, line, f"category set to {category.value!r} for a {kind.value} (none understood)"
            )
        ring = self.single("ring", line, values)
        if ring is None:
            ring = DEFAULT_RING
            self.defaults.add(file, line, f"ring set to {ring.value!r} (no closeness understood)")
        frequency = self.single("frequency", line, values)
        wish = self.single("wish", line, values)
        assert isinstance(category, Category) and isinstance(ring, Ring)
        assert frequency is None or isinstance(frequency, Frequency)
        assert wish is None or isinstance(wish, Wish)
        return Entry(
            key=key,
            label=label,
            kind=kind,
            category=category,
            ring=ring,
            supports=self.supports(line, values),
            frequency=frequency,
            wish=wish,
        )


def _session_date(value: str) -> date | None:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def import_network_canvas(
    files: Mapping[str, str | bytes],
    *,
    key_namespace: uuid.UUID | None,
    mapping: AttributeMapping = NO_MAPPING,
) -> ImportResult:
    """Read one interview's Network Canvas CSV export into entries and ties, with a report.

    files: {file name: content} (text, or UTF-8 bytes); the names say what each file is (module docstring).
    key_namespace: each entry's key is uuid5(key_namespace, its networkCanvasUUID), so the same export always
    gives the same keys, and different people (namespaces) different ones. None keeps networkCanvasUUID
    (to restore our own export into the person it came from).

    mapping: a mapping file's rules (`attribute_map`), which come before every guess below.

    Mapping (variable names compared case-folded with only letters and digits; the words each field
    understands are in `vocabulary`):
    - label: the first non-empty of label, nickname, first_name, given_name, alias, display_name, name (least
      identifying first), then the label policy (`vocabulary.minimal_label`: a person keeps the first name and
      the family name's initial, titles dropped; at most 30 characters). None given: "<Kind> <nodeID>".
    - kind, category, ring, frequency, wish: a categorical variable of a recognised name
      (``relationship_friend`` …) whose ticked option is one of our values or a synonym, else an
      ordinal/text variable of a recognised name (``closeness``, ``contactFreq`` …) holding one, else a
      yes/no variable that says it (``family_member`` family, ``close_friend`` friend and close, ``close``
      close). Several ticked: the first in our order. A ``type`` variable is a kind when its value is one,
      else a category. Kind falls back to the node type (person, venue → place, provider → service…), then
      person. Frequencies read ``Daily``, ``Weekly``, ``Less_than_weekly`` (monthly), ``Monthly``...
    - ring also from a number: 1..N with higher = closer, N the largest number in the column (at least 3),
      cut in thirds (0–1 weights in thirds of 1); 0 and negatives (Network Canvas "missing" codes) are not
      understood. Failing that, from a closeness sociogram's layout (``closeness…_x``/``_y``): distance from
      the centre in thirds.
    - support: ticked options of a support variable (``support_emotional``), boolean ``<kind>Support``
      columns, or a support text column (values separated by ``;`` ``,`` or ``|``).
    - Defaults when nothing is understood: category from a word of the name that says it (``Mum`` family,
      ``St Mary's church`` faith: `lexicon`), else by kind (person friend, group and place community group,
      service services); ring middle; frequency and wish stay empty. Every default is reported.
    - Everything else (ego variables, edge variables, other node variables, categorical options we do not
      record) is reported as not mapped, and dropped.

    Rejected (ImportRejected, ``"file:line: problem"``, nothing imported): file names that are not part of an
    export; not one ego file or no attribute list; empty files, bad CSV, repeated column names, rows with
    the wrong number of values; missing required columns (nodeID, networkCanvasEgoUUID, networkCanvasUUID;
    from, to, networkCanvasEgoUUID); an ego file without exactly one row; nodeIDs that are not whole
    numbers or repeat; repeated or empty networkCanvasUUIDs; rows of another interview (ego UUID); edges to
    unknown nodeIDs or whose source/target UUIDs contradict them; repeated edgeIDs; true/false cells holding
    anything else. A self-loop is skipped and a repeated tie merged, with a warning.
    """
    check_size(dict(files))
    findings = Findings("nc-csv")
    ego_files: list[str] = []
    attribute_files: list[tuple[str, str]] = []  # (file, node type)
    edge_files: list[str] = []
    for file in sorted(files):
        base = re.split(r"[/\\]", file)[-1]
        if _EGO_FILE.search(base):
            ego_files.append(file)
        elif match := _ATTRIBUTE_FILE.search(base):
            attribute_files.append((file, match["type"]))
        elif _EDGE_FILE.search(base):
            edge_files.append(file)
        elif _MATRIX_FILE.search(base):
            findings.warnings.append(f"{file}: adjacency matrix skipped (the edge lists give the same ties)")
        else:
            findings.reject(
                file,
                None,
                "not part of a Network Canvas CSV export"
                " (expected …_ego.csv, …_attributeList_<NodeType>.csv or …_edgeList_<EdgeType>.csv)",
            )
    if len(ego_files) != 1:
        found = ", ".join(ego_files) or "none"
        findings.reject(EXPORT, None, f"expected exactly one …_ego.csv file (one interview), found {found}")
    if not attribute_files:
        findings.reject(
            EXPORT, None, "no …_attributeList_<NodeType>.csv file: there are no entries to import"
        )
    findings.raise_if_rejected()

    tables = {
        file: _read_table(findings, file, files[file])
        for file in sorted(files)
        if file in {*ego_files, *(name for name, _ in attribute_files), *edge_files}
    }
    findings.raise_if_rejected()
    node_files = [name for name, _ in attribute_files]
    check_counts(
        ", ".join(node_files + edge_files),
        entries=sum(len(table.rows) for name in node_files if (table := tables[name]) is not None),
        ties=sum(len(table.rows) for name in edge_files if (table := tables[name]) is not None),
    )
    ego_table = tables[ego_files[0]]
    assert ego_table is not None

    # The person (ego): one row; only the session's identity is read.
    ego_uuid = ""
    case_id = snapshot_id = None
    taken_on = None
    if _require(findings, ego_table, ("networkCanvasEgoUUID",)):
        if len(ego_table.rows) != 1:
            line = ego_table.rows[1][0] if ego_table.rows else 2
            findings.reject(
                ego_table.file, line, f"expected one row for the person, found {len(ego_table.rows)}"
            )
        else:
            line, ego = ego_table.rows[0]
            ego_uuid = ego["networkCanvasEgoUUID"].strip()
            if not ego_uuid:
                findings.reject(ego_table.file, line, "networkCanvasEgoUUID is empty")
            case_id = ego.get("networkCanvasCaseID", "").strip() or None
            snapshot_id = ego.get("networkCanvasSessionID", "").strip() or None
            started = ego.get("sessionStart", "").strip()
            if started:
                taken_on = _session_date(started)
                if taken_on is None:
                    findings.values_not_understood.append(
                        located(ego_table.file, line, f"sessionStart: {started!r} is not a date and time")
                    )
        for column in ego_table.header:
            if column and column not in _EGO_METADATA:
                findings.fields_not_mapped.append(f"{ego_table.file}: {column} (the person's own answers)")

    # The entries (alters), one numbering of nodeIDs across every attribute list.
    not_understood, defaults, warnings = Notes(), Notes(), Notes()
    nodes: dict[int, tuple[str, int, str]] = {}  # nodeID → (file, line, networkCanvasUUID)
    uuids: dict[str, tuple[str, int]] = {}
    built: list[tuple[int, Entry]] = []
    for file, node_type in attribute_files:
        table = tables[file]
        assert table is not None
        if not _require(findings, table, _NODE_REQUIRED):
            continue
        plan = plan_columns(findings, table, mapping)
        rows = RowReader(findings, table, plan, node_type, not_understood, defaults, warnings)
        for line, values in table.rows:
            node_id = _whole_number(findings, file, line, "nodeID", values["nodeID"])
            source_uuid = values["networkCanvasUUID"].strip()
            if ego_uuid and values["networkCanvasEgoUUID"].strip() != ego_uuid:
                findings.reject(
                    file, line, "networkCanvasEgoUUID is not the ego file's: a different interview"
                )
            if not source_uuid:
                findings.reject(file, line, "networkCanvasUUID is empty")
            elif source_uuid in uuids:
                first_file, first_line = uuids[source_uuid]
                findings.reject(file, line, f"networkCanvasUUID repeats {first_file}:{first_line}")
            else:
                uuids[source_uuid] = (file, line)
            if node_id is None:
                continue
            if node_id in nodes:
                first_file, first_line, _ = nodes[node_id]
                findings.reject(file, line, f"nodeID {node_id} repeats {first_file}:{first_line}")
                continue
            nodes[node_id] = (file, line, source_uuid)
            built.append((node_id, rows.entry(line, values, node_id, new_key(source_uuid, key_namespace))))

    # The ties, from every edge list.
    ties: list[Tie] = []
    pairs: set[frozenset[int]] = set()
    for file in edge_files:
        table = tables[file]
        assert table is not None
        if not _require(findings, table, _EDGE_REQUIRED):
            continue
        extra = [c for c in table.header if c and c not in _EDGE_REQUIRED and c not in _EDGE_OPTIONAL]
        findings.fields_not_mapped.extend(
            f"{file}: {column} (edge variables are not kept)" for column in extra
        )
        edge_ids: dict[str, int] = {}
        repeats = 0
        for line, values in table.rows:
            ends = [_whole_number(findings, file, line, end, values[end]) for end in ("from", "to")]
            if ego_uuid and values["networkCanvasEgoUUID"].strip() != ego_uuid:
                findings.reject(
                    file, line, "networkCanvasEgoUUID is not the ego file's: a different interview"
                )
            edge_id = values.get("edgeID", "").strip()
            if edge_id:
                if edge_id in edge_ids:
                    findings.reject(file, line, f"edgeID {edge_id} repeats line {edge_ids[edge_id]}")
                edge_ids.setdefault(edge_id, line)
            if None in ends:
                continue
            unknown = [str(end) for end in ends if end not in nodes]
            if unknown:
                findings.reject(file, line, f"edge to nodeID {unknown[0]}, which no attribute list has")
                continue
            a, b = ends
            assert a is not None and b is not None
            for column, node in (("networkCanvasSourceUUID", a), ("networkCanvasTargetUUID", b)):
                given = values.get(column, "").strip()
                if given and given != nodes[node][2]:
                    findings.reject(file, line, f"{column} is not the networkCanvasUUID of nodeID {node}")
            if a == b:
                findings.warnings.append(located(file, line, f"edge from nodeID {a} to itself skipped"))
                continue
            if frozenset((a, b)) in pairs:
                repeats += 1
                continue
            pairs.add(frozenset((a, b)))
            ties.append(Tie(a=new_key(nodes[a][2], key_namespace), b=new_key(nodes[b][2], key_namespace)))
        if repeats:
            findings.warnings.append(f"{file}: {repeats} edge(s) repeat a tie already read; merged")

    findings.raise_if_rejected()
    findings.values_not_understood.extend(not_understood.lines())
    findings.defaults_applied.extend(defaults.lines())
    findings.warnings.extend(warnings.lines())
    entries = tuple(entry for _, entry in sorted(built, key=lambda pair: pair[0]))
    return ImportResult(
        entries=entries,
        ties=tuple(ties),
        taken_on=taken_on,
        case_id=case_id,
        snapshot_id=snapshot_id,
        report=findings.report(len(entries), len(ties)),
    )
