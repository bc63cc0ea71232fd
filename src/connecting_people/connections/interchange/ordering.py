"""The order every export writes a snapshot in, so the same snapshot always gives the same bytes, and the
file names exports share."""

import re
from collections.abc import Iterable

from ..domain import Category, Entry, Ring, Snapshot, Support

_RING_ORDER = {ring: index for index, ring in enumerate(Ring)}
_CATEGORY_ORDER = {category: index for index, category in enumerate(Category)}


def export_order(snapshot: Snapshot) -> tuple[list[Entry], list[tuple[int, int]]]:
    """Entries in the order every export writes them, and ties as (i, j) positions in it with i < j.

    Entries go ring by ring from the centre, then by category (the map's sectors), label and key, so the
    order never depends on how the snapshot's tuple happened to be built. Ties are undirected: each is written
    once, lower position first, sorted. Raises ValueError for duplicate keys, a tie to an unknown entry or
    a tie from an entry to itself (data the database should never hold).
    """
    keys = [entry.key for entry in snapshot.entries]
    if len(set(keys)) != len(keys):
        raise ValueError("snapshot has two entries with the same key")
    entries = sorted(
        snapshot.entries,
        key=lambda e: (_RING_ORDER[e.ring], _CATEGORY_ORDER[e.category], e.label.casefold(), e.label, e.key),
    )
    position = {entry.key: index for index, entry in enumerate(entries)}
    pairs: set[tuple[int, int]] = set()
    for tie in snapshot.ties:
        if tie.a not in position or tie.b not in position:
            raise ValueError(f"tie {tie.a!r}–{tie.b!r} names an entry not in the snapshot")
        if tie.a == tie.b:
            raise ValueError(f"tie from entry {tie.a!r} to itself")
        i, j = position[tie.a], position[tie.b]
        pairs.add((min(i, j), max(i, j)))
    return entries, sorted(pairs)


def supports_in_order(supports: Iterable[Support]) -> list[Support]:
    """Supports in the order `Support` lists them."""
    given = set(supports)
    return [support for support in Support if support in given]


def _file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip(".-") or "none"


def file_prefix(snapshot: Snapshot, *, case_id: str | None, snapshot_id: str | None) -> str:
    """``<case_id>_<snapshot_id>`` made safe for a file name (letters, digits, dot and hyphen only)."""
    return f"{_file_part(case_id or 'case')}_{_file_part(snapshot_id or snapshot.taken_on.isoformat())}"
