"""The export's fast paths give what the plain ones give: the CSV writers write the bytes csv.writer writes,
the Parquet writers the table a row-by-row build makes, and the identifier scanner's column-at-a-time check
finds what reading every cell finds (same findings, rows and order), whatever is planted in the files."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connecting_people.study.export import ExportError
from connecting_people.study.export import scanner as scanner_module
from connecting_people.study.export.measures import MeasureRecord, layouts
from connecting_people.study.export.writers import (
    LongCsv,
    LongParquet,
    RecordTexts,
    WideCsv,
    WideOrder,
    WideParquet,
    long_header,
    number_text,
    wide_header,
    write_records,
)
from connecting_people.study.tests.test_export import CATALOGUE, STUDY, _export, _scanner

SUBJECT = ("study_id", "site", "team", "arm")
FOUND = layouts([CATALOGUE.get("swemwbs"), CATALOGUE.get("ucla3")])
SWEMWBS, UCLA3 = FOUND["swemwbs"], FOUND["ucla3"]


def _values(layout, seed: int) -> tuple:
    """A value per variable: ints, whole and other floats, a negative zero, a big int and a missing one."""
    pool = [3, 4.0, 2.5, None, -0.0, 10**15, 0.1 + 0.2, 1e-7, 7, 1.5e300]
    return tuple(pool[(seed + i) % len(pool)] for i in range(len(layout.variables)))


def _records(when_as_dates: bool = False) -> list[MeasureRecord]:
    """Subjects and timepoints that need quoting too (the writers take any record, not only codes)."""
    subjects = [
        ("CPIS-AAAAA-BBBBB", "s1", "T01", "control"),
        ('CPIS-"Q"', "s,2", "T\n02", "intervention"),
        ("CPIS-CCCCC-DDDDD", "", "T03", "control"),
    ]
    records = []
    for n, subject in enumerate(subjects):
        for t, timepoint in enumerate(["baseline", "m 6, late", "m12"]):
            when = date(2024, 1, 8) + timedelta(days=91 * t) if when_as_dates else 91 * t - n
            for layout in (SWEMWBS, UCLA3) if (n + t) % 3 else (UCLA3,):
                records.append(MeasureRecord(subject, timepoint, layout, when, _values(layout, n + t)))
    return records


def _csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize("when_as_dates", [False, True])
def test_csv_writers_write_the_bytes_csv_writer_writes(tmp_path, when_as_dates):
    records = _records(when_as_dates)
    texts = RecordTexts()
    written = write_records(
        records,
        [
            LongCsv(tmp_path / "long.csv", subject_columns=SUBJECT, date_column="day", record_texts=texts),
            WideCsv(
                tmp_path / "wide.csv",
                subject_columns=SUBJECT,
                date_column="day",
                layouts=[SWEMWBS, UCLA3],
                record_texts=texts,
            ),
        ],
    )
    long_rows = [long_header(SUBJECT, "day")]
    for r in records:
        for variable, kind, value in zip(r.layout.variables, r.layout.kinds, r.values, strict=True):
            long_rows.append(
                [*r.subject, r.timepoint, r.layout.id, r.layout.version, number_text(r.when)]
                + [variable, kind, number_text(value)]
            )
    assert (tmp_path / "long.csv").read_text(encoding="utf-8") == _csv_text(long_rows)
    assert written[tmp_path / "long.csv"] == len(long_rows) - 1
    wide_rows: dict[tuple, list] = {}
    for r in records:
        width = sum(1 + len(layout.variables) for layout in (SWEMWBS, UCLA3))
        row = wide_rows.setdefault((r.subject, r.timepoint), [*r.subject, r.timepoint] + [None] * width)
        start = len(SUBJECT) + 1 + (0 if r.layout is SWEMWBS else 1 + len(SWEMWBS.variables))
        row[start : start + 1 + len(r.values)] = [r.when, *r.values]
    expected = [wide_header(SUBJECT, "day", [SWEMWBS, UCLA3])]
    expected += [[number_text(value) for value in row] for row in wide_rows.values()]
    assert (tmp_path / "wide.csv").read_text(encoding="utf-8") == _csv_text(expected)
    assert written[tmp_path / "wide.csv"] == len(wide_rows)


@pytest.mark.parametrize("row_group_rows", [1, 7, 1000])
def test_parquet_writers_write_the_table_a_row_by_row_build_makes(tmp_path, row_group_rows):
    records = _records()
    write_records(
        records,
        [
            LongParquet(
                tmp_path / "long.parquet",
                subject_columns=SUBJECT,
                date_column="day",
                shifted_dates=False,
                row_group_rows=row_group_rows,
            ),
            WideParquet(
                tmp_path / "wide.parquet",
                subject_columns=SUBJECT,
                date_column="day",
                layouts=[SWEMWBS, UCLA3],
                shifted_dates=False,
                row_group_rows=row_group_rows,
            ),
        ],
    )
    long = pq.read_table(tmp_path / "long.parquet")
    expected = [
        [*r.subject, r.timepoint, r.layout.id, r.layout.version, r.when, variable, kind, value]
        for r in records
        for variable, kind, value in zip(r.layout.variables, r.layout.kinds, r.values, strict=True)
    ]
    assert [list(row.values()) for row in long.to_pylist()] == [
        [*row[:-1], None if row[-1] is None else float(row[-1])] for row in expected
    ]
    assert long.schema.field("day").type == pa.int32() and long.schema.field("value").type == pa.float64()
    wide = pq.read_table(tmp_path / "wide.parquet")
    assert wide.column_names == wide_header(SUBJECT, "day", [SWEMWBS, UCLA3])
    rows = wide.to_pylist()
    by_row = {(tuple(row[c] for c in SUBJECT), row["timepoint"]): row for row in rows}
    assert len(by_row) == len(rows) == len({(r.subject, r.timepoint) for r in records})
    for r in records:
        row = by_row[(r.subject, r.timepoint)]
        assert row[f"{r.layout.id}_day"] == r.when
        assert [row[f"{r.layout.id}_{v}"] for v in r.layout.variables] == [
            None if value is None else float(value) for value in r.values
        ]
    without = {(r.subject, r.timepoint) for r in records} - {
        (r.subject, r.timepoint) for r in records if r.layout is SWEMWBS
    }
    assert len(without) == 3  # a row without swemwbs has it all null
    assert all(by_row[key]["swemwbs_day"] is None and by_row[key]["swemwbs_total"] is None for key in without)
    assert pq.ParquetFile(tmp_path / "wide.parquet").num_row_groups == -(-len(rows) // row_group_rows)


# ------------------------------------------------------------------------------------------ scanner


def _line(lines: list[str], text: str, after: int) -> int:
    """The first line after `after` holding `text`."""
    return next(i for i in range(after + 1, len(lines)) if text in lines[i])


def _plant(directory: Path, case: str) -> None:
    """Writes into the export's long CSV (and Parquet files) what `case` names."""
    person = STUDY.participants[7]
    path = directory / "measures_long.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    item = _line(lines, ",item,", 4)
    if case == "name":
        lines[item] = lines[item].replace(",item,", f",{person['family_name']},", 1)
        at = _line(lines, ",baseline,", 8)
        lines[at] = lines[at].replace(",baseline,", f",{person['nhs_number']},", 1)
    elif case == "quoted":
        lines[item] = lines[item].replace(",item,", f',"{person["given_name"]}, x",', 1)
    elif case == "carriage-return":
        lines[3] += "\r"
        lines[item] = lines[item].replace(",item,", f",{person['given_name']},", 1)
    elif case == "ragged":
        lines[3] += ",extra"
        lines[7] += f",{person['family_name']}"
    elif case == "blank-line":
        lines[item] = lines[item].replace(",item,", ",2024-03-05,", 1)
        lines.insert(3, "")
    elif case == "short-row":
        lines[10] = "CPIS,x"
    elif case == "last-line":
        lines[-1] = f"{person['family_name']},LS6 1AN"  # and no line end after it
    elif case == "huge-field":
        lines[item] = lines[item].replace(",item,", "," + "x" * (csv.field_size_limit() + 1) + ",", 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    if case == "bad-utf8":
        with open(path, "ab") as file:
            file.write(b"\xff\xfe,1\n")
    if case == "name":
        for name, column, row, text in (
            ("measures_wide.parquet", "timepoint", 3, person["family_name"].upper()),
            ("measures_long.parquet", "variable", 40, "sw1a 1aa"),
        ):
            table = pq.read_table(directory / name)
            values = table.column(column).to_pylist()
            values[row] = text
            index = table.schema.get_field_index(column)
            pq.write_table(table.set_column(index, column, [values]), directory / name)


def _outcome(directory: Path) -> list[str] | str:
    try:
        return [str(finding) for finding in _scanner().scan_directory(directory)]
    except Exception as error:  # noqa: BLE001 - the outcome compared is the error, when there is one
        return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize(
    "case",
    [
        "clean",
        "name",
        "quoted",
        "carriage-return",
        "ragged",
        "blank-line",
        "short-row",
        "last-line",
        "huge-field",
        "bad-utf8",
    ],
)
def test_scanner_checking_columns_finds_what_reading_every_cell_finds(tmp_path, monkeypatch, case):
    directory = tmp_path / "export"
    _export(directory)
    _plant(directory, case)
    monkeypatch.setattr(scanner_module, "FAST_CSV_BYTES", 0)  # every CSV file checked column by column first
    monkeypatch.setattr(scanner_module, "CSV_BLOCK_BYTES", 4096)  # in many blocks
    monkeypatch.setattr(scanner_module, "SCAN_BATCH_CELLS", 500)  # and Parquet in many batches
    fast = _outcome(directory)
    checked: list[int] = []
    real_clean = scanner_module.IdentifierScanner._csv_lines_clean

    def spy(self, lines, *args):
        checked.append(len(lines))
        return real_clean(self, lines, *args)

    monkeypatch.setattr(scanner_module.IdentifierScanner, "_csv_lines_clean", spy)
    assert _outcome(directory) == fast
    if case in ("clean", "name", "ragged", "blank-line", "short-row", "last-line"):
        assert checked  # the column check did run on these
    monkeypatch.undo()
    monkeypatch.setattr(scanner_module, "FAST_CSV_BYTES", 1 << 60)  # CSV read cell by cell
    monkeypatch.setattr(
        scanner_module.IdentifierScanner, "_columns_clean", lambda self, *args: False
    )  # Parquet too
    slow = _outcome(directory)
    assert fast == slow
    expected = {
        "clean": [],
        "name": ["name", "nhs-number", "postcode"],
        "last-line": ["name", "postcode"],
        "blank-line": ["full-date"],
    }
    if case in expected:
        assert sorted({finding.rsplit(": ", 1)[1] for finding in fast}) == expected[case]
    if case == "huge-field":
        assert "field larger than field limit" in slow
    if case == "bad-utf8":
        assert slow.startswith("UnicodeDecodeError")


def test_scanner_reads_a_big_export_column_by_column(tmp_path, monkeypatch):
    """With the real thresholds: a long CSV over `FAST_CSV_BYTES` is checked column by column and passes;
    a name planted in it is found on the right row, as reading every cell finds it."""
    directory = tmp_path / "export"
    _export(directory)
    path = directory / "measures_long.csv"
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    copies = scanner_module.FAST_CSV_BYTES // len("\n".join(lines)) + 1
    path.write_text("\n".join([header, *lines * copies]) + "\n", encoding="utf-8")
    assert path.stat().st_size >= scanner_module.FAST_CSV_BYTES
    verdicts: dict[str, bool] = {}
    real_clean = scanner_module.IdentifierScanner._csv_clean

    def spy(self, path, label):
        verdicts[label] = real_clean(self, path, label)
        return verdicts[label]

    monkeypatch.setattr(scanner_module.IdentifierScanner, "_csv_clean", spy)
    assert _scanner().scan_directory(directory) == []
    assert verdicts["measures_long.csv"] is True
    rows = path.read_text(encoding="utf-8").split("\n")
    planted = len(rows) - 5
    rows[planted] = rows[planted].replace(",item,", f",{STUDY.participants[3]['given_name']},", 1)
    rows[planted] = rows[planted].replace(",score,", f",{STUDY.participants[3]['given_name']},", 1)
    path.write_text("\n".join(rows), encoding="utf-8")
    findings = [(f.file, f.row, f.column, f.rule) for f in _scanner().scan_directory(directory)]
    assert verdicts["measures_long.csv"] is False
    assert findings == [("measures_long.csv", planted, "kind", "name")]
    shutil.rmtree(directory)


def test_wide_files_sharing_one_order_still_refuse_a_record_given_twice(tmp_path):
    records = _records()
    order = WideOrder([SWEMWBS, UCLA3])

    def writers(name: str, shared: WideOrder | None) -> list:
        common = {"subject_columns": SUBJECT, "date_column": "day", "layouts": [SWEMWBS, UCLA3]}
        return [
            WideCsv(tmp_path / f"{name}.csv", order=shared, **common),
            WideParquet(tmp_path / f"{name}.parquet", shifted_dates=False, order=shared, **common),
        ]

    assert write_records(records, writers("shared", order)) == {
        tmp_path / "shared.csv": 9,
        tmp_path / "shared.parquet": 9,
    }
    write_records(records, writers("own", None))
    assert (tmp_path / "shared.csv").read_bytes() == (tmp_path / "own.csv").read_bytes()
    assert pq.read_table(tmp_path / "shared.parquet").equals(pq.read_table(tmp_path / "own.parquet"))
    twice = [*records[:3], records[2], *records[3:]]
    with pytest.raises(ExportError, match="two administrations"):
        write_records(twice, writers("twice", WideOrder([SWEMWBS, UCLA3])))


def test_wide_parquet_row_groups_hold_a_bounded_number_of_cells(tmp_path, monkeypatch):
    from connecting_people.study.export import writers

    monkeypatch.setattr(writers, "WIDE_GROUP_CELLS", 3 * 20 + 5)  # 20 columns: three rows a group
    records = _records()
    common = {"subject_columns": SUBJECT, "date_column": "day", "layouts": [SWEMWBS, UCLA3]}
    write_records(records, [WideParquet(tmp_path / "wide.parquet", shifted_dates=False, **common)])
    file = pq.ParquetFile(tmp_path / "wide.parquet")
    assert len(file.schema_arrow) == 20
    assert [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)] == [3, 3, 3]
