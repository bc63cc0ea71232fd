"""Writing export records to files, one record at a time: long and wide CSV, long and wide Parquet.

Every writer keeps only what the current row (CSV) or the current row group (Parquet, `ROW_GROUP_ROWS` rows)
needs, so memory stays the same whatever the number of rows. Several writers can share one pass over the
records (`write_records`), so a database cursor is read once for all formats.

Long (one row per subject × timepoint × instrument × variable)::

    <subject columns>, timepoint, instrument, version, day | shifted_date, variable, kind, value

Wide (one row per subject × timepoint; columns from the instrument definitions, in the order given)::

    <subject columns>, timepoint, <instrument>_day | <instrument>_shifted_date, <instrument>_<variable>, …

A wide row is complete when the subject or timepoint changes, so wide output needs records ordered by subject
and timepoint (``ORDER BY person, timepoint`` in the query); records out of that order, or two administrations
of one instrument at one timepoint, stop the export (ExportError) rather than being merged or overwritten.

CSV: UTF-8, comma-separated, ``\\n`` line ends, header first; numbers as written by Python (whole numbers
without ``.0``), missing values empty, days as whole numbers, shifted dates as ``YYYY-MM-DD``. Parquet: the
same columns; codes as dictionary-encoded strings, values as float64 (null when missing), days as int32,
shifted dates as date32; zstd-compressed.
"""

from __future__ import annotations

import csv
import io
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any

from .errors import ExportError
from .measures import InstrumentLayout, MeasureRecord

ROW_GROUP_ROWS = 65_536
WIDE_GROUP_CELLS = 1 << 20  # a wide Parquet row group holds at most this many cells (and ROW_GROUP_ROWS rows)
LONG_TAIL = ("timepoint", "instrument", "version")


def number_text(value: object) -> str:
    """A value as CSV text: empty for missing, whole numbers without a decimal point, dates as ISO."""
    if value is None:
        return ""
    kind = type(value)
    if kind is int or kind is str:
        return str(value)
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)  # type: ignore[attr-defined]
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_QUOTE_OR_LINE_END = re.compile(r'["\r\n]')
_REMEMBERED = frozenset({int, float, type(None)})  # types whose texts `Texts` remembers
TEXTS_REMEMBERED = 65_536


class Texts:
    """`number_text` of values, remembering the texts of numbers (most values repeat: codes 0 to 5, totals).

    Only ints, floats and None are remembered: an int and a float that are equal have the same text (1 and
    1.0 are both ``1``), but True, equal to 1, is ``true``."""

    def __init__(self) -> None:
        self.known: dict[object, str] = {None: ""}

    def __call__(self, values: Iterable[object]) -> list[str]:
        get = self.known.get
        return [
            text if (text := get(v)) is not None and type(v) in _REMEMBERED else self.text(v) for v in values
        ]

    def text(self, value: object) -> str:
        text = number_text(value)
        if type(value) in _REMEMBERED and value == value and len(self.known) < TEXTS_REMEMBERED:
            self.known[value] = text
        return text


class RecordTexts:
    """The CSV texts of a record's values, made once for all the CSV writers of one pass (`of`)."""

    def __init__(self) -> None:
        self.texts = Texts()
        self.record: MeasureRecord | None = None
        self.fields: list[str] = []
        self.joined = ""

    def of(self, record: MeasureRecord) -> tuple[list[str], str]:
        """(each value as a CSV field, all of them joined by commas) of `record`'s values."""
        if record is not self.record:
            fields = self.texts(record.values)
            joined = ",".join(fields)
            if joined.count(",") != max(len(fields) - 1, 0) or _QUOTE_OR_LINE_END.search(joined):
                fields = [csv_fields([field]) for field in fields]  # not numbers: quoted as csv would
                joined = ",".join(fields)
            self.record, self.fields, self.joined = record, fields, joined
        return self.fields, self.joined


def csv_line(fields: Sequence[str]) -> str:
    """One CSV line (``\\n``-terminated) exactly as ``csv.writer(file, lineterminator="\\n")`` writes `fields`:
    joined with commas when no field needs quoting (none holds a comma, quote or line end), else by csv."""
    line = ",".join(fields)
    if len(fields) > 1 and line.count(",") == len(fields) - 1 and not _QUOTE_OR_LINE_END.search(line):
        return line + "\n"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


