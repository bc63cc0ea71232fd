"""One export of one study: every file written into a new directory, or nothing at all.

`write_export` takes plain iterables of rows (generators over database cursors) and the study key, and writes::

    participants.csv            one row per participant in the export (+ participants.parquet)
    measures_long.csv           one row per participant × timepoint × instrument × item or score
    measures_wide.csv           one row per participant × timepoint, columns from the instrument definitions
    measures_long.parquet       the same as the long CSV, typed, in row groups
    measures_wide.parquet       the same as the wide CSV, typed
    fidelity_*.csv / .parquet   the same four for fidelity ratings of workers and teams (when given)
    maps.csv, maps/…            connections maps: an index, and ego / alter / edge CSV per participant and timepoint
    data_dictionary.csv         every column, generated from the schemas and the instrument definitions
    manifest.json               settings (no key), file row counts, and what was left out, as counts

The files are written into a hidden sibling directory and moved into place only when everything succeeded; on
any error that directory is deleted and the error raised, so a half-written export never appears.
"""

from __future__ import annotations

import csv
import json
import secrets
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from connecting_people.measures.definitions import Instrument

from .dates import AgeForm, DatePolicy
from .dictionary import dictionary_rows, write_dictionary
from .errors import ExportError
from .identifiers import Pseudonyms
from .keys import StudyKey
from .maps import write_maps
from .measures import (
    FIDELITY_SUBJECT_COLUMNS,
    InstrumentLayout,
    MeasureCounts,
    fidelity_measures,
    layouts,
    participant_measures,
)
from .participants import SUBJECT_COLUMNS, Roster
from .schema import Field, FieldType
from .writers import (
    ROW_GROUP_ROWS,
    LongCsv,
    LongParquet,
    RecordTexts,
    WideCsv,
    WideOrder,
    WideParquet,
    number_text,
    write_records,
)

LONG_CSV, WIDE_CSV, LONG_PARQUET, WIDE_PARQUET = "long_csv", "wide_csv", "long_parquet", "wide_parquet"
FORMATS = (LONG_CSV, WIDE_CSV, LONG_PARQUET, WIDE_PARQUET)
MANIFEST_FORMAT = "connecting-people-study-export"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class ExportSettings:
    """What an export looks like. study: the study's internal id; prefix: printed before study IDs."""

    study: str | int
    prefix: str
    dates: DatePolicy = field(default_factory=DatePolicy)
    age: AgeForm = AgeForm.YEARS
    id_characters: int = 10
    formats: Sequence[str] = FORMATS
    participant_fields: Sequence[Field] = ()  # extra allow-listed participant columns (codes, numbers)
    study_start: date | None = None  # fidelity rating days count from here
    scoring_notes: Mapping[str, str] = field(default_factory=dict)  # by instrument id, into the dictionary
    row_group_rows: int = ROW_GROUP_ROWS

    def __post_init__(self) -> None:
        unknown = sorted(set(self.formats) - set(FORMATS))
        if unknown:
            raise ExportError(
                f"unknown export format {', '.join(unknown)} (choose from {', '.join(FORMATS)})"
            )


@dataclass
class ExportReport:
    """What an export wrote and what it left out (counts and key names only), for the manifest and the audit."""

    directory: Path
    key_fingerprint: str
    files: dict[str, int] = field(default_factory=dict)  # relative path -> data rows
    participants: int = 0
    participants_left_out: dict[str, int] = field(default_factory=dict)  # reason -> participants
    rows_left_out: dict[str, int] = field(default_factory=dict)  # "<file>:<reason>" -> rows
    instruments_not_exported: dict[str, int] = field(default_factory=dict)  # instrument id -> administrations
    ignored_input_keys: dict[str, list[str]] = field(default_factory=dict)  # input -> key names not exported

    def manifest(self, settings: ExportSettings) -> dict[str, Any]:
        """The manifest.json content: no key, no personal data, no free text."""
        return {
            "format": MANIFEST_FORMAT,
            "format_version": MANIFEST_VERSION,
            "study_id_prefix": settings.prefix,
            "study_id_characters": settings.id_characters,
            "key_fingerprint": self.key_fingerprint,
            "date_mode": str(settings.dates.mode),
            **({"max_shift_days": settings.dates.max_shift_days} if settings.dates.shifted else {}),
            "age": str(AgeForm(settings.age)),
            "participants": self.participants,
            "participants_left_out": self.participants_left_out,
            "rows_left_out": self.rows_left_out,
            "instruments_not_exported": self.instruments_not_exported,
            "files": self.files,
        }


