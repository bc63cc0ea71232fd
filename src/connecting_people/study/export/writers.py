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
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any

from .errors import ExportError
from .measures import InstrumentLayout, MeasureRecord

ROW_GROUP_ROWS = 65_536
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


class _WideRows:
    """Assembles wide rows from records ordered by subject and timepoint."""

    def __init__(self, subject_width: int, layouts: Sequence[InstrumentLayout]) -> None:
        self.subject_width = subject_width
        self.offsets: dict[str, tuple[int, InstrumentLayout]] = {}
        start = subject_width + 1
        for layout in layouts:
            self.offsets[layout.id] = (start, layout)
            start += 1 + len(layout.variables)
        self.width = start
        self.key: tuple | None = None
        self.row: list[Any] | None = None
        # To catch records out of order: subjects finished (one entry per participant, like the roster), and
        # the current subject's timepoints finished.
        self.done_subjects: set[tuple] = set()
        self.done_timepoints: set[str] = set()

    def add(self, record: MeasureRecord) -> list[Any] | None:
        """Adds `record`; returns the previous row when this record starts a new one."""
        key = (record.subject, record.timepoint)
        finished = None
        if key != self.key:
            finished = self.finish()
            if self.key is not None and self.key[0] != record.subject:
                self.done_subjects.add(self.key[0])
                self.done_timepoints.clear()
            if record.subject in self.done_subjects or record.timepoint in self.done_timepoints:
                raise ExportError(
                    "wide files need rows ordered by participant and timepoint: a participant's timepoint"
                    " came back after other rows"
                )
            self.key = key
            self.row = [*record.subject, record.timepoint, *([None] * (self.width - self.subject_width - 1))]
        try:
            start, layout = self.offsets[record.layout.id]
        except KeyError:
            raise ExportError(f"{record.layout.id} is not among the wide file's instruments") from None
        row = self.row
        assert row is not None
        if row[start] is not None:
            raise ExportError(
                f"two administrations of {layout.id} for one participant at timepoint {record.timepoint}:"
                " choose one before exporting"
            )
        row[start] = record.when
        row[start + 1 : start + 1 + len(record.values)] = record.values
        return finished

    def finish(self) -> list[Any] | None:
        """The row being assembled (None when there is none); the next record starts a new row."""
        row, self.row = self.row, None
        if self.key is not None:
            self.done_timepoints.add(self.key[1])
        return row


class _CsvFile:
    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = Path(path)
        self.file: IO[str] = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        self.writer = csv.writer(self.file, lineterminator="\n")
        self.writer.writerow(header)
        self.rows = 0

    def close(self) -> int:
        self.file.close()
        return self.rows


class LongCsv(_CsvFile):
    """measures_long.csv and the like: one row per variable of each record."""

    def __init__(self, path: Path, *, subject_columns: Sequence[str], date_column: str) -> None:
        super().__init__(path, long_header(subject_columns, date_column))

    def add(self, record: MeasureRecord) -> None:
        layout = record.layout
        prefix = (*record.subject, record.timepoint, layout.id, layout.version, number_text(record.when))
        self.writer.writerows(
            [
                (*prefix, variable, kind, number_text(value))
                for variable, kind, value in zip(layout.variables, layout.kinds, record.values, strict=True)
            ]
        )
        self.rows += len(record.values)


class WideCsv(_CsvFile):
    """measures_wide.csv and the like: one row per subject × timepoint."""

    def __init__(
        self,
        path: Path,
        *,
        subject_columns: Sequence[str],
        date_column: str,
        layouts: Sequence[InstrumentLayout],
    ) -> None:
        super().__init__(path, wide_header(subject_columns, date_column, layouts))
        self.assembler = _WideRows(len(subject_columns), layouts)

    def add(self, record: MeasureRecord) -> None:
        row = self.assembler.add(record)
        if row is not None:
            self._write(row)

    def _write(self, row: list[Any]) -> None:
        self.writer.writerow([number_text(value) for value in row])
        self.rows += 1

    def close(self) -> int:
        row = self.assembler.finish()
        if row is not None:
            self._write(row)
        return super().close()


class _ParquetFile:
    """Buffers columns of up to `row_group_rows` rows and writes each full buffer as one row group."""

    def __init__(self, path: Path, fields: Sequence[tuple[str, str]], row_group_rows: int) -> None:
        import pyarrow as pa  # only exports that ask for Parquet need pyarrow
        import pyarrow.parquet as pq

        self.pa = pa
        self.path = Path(path)
        types = {"string": pa.string(), "float": pa.float64(), "day": pa.int32(), "date": pa.date32()}
        self.schema = pa.schema([(name, types[kind]) for name, kind in fields])
        self.row_group_rows = row_group_rows
        self.columns: list[list[Any]] = [[] for _ in fields]
        self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self.rows = 0

    def _flush(self) -> None:
        if not self.columns[0]:
            return
        pa = self.pa
        arrays = [pa.array(values, type=f.type) for values, f in zip(self.columns, self.schema, strict=True)]
        self.writer.write_table(
            pa.Table.from_arrays(arrays, schema=self.schema), row_group_size=self.row_group_rows
        )
        self.rows += len(self.columns[0])
        self.columns = [[] for _ in self.columns]

    def close(self) -> int:
        self._flush()
        self.writer.close()
        return self.rows


class LongParquet(_ParquetFile):
    """measures_long.parquet: the long CSV's columns, typed."""

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

    def add(self, record: MeasureRecord) -> None:
        n = len(record.values)
        layout = record.layout
        columns = self.columns
        for index, value in enumerate(
            (*record.subject, record.timepoint, layout.id, layout.version, record.when)
        ):
            columns[index].extend([value] * n)
        columns[-3].extend(layout.variables)
        columns[-2].extend(layout.kinds)
        columns[-1].extend(record.values)
        if len(columns[0]) >= self.row_group_rows:
            self._flush()


class WideParquet(_ParquetFile):
    """measures_wide.parquet: the wide CSV's columns, typed."""

    def __init__(
        self,
        path: Path,
        *,
        subject_columns: Sequence[str],
        date_column: str,
        layouts: Sequence[InstrumentLayout],
        shifted_dates: bool,
        row_group_rows: int = ROW_GROUP_ROWS,
    ) -> None:
        header = wide_header(subject_columns, date_column, layouts)
        kinds = ["string"] * (len(subject_columns) + 1)
        for layout in layouts:
            kinds.append("date" if shifted_dates else "day")
            kinds += ["float"] * len(layout.variables)
        super().__init__(path, list(zip(header, kinds, strict=True)), row_group_rows)
        self.assembler = _WideRows(len(subject_columns), layouts)

    def _append(self, row: list[Any]) -> None:
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)
        if len(self.columns[0]) >= self.row_group_rows:
            self._flush()

    def add(self, record: MeasureRecord) -> None:
        row = self.assembler.add(record)
        if row is not None:
            self._append(row)

    def close(self) -> int:
        row = self.assembler.finish()
        if row is not None:
            self._append(row)
        return super().close()


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