def csv_fields(fields: Sequence[str]) -> str:
    """`fields` as the CSV text they make within a longer row: no line end, and a lone empty field is empty."""
    return csv_line([*fields, ""])[:-2] if fields else ""


def long_header(subject_columns: Sequence[str], date_column: str) -> list[str]:
    return [*subject_columns, *LONG_TAIL, date_column, "variable", "kind", "value"]


def wide_header(
    subject_columns: Sequence[str], date_column: str, layouts: Sequence[InstrumentLayout]
) -> list[str]:
    header = [*subject_columns, "timepoint"]
    for layout in layouts:
        header.append(f"{layout.id}_{date_column}")
        header += [f"{layout.id}_{variable}" for variable in layout.variables]
    if len(set(header)) != len(header):
        repeated = sorted({name for name in header if header.count(name) > 1})
        raise ExportError(f"wide columns {', '.join(repeated)} would appear twice; rename an instrument")
    return header


class WideOrder:
    """Places records, ordered by subject and timepoint, in wide rows: `place` says whether a record starts a
    new row and which instrument's columns (slot) it fills. Records out of that order, two of one instrument
    for one row, or of an instrument the file does not have stop the export (ExportError).

    The wide files of one pass can share one (the same layouts): a record placed twice in a row, once for
    each file, is placed once."""

    def __init__(self, layouts: Sequence[InstrumentLayout]) -> None:
        self.layouts = tuple(layouts)
        self.slots = {layout.id: slot for slot, layout in enumerate(layouts)}
        self.record: MeasureRecord | None = None  # the last record placed, for which files, where
        self.files: list[object] = []
        self.placed = (False, 0)
        self.key: tuple | None = None
        self.filled: list[bool] = []
        # To catch records out of order: subjects finished (one entry per participant, like the roster), and
        # the current subject's timepoints finished.
        self.done_subjects: set[tuple] = set()
        self.done_timepoints: set[str] = set()

    def place(self, record: MeasureRecord, file: object = None) -> tuple[bool, int]:
        """(whether `record` starts a new row, its slot), for `file`: a record placed for one file is placed
        again (so refused as a second administration) if the same file gives it twice."""
        if record is self.record and file not in self.files:
            self.files.append(file)
            return self.placed
        self.record = None  # until placed: a record that was refused is refused again
        self.placed = self._place(record)
        self.record, self.files = record, [file]
        return self.placed

    def _place(self, record: MeasureRecord) -> tuple[bool, int]:
        key = (record.subject, record.timepoint)
        new_row = key != self.key
        if new_row:
            if self.key is not None:
                self.done_timepoints.add(self.key[1])
                if self.key[0] != record.subject:
                    self.done_subjects.add(self.key[0])
                    self.done_timepoints.clear()
            if record.subject in self.done_subjects or record.timepoint in self.done_timepoints:
                raise ExportError(
                    "wide files need rows ordered by participant and timepoint: a participant's timepoint"
                    " came back after other rows"
                )
            self.key = key
            self.filled = [False] * len(self.slots)
        slot = self.slots.get(record.layout.id)
        if slot is None:
            raise ExportError(f"{record.layout.id} is not among the wide file's instruments")
        if self.filled[slot]:
            raise ExportError(
                f"two administrations of {record.layout.id} for one participant at timepoint"
                f" {record.timepoint}: choose one before exporting"
            )
        self.filled[slot] = True
        return new_row, slot


def _order(order: WideOrder | None, layouts: Sequence[InstrumentLayout]) -> WideOrder:
    if order is None:
        return WideOrder(layouts)
    if [layout.id for layout in order.layouts] != [layout.id for layout in layouts]:
        raise ValueError("a shared WideOrder must have the wide file's layouts")
    return order


class _CsvFile:
    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = Path(path)
        self.file: IO[str] = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        self.file.write(csv_line(header))
        self.rows = 0

    def close(self) -> int:
        self.file.close()
        return self.rows