def _participants_parquet(path: Path, roster: Roster) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        FieldType.STUDY_ID: pa.string(),
        FieldType.CODE: pa.string(),
        FieldType.INTEGER: pa.int64(),
        FieldType.NUMBER: pa.float64(),
        FieldType.BOOLEAN: pa.bool_(),
        FieldType.DAY: pa.int32(),
        FieldType.SHIFTED_DATE: pa.date32(),
        FieldType.AGE: pa.int32() if roster.age is AgeForm.YEARS else pa.string(),
    }
    schema = pa.schema([(f.name, types[f.type]) for f in roster.fields])
    rows = list(roster.rows())
    columns = [pa.array([row[i] for row in rows], type=schema.field(i).type) for i in range(len(schema))]
    pq.write_table(pa.Table.from_arrays(columns, schema=schema), path, compression="zstd")
    return len(rows)


def _measure_writers(
    directory: Path,
    name: str,
    *,
    subject_columns: Sequence[str],
    date_column: str,
    shifted: bool,
    found: Mapping[str, InstrumentLayout],
    settings: ExportSettings,
) -> list[Any]:
    ordered = list(found.values())
    writers: list[Any] = []
    formats = settings.formats
    record_texts = RecordTexts()  # each record's values made CSV text once, for both CSV files
    order = WideOrder(ordered)  # each record placed in its wide row once, for both wide files
    if LONG_CSV in formats:
        writers.append(
            LongCsv(
                directory / f"{name}_long.csv",
                subject_columns=subject_columns,
                date_column=date_column,
                record_texts=record_texts,
            )
        )
    if WIDE_CSV in formats:
        writers.append(
            WideCsv(
                directory / f"{name}_wide.csv",
                subject_columns=subject_columns,
                date_column=date_column,
                layouts=ordered,
                record_texts=record_texts,
                order=order,
            )
        )
    if LONG_PARQUET in formats:
        writers.append(
            LongParquet(
                directory / f"{name}_long.parquet",
                subject_columns=subject_columns,
                date_column=date_column,
                shifted_dates=shifted,
                row_group_rows=settings.row_group_rows,
            )
        )
    if WIDE_PARQUET in formats:
        writers.append(
            WideParquet(
                directory / f"{name}_wide.parquet",
                subject_columns=subject_columns,
                date_column=date_column,
                layouts=ordered,
                shifted_dates=shifted,
                row_group_rows=settings.row_group_rows,
                order=order,
            )
        )
    return writers


def write_export(
    directory: str | Path,
    *,
    key: StudyKey,
    settings: ExportSettings,
    participants: Iterable[Mapping[str, Any]],
    administrations: Iterable[Mapping[str, Any]] = (),
    instruments: Sequence[Instrument] = (),
    fidelity_ratings: Iterable[Mapping[str, Any]] = (),
    fidelity_scales: Sequence[Instrument] = (),
    maps: Iterable[Mapping[str, Any]] | None = None,
) -> ExportReport:
    """Writes one pseudonymised export of a study into `directory`, which must not exist yet.

    participants: rows as described in `participants` (the roster is held in memory: one entry per person).
    administrations: rows as described in `measures`, ordered by person and timepoint when a wide format is
    asked for; only `instruments` (one version each) are exported. fidelity_ratings / fidelity_scales: the
    same for fidelity (needs settings.study_start). maps: rows as described in `maps` (None: no maps files).
    Everything except the participants is streamed: memory does not grow with the number of rows.

    Returns the ExportReport (also written, without the names of ignored input keys, as manifest.json). Raises ExportError
    (nothing written) for bad settings or inputs, StudyKeyError for a bad key, StudyIdCollision.
    """
    if not isinstance(key, StudyKey):
        raise ExportError("the study key must be a StudyKey (see keys.load_study_key), never plain text")
    target = Path(directory)
    if target.exists():
        raise ExportError(f"{target} already exists: exports are written into a new directory")
    if not target.parent.is_dir():
        raise ExportError(f"{target.parent} is not a directory")
    if fidelity_scales and settings.study_start is None:
        raise ExportError("fidelity ratings need the study's start date (settings.study_start)")
    work = target.parent / f".{target.name}.partial-{secrets.token_hex(4)}"
    work.mkdir()
    try:
        report = ExportReport(directory=target, key_fingerprint=key.fingerprint)
        _write_files(
            work,
            report,
            key=key,
            settings=settings,
            participants=participants,
            administrations=administrations,
            instruments=instruments,
            fidelity_ratings=fidelity_ratings,
            fidelity_scales=fidelity_scales,
            maps=maps,
        )
        with open(work / "manifest.json", "w", encoding="utf-8") as file:
            json.dump(report.manifest(settings), file, indent=2, sort_keys=True)
            file.write("\n")
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return report


