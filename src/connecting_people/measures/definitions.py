"""Instrument definitions: what an instrument is, read from versioned YAML files and checked before use.

A definition file describes one version of one instrument: its items and their response codes, subscales,
scoring type and parameters, bands, missing-data rule, derived scores, citation and licence note. The
shipped files live in ``measures/instruments/``; a deployment adds more from directories of its own.

Loading several directories (``load_definitions([SHIPPED_DIR, deployment_dir])``) follows one merge rule:

* A **full definition** has ``items``. Its key is ``(id, version)``. A key may be defined only once across
  everything loaded: a deployment cannot silently replace a shipped definition; to change one, it ships a new
  version (or a new id). Whole new instruments are added this way.
* A **wording file** has ``id``, ``version`` and ``wording`` and no ``items``. It supplies licensed text for
  an instrument loaded from any directory (shipped or not), whatever the order of files: every full definition
  is loaded first, then the wording files are applied. It may carry only these fields::

      id: eq5d5l
      version: "1"
      source: "EuroQol licence 12345, English (UK) version"   # who allowed the wording, shown to staff
      instructions: "..."                                      # optional text shown before the items
      wording: {mobility: "...", vas: "..."}                   # item id -> item text
      code_wording: {mobility: {1: "...", 2: "..."}}           # optional: item id -> code -> answer text

  Each item's text may be supplied once: two wording files giving text for the same item are refused, as is
  wording for an unknown instrument, version, item or code. An instrument whose wording came from such a file
  records the file in ``Instrument.wording_source``.

A shipped definition whose ``wording_ships`` is false may not carry any item text itself: the loader refuses it,
so licensed wording cannot slip into the repository.

A fidelity scale (loaded by the ``implementation`` app from directories of its own, never into the outcome
measures) is a full definition with one more field, ``rated``: the levels it rates, ``[worker]``, ``[team]`` or
both.

Every problem raises :class:`DefinitionError` naming the file and the field, for example
``swemwbs.yaml: items[3].codes: codes must be whole numbers``.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from ..core.input_limits import LimitExceeded, megabytes, read_at_most
from .errors import DefinitionError, UnknownInstrumentError

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED_DIR = PACKAGE_DIR / "instruments"
DATA_DIR = PACKAGE_DIR / "data"

SCORING_TYPES = ("sum", "category", "djg", "eq5d", "gas", "resource_generator", "csri_cost")
BAND_STATUSES = ("official", "conventional")
MISSING_RULES = ("complete", "max-missing", "skip-missing")
MISSING_FILLS = ("none", "person-mean")
RULE_SOURCES = ("published", "project")
RATED_LEVELS = ("worker", "team")  # who a fidelity scale rates (`rated`); outcome measures leave it out

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]*$")


class DefinitionProblem(Exception):
    """Raised inside the loader (and by scoring modules' `prepare`) with a field path; becomes DefinitionError."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


# --------------------------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Code:
    """One allowed answer: the stored number and what it means (our short label; optional licensed wording)."""

    value: int
    label: str
    wording: str | None = None


@dataclass(frozen=True)
class CodeRange:
    """An answer that is a number in a range rather than one of a list (EQ VAS, units of service used)."""

    minimum: float
    maximum: float
    whole_numbers: bool
    unit: str | None = None


@dataclass(frozen=True)
class Item:
    """One question. Exactly one of `codes` (a list of allowed answers) or `range` is set."""

    id: str
    label: str
    codes: tuple[Code, ...] = ()
    range: CodeRange | None = None
    wording: str | None = None

    @cached_property  # frozen dataclass: computed once, kept in the instance dict
    def code_values(self) -> tuple[int, ...]:
        return tuple(code.value for code in self.codes)

    def allows(self, value: float) -> bool:
        """True when `value` (a number; NaN means missing and is not checked here) is an allowed answer."""
        if self.range is not None:
            if not (self.range.minimum <= value <= self.range.maximum):
                return False
            return not self.range.whole_numbers or float(value).is_integer()
        return float(value).is_integer() and int(value) in self.code_values

    def allowed_text(self) -> str:
        """The allowed answers in words, for error messages: ``1, 2, 3, 4 or 5``."""
        if self.range is not None:
            kind = "a whole number" if self.range.whole_numbers else "a number"
            return f"{kind} from {_number_text(self.range.minimum)} to {_number_text(self.range.maximum)}"
        values = [str(v) for v in self.code_values]
        return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]

    def code_label(self, value: float) -> str | None:
        for code in self.codes:
            if code.value == value:
                return code.label
        return None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label": self.label}
        if self.wording is not None:
            out["wording"] = self.wording
        if self.range is not None:
            # Every item has a `codes` key; a number-range item (a VAS, a count) has null there and a `range`.
            out["codes"] = None
            out["range"] = {
                "min": _plain_number(self.range.minimum),
                "max": _plain_number(self.range.maximum),
                "whole_numbers": self.range.whole_numbers,
                "unit": self.range.unit,
            }
        else:
            out["codes"] = [
                {"code": c.value, "label": c.label, **({"wording": c.wording} if c.wording else {})}
                for c in self.codes
            ]
        return out