class LongCsv(_CsvFile):
    """measures_long.csv and the like: one row per variable of each record.

    The rows of a record share their first columns, and each layout's rows their ``variable,kind`` part: both
    are made once as CSV text (and the subject's, the timepoint's and the layout's remembered), and each row is
    joined as text: the same bytes as csv.writer writes, faster."""

    def __init__(
        self,
        path: Path,
        *,
        subject_columns: Sequence[str],
        date_column: str,
        record_texts: RecordTexts | None = None,
    ) -> None:
        super().__init__(path, long_header(subject_columns, date_column))
        self.record_texts = record_texts or RecordTexts()
        self.texts = self.record_texts.texts
        # id(layout) -> (layout, "<instrument>,<version>,", ("<variable>,<kind>,", …))
        self.layouts: dict[int, tuple[InstrumentLayout, str, tuple[str, ...]]] = {}
        self.timepoints: dict[str, str] = {}
        self.subject: tuple | None = None
        self.subject_text = ""

    def _layout(self, layout: InstrumentLayout) -> tuple[InstrumentLayout, str, tuple[str, ...]]:
        held = self.layouts.get(id(layout))
        if held is None or held[0] is not layout:
            tails = tuple(
                csv_fields([variable, kind]) + ","
                for variable, kind in zip(layout.variables, layout.kinds, strict=True)
            )
            held = self.layouts[id(layout)] = (layout, csv_fields([layout.id, layout.version]) + ",", tails)
        return held

    def add(self, record: MeasureRecord) -> None:
        held = self.layouts.get(id(record.layout))
        if held is None or held[0] is not record.layout:
            held = self._layout(record.layout)
        _layout, layout_text, tails = held
        subject = record.subject
        if subject is not self.subject:
            self.subject = subject
            self.subject_text = csv_fields(self.texts(subject)) + "," if subject else ""
        timepoint = self.timepoints.get(record.timepoint)  # type: ignore[call-overload]
        if timepoint is None or type(record.timepoint) is not str:
            timepoint = csv_fields(self.texts([record.timepoint])) + ","
            if type(record.timepoint) is str and len(self.timepoints) < TEXTS_REMEMBERED:
                self.timepoints[record.timepoint] = timepoint
        when = record.when
        when_text = str(when) if type(when) is int else csv_fields(self.texts([when]))
        head = f"{self.subject_text}{timepoint}{layout_text}{when_text},"
        values, _joined = self.record_texts.of(record)
        if len(values) != len(tails):
            raise ValueError(f"{record.layout.id}: {len(values)} values for {len(tails)} variables")
        if values:
            self.file.write(head + ("\n" + head).join(map(operator.add, tails, values)) + "\n")
        self.rows += len(values)


class WideCsv(_CsvFile):
    """measures_wide.csv and the like: one row per subject × timepoint.

    A row is kept as CSV text: the subject and timepoint, then for each instrument its date and values (made
    once per record, see `RecordTexts`), or empty fields when it was not given."""

    def __init__(
        self,
        path: Path,
        *,
        subject_columns: Sequence[str],
        date_column: str,
        layouts: Sequence[InstrumentLayout],
        record_texts: RecordTexts | None = None,
        order: WideOrder | None = None,
    ) -> None:
        super().__init__(path, wide_header(subject_columns, date_column, layouts))
        self.order = _order(order, layouts)
        self.record_texts = record_texts or RecordTexts()
        self.texts = self.record_texts.texts
        self.sizes = [len(layout.variables) for layout in layouts]
        self.blanks = [csv_fields([""] * (1 + size)) for size in self.sizes]  # commas only
        self.start = ""  # the subject and timepoint of the row being made
        self.parts: list[str] | None = None

    def add(self, record: MeasureRecord) -> None:
        new_row, slot = self.order.place(record, self)
        if new_row:
            self._write()
            self.start = csv_fields(self.texts([*record.subject, record.timepoint]))
            self.parts = self.blanks.copy()
        assert self.parts is not None
        fields, joined = self.record_texts.of(record)
        if len(fields) != self.sizes[slot]:
            raise ValueError(f"{record.layout.id}: {len(fields)} values for {self.sizes[slot]} variables")
        when = record.when
        when = str(when) if type(when) is int else csv_fields(self.texts([when]))
        self.parts[slot] = f"{when},{joined}" if fields else when

    def _write(self) -> None:
        if self.parts is not None:
            self.file.write(",".join([self.start, *self.parts]) + "\n" if self.parts else self.start + "\n")
            self.rows += 1
            self.parts = None

    def close(self) -> int:
        self._write()
        return super().close()