def _write_files(
    work: Path,
    report: ExportReport,
    *,
    key: StudyKey,
    settings: ExportSettings,
    participants: Iterable[Mapping[str, Any]],
    administrations: Iterable[Mapping[str, Any]],
    instruments: Sequence[Instrument],
    fidelity_ratings: Iterable[Mapping[str, Any]],
    fidelity_scales: Sequence[Instrument],
    maps: Iterable[Mapping[str, Any]] | None,
) -> None:
    pseudonyms = Pseudonyms(
        key, study=settings.study, prefix=settings.prefix, characters=settings.id_characters
    )
    dates = settings.dates
    roster = Roster(
        participants,
        pseudonyms=pseudonyms,
        dates=dates,
        age=settings.age,
        extra_fields=settings.participant_fields,
    )
    report.participants = len(roster)
    report.participants_left_out = {str(reason): count for reason, count in roster.left_out.items()}
    report.ignored_input_keys["participants"] = sorted(roster.ignored_keys)
    wants_parquet = any(f.endswith("parquet") for f in settings.formats)

    with open(work / "participants.csv", "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(roster.header)
        for row in roster.rows():
            writer.writerow([number_text(value) for value in row])
    report.files["participants.csv"] = len(roster)
    if wants_parquet:
        report.files["participants.parquet"] = _participants_parquet(work / "participants.parquet", roster)

    measure_layouts = layouts(instruments)
    counts = MeasureCounts(Counter(), set())
    if measure_layouts:
        writers = _measure_writers(
            work,
            "measures",
            subject_columns=SUBJECT_COLUMNS,
            date_column=dates.column(),
            shifted=dates.shifted,
            found=measure_layouts,
            settings=settings,
        )
        records = participant_measures(
            administrations, roster=roster, instruments=measure_layouts, counts=counts
        )
        for path, rows in write_records(records, writers).items():
            report.files[path.name] = rows
        report.ignored_input_keys["administrations"] = sorted(counts.ignored_keys)

    scale_layouts = layouts(fidelity_scales)
    if scale_layouts:
        study_start = settings.study_start
        assert study_start is not None  # checked by write_export
        fidelity_counts = MeasureCounts(counts.instruments_not_exported, set())
        writers = _measure_writers(
            work,
            "fidelity",
            subject_columns=FIDELITY_SUBJECT_COLUMNS,
            date_column="day",
            shifted=False,
            found=scale_layouts,
            settings=settings,
        )
        records = fidelity_measures(
            fidelity_ratings,
            pseudonyms=pseudonyms,
            scales=scale_layouts,
            study_start=study_start,
            counts=fidelity_counts,
        )
        for path, rows in write_records(records, writers).items():
            report.files[path.name] = rows
        report.ignored_input_keys["fidelity_ratings"] = sorted(fidelity_counts.ignored_keys)
    report.instruments_not_exported = dict(sorted(counts.instruments_not_exported.items()))

    if maps is not None:
        ignored: set[str] = set()
        written, files = write_maps(
            maps, work, roster=roster, pseudonyms=pseudonyms, dates=dates, ignored_keys=ignored
        )
        report.files["maps.csv"] = written
        report.files["maps/"] = files
        report.ignored_input_keys["maps"] = sorted(ignored)

    report.rows_left_out = {
        f"{file}:{reason}": count for (file, reason), count in sorted(roster.dropped_rows.items())
    }
    report.files["data_dictionary.csv"] = write_dictionary(
        work / "data_dictionary.csv",
        dictionary_rows(
            dates=dates,
            participant_fields=roster.fields,
            instruments=list(measure_layouts.values()),
            fidelity_scales=list(scale_layouts.values()),
            maps=maps is not None,
            scoring_notes=settings.scoring_notes,
        ),
    )
