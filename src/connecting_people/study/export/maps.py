"""Connections maps in an export: Network Canvas-style ego / alter / edge CSV per participant and timepoint.

Uses the project's own exporter (`connections.interchange.network_canvas`) on a copy of each snapshot in
which nothing identifying is left:

* **Labels** (first names or initials of the people in the participant's life, names of groups and places)
  are replaced by alter numbers ``A1``, ``A2`` … numbered in order of first appearance over the participant's
  maps (maps in date order; within a map, new entries by ring, category and pseudonymised key, never by name),
  so A3 at baseline is A3 at follow-up and what was kept, gained and lost can still be seen.
* **Entry keys** (database UUIDs) become UUIDs derived from the study key (`Pseudonyms.alter`).
* The case id is the participant's study ID and the session id the timepoint code; ``sessionStart`` is left
  empty (the exporter would write the real date there) and the ego UUID is computed from a stand-in date, so
  the date cannot be recovered from it. When the map was drawn is in ``maps.csv``, converted like every date.

Input: mappings with person_id, timepoint (code), snapshot (a `connections.domain.Snapshot`), ordered by person
and then date (other keys ignored). The same withdrawal rules as every other file apply.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from connecting_people.connections.domain import Category, Ring, Snapshot, Tie
from connecting_people.connections.interchange.network_canvas import export_network_canvas

from .dates import DatePolicy
from .errors import ExportError
from .identifiers import Pseudonyms
from .participants import SUBJECT_COLUMNS, Roster
from .schema import code

MAP_KEYS = frozenset({"person_id", "timepoint", "snapshot"})
_STAND_IN_DAY = date(
    2000, 1, 1
)  # ego UUIDs are computed from this date plus the day number, not the real date
_RING_ORDER = {ring: index for index, ring in enumerate(Ring)}
_CATEGORY_ORDER = {category: index for index, category in enumerate(Category)}


def pseudonymised_snapshot(
    snapshot: Snapshot, *, person_id: str, numbers: dict[str, int], pseudonyms: Pseudonyms, taken_on: date
) -> Snapshot:
    """`snapshot` with labels replaced by alter numbers and keys by pseudonymised UUIDs, dated `taken_on`.

    numbers: the participant's {entry key: alter number} so far; new entries are numbered and added to it.
    """
    keys = {entry.key: pseudonyms.alter(person_id, entry.key) for entry in snapshot.entries}
    new = sorted(
        (entry for entry in snapshot.entries if entry.key not in numbers),
        key=lambda e: (_RING_ORDER[e.ring], _CATEGORY_ORDER[e.category], keys[e.key]),
    )
    for entry in new:
        numbers[entry.key] = len(numbers) + 1
    entries = tuple(
        replace(entry, key=keys[entry.key], label=f"A{numbers[entry.key]}") for entry in snapshot.entries
    )
    ties = []
    for tie in snapshot.ties:
        if tie.a not in keys or tie.b not in keys:
            raise ExportError("a map has a tie to an entry it does not hold")
        ties.append(Tie(a=keys[tie.a], b=keys[tie.b]))
    return Snapshot(taken_on=taken_on, entries=entries, ties=tuple(ties))


def _without_session_start(text: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("sessionStart")
    for row in rows[1:]:
        row[column] = ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write_maps(
    maps: Iterable[Mapping[str, Any]],
    directory: Path,
    *,
    roster: Roster,
    pseudonyms: Pseudonyms,
    dates: DatePolicy,
    ignored_keys: set[str],
) -> tuple[int, int]:
    """Writes ``maps.csv`` (the index) in `directory` and three files per map in ``directory/maps/``.

    Returns (maps written, files written). Raises ExportError for maps not ordered by person and date.
    """
    folder = directory / "maps"
    folder.mkdir(exist_ok=True)
    written = files = 0
    person: str | None = None
    numbers: dict[str, int] = {}
    last_date: date | None = None
    done: set[str] = set()  # one entry per participant, to catch maps out of order
    seen_timepoints: set[str] = set()
    with open(directory / "maps.csv", "w", encoding="utf-8", newline="") as index_file:
        index = csv.writer(index_file, lineterminator="\n")
        index.writerow([*SUBJECT_COLUMNS, "timepoint", dates.column(), "alters", "ties", "files"])
        for position, row in enumerate(maps, start=1):
            where = f"map {position}"
            ignored_keys.update(key for key in row if key not in MAP_KEYS)
            snapshot = row.get("snapshot")
            if not isinstance(snapshot, Snapshot):
                raise ExportError(f"{where}: snapshot must be a connections Snapshot")
            this_person = str(row.get("person_id"))
            if this_person != person:
                if this_person in done:
                    raise ExportError("maps must be ordered by participant and date")
                if person is not None:
                    done.add(person)
                person, numbers, last_date, seen_timepoints = this_person, {}, None, set()
            if last_date is not None and snapshot.taken_on < last_date:
                raise ExportError("maps must be ordered by participant and date")
            last_date = snapshot.taken_on
            participant = roster.admit(row.get("person_id"), snapshot.taken_on, file="maps", position=where)
            if participant is None:
                continue
            timepoint = code(row.get("timepoint"), f"{where}: timepoint")
            if timepoint in seen_timepoints:
                raise ExportError(
                    f"{where}: two maps of one participant at timepoint {timepoint}: choose one"
                )
            seen_timepoints.add(timepoint)
            when = participant.dates.convert(snapshot.taken_on)
            stand_in = when if isinstance(when, date) else _STAND_IN_DAY + timedelta(days=when)
            clean = pseudonymised_snapshot(
                snapshot, person_id=this_person, numbers=numbers, pseudonyms=pseudonyms, taken_on=stand_in
            )
            try:
                produced = export_network_canvas(clean, case_id=participant.study_id, snapshot_id=timepoint)
            except (
                ValueError
            ) as error:  # duplicate entries or ties to nowhere: data the database should not hold
                raise ExportError(f"{where}: {error}") from None
            prefix = ""
            for name, text in produced.items():
                if name.endswith("_ego.csv"):
                    text = _without_session_start(text)
                    prefix = name[: -len("_ego.csv")]
                (folder / name).write_text(text, encoding="utf-8", newline="")
                files += 1
            index.writerow(
                [*participant.subject, timepoint, when, len(clean.entries), len(clean.ties), prefix]
            )
            written += 1
    return written, files
