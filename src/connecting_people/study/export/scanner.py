"""The identifier scanner: the last check before an export leaves, and the test that every export passes.

It reads every file of an export (CSV, Parquet, JSON; any other file is itself a finding) and reports each
cell that looks like a direct identifier. A finding names the file, row, column and rule, never the value, so
the report can be logged and shown without repeating what it found.

Rules (a cell may break several):

``name``           a letter word equal (ignoring case) to a word of a known name (given or family), in a
                   column that is not prose; in a prose column (the dictionary's labels and notes), a known
                   full name (two or more of its words in a row, either order). Single words are not checked
                   in prose because names such as Hope, Grace or May are also ordinary words. Nor are words of
                   the export's own vocabulary when written in lower case as our ids are (``day`` in
                   ``withdrawal_day`` is not Mr Day; ``Day`` in a code column is): the vocabulary is every word
                   of the column headers, of the dictionary's file, variable, item and type columns, of the
                   connections-map codes, and any the caller adds (site, team, arm and timepoint codes).
                   Column headers themselves are not checked for names.
``nhs-number``     ten digits, alone or as 3-3-4 with spaces or hyphens, passing the modulus-11 check.
``date-of-birth``  a date (ISO, day/month/year with / . or -, "1 March 1980", or eight digits YYYYMMDD) equal
                   to a known date of birth, read day-first and month-first.
``full-date``      any such date outside the columns allowed to hold (shifted) dates.
``postcode``       a UK postcode, with or without its space, standing alone (not inside a hyphenated code).
``email``          an email address.
``phone``          a UK phone number: 0 or +44 followed by 9 or 10 more digits, spaces and hyphens allowed.
``free-text``      in a column that is not prose: two or more words separated by white space, or more than
                   64 characters.

Cells that are wholly a study ID of this project's form or a UUID are machine identifiers and are skipped.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from nhs_number import is_valid as nhs_number_is_valid

from connecting_people.connections.domain import Category, Frequency, Kind, Ring, Support, Wish

from .dictionary import TEXT_COLUMNS
from .identifiers import STUDY_ID_PATTERN

# File name pattern -> columns in which prose is expected (a fixed protocol name; the dictionary's texts).
PROSE_COLUMNS: Mapping[str, frozenset[str]] = {
    "data_dictionary.csv": frozenset(TEXT_COLUMNS),
    "*_ego.csv": frozenset({"networkCanvasProtocolName"}),
}
# Columns that may hold (shifted) dates in shifted mode.
SHIFTED_DATE_COLUMN = re.compile(r"(?:^|_)shifted_date$")
LONGEST_CODE = 64
# Words of the export's own codes that are not in any header (values of the map files).
BUILT_IN_VOCABULARY = " ".join(
    member.value for enum in (Category, Frequency, Kind, Ring, Support, Wish) for member in enum
)
DICTIONARY_NAME = "data_dictionary.csv"
DICTIONARY_ID_COLUMNS = ("file", "variable", "instrument", "item_or_score", "type")
_CACHE_LIMIT = 200_000
FAST_CSV_BYTES = 1 << 20  # CSV files this big or bigger are first checked column by column (`_csv_clean`)
CSV_BLOCK_BYTES = 1 << 21
SCAN_BATCH_CELLS = 1 << 20  # Parquet rows are read this many cells at a time (at most 65,536 rows)


def _batch_rows(columns: int) -> int:
    return max(1, min(65_536, SCAN_BATCH_CELLS // max(1, columns)))


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_WORD = re.compile(r"(?<![^\W_])[^\W\d_]+(?:['’][^\W\d_]+)?(?![^\W_])")
_TWO_WORDS = re.compile(r"[^\W\d_]{2,}\s+[^\W\d_]{2,}")
_NHS = re.compile(r"(?<![\d.])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])(?!\.\d)")
_PHONE = re.compile(r"(?<![\d.+])(?:\+44[ -]?(?:\(0\)[ -]?)?|0)\d(?:[ -]?\d){8,9}(?!\d)(?!\.\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_POSTCODE = re.compile(
    r"(?:^|(?<=[\s,;(]))(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})(?=$|[\s,;)])",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_NUMERIC_DATE = re.compile(r"(?<![\d.:])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d])")
_WORDED_DATE = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})(?!\d)")
_COMPACT_DATE = re.compile(r"(?:19|20)\d{6}")
_PLAIN_NUMBER = re.compile(r"[-+]?\d{1,7}(?:\.\d+)?(?:e[-+]?\d+)?")


@dataclass(frozen=True)
class Finding:
    """One cell that looks like an identifier: where it is and which rule it breaks (never the value)."""

    file: str
    row: int  # 1-based data row (0 for the header; for JSON, 0)
    column: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, column {self.column}: {self.rule}"


def _valid_date(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 1900 if year > 30 else 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def dates_in(text: str) -> list[date]:
    """Every date that can be read in `text` (numeric dates both day-first and month-first)."""
    found: list[date] = []
    for match in _ISO_DATE.finditer(text):
        found.append(_valid_date(int(match[1]), int(match[2]), int(match[3])))  # type: ignore[arg-type]
    for match in _NUMERIC_DATE.finditer(text):
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        found.append(_valid_date(year, second, first))  # type: ignore[arg-type]
        found.append(_valid_date(year, first, second))  # type: ignore[arg-type]
    for match in _WORDED_DATE.finditer(text):
        month = _MONTHS.get(match[2].lower())
        if month:
            found.append(_valid_date(int(match[3]), month, int(match[1])))  # type: ignore[arg-type]
    if _COMPACT_DATE.fullmatch(text.strip()):
        digits = text.strip()
        found.append(_valid_date(int(digits[:4]), int(digits[4:6]), int(digits[6:])))  # type: ignore[arg-type]
    return [found_date for found_date in found if found_date is not None]


class IdentifierScanner:
    """Scans export files (or rows) for identifiers; see the module docstring for the rules.

    names: known names of people (participants, their family and friends as recorded, staff), each a
    full name or a single name. dates_of_birth: known dates of birth. shifted_dates: True when the export
    shifts dates, so columns named ``shifted_date`` or ``…_shifted_date`` may hold dates.
    prose_columns: {file name pattern: columns that may hold prose}, PROSE_COLUMNS by default.
    """

    def __init__(
        self,
        *,
        names: Iterable[str] = (),
        dates_of_birth: Iterable[date] = (),
        shifted_dates: bool = False,
        prose_columns: Mapping[str, Collection[str]] = PROSE_COLUMNS,
        vocabulary: Iterable[str] = (),
    ) -> None:
        self.name_words: set[str] = set()
        self.full_names: set[tuple[str, ...]] = set()
        for name in names:
            words = tuple(word.casefold() for word in _WORD.findall(name) if len(word) > 1)
            self.name_words.update(words)
            if len(words) > 1:
                self.full_names.add(words)
                self.full_names.add(tuple(reversed(words)))
                for i in range(len(words) - 1):  # "Mary Ann Smith" -> also "Mary Ann", "Ann Smith"
                    self.full_names.add(words[i : i + 2])
        self.full_name_lengths = sorted({len(words) for words in self.full_names})
        self.dates_of_birth = frozenset(dates_of_birth)
        self.shifted_dates = shifted_dates
        self.prose_columns = prose_columns
        self.vocabulary: set[str] = set()
        self._cache: dict[tuple[bool, bool, str], tuple[str, ...]] = {}
        self.learn_vocabulary([BUILT_IN_VOCABULARY, *vocabulary])

    def learn_vocabulary(self, texts: Iterable[str]) -> None:
        """Adds the words of `texts` (ids, codes, headers: never data) to the export's own vocabulary."""
        new = {word.casefold() for text in texts for word in _WORD.findall(text)} - self.vocabulary
        if new:
            self.vocabulary |= new
            self._cache.clear()

    # ----------------------------------------------------------------------------------------------- cells

    def _prose(self, file: str, column: str) -> bool:
        name = Path(file).name
        return any(
            fnmatch.fnmatch(name, pattern) and column in columns
            for pattern, columns in self.prose_columns.items()
        )

    def _dates_allowed(self, column: str) -> bool:
        return self.shifted_dates and bool(SHIFTED_DATE_COLUMN.search(column))

    def cell_rules(
        self, value: str, *, prose: bool = False, dates_allowed: bool = False, header: bool = False
    ) -> tuple[str, ...]:
        """The rules `value` breaks, in a column that may (`prose`) or may not hold prose."""
        if not value:
            return ()
        key = (prose, dates_allowed, value) if not header else (prose, True, "\0" + value)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        rules = self._rules(value, prose=prose, dates_allowed=dates_allowed, header=header)
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[key] = rules
        return rules

    def _rules(self, value: str, *, prose: bool, dates_allowed: bool, header: bool) -> tuple[str, ...]:
        text = value.strip()
        if _PLAIN_NUMBER.fullmatch(text) or STUDY_ID_PATTERN.fullmatch(text) or _UUID.fullmatch(text):
            return ()
        rules: list[str] = []
        if not header and self._has_name(text, prose):
            rules.append("name")
        for match in _NHS.finditer(text):
            if nhs_number_is_valid("".join(match.groups())):
                rules.append("nhs-number")
                break
        found_dates = dates_in(text)
        if any(found in self.dates_of_birth for found in found_dates):
            rules.append("date-of-birth")
        if found_dates and not dates_allowed:
            rules.append("full-date")
        if _POSTCODE.search(text):
            rules.append("postcode")
        if _EMAIL.search(text):
            rules.append("email")
        if _PHONE.search(text):
            rules.append("phone")
        if not prose and (len(text) > LONGEST_CODE or _TWO_WORDS.search(text)):
            rules.append("free-text")
        return tuple(rules)

    def _has_name(self, text: str, prose: bool) -> bool:
        found = _WORD.findall(text)
        if not prose:
            for word in found:
                folded = word.casefold()
                if folded in self.name_words and not (word.islower() and folded in self.vocabulary):
                    return True
            return False
        words = [word.casefold() for word in found]
        for length in self.full_name_lengths:
            for start in range(len(words) - length + 1):
                if tuple(words[start : start + length]) in self.full_names:
                    return True
        return False

    # ------------------------------------------------------------------------------------------------ rows

    def scan_rows(
        self, header: Iterable[str], rows: Iterable[Iterable[object]], *, file: str
    ) -> Iterator[Finding]:
        """Findings in a table given as a header and rows of values (None and numbers allowed)."""
        header = [str(name) for name in header]
        self.learn_vocabulary(header)
        prose = [self._prose(file, name) for name in header]
        allowed = [self._dates_allowed(name) for name in header]
        for name in header:
            for rule in self.cell_rules(name, header=True):
                yield Finding(file, 0, name, rule)
        for number, row in enumerate(rows, start=1):
            for index, value in enumerate(row):
                if value is None:
                    continue
                text = value.isoformat() if isinstance(value, date) else str(value)
                column = header[index] if index < len(header) else f"#{index + 1}"
                for rule in self.cell_rules(
                    text,
                    prose=prose[index] if index < len(prose) else False,
                    dates_allowed=index < len(allowed) and allowed[index],
                ):
                    yield Finding(file, number, column, rule)

    # ----------------------------------------------------------------------------------------------- files

    def scan_file(self, path: Path, *, name: str | None = None) -> list[Finding]:
        """Findings in one file, named `name` (default: the file name) in the findings."""
        path = Path(path)
        label = name or path.name
        suffix = path.suffix.lower()
        if suffix == ".csv":
            import csv

            if self._csv_clean(path, label):
                return []
            with open(path, encoding="utf-8", newline="") as file:
                reader = csv.reader(file)
                header = next(reader, [])
                return list(self.scan_rows(header, reader, file=label))
        if suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(path)
            header = parquet.schema_arrow.names
            findings: list[Finding] = [
                finding
                for name_ in header
                for finding in (
                    Finding(label, 0, name_, rule) for rule in self.cell_rules(name_, header=True)
                )
            ]
            self.learn_vocabulary(header)
            prose = [self._prose(label, column) for column in header]
            allowed = [self._dates_allowed(column) for column in header]
            offset = 0
            for batch in parquet.iter_batches(batch_size=_batch_rows(len(header))):
                clean = self._columns_clean(batch.columns, prose, allowed)
                pa.default_memory_pool().release_unused()  # as in `_csv_lines_clean`
                if clean:
                    offset += batch.num_rows
                    continue
                columns = [column.to_pylist() for column in batch.columns]
                rows = zip(*columns, strict=True)
                for finding in self.scan_rows(header, rows, file=label):
                    if finding.row:
                        findings.append(
                            Finding(finding.file, finding.row + offset, finding.column, finding.rule)
                        )
                offset += batch.num_rows
            return findings
        if suffix == ".json":
            with open(path, encoding="utf-8") as file:
                return list(self._scan_json(json.load(file), label, "$"))
        return [Finding(label, 0, "", "unexpected-file")]

    # Big files are first checked a column at a time: every distinct value of a column (in a batch of rows)
    # through `cell_rules`, by Arrow, without a Python object per cell. Findings depend only on a cell's text
    # and its column, so when no distinct value breaks a rule, no cell does. When one does, or when Arrow could
    # read the file differently from the csv module, the rows are read one by one as above, so findings
    # (their order and row numbers too) are the same either way.

    def _columns_clean(self, columns: Sequence[Any], prose: Sequence[bool], allowed: Sequence[bool]) -> bool:
        """True when no value of these Arrow columns breaks a rule; False when one does, or cannot be told."""
        import pyarrow as pa

        for index, column in enumerate(columns):
            try:
                distinct = column.unique().to_pylist()
            except (pa.ArrowException, NotImplementedError):
                return False
            for value in distinct:
                if value is None:
                    continue
                text = value.isoformat() if isinstance(value, date) else str(value)
                if self.cell_rules(
                    text,
                    prose=prose[index] if index < len(prose) else False,
                    dates_allowed=index < len(allowed) and allowed[index],
                ):
                    return False
        return True

    def _csv_clean(self, path: Path, label: str) -> bool:
        """True when the CSV file certainly has no finding (checked by Arrow, see above); False when it may.

        Only for files of at least `FAST_CSV_BYTES` without quotes, carriage returns or NUL characters: with
        none of those, the csv module's reading is a split at commas and line ends, which Arrow, told there
        are no quotes, reads the same. Ragged rows and invalid UTF-8 make Arrow stop, and a field as long as
        the csv module's limit is caught here: the file is then read as before. Read `CSV_BLOCK_BYTES` of
        whole lines at a time, so memory stays flat."""
        if path.stat().st_size < FAST_CSV_BYTES:
            return False
        with open(path, "rb") as file:
            while block := file.read(CSV_BLOCK_BYTES):
                if b'"' in block or b"\r" in block or b"\0" in block:
                    return False
        import csv

        with open(path, encoding="utf-8", newline="") as file:
            header = next(csv.reader(file), [])
        if not header or any(self.cell_rules(name, header=True) for name in header):
            return False
        self.learn_vocabulary(header)
        prose = [self._prose(label, name) for name in header]
        allowed = [self._dates_allowed(name) for name in header]
        with open(path, "rb") as file:
            file.readline()  # the header
            rest = b""
            while True:
                block = file.read(CSV_BLOCK_BYTES)
                if block:  # whole lines; the start of the next is kept for the next block
                    lines = rest + block
                    cut = lines.rfind(b"\n") + 1
                    lines, rest = lines[:cut], lines[cut:]
                    if len(rest) > CSV_BLOCK_BYTES * 4:  # a line far longer than any the export writes
                        return False
                else:  # the end: a last line without a line end, if any
                    lines, rest = rest, b""
                if lines and not self._csv_lines_clean(lines, len(header), prose, allowed):
                    return False
                if not block:
                    return True

    def _csv_lines_clean(
        self, lines: bytes, width: int, prose: Sequence[bool], allowed: Sequence[bool]
    ) -> bool:
        import csv

        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pa_csv

        names = [f"f{index}" for index in range(width)]
        try:
            table = pa_csv.read_csv(
                pa.py_buffer(lines),
                read_options=pa_csv.ReadOptions(
                    column_names=names, use_threads=False, block_size=len(lines) + 1
                ),
                parse_options=pa_csv.ParseOptions(quote_char=False, newlines_in_values=False),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
                ),
            )
        except (pa.ArrowException, ValueError):
            return False
        columns = [column.combine_chunks() for column in table.columns]
        del table
        limit = csv.field_size_limit()
        try:
            for column in columns:
                if column.type != pa.string():
                    return False
                longest = pc.max(pc.utf8_length(column)).as_py() if len(column) else 0
                if longest is None or longest >= limit:
                    return False
            return self._columns_clean(columns, prose, allowed)
        finally:
            del columns
            pa.default_memory_pool().release_unused()  # what Arrow freed goes back: memory stays flat

    def _scan_json(self, value: object, file: str, at: str) -> Iterator[Finding]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from self._scan_json(item, file, f"{at}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from self._scan_json(item, file, f"{at}[{index}]")
        elif value is not None and not isinstance(value, bool):
            for rule in self.cell_rules(str(value)):
                yield Finding(file, 0, at, rule)

    def scan_directory(self, directory: Path) -> list[Finding]:
        """Findings in every file under `directory` (recursively), in file name order."""
        directory = Path(directory)
        paths = sorted(p for p in directory.rglob("*") if p.is_file())
        self._learn_export_vocabulary(paths)
        findings: list[Finding] = []
        for path in paths:
            findings += self.scan_file(path, name=str(path.relative_to(directory)))
        return findings

    def _learn_export_vocabulary(self, paths: list[Path]) -> None:
        """Learns every header of the export's tables and the ids in its dictionary before scanning any cell,
        so that no finding depends on the order files are read in."""
        import csv

        for path in paths:
            if path.suffix == ".csv":
                with open(path, encoding="utf-8", newline="") as file:
                    reader = csv.reader(file)
                    header = next(reader, [])
                    self.learn_vocabulary(header)
                    if path.name == DICTIONARY_NAME:
                        columns = [header.index(name) for name in DICTIONARY_ID_COLUMNS if name in header]
                        for row in reader:
                            self.learn_vocabulary(row[i] for i in columns if i < len(row))
            elif path.suffix == ".parquet":
                import pyarrow.parquet as pq

                self.learn_vocabulary(pq.ParquetFile(path).schema_arrow.names)
