"""What an import gives back, how it refuses a file, and the export order every format shares."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ...core.input_limits import megabytes
from ..domain import MAX_ENTRIES, MAX_TIES, Entry, Snapshot, Tie

FORMAT_NAME = "connecting-people/connections-map"
FORMAT_VERSION = 1
MAX_PROBLEMS = 200

# What one import reads, the same for every format and every way in (the page, the command, a caller).
# A map at its limits (MAX_ENTRIES, MAX_TIES) is under 1 MB in any of our formats; a Network Canvas export
# with many variables of its own a few times that. The page's upload limit is this same number.
MAP_FILES_LIMIT_BYTES = 5_000_000  # in all, unpacked
MAX_FILES = 20  # given at once (a Network Canvas export is an ego file and a few lists)
ZIP_MAX_MEMBERS = 50
MAX_COLUMNS = 2_000  # in one CSV file (a large Network Canvas protocol has a few hundred variables)
GRAPHML_MAX_ELEMENTS = 50_000  # our GraphML of a full map has about 8,300

# Namespace for the UUIDs our exports make up (Network Canvas ego and edge UUIDs); fixed forever.
EXPORT_NAMESPACE = uuid.UUID("6f6c7b0e-3f1e-5d55-9a57-4a0c2d7e8b11")


class ImportRejected(Exception):
    """A file could not be imported; nothing was. ``problems`` are ``"file:line: problem"`` strings."""

    def __init__(self, problems: Iterable[str]) -> None:
        listed = list(problems)
        if len(listed) > MAX_PROBLEMS:
            listed = [*listed[:MAX_PROBLEMS], f"... and {len(listed) - MAX_PROBLEMS} more problems"]
        self.problems: tuple[str, ...] = tuple(listed)
        super().__init__("\n".join(self.problems))


class ImportTooLarge(ImportRejected):
    """A file over one of the limits: more entries, ties, bytes, files, columns or depth than an import reads.
    Its one problem says which limit, and is fit to show as the page's error message."""

    def __init__(self, problem: str) -> None:
        super().__init__([problem])


def check_size(files: dict[str, str | bytes] | list[tuple[str, str | bytes]]) -> None:
    """ImportTooLarge unless the files are at most MAX_FILES and MAP_FILES_LIMIT_BYTES in all."""
    items = list(files.items()) if isinstance(files, dict) else list(files)
    if len(items) > MAX_FILES:
        raise ImportTooLarge(f"{len(items)} files, but a map import takes at most {MAX_FILES}")
    total = sum(len(content if isinstance(content, bytes) else content.encode()) for _, content in items)
    if total > MAP_FILES_LIMIT_BYTES:
        listed = ", ".join(name for name, _ in items)
        raise ImportTooLarge(
            f"{listed}: {megabytes(total)} in all, but a map import takes at most {megabytes(MAP_FILES_LIMIT_BYTES)}"
        )


def check_counts(where: str, *, entries: int = 0, ties: int = 0) -> None:
    """ImportTooLarge when a file holds more entries or ties than one map can (domain.MAX_ENTRIES, MAX_TIES).
    Called as soon as a reader knows the counts, before it builds anything."""
    if entries > MAX_ENTRIES:
        raise ImportTooLarge(f"{where}: {entries:,} entries, but a map holds at most {MAX_ENTRIES:,}")
    if ties > MAX_TIES:
        raise ImportTooLarge(f"{where}: {ties:,} ties, but a map holds at most {MAX_TIES:,}")


@dataclass(frozen=True)
class ImportReport:
    """What an import did and what it could not use. Every note is a ``"file:line: text"`` or ``"file: text"``.

    format                 "json", "graphml" or "nc-csv".
    entries_created        entries in the result.
    ties_created           distinct ties in the result.
    fields_mapped          ``"file: column → field"``: the other tool's variables we read (Network Canvas).
    fields_not_mapped      ``"file: column"``: columns or attributes ignored (their data is dropped, never stored).
    values_not_understood  a value in a mapped column we could not read, with how many rows had it.
    defaults_applied       a field we had to fill in (say, ring "middle" when no closeness was given).
    warnings               everything else worth knowing: labels shortened, duplicate ties merged...
    """

    format: str
    entries_created: int
    ties_created: int
    fields_mapped: tuple[str, ...] = ()
    fields_not_mapped: tuple[str, ...] = ()
    values_not_understood: tuple[str, ...] = ()
    defaults_applied: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (what `connecting-people map import` prints)."""
        return {
            "format": self.format,
            "entries_created": self.entries_created,
            "ties_created": self.ties_created,
            "fields_mapped": list(self.fields_mapped),
            "fields_not_mapped": list(self.fields_not_mapped),
            "values_not_understood": list(self.values_not_understood),
            "defaults_applied": list(self.defaults_applied),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ImportResult:
    """A map read from a file: entries and ties ready to become a snapshot, and the report.

    taken_on, case_id and snapshot_id are what the file said (None when it did not say).
    """

    entries: tuple[Entry, ...]
    ties: tuple[Tie, ...]
    taken_on: date | None
    case_id: str | None
    snapshot_id: str | None
    report: ImportReport

    def snapshot(self, taken_on: date | None = None) -> Snapshot:
        """The imported map as a Snapshot, dated `taken_on` or else the file's date."""
        when = taken_on or self.taken_on
        if when is None:
            raise ValueError("the file gives no date: pass taken_on")
        return Snapshot(taken_on=when, entries=self.entries, ties=self.ties)


def new_key(source_id: str, key_namespace: uuid.UUID | None) -> str:
    """The key an imported entry gets: uuid5(key_namespace, source_id), or source_id itself when None.

    Deterministic, so importing the same file twice with the same namespace gives the same keys.
    """
    if key_namespace is None:
        return source_id
    return str(uuid.uuid5(key_namespace, source_id))


@dataclass
class Findings:
    """Collects problems (which reject the import) and notes (which go in the report) while reading files."""

    format: str
    problems: list[str] = field(default_factory=list)
    fields_mapped: list[str] = field(default_factory=list)
    fields_not_mapped: list[str] = field(default_factory=list)
    values_not_understood: list[str] = field(default_factory=list)
    defaults_applied: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def reject(self, file: str, line: int | None, problem: str) -> None:
        self.problems.append(located(file, line, problem))

    def raise_if_rejected(self) -> None:
        if self.problems:
            raise ImportRejected(self.problems)

    def report(self, entries: int, ties: int) -> ImportReport:
        return ImportReport(
            format=self.format,
            entries_created=entries,
            ties_created=ties,
            fields_mapped=tuple(self.fields_mapped),
            fields_not_mapped=tuple(self.fields_not_mapped),
            values_not_understood=tuple(self.values_not_understood),
            defaults_applied=tuple(self.defaults_applied),
            warnings=tuple(self.warnings),
        )


def located(file: str, line: int | None, text: str) -> str:
    return f"{file}:{line}: {text}" if line is not None else f"{file}: {text}"


def decoded(findings: Findings, file: str, content: str | bytes) -> str:
    """File content as text: bytes must be UTF-8 (a byte-order mark is dropped, as is one at the start of text)."""
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as error:
            findings.reject(file, content[: error.start].count(b"\n") + 1, "not UTF-8 text")
            return ""
    else:
        text = content
    return text.removeprefix("\ufeff")
