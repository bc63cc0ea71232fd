"""`score --csv` keeps streaming in little memory whatever the file's lines look like: a line too long or a
header too wide is refused (exit 2, the line named), and a file of long rows is read in shorter chunks. The
lines it reads are exactly the lines that iterating over the file gives."""

import io
import tracemalloc

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from connecting_people.core.input_limits import megabytes
from connecting_people.measures.definitions import YAML_MAX_BYTES, YAML_MAX_DEPTH, load_definitions
from connecting_people.measures.errors import DefinitionError
from connecting_people.measures.management.csv_scoring import (
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    BoundedLines,
    CsvInputError,
)
from connecting_people.measures.scoring.csri_cost import load_unit_costs

HEADER = "optimistic,useful,relaxed,problems,thinking,close,decisions\n"


class Generated(io.TextIOBase):
    """A text file made as it is read (so a test can offer a huge file without holding it): `head`, then
    `line` over and over, `size` characters in all."""

    def __init__(self, head: str, line: str, size: int) -> None:
        self.head, self.size, self.position = head, size, 0
        self.block = line * max(1, 1_000_000 // len(line))  # whole lines, about a megabyte

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> str:
        end = self.size if n < 0 else min(self.size, self.position + n)
        out = []
        while self.position < end:
            if self.position < len(self.head):
                piece = self.head[self.position : end]
            else:
                at = (self.position - len(self.head)) % len(self.block)
                piece = self.block[at : at + end - self.position]
            out.append(piece)
            self.position += len(piece)
        return "".join(out)


class Lines(io.TextIOBase):
    """Standard output that keeps the first lines and counts the rest (the output echoes every row)."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.count += text.count("\n")
        if len(self.kept) < 10:
            self.kept.append(text[:10_000])
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.kept)


def scored(handle) -> tuple[Lines, str, int]:
    """Run `score swemwbs --csv -` over `handle`: (stdout, the error message or "", peak traced bytes)."""
    out, err = Lines(), io.StringIO()
    tracemalloc.start()
    try:
        try:
            call_command("score", "swemwbs", csv="-", stdin=handle, stdout=out, stderr=err)
            message = ""
        except CommandError as error:
            assert error.returncode == 2
            message = str(error)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return out, message, peak


def test_a_line_without_an_end_is_refused_without_holding_it():
    huge = Generated(HEADER, "1,", 60_000_000)  # 60 MB of one line
    out, message, peak = scored(huge)
    assert message == f"line 2 is longer than {MAX_LINE_CHARS:,} characters"
    assert peak < 15_000_000


def test_a_header_of_too_many_columns_is_refused():
    header = ",".join(f"c{n}" for n in range(MAX_COLUMNS + 1)) + "\n"
    out, message, _ = scored(io.StringIO(header + "1\n"))
    assert (out.getvalue(), message) == (
        "",
        f"the header has {MAX_COLUMNS + 1:,} columns; at most {MAX_COLUMNS:,} are read",
    )


def test_long_rows_are_read_in_shorter_chunks():
    # 2,000 rows of 25,000 characters (a quoted note beside the answers): 50 MB, all one chunk of rows before.
    row = '1,2,3,4,5,1,2,"' + "x" * 24_980 + '"\n'
    out, message, peak = scored(
        Generated(HEADER.rstrip("\n") + ",note\n", row, len(HEADER) + 5 + 2_000 * len(row))
    )
    assert message == "" and out.count == 2_001
    assert out.getvalue().startswith(HEADER.rstrip("\n") + ",note,total,")
    assert peak < 30_000_000


def test_the_bounded_lines_of_an_ordinary_file_score_as_before():
    text = HEADER + "1,2,3,4,5,1,2\r\n" + '5,4,3,2,1,5,"4"\n' + "\n" + "1,1,1,1,1,1,1"
    out, message, _ = scored(io.StringIO(text))
    assert message == ""
    assert out.getvalue().splitlines()[1:] == [  # what the command gave before lines were bounded
        "1,2,3,4,5,1,2,18,17.43,,no-missing",
        "5,4,3,2,1,5,4,24,21.54,,no-missing",
        "1,1,1,1,1,1,1,7,7.0,,no-missing",
    ]


@settings(max_examples=200, deadline=None)
@given(
    text=st.lists(st.sampled_from(["a", ",", '"', "\r", "\n", "\r\n", "é"]), max_size=300).map("".join),
    read_chars=st.integers(min_value=1, max_value=40),
    chunk=st.tuples(st.integers(min_value=1, max_value=9), st.integers(min_value=1, max_value=30)),
)
def test_bounded_lines_are_the_lines_of_the_file_however_they_are_read(text, read_chars, chunk):
    expected = list(io.StringIO(text, newline=""))
    lines = BoundedLines(io.StringIO(text, newline=""), max_line=1_000, read_chars=read_chars)
    got = []
    while taken := lines.take(*chunk):
        assert len(taken) <= chunk[0]
        assert len(taken) == 1 or sum(map(len, taken)) <= chunk[1]
        got += taken
        got += [line for _, line in zip(range(1), lines, strict=False)]  # one line at a time as well
    assert got == expected


def test_the_line_named_is_the_long_one():
    text = "a\n" * 5 + "b" * 50 + "\nc\n"
    lines = BoundedLines(io.StringIO(text, newline=""), max_line=20, read_chars=7)
    with pytest.raises(CsvInputError) as caught:
        list(lines)
    assert str(caught.value) == "line 6 is longer than 20 characters"


# --- the YAML a command reads: --unit-costs, and definition files from a deployment's folders -----------------


def test_a_unit_cost_file_too_large_is_refused_unread(tmp_path):
    path = tmp_path / "costs.yaml"
    with path.open("wb") as handle:
        handle.truncate(YAML_MAX_BYTES + 1)
    with pytest.raises(DefinitionError) as caught:
        load_unit_costs(path)
    assert str(caught.value) == f"costs.yaml: is {megabytes(YAML_MAX_BYTES + 1)}: at most 1 MB is read"


def test_yaml_nested_too_deep_is_refused_before_it_is_built(tmp_path):
    path = tmp_path / "costs.yaml"
    path.write_text("costs: " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(DefinitionError) as caught:
        load_unit_costs(path)
    assert (
        str(caught.value)
        == f"costs.yaml: mappings and lists nested more than {YAML_MAX_DEPTH} deep at line 1"
    )


def test_the_score_command_says_so_and_exits_2(tmp_path):
    path = tmp_path / "costs.yaml"
    path.write_text("costs: " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(CommandError) as caught:
        call_command("score", "csri_example", answers="1,0,0,0,0,0,0,0,0", unit_costs=str(path))
    assert caught.value.returncode == 2 and "nested more than" in str(caught.value)


def test_a_definition_file_has_the_same_limits(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("id: mine\nitems: " + "[" * 100 + "]" * 100 + "\n")
    with pytest.raises(DefinitionError, match="nested more than 32 deep at line 2"):
        load_definitions([path])
