"""Network measures of many stored maps at once, straight from the database, for dashboards and bulk loads.

The services keep each snapshot's `MapSnapshot.measures` up to date one write at a time. This module works
them out for many snapshots together: it reads entries and ties as plain values (no model instances), in
chunks of consecutive snapshot ids so memory stays bounded, turns each chunk into `metrics.SnapshotArrays`,
runs the vectorised `metrics.measures_for_many`, and adds the one measure the batch leaves out
(``support_providers``). Every row equals `metrics.snapshot_measures(current, previous)` of the same stored
snapshot, as `services._refresh_measures` would store it.

    for maps in stored_map_chunks(MapSnapshot.objects.filter(person__team=team)):
        rows = measures_of(maps)            # one JSON-ready dict per snapshot, in maps.snapshot_ids order
    measures_store()                        # every snapshot's stored measures worked out again, in bulk

A chunk costs four queries whatever its size: its snapshots, their entries, the entries of the previous
snapshots that are not in the chunk (only their keys, for ``new_community_ties``), and their ties.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import QuerySet

from connecting_people.connections import metrics, selectors, services
from connecting_people.connections.domain import Support
from connecting_people.connections.models import MapSnapshot

# Snapshots a chunk: at ~20 entries each, about 100,000 entry rows (tens of MB while a chunk is loaded).
CHUNK_SIZE = 5_000
# Rows an UPDATE statement: bulk_update writes one CASE branch a row, so its cost grows with the square of this.
UPDATE_BATCH_SIZE = 500

_CATEGORY_CODE = {category.value: code for category, code in metrics.CATEGORY_CODE.items()}
_KIND_CODE = {kind.value: code for kind, code in metrics.KIND_CODE.items()}
_RING_CODE = {ring.value: code for ring, code in metrics.RING_CODE.items()}


@dataclass(frozen=True, eq=False)
class StoredMaps:
    """One chunk of stored snapshots as flat arrays.

    snapshot_ids:  int64 (n,), ascending: the chunk's snapshots, which are rows 0 to n − 1 of `arrays`.
    arrays:        the chunk's entries and ties; after the n snapshots of the chunk come the previous snapshots
                   that are outside it, with their entries' keys only (their own measures mean nothing).
                   `arrays.entry_key` holds each key's rank among the chunk's keys sorted as text.
    entry_keys:    each entry row's key as text (the UUID with hyphens, as `selectors.as_entry` gives it).
    """

    snapshot_ids: np.ndarray
    arrays: metrics.SnapshotArrays
    entry_keys: list[str]

    def __len__(self) -> int:
        return int(self.snapshot_ids.shape[0])


def stored_map_chunks(
    snapshots: QuerySet[MapSnapshot] | None = None, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[StoredMaps]:
    """The `snapshots` (all of them when None) in chunks of at most `chunk_size`, in ascending id order.

    Each chunk is read when the iterator reaches it, in four queries. Raises ValueError for stored values the
    measures cannot read (an unknown category, kind, ring or support code; a tie to an entry of another map).
    """
    after = 0
    while (maps := _load_chunk(snapshots, after=after, chunk_size=chunk_size, lock=False)) is not None:
        yield maps
        after = int(maps.snapshot_ids[-1])


def measures_of(maps: StoredMaps) -> list[dict[str, Any]]:
    """The measures of each snapshot of the chunk, in `maps.snapshot_ids` order: JSON-ready dicts equal to
    `metrics.snapshot_measures(current, previous)`."""
    count = len(maps)
    batch = metrics.measures_for_many(maps.arrays)
    providers = _support_providers(maps)
    rows = []
    for index in range(count):
        row: dict[str, Any] = {}
        for name, value in batch.row(index).items():
            row[name] = value
            if name == "support_counts":  # where snapshot_measures puts it
                row["support_providers"] = providers[index]
        rows.append(row)
    return rows


def measures_store(
    snapshots: QuerySet[MapSnapshot] | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
    batch_size: int = UPDATE_BATCH_SIZE,
) -> int:
    """Work out the measures of `snapshots` (all when None) again and store them in `MapSnapshot.measures`.
    Returns how many snapshots were written.

    Each chunk is read, measured and written in a transaction of its own, with the chunk's snapshot rows
    locked (on PostgreSQL; SQLite's write lock covers the whole transaction), so a map changed by a service
    meanwhile is either measured after that change or waits for this chunk and then measures itself.
    `updated_at` is left alone: the map has not changed, only its derived measures were refreshed. Not
    audited: measures are derived from the map and hold no personal data beyond entry keys.
    """
    written = 0
    after = 0
    while True:
        with transaction.atomic():
            maps = _load_chunk(snapshots, after=after, chunk_size=chunk_size, lock=True)
            if maps is None:
                return written
            written += services.stored_measures_replace(
                measures=zip(maps.snapshot_ids.tolist(), measures_of(maps), strict=True), batch_size=batch_size
            )
        after = int(maps.snapshot_ids[-1])


# ---------------------------------------------------------------------------------------------------------
# Loading one chunk


def _load_chunk(
    snapshots: QuerySet[MapSnapshot] | None, *, after: int, chunk_size: int, lock: bool
) -> StoredMaps | None:
    """The next chunk of `snapshots` (all when None): up to `chunk_size` snapshots with ids above `after`
    (None when none are left), read by `selectors.stored_map_rows`."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    rows = selectors.stored_map_rows(snapshots, after=after, chunk_size=chunk_size, lock=lock)
    if rows is None:
        return None
    ids = np.fromiter((pk for pk, _ in rows.heads), dtype=np.int64, count=len(rows.heads))
    previous_ids = np.fromiter(
        (-1 if previous is None else previous for _, previous in rows.heads), dtype=np.int64, count=len(rows.heads)
    )
    return _as_arrays(ids, previous_ids, rows.entries, rows.earlier, rows.ties)


def _as_arrays(
    ids: np.ndarray,
    previous_ids: np.ndarray,
    entry_rows: list[tuple],
    earlier_rows: list[tuple],
    tie_rows: list[tuple],
) -> StoredMaps:
    count = ids.shape[0]
    # Previous snapshots not in the chunk become extra snapshots after it (those with no entries included).
    outside = previous_ids[(previous_ids >= 0) & ~np.isin(previous_ids, ids)]
    context_ids = np.unique(outside)
    previous_index = np.full(count + context_ids.shape[0], -1, dtype=np.int64)
    has_previous = previous_ids >= 0
    every_id = np.concatenate([ids, context_ids])
    previous_index[:count][has_previous] = _index_of(
        every_id, previous_ids[has_previous], order=np.argsort(every_id, kind="stable")
    )

    # Rows of a snapshot committed inside the id range after the chunk's snapshots were read are dropped.
    entry_snapshot_id = np.fromiter((row[0] for row in entry_rows), dtype=np.int64, count=len(entry_rows))
    current = _index_of(ids, entry_snapshot_id)
    keep = current >= 0
    if not keep.all():
        entry_rows = [row for row, kept in zip(entry_rows, keep.tolist(), strict=True) if kept]
        current = current[keep]
    earlier_snapshot_id = np.fromiter(
        (row[0] for row in earlier_rows), dtype=np.int64, count=len(earlier_rows)
    )
    earlier = _index_of(context_ids, earlier_snapshot_id)
    keep = earlier >= 0
    if not keep.all():
        earlier_rows = [row for row, kept in zip(earlier_rows, keep.tolist(), strict=True) if kept]
        earlier = earlier[keep]

    current_size, earlier_size = len(entry_rows), len(earlier_rows)
    if current_size:
        _, entry_pk, keys, categories, kinds, rings, supports = zip(*entry_rows, strict=True)
    else:
        entry_pk = keys = categories = kinds = rings = supports = ()
    key_text = _with_hyphens([*keys, *(row[1] for row in earlier_rows)])
    rank = {key: position for position, key in enumerate(sorted(set(key_text)))}
    padding = np.zeros(earlier_size, dtype=np.int64)  # earlier entries: codes unused, any valid value will do

    arrays = metrics.SnapshotArrays(
        snapshot_count=count + context_ids.shape[0],
        entry_snapshot=np.concatenate([current, earlier + count]),
        entry_category=np.concatenate([_codes(categories, _CATEGORY_CODE, "category"), padding]),
        entry_kind=np.concatenate([_codes(kinds, _KIND_CODE, "kind"), padding]),
        entry_ring=np.concatenate([_codes(rings, _RING_CODE, "ring"), padding]),
        entry_supports=np.concatenate([_support_masks(supports), padding]),
        entry_key=np.fromiter(map(rank.__getitem__, key_text), dtype=np.int64, count=len(key_text)),
        previous_snapshot=previous_index,
        **_tie_rows(ids, np.fromiter(entry_pk, dtype=np.int64, count=current_size), tie_rows),
    )
    return StoredMaps(snapshot_ids=ids, arrays=arrays, entry_keys=key_text)


def _index_of(ids: np.ndarray, wanted: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Position of each wanted id in `ids`, −1 where it is absent. `ids` is sorted, or `order` sorts it."""
    if ids.shape[0] == 0:
        return np.full(wanted.shape[0], -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(ids, wanted, sorter=order), ids.shape[0] - 1)
    position = at if order is None else order[at]
    return np.where(ids[position] == wanted, position, -1)


def _codes(values: Iterable[str], code_of: dict[str, int], name: str) -> np.ndarray:
    values = list(values)
    try:
        return np.fromiter(map(code_of.__getitem__, values), dtype=np.int64, count=len(values))
    except KeyError as error:
        raise ValueError(f"a stored entry has an unknown {name}: {error.args[0]!r}") from error


def _with_hyphens(keys: list[str]) -> list[str]:
    """Keys as `str(uuid)` writes them: SQLite stores 32 hex digits, PostgreSQL's text has the hyphens."""
    return [
        f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:]}" if len(key) == 32 else key
        for key in keys
    ]


