"""Scoring a CSV file of responses in chunks, for ``connecting-people score INSTRUMENT --csv FILE``.

The file has a header row; the columns named by item id hold the answers (for a repeated item such as GAS
goals: ``goal1``, ``goal2`` … with no gaps), any other columns are passed through. The output is the input
columns followed by the score columns (see `score_columns`), one output row per accepted input row.

The file is read CHUNK_ROWS lines at a time (fewer when they come to more than CHUNK_CHARS characters), so
memory does not grow with the file, nor with the length of its lines: a line longer than MAX_LINE_CHARS or a
header of more than MAX_COLUMNS columns is refused (CsvInputError) without being held whole. Each chunk is
parsed and scored with whole-array operations; only rejected rows get a line of Python each (for their
message):

* A chunk without a double quote is split on commas directly, and each accepted line is written back out
  exactly as it came in, followed by its scores.
* A chunk with a double quote (quoted fields, perhaps across lines) goes through the ``csv`` module, and its
  rows are written with ``csv.writer``.

Answers are converted to numbers through a table of the distinct texts in each column of a chunk (a column
of codes holds a handful of distinct texts), which is many times faster than converting every cell.

Rows are numbered two ways in messages: ``line L`` is the line of the file where the row starts (the
header is line 1) and ``row R`` is the data row (the first row after the header is row 1; empty lines are
skipped and not counted).

No Django here: the caller passes the instrument, the scoring options and the two writers.
"""

from __future__ import annotations

import csv
import io
import json
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress, repeat
from typing import Any, TextIO

import numpy as np

from ..definitions import Instrument
from ..errors import AnswerError, MeasuresError
from ..scoring import MISSING_OUTCOMES, BatchResult, invalid_cells, score_batch, score_ranges
from ..scoring.result import INTEGER, STATE

CHUNK_ROWS = 50_000
CHUNK_CHARS = 2_000_000  # a chunk of 50,000 ordinary rows is about 1 MB; long rows make shorter chunks
MAX_LINE_CHARS = 1_000_000  # one line of the file: a row of a few thousand answers fits many times over
MAX_COLUMNS = 10_000
READ_CHARS = 1_000_000  # read from the file at a time
MAX_LISTED = 20  # rejected lines named in the summary; every one is reported as it is found


class CsvInputError(MeasuresError):
    """The file cannot be scored at all (no header, a required column absent, a clashing column name)."""


@dataclass
class CsvSummary:
    scored: int = 0
    rejected: int = 0
    rejected_lines: list[int] = field(default_factory=list)

    def text(self) -> str:
        total = self.scored + self.rejected
        if not self.rejected:
            return f"scored {self.scored} row{_s(self.scored)}"
        lines = ", ".join(map(str, self.rejected_lines[:MAX_LISTED]))
        more = f" and {self.rejected - MAX_LISTED} more" if self.rejected > MAX_LISTED else ""
        return (
            f"{self.rejected} of {total} row{_s(total)} rejected (line{_s(self.rejected)} {lines}{more}); "
            f"{self.scored} row{_s(self.scored)} scored"
        )


@dataclass(frozen=True)
class ScoreColumn:
    """One output column: its name and how to take its text from a BatchResult."""

    name: str
    source: str  # "total", "band", "subscale", "derived", "bands", "info", "missing", "outcome"
    key: str = ""


def score_columns(instrument: Instrument, layout: BatchResult) -> list[ScoreColumn]:
    """The score columns written after the input columns, in order.

    ``total`` (when the scoring type has one), ``band`` (when the total has bands, or the category of a
    one-question measure), each subscale and its ``<id>_band``, each derived score and its ``<id>_band``
    (a derived score that repeats an answer, like the EQ VAS, is left out: the input column has it),
    facts that hold for the whole file (``value_set`` for EQ-5D-5L; unit-cost table facts for CSRI),
    ``missing`` (ids of unanswered items, separated by spaces) and ``missing_outcome`` (no-missing,
    scored-with-missing or not-scored).
    """
    columns: list[ScoreColumn] = []
    if "total" in score_ranges(instrument):
        columns.append(ScoreColumn("total", "total"))
    if "total" in layout.bands:
        columns.append(ScoreColumn("band", "bands", "total"))
    for name in layout.subscales:
        columns.append(ScoreColumn(name, "subscale", name))
        if name in layout.bands:
            columns.append(ScoreColumn(f"{name}_band", "bands", name))
    for name in layout.derived:
        if name in instrument.item_ids:
            continue
        columns.append(ScoreColumn(name, "derived", name))
        if name in layout.bands:
            columns.append(ScoreColumn(f"{name}_band", "bands", name))
    for name in layout.info:
        columns.append(ScoreColumn(name, "info", name))
    columns.append(ScoreColumn("missing", "missing"))
    columns.append(ScoreColumn("missing_outcome", "outcome"))
    return columns


