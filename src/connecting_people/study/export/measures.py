"""Measures and fidelity ratings as export records: allow-listed by the instrument definitions.

The variables of an instrument are exactly those its definition declares, in its order: the items
(``answer_ids``: goal1…goalN for a repeated item), then the scores: ``total`` when the instrument has one,
each subscale, each derived score (``metric``, ``index``, ``state``, ``vas``…). Anything else in a row (band
labels, missing-data notes, who administered it, free-text comments) is not a variable and never leaves.
Values are numbers; a missing answer or a score the missing-data rule withheld is written empty, so missing
data stays visible. Band labels are not exported: they follow from the scores and the bands in the data
dictionary.

Input rows (mappings, typically database rows; other keys are ignored and their names reported):

    administrations: person_id, timepoint (a code such as ``baseline`` or ``m6``), instrument, version,
                     administered_on (date), answers (list in item order, or {item id: value}), total,
                     subscales ({id: score}), derived ({id: score})
    fidelity ratings: rated_level (``worker`` or ``team``), worker_id (for worker ratings), site, team, arm,
                     period (a code), scale, version, rated_on (date), answers, total, subscales, derived

An administration of an instrument not in the export's list is dropped (the study did not schedule it) and
counted; one of another version of a listed instrument stops the export, because its variables could differ.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from connecting_people.measures.definitions import Instrument
from connecting_people.measures.scoring import score_ranges

from .dates import as_date
from .errors import ExportError
from .identifiers import Pseudonyms
from .participants import Roster
from .schema import code, number

ADMINISTRATION_KEYS = frozenset(
    {
        "person_id",
        "timepoint",
        "instrument",
        "version",
        "administered_on",
        "answers",
        "total",
        "subscales",
        "derived",
    }
)
FIDELITY_KEYS = frozenset(
    {
        "rated_level",
        "worker_id",
        "site",
        "team",
        "arm",
        "period",
        "scale",
        "version",
        "rated_on",
        "answers",
        "total",
        "subscales",
        "derived",
    }
)
FIDELITY_SUBJECT_COLUMNS = ("rated_level", "rated_id", "site", "team", "arm")
ITEM, SCORE = "item", "score"
_RESERVED = {"day", "shifted_date"}


@dataclass(frozen=True)
class InstrumentLayout:
    """The variables of one instrument version, as the export writes them: items first, then scores."""

    instrument: Instrument
    items: tuple[str, ...]
    scores: tuple[str, ...]
    variables: tuple[str, ...] = field(init=False)
    kinds: tuple[str, ...] = field(init=False)  # "item" or "score", one per variable

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", (*self.items, *self.scores))
        object.__setattr__(self, "kinds", (ITEM,) * len(self.items) + (SCORE,) * len(self.scores))
        names = self.variables
        clash = sorted({name for name in names if names.count(name) > 1} | (set(names) & _RESERVED))
        if clash:
            raise ExportError(f"{self.id}: variable names {', '.join(clash)} clash; it cannot be exported")

    @classmethod
    def of(cls, instrument: Instrument) -> InstrumentLayout:
        has_total = "total" in score_ranges(instrument)
        items = tuple(instrument.answer_ids())
        scores = (
            *(("total",) if has_total else ()),
            *(subscale.id for subscale in instrument.subscales),
            # A derived score named like an item repeats the answer (EQ-5D-5L's vas): the item stands for both.
            *(derived.id for derived in instrument.derived if derived.id not in items),
        )
        return cls(instrument, items, tuple(scores))

    @property
    def id(self) -> str:
        return self.instrument.id

    @property
    def version(self) -> str:
        return self.instrument.version


class MeasureRecord(NamedTuple):
    """One administration (or rating) ready to write: who, when, and a value per variable of its layout.

    A named tuple: made once per administration, it is cheaper to make than a frozen dataclass."""

    subject: tuple[str, ...]
    timepoint: str
    layout: InstrumentLayout
    when: int | date  # days (from baseline or study start) or a shifted date
    values: tuple[int | float | None, ...]


def layouts(instruments: Sequence[Instrument]) -> dict[str, InstrumentLayout]:
    """{instrument id: layout}; one version per instrument in an export."""
    out: dict[str, InstrumentLayout] = {}
    for instrument in instruments:
        if instrument.id in out:
            raise ExportError(f"{instrument.id}: an export takes one version of each instrument")
        out[instrument.id] = InstrumentLayout.of(instrument)
    return out


def _plain(values: list[Any]) -> bool:
    """True when every value is already what `number` would give back: int, float (not NaN) or None."""
    for value in values:
        kind = type(value)
        if kind is int or value is None:
            continue
        if kind is not float or value != value:  # NaN is not equal to itself
            return False
    return True


class _Values:
    """Reads the variables of rows of one layout; collects the names of keys it ignores.

    Answers given as a list of plain numbers, a plain total, and groups of plain scores are taken as they are
    (the common case: `_plain`); anything else goes through `schema.number` value by value."""

    def __init__(self, layout: InstrumentLayout, ignored: set[str]) -> None:
        self.layout = layout
        self.version = layout.version
        self.ignored = ignored
        self.item_index = {item: i for i, item in enumerate(layout.items)}
        self.subscales = tuple(s.id for s in layout.instrument.subscales)
        self.derived = tuple(d.id for d in layout.instrument.derived if d.id in layout.scores)
        self.has_total = "total" in layout.scores
        # [None] * k for the answers missing at the end of a short list: padding[number of answers given]
        self.padding = [[None] * (len(layout.items) - given) for given in range(len(layout.items) + 1)]
        # (group, ids read, keys that are not ignored, a None for each id)
        self.groups = tuple(
            (group, ids, frozenset(ids) | frozenset(self.item_index), [None] * len(ids))
            for group, ids in (("subscales", self.subscales), ("derived", self.derived))
        )

    def read(self, row: Mapping[str, Any], where: str) -> tuple[int | float | None, ...]:
        layout = self.layout
        answers = row.get("answers") or ()
        values: list[int | float | None]
        if type(answers) is list and len(answers) <= len(layout.items) and _plain(answers):
            values = answers + self.padding[len(answers)]
        elif isinstance(answers, Mapping):
            values = [None] * len(layout.items)
            for key, value in answers.items():
                index = self.item_index.get(key)
                if index is None:
                    self.ignored.add(f"answers.{key}")
                else:
                    values[index] = number(value, f"{where}: {layout.id}.{key}")
        else:
            if len(answers) > len(layout.items):
                raise ExportError(
                    f"{where}: {len(answers)} answers, but {layout.id} has {len(layout.items)} items"
                )
            values = [
                number(value, f"{where}: {layout.id} answer {i + 1}") for i, value in enumerate(answers)
            ]
            values += [None] * (len(layout.items) - len(values))
        if self.has_total:
            total = row.get("total")
            if not (type(total) is float and total == total or type(total) is int or total is None):
                total = number(total, f"{where}: {layout.id}.total")
            values.append(total)
        for group, ids, known, nothing in self.groups:
            given = row.get(group)
            if not given:
                values += nothing
                continue
            if not given.keys() <= known:
                for key in given:
                    if key not in known:
                        self.ignored.add(f"{group}.{key}")
            scores = [given.get(name) for name in ids]
            if not _plain(scores):
                scores = [number(given.get(name), f"{where}: {layout.id}.{name}") for name in ids]
            values += scores
        return tuple(values)


@dataclass
class MeasureCounts:
    """What a pass over measure rows left out: instruments not in the export, keys not allow-listed."""

    instruments_not_exported: Counter[str]
    ignored_keys: set[str]


def participant_measures(
    administrations: Iterable[Mapping[str, Any]],
    *,
    roster: Roster,
    instruments: Mapping[str, InstrumentLayout],
    counts: MeasureCounts,
    file: str = "measures",
) -> Iterator[MeasureRecord]:
    """Export records for administrations, in the order given (see the module docstring for the keys).

    Leaves out, counting them: rows of participants left out of the export, rows dated after a keep-collected
    withdrawal (both in `roster.dropped_rows`), instruments not in `instruments` (in `counts`).
    """
    readers = {
        instrument_id: _Values(layout, counts.ignored_keys) for instrument_id, layout in instruments.items()
    }
    timepoints: set[str] = set()  # codes already checked
    for position, row in enumerate(administrations, start=1):
        where = f"administration {position}"
        if not row.keys() <= ADMINISTRATION_KEYS:
            counts.ignored_keys.update(key for key in row if key not in ADMINISTRATION_KEYS)
        instrument_id = row.get("instrument")
        reader = readers.get(instrument_id)  # type: ignore[arg-type]
        if reader is None:
            counts.instruments_not_exported[str(instrument_id)] += 1
            continue
        version = row.get("version")
        if version != reader.version and str(version) != reader.version:
            raise ExportError(
                f"{where}: {instrument_id} version {version}, but this export has version {reader.version}"
            )
        on = row.get("administered_on")
        on = on if type(on) is date else as_date(on, f"{where}: administered_on")
        participant = roster.admit(row.get("person_id"), on, file=file, position=where)
        if participant is None:
            continue
        timepoint = row.get("timepoint")
        if type(timepoint) is not str or timepoint not in timepoints:
            timepoint = code(timepoint, f"{where}: timepoint")
            timepoints.add(timepoint)
        yield MeasureRecord(
            participant.subject,
            timepoint,
            reader.layout,
            participant.dates.convert(on),
            reader.read(row, where),
        )


def fidelity_measures(
    ratings: Iterable[Mapping[str, Any]],
    *,
    pseudonyms: Pseudonyms,
    scales: Mapping[str, InstrumentLayout],
    study_start: date,
    counts: MeasureCounts,
) -> Iterator[MeasureRecord]:
    """Export records for fidelity ratings of workers and teams (keys in the module docstring).

    Subject columns: rated_level, rated_id (the worker's study ID, or the team code), site, team, arm. The date
    becomes days from `study_start` in every date mode: ratings concern staff and teams, not participants.
    """
    readers = {scale_id: _Values(layout, counts.ignored_keys) for scale_id, layout in scales.items()}
    for position, row in enumerate(ratings, start=1):
        where = f"fidelity rating {position}"
        for key in row:
            if key not in FIDELITY_KEYS:
                counts.ignored_keys.add(key)
        reader = readers.get(row.get("scale"))  # type: ignore[arg-type]
        if reader is None:
            counts.instruments_not_exported[str(row.get("scale"))] += 1
            continue
        if str(row.get("version")) != reader.layout.version:
            raise ExportError(
                f"{where}: {reader.layout.id} version {row.get('version')} is not this export's"
            )
        level = row.get("rated_level")
        team = code(row.get("team"), f"{where}: team")
        if level == "worker":
            if row.get("worker_id") is None:
                raise ExportError(f"{where}: a worker rating needs worker_id")
            rated = pseudonyms.worker(row["worker_id"])  # type: ignore[arg-type]
        elif level == "team":
            rated = team
        else:
            raise ExportError(f"{where}: rated_level must be worker or team")
        on = as_date(row.get("rated_on"), f"{where}: rated_on")
        yield MeasureRecord(
            (
                level,
                rated,
                code(row.get("site"), f"{where}: site"),
                team,
                code(row.get("arm"), f"{where}: arm"),
            ),
            code(row.get("period"), f"{where}: period"),
            reader.layout,
            (on - study_start).days,
            reader.read(row, where),
        )