class _ParquetFile(ABC):
    """Writes buffered rows as row groups of `row_group_rows` rows (a subclass buffers and calls `_flush`)."""

    def __init__(self, path: Path, fields: Sequence[tuple[str, str]], row_group_rows: int) -> None:
        import pyarrow as pa  # only exports that ask for Parquet need pyarrow
        import pyarrow.parquet as pq

        self.pa = pa
        self.path = Path(path)
        types = {"string": pa.string(), "float": pa.float64(), "day": pa.int32(), "date": pa.date32()}
        self.schema = pa.schema([(name, types[kind]) for name, kind in fields])
        self.row_group_rows = row_group_rows
        self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self.rows = 0

    @abstractmethod
    def _arrays(self) -> list[Any]:
        """The buffered rows as one array per column (and the buffer emptied); [] when nothing is buffered."""

    def _flush(self) -> None:
        arrays = self._arrays()
        if not arrays or not len(arrays[0]):
            return
        self.writer.write_table(
            self.pa.Table.from_arrays(arrays, schema=self.schema), row_group_size=self.row_group_rows
        )
        self.rows += len(arrays[0])
        del arrays
        # Arrow's allocator keeps what it freed for later; asked to, it gives it back, and memory stays flat.
        self.pa.default_memory_pool().release_unused()

    def close(self) -> int:
        self._flush()
        self.writer.close()
        return self.rows


class LongParquet(_ParquetFile):
    """measures_long.parquet: the long CSV's columns, typed.

    Buffers each record once (its first columns, its layout and its values), not once per row: at a flush
    the record columns are repeated, and the variable and kind columns taken from the layouts, by Arrow."""

    def __init__(
        self,
        path: Path,
        *,
        subject_columns: Sequence[str],
        date_column: str,
        shifted_dates: bool,
        row_group_rows: int = ROW_GROUP_ROWS,
    ) -> None:
        fields = [(name, "string") for name in (*subject_columns, *LONG_TAIL)]
        fields += [(date_column, "date" if shifted_dates else "day"), ("variable", "string")]
        fields += [("kind", "string"), ("value", "float")]
        super().__init__(path, fields, row_group_rows)
        self.width = len(subject_columns)
        # id(layout) -> (layout, where its variables start in self.variables, its id, its version)
        self.layouts: dict[int, tuple[InstrumentLayout, int, str, str]] = {}
        self.variables: list[str] = []  # every variable of every layout seen, layout after layout
        self.kinds: list[str] = []
        self._empty()

    def _empty(self) -> None:
        self.heads: list[tuple] = []  # per record: subject, timepoint, instrument, version, date
        self.starts: list[int] = []  # per record: where its layout's variables start in self.variables
        self.sizes: list[int] = []  # per record: its rows
        self.values: list[int | float | None] = []  # per row
        self.buffered = 0

    def _layout(self, layout: InstrumentLayout) -> tuple[InstrumentLayout, int, str, str]:
        held = self.layouts[id(layout)] = (layout, len(self.variables), layout.id, layout.version)
        self.variables += layout.variables
        self.kinds += layout.kinds
        return held

    def add(self, record: MeasureRecord) -> None:
        layout = record.layout
        held = self.layouts.get(id(layout))
        if held is None or held[0] is not layout:
            held = self._layout(layout)
        _layout, start, instrument, version = held
        n = len(record.values)
        if n != len(layout.variables):
            raise ValueError(f"{instrument}: {n} values for {len(layout.variables)} variables")
        self.heads.append((*record.subject, record.timepoint, instrument, version, record.when))
        self.starts.append(start)
        self.sizes.append(n)
        self.values += record.values
        self.buffered += n
        if self.buffered >= self.row_group_rows:
            self._flush()

    def _arrays(self) -> list[Any]:
        if not self.buffered:
            self._empty()
            return []
        import numpy as np

        pa = self.pa
        sizes = np.asarray(self.sizes, dtype=np.int64)
        record_of_row = np.repeat(np.arange(len(sizes)), sizes)
        # Row i of a record starting at row r, whose layout's variables start at s: variable s + (i - r).
        first_row = np.cumsum(sizes) - sizes
        variable_of_row = np.repeat(np.asarray(self.starts, dtype=np.int64) - first_row, sizes) + np.arange(
            int(sizes.sum())
        )
        heads, fields = self.heads, list(self.schema)
        arrays = [
            pa.array([head[i] for head in heads], type=fields[i].type).take(record_of_row)
            for i in range(len(heads[0]))
        ]
        for column in (self.variables, self.kinds):
            arrays.append(pa.array(column, type=pa.string()).take(variable_of_row))
        arrays.append(pa.array(self.values, type=fields[-1].type))
        self._empty()
        return arrays