@dataclass(frozen=True)
class Subscale:
    id: str
    label: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Band:
    """A labelled range of a score, inclusive at both ends."""

    label: str
    minimum: float
    maximum: float


@dataclass(frozen=True)
class BandSet:
    """Bands for one score (``total``, a subscale id or a derived score id), all official or all conventional."""

    applies_to: str
    status: str  # "official" (published by the authors) or "conventional" (common practice, not official)
    source: str
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class MissingRule:
    """What happens when items are unanswered.

    rule: ``complete`` (a score needs every one of its items), ``max-missing`` (a score is given when at most
    `max_missing_total` / `max_missing_subscale` of its items are missing; `fill` says whether the answered
    items are simply summed (``none``) or the person's mean of answered items stands in for each missing one
    (``person-mean``)), or ``skip-missing`` (unanswered entries are left out, as for goals without a score).
    source: ``published`` when the authors give the rule, ``project`` when the rule is our documented choice.
    """

    rule: str
    source: str
    note: str
    max_missing_total: int = 0
    max_missing_subscale: int = 0
    fill: str = "none"


@dataclass(frozen=True)
class DerivedScore:
    id: str
    label: str
    note: str = ""


@dataclass(frozen=True)
class Repeat:
    """The single item is asked a variable number of times (goals in goal attainment scaling)."""

    minimum: int
    maximum: int


@dataclass(frozen=True, eq=False)
class Scoring:
    type: str
    parameters: Mapping[str, Any]
    prepared: Any = field(default=None, repr=False)  # tables and lookups built once at load time


@dataclass(frozen=True, eq=False)
class Instrument:
    id: str
    version: str
    title: str
    citation: str
    licence: str
    wording_ships: bool
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]
    scoring: Scoring
    bands: tuple[BandSet, ...]
    missing: MissingRule
    derived: tuple[DerivedScore, ...]
    headline: str  # the score to show first and chart: "total", "band" or a derived score id
    source: Path
    repeat: Repeat | None = None
    recall_period: str | None = None
    instructions: str | None = None
    notes: str = ""
    illustrative: bool = False
    wording_source: str | None = None  # set when a deployment's wording file supplied item text
    # A fidelity scale: who it rates ("worker", "team"). Empty for outcome measures.
    rated: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    @cached_property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def answer_ids(self, count: int | None = None) -> tuple[str, ...]:
        """Ids of the answer positions: the item ids, or ``goal1 … goalN`` for a repeated item."""
        if self.repeat is None:
            return self.item_ids
        n = self.repeat.maximum if count is None else count
        return tuple(f"{self.items[0].id}{i + 1}" for i in range(n))

    def answer_item(self, position: int) -> Item:
        return self.items[0] if self.repeat is not None else self.items[position]

    def bands_for(self, score: str) -> BandSet | None:
        for band_set in self.bands:
            if band_set.applies_to == score:
                return band_set
        return None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready description: ids, items in order with their allowed codes, scoring, bands, rule."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "citation": self.citation,
            "licence": self.licence,
            "wording_ships": self.wording_ships,
            "wording_source": self.wording_source,
            "illustrative": self.illustrative,
            "recall_period": self.recall_period,
            "instructions": self.instructions,
            "repeat": None
            if self.repeat is None
            else {"min": self.repeat.minimum, "max": self.repeat.maximum},
            "items": [item.as_json() for item in self.items],
            "subscales": [{"id": s.id, "label": s.label, "items": list(s.items)} for s in self.subscales],
            "scoring": {"type": self.scoring.type, "parameters": _jsonable(self.scoring.parameters)},
            "bands": [
                {
                    "applies_to": b.applies_to,
                    "status": b.status,
                    "source": b.source,
                    "ranges": [
                        {"min": _plain_number(r.minimum), "max": _plain_number(r.maximum), "label": r.label}
                        for r in b.bands
                    ],
                }
                for b in self.bands
            ],
            "missing": dataclasses.asdict(self.missing),
            "derived": [dataclasses.asdict(d) for d in self.derived],
            "headline": self.headline,
            "notes": self.notes,
            **({"rated": list(self.rated)} if self.rated else {}),
        }