def _support_masks(supports: Iterable[str | None]) -> np.ndarray:
    """Bitmask of each entry's supports (`metrics.SUPPORT_BIT`) from the stored JSON text; a code given twice
    counts once."""
    mask_of: dict[str | None, int] = {}
    masks = []
    for text in supports:
        mask = mask_of.get(text)
        if mask is None:
            try:
                mask = sum(metrics.SUPPORT_BIT[Support(code)] for code in set(json.loads(text or "[]")))
            except (ValueError, TypeError) as error:
                raise ValueError(f"a stored entry has supports that cannot be read: {text!r}") from error
            mask_of[text] = mask
        masks.append(mask)
    return np.array(masks, dtype=np.int64)


def _tie_rows(ids: np.ndarray, entry_pk: np.ndarray, tie_rows: list[tuple]) -> dict[str, np.ndarray]:
    """Each tie's two ends as rows of the entry arrays (ties of snapshots not in the chunk dropped)."""
    if not tie_rows:
        empty = np.zeros(0, dtype=np.int64)
        return {"tie_a": empty, "tie_b": empty}
    table = np.array(tie_rows, dtype=np.int64).reshape(-1, 3)
    table = table[_index_of(ids, table[:, 0]) >= 0]
    order = np.argsort(entry_pk, kind="stable")
    sorted_pk = entry_pk[order]
    a, b = _index_of(sorted_pk, table[:, 1]), _index_of(sorted_pk, table[:, 2])
    if (a < 0).any() or (b < 0).any():
        raise ValueError("a stored tie joins an entry that is not in the tie's own map")
    return {"tie_a": order[a], "tie_b": order[b]}


def _support_providers(maps: StoredMaps) -> list[dict[str, list[str]]]:
    """For each snapshot of the chunk, the keys (as text, sorted) of the entries giving each kind of support."""
    count = len(maps)
    arrays = maps.arrays
    snapshot = np.asarray(arrays.entry_snapshot)
    in_chunk = np.flatnonzero(snapshot < count)
    # Entries in (snapshot, key) order: the key ranks sort as the keys' text does.
    order = in_chunk[np.lexsort((np.asarray(arrays.entry_key)[in_chunk], snapshot[in_chunk]))]
    supports = np.asarray(arrays.entry_supports)[order]
    bounds_at = np.arange(count + 1)
    columns = []
    for bit in range(len(metrics.SUPPORTS)):
        rows = order[(supports >> bit) & 1 == 1]
        keys = [maps.entry_keys[row] for row in rows.tolist()]
        bounds = np.searchsorted(snapshot[rows], bounds_at).tolist()
        columns.append((metrics.SUPPORTS[bit].value, keys, bounds))
    return [
        {name: keys[bounds[index] : bounds[index + 1]] for name, keys, bounds in columns}
        for index in range(count)
    ]