def score_csv(
    instrument: Instrument,
    handle: TextIO,
    write_out: Callable[[str], Any],
    write_err: Callable[[str], Any],
    *,
    options: dict[str, Any] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> CsvSummary:
    """Score every row of the CSV text in `handle`, writing CSV text to `write_out` chunk by chunk.

    `handle` should be opened with ``newline=""``. Each rejected row is reported to `write_err` (one line,
    ending in a newline) and left out of the output. Raises CsvInputError before writing anything when the
    header is unusable, and MeasuresError subclasses for bad scoring options. Returns the counts.
    """
    return _CsvScorer(instrument, options or {}, write_out, write_err, chunk_rows).run(BoundedLines(handle))


class BoundedLines:
    """The lines of a text file opened with ``newline=""``, exactly as iterating over it gives them, read
    `read_chars` characters at a time so that a line longer than `max_line` characters is refused
    (CsvInputError, naming its line) without ever being held whole.

    Iterate for one line at a time, or `take` a chunk of many at once (split and measured in C, not line by
    line in Python)."""

    def __init__(self, handle: TextIO, *, max_line: int = MAX_LINE_CHARS, read_chars: int = READ_CHARS) -> None:
        self.read = handle.read
        self.max_line = max_line
        self.read_chars = read_chars
        self.lines: list[str] = []  # the lines read and not yet handed out start at `at`
        self.at = 0
        self.carry = ""  # a line whose end has not been read yet
        self.before = 0  # lines of the file before `lines`
        self.ended = False

    def __iter__(self) -> BoundedLines:
        return self

    def __next__(self) -> str:
        if self.at >= len(self.lines) and not self._fill():
            raise StopIteration
        self.at += 1
        return self.lines[self.at - 1]

    def take(self, rows: int, chars: int) -> list[str]:
        """Up to `rows` lines, stopping before they come to more than `chars` characters (but always at least
        one line, if any is left)."""
        taken: list[str] = []
        size = 0
        while len(taken) < rows and self._fill():
            piece = self.lines[self.at : self.at + rows - len(taken)]
            fits = bisect_right(list(accumulate(map(len, piece))), chars - size)
            if fits == 0 and taken:
                break
            fits = max(fits, 1)
            taken += piece[:fits]
            size += sum(map(len, piece[:fits]))
            self.at += fits
            if fits < len(piece):
                break
        return taken

    def _fill(self) -> bool:
        """Lines to hand out from `at` on; False at the end of the file."""
        while self.at >= len(self.lines):
            if self.ended:
                return False
            text = self.read(self.read_chars)
            self.before += len(self.lines)
            self.at = 0
            if not text:
                self.ended = True
                self.lines, self.carry = ([self.carry] if self.carry else []), ""
                continue
            # StringIO with newline="" splits lines as file iteration does (\n, \r\n, a lone \r).
            lines = io.StringIO(self.carry + text, newline="").readlines()
            # The last line runs on into the next read unless it ended with \n (a \r may be half of \r\n).
            self.carry = "" if lines[-1].endswith("\n") else lines.pop()
            longest = max(map(len, lines), default=0)
            if longest > self.max_line:
                self._refuse(self.before + list(map(len, lines)).index(longest) + 1)
            if len(self.carry) > self.max_line:
                self._refuse(self.before + len(lines) + 1)
            self.lines = lines
        return True

    def _refuse(self, line: int) -> None:
        raise CsvInputError(f"line {line} is longer than {self.max_line:,} characters")


# ---------------------------------------------------------------------------------------------------- internals


@dataclass
class _Chunk:
    """A parsed chunk: the records with the right number of fields, and the ones rejected for their count."""

    answers: list[list[str]]  # per item column: the texts of the accepted-count records
    starts: np.ndarray  # file line of each accepted-count record
    rows: np.ndarray  # data row number of each accepted-count record
    keep_source: list  # per accepted-count record: the raw line (fast path) or list of fields (csv path)
    problems: list[tuple[int, str]]  # (line, message) for records rejected for their field count
    n_records: int
    quoted: bool


class _CsvScorer:
    def __init__(
        self,
        instrument: Instrument,
        options: dict[str, Any],
        write_out: Callable[[str], Any],
        write_err: Callable[[str], Any],
        chunk_rows: int,
    ) -> None:
        self.instrument = instrument
        self.options = options
        self.write_out = write_out
        self.write_err = write_err
        self.chunk_rows = max(1, int(chunk_rows))
        self.summary = CsvSummary()
        self.next_line = 1  # file line number of the next line read
        self.rows_before = 0  # data rows before the current chunk

    # ---------------------------------------------------------------- header

    def run(self, lines: BoundedLines) -> CsvSummary:
        # The reader takes only the header's lines (more than one if a quoted name runs across lines).
        reader = csv.reader(lines, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as error:
            raise CsvInputError(f"line 1: the header is not valid CSV ({error})") from None
        if header is None:
            raise CsvInputError("the file is empty: expected a header row naming the items")
        self.next_line += reader.line_num
        if len(header) > MAX_COLUMNS:
            raise CsvInputError(f"the header has {len(header):,} columns; at most {MAX_COLUMNS:,} are read")
        if header:
            header[0] = header[0].removeprefix("\ufeff")
        names = [name.strip() for name in header]
        self.width = len(names)
        self.item_columns, self.answer_ids = self._item_columns(names)
        k = len(self.item_columns)
        layout = score_batch(self.instrument, np.empty((0, k)), validate=False, **self.options)
        self.columns = score_columns(self.instrument, layout)
        clashes = [c.name for c in self.columns if c.name in names]
        if clashes:
            raise CsvInputError(
                f"input column {clashes[0]!r} has the name of a score column; rename or remove it "
                f"(score columns: {', '.join(c.name for c in self.columns)})"
            )
        self.items = [self.instrument.answer_item(j) for j in range(k)]
        self.write_out(_join_escaped([*header, *(c.name for c in self.columns)]) + "\n")
        while True:
            raw = lines.take(self.chunk_rows, CHUNK_CHARS)
            if not raw:
                break
            self._chunk(raw, lines)
        return self.summary

    def _item_columns(self, names: list[str]) -> tuple[list[int], tuple[str, ...]]:
        instrument = self.instrument
        position: dict[str, int] = {}
        for index, name in enumerate(names):
            position.setdefault(name, index)
        if instrument.repeat is not None:
            possible = instrument.answer_ids()
            count = 0
            while count < len(possible) and possible[count] in position:
                count += 1
            later = [name for name in possible[count:] if name in position]
            if count < instrument.repeat.minimum or later:
                raise CsvInputError(
                    f"expected columns {possible[0]}, {possible[1]} … (from {instrument.repeat.minimum} "
                    f"to {instrument.repeat.maximum}, without gaps) for {instrument.id}; "
                    + (f"found {later[0]} without {possible[count]}" if later else f"no {possible[count]}")
                )
            ids = possible[:count]
        else:
            ids = instrument.item_ids
            absent = [item_id for item_id in ids if item_id not in position]
            if absent:
                raise CsvInputError(
                    f"missing column{_s(len(absent))} {', '.join(absent)}: {instrument.id} needs a column "
                    f"for each item ({', '.join(ids)})"
                )
        for item_id in ids:
            if names.count(item_id) > 1:
                raise CsvInputError(f"column {item_id!r} appears more than once in the header")
        return [position[item_id] for item_id in ids], ids

    # ---------------------------------------------------------------- chunks

    def _chunk(self, raw: list[str], lines: Iterator[str]) -> None:
        text = "".join(raw)
        if '"' in text:
            chunk, n_lines = self._parse_quoted(raw, lines)
        else:
            chunk, n_lines = self._parse_plain(text), len(raw)
        self.next_line += n_lines
        self._score(chunk)
        self.rows_before += chunk.n_records

    def _parse_plain(self, text: str) -> _Chunk:
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.removesuffix("\n").split("\n")
        starts = np.arange(self.next_line, self.next_line + len(lines))
        filled = np.fromiter(map(bool, lines), dtype=bool, count=len(lines))
        if not filled.all():
            lines = list(compress(lines, filled))
            starts = starts[filled]
        n = len(lines)
        rows = np.arange(self.rows_before + 1, self.rows_before + n + 1)
        counts = np.fromiter(map(str.count, lines, repeat(",", n)), dtype=np.int64, count=n) + 1
        right = counts == self.width
        problems = self._count_problems(right, counts, starts, rows)
        if not right.all():
            lines = list(compress(lines, right))
            starts, rows = starts[right], rows[right]
        fields = ",".join(lines).split(",") if lines else []
        answers = [fields[j :: self.width] for j in self.item_columns]
        return _Chunk(answers, starts, rows, lines, problems, n, quoted=False)

    def _parse_quoted(self, raw: list[str], lines: Iterator[str]) -> tuple[_Chunk, int]:
        """Parse the chunk with the csv module; returns the chunk and how many lines it took.

        A quoted field running past the chunk's last line is read to its end: the reader takes further lines
        only to finish a record, and the csv module's field size limit stops a quote that never closes. A
        record the csv module refuses is rejected, and reading goes on with the next line.
        """
        reader = csv.reader(chain(raw, lines), strict=True)
        records: list[list[str]] = []
        starts: list[int] = []
        refused: dict[int, str] = {}  # record index -> what the csv module said
        while reader.line_num < len(raw):
            start = self.next_line + reader.line_num
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                refused[len(records)] = f"not valid CSV ({error})"
                record = ["<refused>"]  # any non-empty record: counted as a row, rejected below
            if record:  # an empty line gives an empty record: skipped, not a row
                records.append(record)
                starts.append(start)
        n = len(records)
        start_array = np.array(starts, dtype=np.int64)
        rows = np.arange(self.rows_before + 1, self.rows_before + n + 1)
        counts = np.fromiter(map(len, records), dtype=np.int64, count=n)
        right = counts == self.width
        for index in refused:
            right[index] = True  # reported below with what the csv module said, not its field count
        problems = self._count_problems(right, counts, start_array, rows)
        for index, problem in refused.items():
            right[index] = False
            problems.append(
                (int(start_array[index]), f"line {start_array[index]} (row {rows[index]}): {problem}")
            )
        if not right.all():
            records = list(compress(records, right))
            start_array, rows = start_array[right], rows[right]
        answers = [[record[j] for record in records] for j in self.item_columns]
        return _Chunk(answers, start_array, rows, records, problems, n, quoted=True), reader.line_num

    def _count_problems(
        self, right: np.ndarray, counts: np.ndarray, starts: np.ndarray, rows: np.ndarray
    ) -> list[tuple[int, str]]:
        return [
            (
                int(starts[i]),
                f"line {starts[i]} (row {rows[i]}): {counts[i]} field{_s(int(counts[i]))}; expected "
                f"{self.width}, one per header column",
            )
            for i in np.flatnonzero(~right)
        ]

    def _score(self, chunk: _Chunk) -> None:
        n = len(chunk.starts)
        k = len(self.item_columns)
        values = np.empty((n, k), dtype=np.float64)
        not_numbers = np.zeros((n, k), dtype=bool)
        for j, texts in enumerate(chunk.answers):
            values[:, j], bad = _numbers(texts)
            if bad is not None:
                not_numbers[:, j] = bad
        wrong = invalid_cells(self.instrument, values) | not_numbers
        rejected = wrong.any(axis=1)
        problems = list(chunk.problems)
        for i in np.flatnonzero(rejected):
            cells = "; ".join(
                str(AnswerError(self.answer_ids[j], chunk.answers[j][i], self.items[j].allowed_text()))
                for j in np.flatnonzero(wrong[i])
            )
            problems.append((int(chunk.starts[i]), f"line {chunk.starts[i]} (row {chunk.rows[i]}): {cells}"))
        if problems:
            problems.sort()
            self.write_err("".join(message + "\n" for _, message in problems))
            self.summary.rejected += len(problems)
            self.summary.rejected_lines.extend(line for line, _ in problems[: MAX_LISTED * 2])
            del self.summary.rejected_lines[MAX_LISTED:]

        keep = ~rejected
        source = chunk.keep_source
        if rejected.any():
            values = values[keep]
            source = list(compress(source, keep))
        if not len(values):
            return
        result = score_batch(self.instrument, values, validate=False, **self.options)
        self.summary.scored += len(values)
        texts = [self._column_text(column, result, quoted=chunk.quoted) for column in self.columns]
        if chunk.quoted:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerows(
                [*record, *scores] for record, scores in zip(source, zip(*texts, strict=True), strict=True)
            )
            self.write_out(buffer.getvalue())
        else:
            self.write_out("\n".join(map(",".join, zip(source, *texts, strict=True))) + "\n")

    def _column_text(self, column: ScoreColumn, result: BatchResult, *, quoted: bool) -> list[str]:
        """The column's text for each row (CSV-escaped unless the csv module writes it)."""
        escape = _identity if quoted else _escape
        n = len(result)
        if column.source in ("total", "subscale", "derived"):
            values = {
                "total": result.total,
                "subscale": result.subscales.get(column.key),
                "derived": result.derived.get(column.key),
            }[column.source]
            return _number_texts(values, result.kinds.get(column.key or "total", ""))
        if column.source == "bands":
            labels = result.bands[column.key].tolist()
            table = {label: "" if label is None else escape(str(label)) for label in set(labels)}
            return list(map(table.__getitem__, labels))
        if column.source == "info":
            value = result.info[column.key]
            return [escape(value if isinstance(value, str) else json.dumps(value))] * n
        if column.source == "outcome":
            names = np.array([escape(name) for name in MISSING_OUTCOMES], dtype=object)
            return names[result.outcome].tolist()
        # "missing": the unanswered items' ids, separated by spaces
        ids = result.answer_ids
        missing = result.missing
        if not missing.any():
            return [""] * n
        if missing.shape[1] <= 62:
            codes = missing.astype(np.int64) @ (np.int64(1) << np.arange(missing.shape[1], dtype=np.int64))
            unique, inverse = np.unique(codes, return_inverse=True)
            patterns = [[bool(code >> j & 1) for j in range(len(ids))] for code in unique.tolist()]
        else:
            unique_rows, inverse = np.unique(missing, axis=0, return_inverse=True)
            patterns = unique_rows.tolist()
        texts = np.array([escape(" ".join(compress(ids, pattern))) for pattern in patterns], dtype=object)
        return texts[inverse.reshape(-1)].tolist()


def _numbers(texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """Numbers for the texts (NaN for empty = missing), and where the text was not a number (or None)."""
    table: dict[str, float] = {}
    not_numbers: set[str] = set()
    for text in set(texts):
        stripped = text.strip()
        if not stripped:
            table[text] = np.nan
            continue
        try:
            number = float(stripped)
        except ValueError:
            number = np.nan
        if number != number:  # not a number, including the text "nan", which is not a missing answer
            not_numbers.add(text)
        table[text] = number
    values = np.fromiter(map(table.__getitem__, texts), dtype=np.float64, count=len(texts))
    if not not_numbers:
        return values, None
    return values, np.fromiter(map(not_numbers.__contains__, texts), dtype=bool, count=len(texts))


def _number_texts(values: np.ndarray, kind: str) -> list[str]:
    """Text of each number as the JSON output gives it; empty where there is no score (NaN)."""
    unique, inverse = np.unique(values, return_inverse=True)
    if kind in (INTEGER, STATE):
        texts = ["" if v != v else str(int(round(v))) for v in unique.tolist()]
    else:
        texts = ["" if v != v else repr(float(v)) for v in unique.tolist()]
    return np.array(texts, dtype=object)[inverse.reshape(-1)].tolist()


def _escape(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _identity(text: str) -> str:
    return text


def _join_escaped(fields: list[str]) -> str:
    return ",".join(map(_escape, fields))


def _s(count: int) -> str:
    return "" if count == 1 else "s"