class Catalogue:
    """The loaded definitions, keyed by (id, version). Iterates in id order, then version order."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self._by_key: dict[tuple[str, str], Instrument] = {i.key: i for i in instruments}

    def __iter__(self) -> Iterator[Instrument]:
        return iter(sorted(self._by_key.values(), key=lambda i: (i.id, version_order(i.version))))

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, id_or_key: object) -> bool:
        if isinstance(id_or_key, tuple):
            return id_or_key in self._by_key
        return any(key[0] == id_or_key for key in self._by_key)

    def ids(self) -> tuple[str, ...]:
        return tuple(sorted({key[0] for key in self._by_key}))

    def versions(self, instrument_id: str) -> tuple[str, ...]:
        return tuple(i.version for i in self if i.id == instrument_id)

    def get(self, instrument_id: str, version: str | None = None) -> Instrument:
        """The named version, or the latest version when `version` is None. Raises UnknownInstrumentError."""
        versions = self.versions(instrument_id)
        if not versions:
            known = ", ".join(self.ids()) or "none"
            raise UnknownInstrumentError(f"unknown instrument {instrument_id!r} (known: {known})")
        chosen = versions[-1] if version is None else str(version)
        if chosen not in versions:
            raise UnknownInstrumentError(
                f"instrument {instrument_id!r} has no version {chosen!r} (versions: {', '.join(versions)})"
            )
        return self._by_key[(instrument_id, chosen)]


def version_order(version: str) -> tuple:
    """Sort key for versions: numeric parts compare as numbers ("1.10" after "1.9")."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\-]", version)
    )


# --------------------------------------------------------------------------------------------- loading


def load_definition(path: str | Path) -> Instrument:
    """Read and check one full definition file. Raises DefinitionError naming the file and the field."""
    path = Path(path)
    raw = _read_yaml(path)
    if _is_wording_file(raw):
        raise DefinitionError(
            path, "", "this is a wording file; load it with load_definitions() beside its instrument"
        )
    return _build(path, raw)


def load_definitions(paths_or_dirs: Iterable[str | Path]) -> Catalogue:
    """Load definition files and directories (every ``*.yaml``/``*.yml`` directly inside, hidden files
    skipped) in the given order.

    Applies the merge rule in the module docstring: full definitions first (each (id, version) once), then
    wording files. Returns a Catalogue. Raises DefinitionError for the first broken file.
    """
    files: list[Path] = []
    for entry in paths_or_dirs:
        entry = Path(entry)
        if entry.is_dir():
            files.extend(
                sorted(
                    p
                    for p in entry.iterdir()
                    if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")
                )
            )
        elif entry.is_file():
            files.append(entry)
        else:
            raise DefinitionError(entry, "", "no such file or directory")

    instruments: dict[tuple[str, str], Instrument] = {}
    wording_files: list[tuple[Path, dict]] = []
    for path in files:
        raw = _read_yaml(path)
        if _is_wording_file(raw):
            wording_files.append((path, raw))
            continue
        instrument = _build(path, raw)
        if instrument.key in instruments:
            first = instruments[instrument.key].source
            raise DefinitionError(
                path,
                "version",
                f"{instrument.id} version {instrument.version} is already defined in {first}; "
                "give the new definition a new version or id",
            )
        instruments[instrument.key] = instrument

    worded: dict[tuple[str, str, str], Path] = {}  # (id, version, item) -> wording file that supplied it
    for path, raw in wording_files:
        key, instrument = _wording_target(path, raw, instruments)
        instruments[key] = _apply_wording(path, raw, instrument, worded)
    return Catalogue(instruments.values())