class WideParquet(_ParquetFile):
    """measures_wide.parquet: the wide CSV's columns, typed.

    Buffers, per row, its subject and timepoint and, per instrument, the rows it fills with their dates and
    values; at a flush each instrument's columns are taken from its values by Arrow (null where a row does
    not have it), not assembled value by value. A row group has at most `row_group_rows` rows and about
    `WIDE_GROUP_CELLS` cells, so what is buffered does not grow with the number of instruments either."""

    def __init__(
        self,
        path: Path,
        *,
        subject_columns: Sequence[str],
        date_column: str,
        layouts: Sequence[InstrumentLayout],
        shifted_dates: bool,
        row_group_rows: int = ROW_GROUP_ROWS,
        order: WideOrder | None = None,
    ) -> None:
        header = wide_header(subject_columns, date_column, layouts)
        kinds = ["string"] * (len(subject_columns) + 1)
        for layout in layouts:
            kinds.append("date" if shifted_dates else "day")
            kinds += ["float"] * len(layout.variables)
        row_group_rows = min(row_group_rows, max(1, WIDE_GROUP_CELLS // len(header)))
        super().__init__(path, list(zip(header, kinds, strict=True)), row_group_rows)
        self.order = _order(order, layouts)
        self.sizes = [len(layout.variables) for layout in layouts]
        self.width = len(subject_columns) + 1
        self._empty()

    def _empty(self) -> None:
        self.starts: list[tuple] = []  # per row: subject and timepoint
        self.rows_of: list[list[int]] = [[] for _ in self.sizes]  # per instrument: the rows it fills
        self.whens: list[list[Any]] = [[] for _ in self.sizes]  # per instrument: its dates, by row
        self.values: list[list[Any]] = [[] for _ in self.sizes]  # per instrument: its values, row after row

    def add(self, record: MeasureRecord) -> None:
        new_row, slot = self.order.place(record, self)
        if len(record.values) != self.sizes[slot]:
            raise ValueError(
                f"{record.layout.id}: {len(record.values)} values for {self.sizes[slot]} variables"
            )
        if new_row:
            if len(self.starts) >= self.row_group_rows:
                self._flush()
            start = (*record.subject, record.timepoint)
            if len(start) != self.width:
                raise ValueError(f"a subject of {len(start) - 1} columns, not {self.width - 1}")
            self.starts.append(start)
        self.rows_of[slot].append(len(self.starts) - 1)
        self.whens[slot].append(record.when)
        self.values[slot] += record.values

    def _arrays(self) -> list[Any]:
        starts = self.starts
        if not starts:
            return []
        import numpy as np

        pa = self.pa
        fields = list(self.schema)
        arrays = [pa.array([start[i] for start in starts], type=fields[i].type) for i in range(self.width)]
        column = self.width
        for rows, whens, values, size in zip(self.rows_of, self.whens, self.values, self.sizes, strict=True):
            # For each row, the position of its record among this instrument's records (null: none).
            position = np.zeros(len(starts), dtype=np.int64)
            given = np.zeros(len(starts), dtype=bool)
            position[rows] = np.arange(len(rows))
            given[rows] = True
            missing = ~given
            arrays.append(pa.array(whens, type=fields[column].type).take(pa.array(position, mask=missing)))
            flat = pa.array(values, type=pa.float64())
            for variable in range(size):
                arrays.append(flat.take(pa.array(position * size + variable, mask=missing)))
            column += 1 + size
        self._empty()
        return arrays


def write_records(records: Iterable[MeasureRecord], writers: Sequence[Any]) -> dict[Path, int]:
    """Feeds every record to every writer in one pass, then closes them; {file: rows written}.

    On any error every writer is closed and the error raised: the caller discards the files.
    """
    try:
        for record in records:
            for writer in writers:
                writer.add(record)
    except BaseException:
        for writer in writers:
            try:
                writer.close()
            except Exception:  # noqa: BLE001, S110 - the first error is the one to report
                pass
        raise
    return {writer.path: writer.close() for writer in writers}
