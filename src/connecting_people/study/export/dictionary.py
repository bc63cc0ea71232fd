"""The data dictionary: every column of every export file, generated from the schemas and the instrument
definitions (never from the data), written as ``data_dictionary.csv``.

Columns of the dictionary::

    file           the file the column is in: participants, measures_long, measures_wide, fidelity_long,
                   fidelity_wide, maps_index, maps_ego, maps_alters, maps_ties; "measures" (or "fidelity") for
                   a variable of an instrument, found as column <instrument>_<variable> in the wide files and
                   as rows with instrument = <instrument> and variable = <variable> in the long files
    variable       the column name (wide name for instrument variables)
    instrument     instrument (or fidelity scale) id, for instrument variables
    version        its version
    item_or_score  the item or score id (the long files' `variable`), or empty
    label          what it is (our own short labels: licensed item wording is never included)
    type           study_id, code, integer, number, boolean, day, shifted_date, age, integer_code
    allowed        allowed codes with their meaning, or the range
    unit           unit of measurement, when there is one
    notes          scoring rules, bands (official or conventional), missing-data rule, citation, licence

The Parquet files have the same columns as their CSV twins.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from connecting_people.connections.domain import Category, Kind, Support
from connecting_people.measures.definitions import Instrument, Item
from connecting_people.measures.scoring import score_ranges

from .dates import DatePolicy
from .measures import FIDELITY_SUBJECT_COLUMNS, ITEM, InstrumentLayout
from .participants import SUBJECT_COLUMNS
from .schema import Field, FieldType

DICTIONARY_COLUMNS = (
    "file",
    "variable",
    "instrument",
    "version",
    "item_or_score",
    "label",
    "type",
    "allowed",
    "unit",
    "notes",
)
TEXT_COLUMNS = ("label", "allowed", "unit", "notes")  # the only columns of any export file that hold prose

_SUBJECT_LABELS = {
    "study_id": ("study ID of the participant", FieldType.STUDY_ID),
    "site": ("study site", FieldType.CODE),
    "team": ("team (cluster)", FieldType.CODE),
    "arm": ("arm of the team", FieldType.CODE),
    "rated_level": ("what the rating is of: worker or team", FieldType.CODE),
    "rated_id": ("study ID of the rated worker (<prefix>-W-…), or the team code", FieldType.STUDY_ID),
}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _item_entry(item: Item) -> tuple[str, str, str]:
    """(type, allowed, unit) of an item."""
    if item.range is not None:
        kind = "integer" if item.range.whole_numbers else "number"
        return kind, f"{_number(item.range.minimum)} to {_number(item.range.maximum)}", item.range.unit or ""
    return "integer_code", "; ".join(f"{code.value} = {code.label}" for code in item.codes), ""


def _bands(instrument: Instrument, score: str) -> str:
    band_set = instrument.bands_for(score)
    if band_set is None:
        return ""
    ranges = "; ".join(f"{_number(b.minimum)} to {_number(b.maximum)} {b.label}" for b in band_set.bands)
    return f"bands ({band_set.status}, {band_set.source}): {ranges}"


def _score_entry(
    instrument: Instrument, score: str, ranges: Mapping[str, tuple[float, float]]
) -> tuple[str, str]:
    """(label, allowed) of a score."""
    labels = {"total": "total score"}
    labels.update({s.id: f"{s.label} subscale score" for s in instrument.subscales})
    labels.update({d.id: d.label for d in instrument.derived})
    if instrument.scoring.type == "eq5d" and score == "state":
        return labels[score], "five digits, each level 1 to 5 (11111 to 55555)"
    low_high = ranges.get(score)
    allowed = f"{_number(low_high[0])} to {_number(low_high[1])}" if low_high else ""
    return labels.get(score, score), allowed


def _instrument_rows(
    layout: InstrumentLayout, *, file: str, date_column: str, extra_notes: str
) -> Iterator[tuple[str, ...]]:
    instrument = layout.instrument
    ranges = score_ranges(instrument)
    about = [
        instrument.title,
        f"recall period: {instrument.recall_period}" if instrument.recall_period else "",
        f"citation: {instrument.citation}",
        f"licence: {instrument.licence}",
        "ILLUSTRATIVE definition, not for analysis" if instrument.illustrative else "",
    ]
    when = "days from the participant's baseline" if date_column == "day" else "date of completion, shifted"
    if file == "fidelity":
        when = "days from the study's start date"
    yield (
        file,
        f"{layout.id}_{date_column}",
        layout.id,
        layout.version,
        "",
        f"when {layout.id} was completed ({when})",
        "shifted_date" if date_column == "shifted_date" else "day",
        "",
        "days" if date_column == "day" else "",
        ". ".join(part for part in about if part),
    )
    missing = instrument.missing
    missing_note = f"missing answers: rule {missing.rule} ({missing.source}): {missing.note}"
    for variable, kind in zip(layout.variables, layout.kinds, strict=True):
        if kind == ITEM:
            item = layout.instrument.answer_item(layout.items.index(variable))
            item_type, allowed, unit = _item_entry(item)
            label, notes = item.label, "empty when not answered"
        else:
            label, allowed = _score_entry(instrument, variable, ranges)
            item_type, unit = "number", ""
            derived = {d.id: d.note for d in instrument.derived}
            notes = "; ".join(
                part
                for part in (
                    f"scoring: {instrument.scoring.type}",
                    derived.get(variable, ""),
                    _bands(instrument, variable),
                    missing_note,
                    "empty when the missing-data rule gives no score",
                    extra_notes,
                )
                if part
            )
        yield (
            file,
            f"{layout.id}_{variable}",
            layout.id,
            layout.version,
            variable,
            label,
            item_type,
            allowed,
            unit,
            notes,
        )


def _plain(
    file: str, name: str, label: str, kind: str, allowed: str = "", unit: str = "", notes: str = ""
) -> tuple[str, ...]:
    return (file, name, "", "", "", label, kind, allowed, unit, notes)


def _field_row(file: str, field: Field) -> tuple[str, ...]:
    allowed = ", ".join(field.codes)
    if field.type is FieldType.AGE and field.name == "age_band":
        allowed = "18-24, 25-34, 35-44, 45-54, 55-64, 65+ (under-18 if younger)"
    return _plain(file, field.name, field.label, str(field.type), allowed, field.unit, field.notes)


def _measure_file_rows(
    name: str,
    subject_columns: Sequence[str],
    dates: DatePolicy,
    layouts: Sequence[InstrumentLayout],
    fidelity: bool,
) -> Iterator[tuple[str, ...]]:
    date_column = "day" if fidelity else dates.column()
    date_type = "day" if date_column == "day" else "shifted_date"
    date_label = (
        "days from the study's start date"
        if fidelity
        else (
            "days from the participant's baseline" if date_column == "day" else "date of completion, shifted"
        )
    )
    for long_or_wide in ("long", "wide"):
        file = f"{name}_{long_or_wide}"
        for column in subject_columns:
            label, kind = _SUBJECT_LABELS[column]
            yield _plain(file, column, label, str(kind))
        yield _plain(file, "timepoint", "rating period" if fidelity else "study timepoint", "code")
        if long_or_wide == "long":
            yield _plain(
                file, "instrument", "instrument id", "code", ", ".join(layout.id for layout in layouts)
            )
            yield _plain(file, "version", "instrument version", "code")
            yield _plain(file, date_column, date_label, date_type, unit="days" if date_type == "day" else "")
            yield _plain(file, "variable", "item or score id (see the rows for file " + name + ")", "code")
            yield _plain(file, "kind", "item (an answer) or score", "code", "item, score")
            yield _plain(file, "value", "the answer or score; empty when missing", "number")
        else:
            yield _plain(file, f"<instrument>_{date_column}", date_label, date_type)
            yield _plain(file, "<instrument>_<variable>", f"see the rows for file {name}", "number")


def _maps_rows(dates: DatePolicy) -> Iterator[tuple[str, ...]]:
    for column in SUBJECT_COLUMNS:
        label, kind = _SUBJECT_LABELS[column]
        yield _plain("maps_index", column, label, str(kind))
    yield _plain("maps_index", "timepoint", "study timepoint of the map", "code")
    date_type = "shifted_date" if dates.shifted else "day"
    yield _plain("maps_index", dates.column(), "when the map was drawn", date_type)
    yield _plain(
        "maps_index", "alters", "number of entries (people, groups, places, services) on the map", "integer"
    )
    yield _plain("maps_index", "ties", "number of ties between entries", "integer")
    yield _plain(
        "maps_index", "files", "start of the map's file names in maps/ (<study_id>_<timepoint>)", "code"
    )
    for column, label in (
        ("networkCanvasEgoUUID", "the interview's UUID"),
        ("networkCanvasCaseID", "study ID of the participant"),
        ("networkCanvasSessionID", "timepoint of the map"),
        ("networkCanvasProtocolName", "fixed text naming the protocol"),
        ("sessionStart", "always empty: the date is in maps_index"),
        ("sessionFinish", "always empty"),
        ("sessionExported", "always empty"),
    ):
        yield _plain("maps_ego", column, label, "code")
    yield _plain("maps_alters", "nodeID", "entry number within this map (1..n)", "integer")
    yield _plain("maps_alters", "networkCanvasEgoUUID", "the interview's UUID", "code")
    yield _plain(
        "maps_alters", "networkCanvasUUID", "entry UUID, the same in all of the participant's maps", "code"
    )
    yield _plain(
        "maps_alters",
        "label",
        "alter number: A1, A2 … in order of first appearance over the participant's maps; names never leave",
        "code",
    )
    for kind in Kind:
        yield _plain("maps_alters", f"kind_{kind.value}", f"the entry is a {kind.value}", "boolean")
    for category in Category:
        yield _plain(
            "maps_alters", f"category_{category.value}", f"relationship category {category.value}", "boolean"
        )
    yield _plain("maps_alters", "ring", "closeness ring", "code", "close, middle, outer")
    for support in Support:
        yield _plain("maps_alters", f"support_{support.value}", f"gives {support.value} support", "boolean")
    yield _plain(
        "maps_alters",
        "frequency",
        "contact frequency",
        "code",
        "daily, weekly, monthly, less_often, not_in_touch",
    )
    yield _plain(
        "maps_alters", "wish", "what the participant wants", "code", "keep, closer, reconnect, fewer"
    )
    for column, label in (
        ("edgeID", "tie number within this map"),
        ("from", "nodeID of one end"),
        ("to", "nodeID of the other end"),
        ("networkCanvasEgoUUID", "the interview's UUID"),
        ("networkCanvasUUID", "tie UUID"),
        ("networkCanvasSourceUUID", "networkCanvasUUID of the entry at `from`"),
        ("networkCanvasTargetUUID", "networkCanvasUUID of the entry at `to`"),
    ):
        yield _plain("maps_ties", column, label, "code")


def dictionary_rows(
    *,
    dates: DatePolicy,
    participant_fields: Sequence[Field],
    instruments: Sequence[InstrumentLayout],
    fidelity_scales: Sequence[InstrumentLayout] = (),
    maps: bool = False,
    scoring_notes: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, ...]]:
    """Dictionary rows (tuples in DICTIONARY_COLUMNS order) for an export with these parts.

    scoring_notes: extra notes for an instrument's scores, by instrument id: which EQ-5D value set produced
    the index, the unit-cost table, price year and currency of service-use costs.
    """
    notes = scoring_notes or {}
    for field in participant_fields:
        yield _field_row("participants", field)
    if instruments:
        yield from _measure_file_rows("measures", SUBJECT_COLUMNS, dates, instruments, fidelity=False)
        for layout in instruments:
            yield from _instrument_rows(
                layout, file="measures", date_column=dates.column(), extra_notes=notes.get(layout.id, "")
            )
    if fidelity_scales:
        yield from _measure_file_rows(
            "fidelity", FIDELITY_SUBJECT_COLUMNS, dates, fidelity_scales, fidelity=True
        )
        for layout in fidelity_scales:
            yield from _instrument_rows(
                layout, file="fidelity", date_column="day", extra_notes=notes.get(layout.id, "")
            )
    if maps:
        yield from _maps_rows(dates)


def write_dictionary(path: Path, rows: Iterator[tuple[str, ...]]) -> int:
    """Writes the rows to `path` as CSV with a header; returns the number of rows."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(DICTIONARY_COLUMNS)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