def load_shipped() -> Catalogue:
    """The definitions that ship with the package (no deployment additions)."""
    return load_definitions([SHIPPED_DIR])


@dataclass(frozen=True)
class DefinitionSource:
    """Where a definition came from; scoring modules use it to find the tables a definition names."""

    path: Path

    def find_table(self, name: object, field_name: str) -> Path:
        """A table named in a definition: looked for beside the definition file, then in the package data."""
        if not isinstance(name, str) or not name.strip():
            raise DefinitionProblem(field_name, "must name a table file")
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise DefinitionProblem(
                field_name, f"{name!r}: give a file name beside the definition, not a path"
            )
        for folder in (self.path.parent, DATA_DIR):
            candidate = folder / name
            if candidate.is_file():
                return candidate
        raise DefinitionProblem(
            field_name, f"table {name!r} not found beside the definition or in the package data"
        )


def scoring_module(scoring_type: str) -> ModuleType:
    """The pure module that implements a scoring type (``connecting_people.measures.scoring.<type>``)."""
    if scoring_type not in SCORING_TYPES:
        raise KeyError(scoring_type)
    return importlib.import_module(f"{__package__}.scoring.{scoring_type}")


# --------------------------------------------------------------------------------------------- internals

_FULL_FIELDS = {
    "id",
    "version",
    "title",
    "citation",
    "licence",
    "wording_ships",
    "items",
    "codes",
    "subscales",
    "scoring",
    "bands",
    "missing",
    "derived",
    "headline",
    "repeat",
    "recall_period",
    "instructions",
    "notes",
    "illustrative",
    "rated",
}
_WORDING_FIELDS = {"id", "version", "source", "instructions", "wording", "code_wording"}


YAML_MAX_BYTES = 1_000_000  # a definition with its wording, or a unit-cost table, is a few kilobytes
YAML_MAX_DEPTH = 32  # mappings and lists inside each other; our files need fewer than 8


def read_yaml_file(path: Path) -> Any:
    """The YAML document in `path`, read within limits. DefinitionError (naming the file) when it cannot be
    read, is larger than YAML_MAX_BYTES, is not UTF-8, is not valid YAML, or nests mappings and lists deeper
    than YAML_MAX_DEPTH: the depth is found from the parser's events before anything is built, because
    building recurses once per level."""
    try:
        size = path.stat().st_size
        if size > YAML_MAX_BYTES:
            raise DefinitionError(path, "", f"is {megabytes(size)}: at most {megabytes(YAML_MAX_BYTES)} is read")
        with path.open("rb") as handle:
            data = read_at_most(handle, YAML_MAX_BYTES)
    except LimitExceeded:
        raise DefinitionError(path, "", f"is larger than {megabytes(YAML_MAX_BYTES)}") from None
    except OSError as error:
        raise DefinitionError(path, "", f"cannot be read ({error.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DefinitionError(path, "", "is not UTF-8 text") from None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > YAML_MAX_DEPTH:
                    line = event.start_mark.line + 1
                    raise DefinitionError(
                        path, "", f"mappings and lists nested more than {YAML_MAX_DEPTH} deep at line {line}"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise DefinitionError(path, "", f"not valid YAML{where}: {problem}") from None


def _read_yaml(path: Path) -> dict:
    raw = read_yaml_file(path)
    if not isinstance(raw, dict):
        raise DefinitionError(path, "", "must be a YAML mapping of fields (id, version, items ...)")
    return raw


def _is_wording_file(raw: dict) -> bool:
    return "items" not in raw and ("wording" in raw or "code_wording" in raw)


def _build(path: Path, raw: dict) -> Instrument:
    try:
        instrument = _parse(path, raw)
        module = scoring_module(instrument.scoring.type)
        if instrument.missing.rule not in module.MISSING_RULES:
            raise DefinitionProblem(
                "missing.rule",
                f"the {instrument.scoring.type} scoring type supports {_choices(module.MISSING_RULES)}",
            )
        prepared = module.prepare(instrument, dict(instrument.scoring.parameters), DefinitionSource(path))
        instrument = dataclasses.replace(
            instrument, scoring=dataclasses.replace(instrument.scoring, prepared=prepared)
        )
        _check_outputs(instrument, module)
    except DefinitionProblem as problem:
        raise DefinitionError(path, problem.field, problem.problem) from None
    return instrument


def _parse(path: Path, raw: dict) -> Instrument:
    _no_unknown(raw, _FULL_FIELDS, "")
    instrument_id = _ident(raw, "id")
    version = _version(raw)
    wording_ships = _bool(raw, "wording_ships")
    repeat = _repeat(raw.get("repeat"))

    default_codes = _codes(raw["codes"], "codes") if "codes" in raw else None
    items_raw = raw.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise DefinitionProblem("items", "must be a non-empty list of items")
    items: list[Item] = []
    seen: set[str] = set()
    for i, entry in enumerate(items_raw):
        item = _item(entry, f"items[{i}]", default_codes, wording_ships)
        if item.id in seen:
            raise DefinitionProblem(f"items[{i}].id", f"duplicate item id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if repeat is not None and len(items) != 1:
        raise DefinitionProblem("items", "an instrument with `repeat` has exactly one item, asked repeatedly")

    subscales = _subscales(raw.get("subscales", []), seen)
    scoring = _scoring(raw.get("scoring"))
    missing = _missing(raw.get("missing"))
    derived = _derived(raw.get("derived", []))
    score_names = {"total", *(s.id for s in subscales), *(d.id for d in derived)}
    bands = _bands(raw.get("bands", []), score_names)
    headline = raw.get("headline", "total")
    if headline not in score_names | {"band"}:
        raise DefinitionProblem("headline", f"must be one of {_choices(sorted(score_names | {'band'}))}")

    return Instrument(
        id=instrument_id,
        version=version,
        title=_text(raw, "title"),
        citation=_text(raw, "citation"),
        licence=_text(raw, "licence"),
        wording_ships=wording_ships,
        items=tuple(items),
        subscales=subscales,
        scoring=scoring,
        bands=bands,
        missing=missing,
        derived=derived,
        headline=headline,
        source=path,
        repeat=repeat,
        recall_period=_text(raw, "recall_period", required=False),
        instructions=_text(raw, "instructions", required=False),
        notes=_text(raw, "notes", required=False) or "",
        illustrative=_bool(raw, "illustrative", default=False),
        rated=_rated(raw.get("rated")),
    )


def _check_outputs(instrument: Instrument, module: ModuleType) -> None:
    produced = tuple(module.derived_ids(instrument))
    declared = tuple(d.id for d in instrument.derived)
    if set(produced) != set(declared):
        raise DefinitionProblem(
            "derived",
            f"the {instrument.scoring.type} scoring type with these parameters produces "
            f"{_choices(produced) if produced else 'no derived scores'}; declare exactly those (declared: "
            f"{', '.join(declared) or 'none'})",
        )


def _no_unknown(raw: dict, allowed: set[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            name = f"{where}.{key}" if where else str(key)
            raise DefinitionProblem(name, f"unknown field (allowed: {', '.join(sorted(allowed))})")


def _ident(raw: dict, key: str, where: str = "") -> str:
    name = f"{where}.{key}" if where else key
    value = raw.get(key)
    if not isinstance(value, str) or not _ID.match(value):
        raise DefinitionProblem(
            name, "must be a lower-case id of letters, digits and underscores, starting with a letter"
        )
    return value


def _version(raw: dict) -> str:
    value = raw.get("version")
    if isinstance(value, bool) or value is None:
        raise DefinitionProblem("version", 'is required, as a quoted string such as "1"')
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, float):
        raise DefinitionProblem("version", f'write it as a quoted string ("{value}"), so 1.10 stays 1.10')
    if not isinstance(value, str) or not _VERSION.match(value):
        raise DefinitionProblem("version", 'must be letters, digits, dots or hyphens, such as "1" or "2.1"')
    return value


def _text(raw: dict, key: str, where: str = "", *, required: bool = True) -> str | None:
    name = f"{where}.{key}" if where else key
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DefinitionProblem(name, "must be non-empty text")
    return value.strip()


def _bool(raw: dict, key: str, *, default: bool | None = None) -> bool:
    if key not in raw and default is not None:
        return default
    value = raw.get(key)
    if not isinstance(value, bool):
        raise DefinitionProblem(key, "must be true or false")
    return value


def _int(value: object, name: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionProblem(name, "must be a whole number")
    if minimum is not None and value < minimum:
        raise DefinitionProblem(name, f"must be at least {minimum}")
    return value


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DefinitionProblem(name, "must be a number")
    return float(value)


def _rated(raw: object) -> tuple[str, ...]:
    """`rated: [worker, team]` marks a fidelity scale and says who it rates (absent for outcome measures)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw or any(level not in RATED_LEVELS for level in raw):
        raise DefinitionProblem("rated", f"must list who the scale rates: {_choices(RATED_LEVELS)}, or both")
    if len(set(raw)) != len(raw):
        raise DefinitionProblem("rated", "a level is listed twice")
    return tuple(level for level in RATED_LEVELS if level in raw)


def _repeat(raw: object) -> Repeat | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise DefinitionProblem("repeat", "must be a mapping with min and max")
    _no_unknown(raw, {"min", "max"}, "repeat")
    low = _int(raw.get("min"), "repeat.min", minimum=1)
    high = _int(raw.get("max"), "repeat.max", minimum=low)
    return Repeat(low, high)


def _codes(raw: object, name: str) -> tuple[Code, ...] | CodeRange:
    if isinstance(raw, dict):
        _no_unknown(raw, {"min", "max", "whole_numbers", "unit"}, name)
        low = _number(raw.get("min"), f"{name}.min")
        high = _number(raw.get("max"), f"{name}.max")
        if high < low:
            raise DefinitionProblem(f"{name}.max", "must not be below min")
        whole = raw.get("whole_numbers", True)
        if not isinstance(whole, bool):
            raise DefinitionProblem(f"{name}.whole_numbers", "must be true or false")
        unit = raw.get("unit")
        if unit is not None and not isinstance(unit, str):
            raise DefinitionProblem(f"{name}.unit", "must be text")
        return CodeRange(low, high, whole, unit)
    if not isinstance(raw, list) or not raw:
        raise DefinitionProblem(name, "must be a list of {code, label} entries or a {min, max} range")
    codes: list[Code] = []
    for j, entry in enumerate(raw):
        where = f"{name}[{j}]"
        if not isinstance(entry, dict):
            raise DefinitionProblem(where, "must be a mapping with code and label")
        _no_unknown(entry, {"code", "label"}, where)
        value = entry.get("code")
        if isinstance(value, bool) or not isinstance(value, int):
            raise DefinitionProblem(f"{where}.code", "codes must be whole numbers")
        codes.append(Code(value, _text(entry, "label", where) or ""))
    values = [c.value for c in codes]
    if len(set(values)) != len(values):
        raise DefinitionProblem(name, "codes must not repeat")
    return tuple(codes)


def _item(
    raw: object, name: str, default_codes: tuple[Code, ...] | CodeRange | None, wording_ships: bool
) -> Item:
    if not isinstance(raw, dict):
        raise DefinitionProblem(name, "must be a mapping with id and label")
    _no_unknown(raw, {"id", "label", "codes", "wording"}, name)
    item_id = _ident(raw, "id", name)
    label = _text(raw, "label", name) or ""
    codes = _codes(raw["codes"], f"{name}.codes") if "codes" in raw else default_codes
    if codes is None:
        raise DefinitionProblem(
            f"{name}.codes", "no codes: give the item codes or the instrument default `codes`"
        )
    wording = _text(raw, "wording", name, required=False)
    if wording is not None and not wording_ships:
        raise DefinitionProblem(
            f"{name}.wording",
            "this instrument's wording does not ship (wording_ships: false); supply it from a deployment wording file",
        )
    if isinstance(codes, CodeRange):
        return Item(item_id, label, (), codes, wording)
    return Item(item_id, label, codes, None, wording)


def _subscales(raw: object, item_ids: set[str]) -> tuple[Subscale, ...]:
    if not isinstance(raw, list):
        raise DefinitionProblem("subscales", "must be a list")
    out: list[Subscale] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        name = f"subscales[{i}]"
        if not isinstance(entry, dict):
            raise DefinitionProblem(name, "must be a mapping with id, label and items")
        _no_unknown(entry, {"id", "label", "items"}, name)
        subscale_id = _ident(entry, "id", name)
        if subscale_id in seen or subscale_id == "total":
            raise DefinitionProblem(f"{name}.id", f"{subscale_id!r} is already used")
        seen.add(subscale_id)
        members = entry.get("items")
        if not isinstance(members, list) or not members:
            raise DefinitionProblem(f"{name}.items", "must list one or more item ids")
        for j, member in enumerate(members):
            if member not in item_ids:
                raise DefinitionProblem(f"{name}.items[{j}]", f"unknown item {member!r}")
        if len(set(members)) != len(members):
            raise DefinitionProblem(f"{name}.items", "an item is listed twice")
        out.append(Subscale(subscale_id, _text(entry, "label", name) or "", tuple(members)))
    return tuple(out)


def _scoring(raw: object) -> Scoring:
    if not isinstance(raw, dict):
        raise DefinitionProblem("scoring", "must be a mapping with type and parameters")
    _no_unknown(raw, {"type", "parameters"}, "scoring")
    scoring_type = raw.get("type")
    if scoring_type not in SCORING_TYPES:
        raise DefinitionProblem("scoring.type", f"must be one of {_choices(SCORING_TYPES)}")
    parameters = raw.get("parameters", {})
    if not isinstance(parameters, dict):
        raise DefinitionProblem("scoring.parameters", "must be a mapping")
    return Scoring(scoring_type, parameters)


def _missing(raw: object) -> MissingRule:
    if not isinstance(raw, dict):
        raise DefinitionProblem("missing", "must be a mapping with rule, source and note")
    _no_unknown(raw, {"rule", "source", "note", "total", "subscales", "fill"}, "missing")
    rule = raw.get("rule")
    if rule not in MISSING_RULES:
        raise DefinitionProblem("missing.rule", f"must be one of {_choices(MISSING_RULES)}")
    source = raw.get("source")
    if source not in RULE_SOURCES:
        raise DefinitionProblem("missing.source", f"must be one of {_choices(RULE_SOURCES)}")
    note = _text(raw, "note", "missing") or ""
    fill = raw.get("fill", "none")
    if fill not in MISSING_FILLS:
        raise DefinitionProblem("missing.fill", f"must be one of {_choices(MISSING_FILLS)}")
    if rule == "max-missing":
        total = _int(raw.get("total"), "missing.total", minimum=0)
        subscales = _int(raw.get("subscales", 0), "missing.subscales", minimum=0)
        return MissingRule(rule, source, note, total, subscales, fill)
    for key in ("total", "subscales", "fill"):
        if key in raw:
            raise DefinitionProblem(f"missing.{key}", f"only used with rule max-missing, not {rule}")
    return MissingRule(rule, source, note)


def _derived(raw: object) -> tuple[DerivedScore, ...]:
    if not isinstance(raw, list):
        raise DefinitionProblem("derived", "must be a list")
    out: list[DerivedScore] = []
    for i, entry in enumerate(raw):
        name = f"derived[{i}]"
        if not isinstance(entry, dict):
            raise DefinitionProblem(name, "must be a mapping with id and label")
        _no_unknown(entry, {"id", "label", "note"}, name)
        derived_id = _ident(entry, "id", name)
        if derived_id in ("total", "band", "subscales", "missing", "instrument", "version"):
            raise DefinitionProblem(f"{name}.id", f"{derived_id!r} is reserved")
        out.append(
            DerivedScore(
                derived_id,
                _text(entry, "label", name) or "",
                _text(entry, "note", name, required=False) or "",
            )
        )
    return tuple(out)


def _bands(raw: object, score_names: set[str]) -> tuple[BandSet, ...]:
    if not isinstance(raw, list):
        raise DefinitionProblem("bands", "must be a list")
    out: list[BandSet] = []
    targets: set[str] = set()
    for i, entry in enumerate(raw):
        name = f"bands[{i}]"
        if not isinstance(entry, dict):
            raise DefinitionProblem(name, "must be a mapping with applies_to, status, source and ranges")
        _no_unknown(entry, {"applies_to", "status", "source", "ranges"}, name)
        target = entry.get("applies_to", "total")
        if target not in score_names:
            raise DefinitionProblem(f"{name}.applies_to", f"must be one of {_choices(sorted(score_names))}")
        if target in targets:
            raise DefinitionProblem(f"{name}.applies_to", f"{target!r} already has bands")
        targets.add(target)
        status = entry.get("status")
        if status not in BAND_STATUSES:
            raise DefinitionProblem(
                f"{name}.status",
                "must be official (published by the authors) or conventional (common practice)",
            )
        ranges = entry.get("ranges")
        if not isinstance(ranges, list) or not ranges:
            raise DefinitionProblem(f"{name}.ranges", "must list one or more {min, max, label} ranges")
        bands: list[Band] = []
        for j, band in enumerate(ranges):
            where = f"{name}.ranges[{j}]"
            if not isinstance(band, dict):
                raise DefinitionProblem(where, "must be a mapping with min, max and label")
            _no_unknown(band, {"min", "max", "label"}, where)
            low = _number(band.get("min"), f"{where}.min")
            high = _number(band.get("max"), f"{where}.max")
            if high < low:
                raise DefinitionProblem(f"{where}.max", "must not be below min")
            if bands and low <= bands[-1].maximum:
                raise DefinitionProblem(f"{where}.min", "ranges must be in order and must not overlap")
            bands.append(Band(_text(band, "label", where) or "", low, high))
        out.append(BandSet(target, status, _text(entry, "source", name) or "", tuple(bands)))
    return tuple(out)


def _wording_target(
    path: Path, raw: dict, instruments: dict[tuple[str, str], Instrument]
) -> tuple[tuple[str, str], Instrument]:
    try:
        _no_unknown(raw, _WORDING_FIELDS, "")
        key = (_ident(raw, "id"), _version(raw))
    except DefinitionProblem as problem:
        raise DefinitionError(path, problem.field, problem.problem) from None
    if key not in instruments:
        raise DefinitionError(path, "id", f"wording for {key[0]} version {key[1]}, which is not loaded")
    return key, instruments[key]


def _apply_wording(
    path: Path, raw: dict, instrument: Instrument, worded: dict[tuple[str, str, str], Path]
) -> Instrument:
    wording = raw.get("wording", {})
    code_wording = raw.get("code_wording", {})
    if not isinstance(wording, dict):
        raise DefinitionError(path, "wording", "must map item ids to item text")
    if not isinstance(code_wording, dict):
        raise DefinitionError(path, "code_wording", "must map item ids to {code: text}")
    known = set(instrument.item_ids)
    for item_id in [*wording, *code_wording]:
        if item_id not in known:
            field_name = "wording" if item_id in wording else "code_wording"
            raise DefinitionError(path, f"{field_name}.{item_id}", f"{instrument.id} has no item {item_id!r}")
    items: list[Item] = []
    for item in instrument.items:
        text = wording.get(item.id)
        codes = item.codes
        if text is not None:
            if not isinstance(text, str) or not text.strip():
                raise DefinitionError(path, f"wording.{item.id}", "must be non-empty text")
            earlier = worded.get((*instrument.key, item.id))
            if earlier is not None:
                raise DefinitionError(path, f"wording.{item.id}", f"already supplied by {earlier}")
            worded[(*instrument.key, item.id)] = path
            text = text.strip()
        if item.id in code_wording:
            codes = _code_wording(path, item, code_wording[item.id])
        items.append(
            dataclasses.replace(item, wording=text if text is not None else item.wording, codes=codes)
        )
    instructions = raw.get("instructions")
    if instructions is not None and (not isinstance(instructions, str) or not instructions.strip()):
        raise DefinitionError(path, "instructions", "must be non-empty text")
    source = raw.get("source")
    if source is not None and not isinstance(source, str):
        raise DefinitionError(path, "source", "must be text")
    return dataclasses.replace(
        instrument,
        items=tuple(items),
        instructions=instructions.strip() if instructions else instrument.instructions,
        wording_source=f"{source} ({path})" if source else str(path),
    )


def _code_wording(path: Path, item: Item, raw: object) -> tuple[Code, ...]:
    name = f"code_wording.{item.id}"
    if not isinstance(raw, dict):
        raise DefinitionError(path, name, "must map codes to answer text")
    if item.range is not None:
        raise DefinitionError(path, name, "this item takes a number in a range; it has no codes to word")
    values = set(item.code_values)
    for code, text in raw.items():
        if code not in values:
            raise DefinitionError(path, f"{name}.{code}", f"not a code of this item ({item.allowed_text()})")
        if not isinstance(text, str) or not text.strip():
            raise DefinitionError(path, f"{name}.{code}", "must be non-empty text")
    return tuple(
        dataclasses.replace(c, wording=raw[c.value].strip()) if c.value in raw else c for c in item.codes
    )


def _choices(values: Iterable[str]) -> str:
    values = list(values)
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
