"""Network measures of a connections map. Pure: snapshots (or flat arrays of many) in, plain values out.

The map is an ego network: the person at the centre (ego) and the entries in their life (alters). Ties from
the person to each entry are implied by the map and never counted; ties *between* entries are optional and are
recorded as `Tie`s. Every measure below is of one snapshot.

Measures (the keys of `snapshot_measures`; units in brackets):

``size``                        number of entries [entries].
``by_category``                 entries per relationship category, every category in `Category` order, zeros
                                included [entries].
``by_kind``                     entries per kind (person, group, place, service), `Kind` order [entries].
``by_ring``                     entries per closeness ring (close, middle, outer), `Ring` order [entries].
``support_counts``              entries giving each kind of support, `Support` order [entries].
``support_providers``           keys of the entries giving each kind of support, sorted ("by whom") [keys].
``supports_covered``            kinds of support given by at least one entry, 0 to 5 [kinds of support].
``categories_present``          categories with at least one entry, 0 to 10 [categories].
``blau_index``                  diversity of categories: 1 − Σ p², where p is each category's share of the
                                entries; 0 when every entry is in one category, at most 1 − 1/10 = 0.9 when
                                the entries are spread evenly over all ten [proportion]. None for an empty map.
``ties``                        distinct ties between entries (a tie in either order counts once) [ties].
``density``                     ties recorded ÷ ties possible among the entries, the person at the centre
                                excluded: 2t / (n(n − 1)) for t ties and n entries, 0 to 1 [proportion].
                                None when the snapshot records no ties: the map cannot tell "no ties" from
                                "ties not asked about", so no ties means "not measured".
``components``                  connected groups of entries once the person at the centre is taken away;
                                an entry with no ties is a group of its own, so 1 to n [groups].
                                None when the snapshot records no ties (as for density).
``share_outside_family_and_services``
                                entries whose category is neither family (family or partner) nor services,
                                ÷ size, 0 to 1 [proportion]. None for an empty map.
``weak_ties``                   outer-ring entries that are not family (family or partner); services count, as
                                the definition "outer-ring non-family" asks [entries].
``new_community_ties``          entries whose key is not in the previous snapshot and whose category is a
                                community category (community group, faith, peer support, neighbour, work or
                                education) [entries]. None when there is no previous snapshot. Friends,
                                family, partner, online and services are not community ties: the measure
                                follows the Connecting People aim of new links into the local community.

`measures_for_many` computes every measure except ``support_providers`` for many snapshots at once from flat
arrays (numpy, no per-snapshot Python loop), for dashboards; its rows equal `snapshot_measures` exactly.
`compare` puts two snapshots side by side: kept, gained and lost entries and the change in every measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from .domain import Category, Entry, Kind, Ring, Snapshot, Support

# Column order of every per-category, per-kind, per-ring and per-support array: the enums' order.
CATEGORIES: tuple[Category, ...] = tuple(Category)
KINDS: tuple[Kind, ...] = tuple(Kind)
RINGS: tuple[Ring, ...] = tuple(Ring)
SUPPORTS: tuple[Support, ...] = tuple(Support)

# A partner is counted as family: the "outside family" measures are about reaching beyond kin.
FAMILY_CATEGORIES = frozenset({Category.FAMILY, Category.PARTNER})
SERVICE_CATEGORIES = frozenset({Category.SERVICES})
COMMUNITY_CATEGORIES = frozenset(
    {
        Category.COMMUNITY_GROUP,
        Category.FAITH,
        Category.PEER_SUPPORT,
        Category.NEIGHBOUR,
        Category.WORK_EDUCATION,
    }
)

CATEGORY_CODE = {category: code for code, category in enumerate(CATEGORIES)}
KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
RING_CODE = {ring: code for code, ring in enumerate(RINGS)}
SUPPORT_BIT = {support: 1 << code for code, support in enumerate(SUPPORTS)}

_IS_FAMILY = np.array([category in FAMILY_CATEGORIES for category in CATEGORIES])
_IS_OUTSIDE = np.array([category not in FAMILY_CATEGORIES | SERVICE_CATEGORIES for category in CATEGORIES])
_IS_COMMUNITY = np.array([category in COMMUNITY_CATEGORIES for category in CATEGORIES])
_OUTER = RING_CODE[Ring.OUTER]


def distinct_ties(snapshot: Snapshot) -> tuple[tuple[str, str], ...]:
    """The snapshot's ties as sorted (key, key) pairs, each pair once, the smaller key first.

    Raises ValueError when two entries share a key, a tie names a key that is not an entry of the snapshot,
    or a tie joins an entry to itself.
    """
    keys = _entry_keys(snapshot.entries)
    pairs = set()
    for tie in snapshot.ties:
        for key in (tie.a, tie.b):
            if key not in keys:
                raise ValueError(f"tie names {key!r}, which is not an entry of the snapshot")
        if tie.a == tie.b:
            raise ValueError(f"tie joins entry {tie.a!r} to itself")
        pairs.add((tie.a, tie.b) if tie.a < tie.b else (tie.b, tie.a))
    return tuple(sorted(pairs))


def _entry_keys(entries: Sequence[Entry]) -> set[str]:
    keys = {entry.key for entry in entries}
    if len(keys) != len(entries):
        raise ValueError("two entries of the snapshot share a key")
    return keys


def _blau(sum_of_squares: int, size: int) -> float:
    # 1 − Σ (c/n)² written as 1 − Σc² / n²: integer sums and one division, so the batch gives the same bits.
    return 1.0 - sum_of_squares / (size * size)


def snapshot_measures(snapshot: Snapshot, previous: Snapshot | None = None) -> dict[str, Any]:
    """Every measure of one snapshot (see the module docstring for definitions), as a JSON-ready dict.

    `previous` is the person's snapshot before this one; without it ``new_community_ties`` is None.
    Raises ValueError for a snapshot whose keys repeat or whose ties name unknown entries.
    """
    entries = snapshot.entries
    ties = distinct_ties(snapshot)
    size = len(entries)

    by_category = dict.fromkeys((c.value for c in CATEGORIES), 0)
    by_kind = dict.fromkeys((k.value for k in KINDS), 0)
    by_ring = dict.fromkeys((r.value for r in RINGS), 0)
    providers: dict[str, list[str]] = {s.value: [] for s in SUPPORTS}
    outside = weak = 0
    for entry in entries:
        by_category[entry.category.value] += 1
        by_kind[entry.kind.value] += 1
        by_ring[entry.ring.value] += 1
        for support in entry.supports:
            providers[support.value].append(entry.key)
        if entry.category not in FAMILY_CATEGORIES:
            weak += entry.ring == Ring.OUTER
            outside += entry.category not in SERVICE_CATEGORIES
    for keys in providers.values():
        keys.sort()

    density: float | None = None
    components: int | None = None
    if ties:
        graph = nx.Graph()
        graph.add_nodes_from(entry.key for entry in entries)
        graph.add_edges_from(ties)
        density = nx.density(graph)
        components = nx.number_connected_components(graph)

    new_community: int | None = None
    if previous is not None:
        before = {entry.key for entry in previous.entries}
        new_community = sum(
            entry.key not in before and entry.category in COMMUNITY_CATEGORIES for entry in entries
        )

    return {
        "size": size,
        "by_category": by_category,
        "by_kind": by_kind,
        "by_ring": by_ring,
        "support_counts": {support: len(keys) for support, keys in providers.items()},
        "support_providers": providers,
        "supports_covered": sum(1 for keys in providers.values() if keys),
        "categories_present": sum(1 for count in by_category.values() if count),
        "blau_index": _blau(sum(c * c for c in by_category.values()), size) if size else None,
        "ties": len(ties),
        "density": density,
        "components": components,
        "share_outside_family_and_services": outside / size if size else None,
        "weak_ties": weak,
        "new_community_ties": new_community,
    }


def compare(previous: Snapshot, current: Snapshot) -> dict[str, Any]:
    """What changed from `previous` to `current` (the same person's earlier and later snapshots).

    Returns a JSON-ready dict:

    ``kept``, ``gained``, ``lost``   entry keys (sorted) in both snapshots, only in `current`, only in
                                     `previous`; entries are matched by key, not by label.
    ``closer``, ``further``          kept entries (sorted keys) now in a ring nearer to / further from the
                                     centre.
    ``previous``, ``current``        `snapshot_measures` of each (the current one measured against previous,
                                     so its ``new_community_ties`` is given; the previous one's is None).
    ``change``                       for every measure, current − previous: a number for numbers, the same
                                     mapping of differences for counts by category, kind, ring and support,
                                     {"added": keys, "removed": keys} for each support's providers, and None
                                     where either side is None.
    """
    measures_before = snapshot_measures(previous)  # also checks each snapshot's keys are distinct
    measures_after = snapshot_measures(current, previous)
    before = {entry.key: entry for entry in previous.entries}
    after = {entry.key: entry for entry in current.entries}
    kept = sorted(before.keys() & after.keys())
    ring_step = {key: RING_CODE[after[key].ring] - RING_CODE[before[key].ring] for key in kept}
    return {
        "kept": kept,
        "gained": sorted(after.keys() - before.keys()),
        "lost": sorted(before.keys() - after.keys()),
        "closer": [key for key in kept if ring_step[key] < 0],
        "further": [key for key in kept if ring_step[key] > 0],
        "previous": measures_before,
        "current": measures_after,
        "change": _change(measures_before, measures_after),
    }


def _change(before: Any, after: Any) -> Any:
    if before is None or after is None:
        return None
    if isinstance(after, Mapping):
        return {name: _change(before[name], after[name]) for name in after}
    if isinstance(after, list):
        return {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after))}
    return after - before


# ---------------------------------------------------------------------------------------------------------
# Many snapshots at once


@dataclass(frozen=True, eq=False)
class SnapshotArrays:
    """Many snapshots as flat arrays: one row per entry, one row per tie, one row per snapshot.

    Entries (all arrays the same length, one row per entry of any snapshot, in any order):

    entry_snapshot:    int, index of the entry's snapshot, 0 to snapshot_count − 1.
    entry_category:    int, position of the category in `Category` (`CATEGORY_CODE`).
    entry_kind:        int, position of the kind in `Kind` (`KIND_CODE`).
    entry_ring:        int, position of the ring in `Ring` (`RING_CODE`): 0 close, 1 middle, 2 outer.
    entry_supports:    int, bitmask of the supports given: bit i set for `Support` position i (`SUPPORT_BIT`).
    entry_key:         the entry's key, stable across snapshots; any array numpy can sort (integers are
                       fastest, strings or bytes work). Only needed for ``new_community_ties``.

    Ties (one row per recorded tie, optional):

    tie_a, tie_b:      int, rows of the two entries in the entry arrays (so a tie's snapshot is its entries'
                       snapshot; both ends must be in the same snapshot).

    Snapshots:

    snapshot_count:    number of snapshots (those without entries included).
    previous_snapshot: int per snapshot, index of the person's previous snapshot, −1 for none. Only needed for
                       ``new_community_ties``.
    """

    snapshot_count: int
    entry_snapshot: np.ndarray
    entry_category: np.ndarray
    entry_kind: np.ndarray
    entry_ring: np.ndarray
    entry_supports: np.ndarray
    entry_key: np.ndarray | None = None
    tie_a: np.ndarray | None = None
    tie_b: np.ndarray | None = None
    previous_snapshot: np.ndarray | None = None

    @classmethod
    def from_snapshots(
        cls, snapshots: Sequence[Snapshot], previous: Sequence[int | None] | None = None
    ) -> SnapshotArrays:
        """Flat arrays of `snapshots`; `previous[i]` is the position in `snapshots` of snapshot i's previous
        snapshot (None for none). A convenience for tests and small batches: a dashboard builds the arrays
        straight from database values."""
        rows: list[tuple[int, int, int, int, int]] = []
        keys: list[str] = []
        tie_a: list[int] = []
        tie_b: list[int] = []
        for index, snapshot in enumerate(snapshots):
            distinct_ties(snapshot)  # the same checks as one snapshot gets; the batch dedupes ties itself
            row_of = {}
            for entry in snapshot.entries:
                row_of[entry.key] = len(rows)
                supports = sum(SUPPORT_BIT[support] for support in entry.supports)
                code = (index, CATEGORY_CODE[entry.category], KIND_CODE[entry.kind], RING_CODE[entry.ring])
                rows.append((*code, supports))
                keys.append(entry.key)
            for tie in snapshot.ties:
                tie_a.append(row_of[tie.a])
                tie_b.append(row_of[tie.b])
        table = np.array(rows, dtype=np.int64).reshape(-1, 5)
        return cls(
            snapshot_count=len(snapshots),
            entry_snapshot=table[:, 0],
            entry_category=table[:, 1],
            entry_kind=table[:, 2],
            entry_ring=table[:, 3],
            entry_supports=table[:, 4],
            entry_key=np.array(keys, dtype=str),
            tie_a=np.array(tie_a, dtype=np.int64),
            tie_b=np.array(tie_b, dtype=np.int64),
            previous_snapshot=(
                None
                if previous is None
                else np.array([-1 if p is None else p for p in previous], dtype=np.int64)
            ),
        )


@dataclass(frozen=True, eq=False)
class BatchMeasures:
    """The measures of n snapshots, one row per snapshot (definitions in the module docstring).

    Integer arrays (n,): size, ties, supports_covered, categories_present, weak_ties.
    Integer arrays (n, columns): by_category (n, 10), by_kind (n, 4), by_ring (n, 3), support_counts (n, 5),
    columns in the enums' order (`CATEGORIES`, `KINDS`, `RINGS`, `SUPPORTS`).
    Float arrays (n,), NaN where the measure is None: blau_index, density, components,
    share_outside_family_and_services, new_community_ties.
    """

    size: np.ndarray
    by_category: np.ndarray
    by_kind: np.ndarray
    by_ring: np.ndarray
    support_counts: np.ndarray
    supports_covered: np.ndarray
    categories_present: np.ndarray
    blau_index: np.ndarray
    ties: np.ndarray
    density: np.ndarray
    components: np.ndarray
    share_outside_family_and_services: np.ndarray
    weak_ties: np.ndarray
    new_community_ties: np.ndarray

    def __len__(self) -> int:
        return int(self.size.shape[0])

    def row(self, index: int) -> dict[str, Any]:
        """Snapshot `index`'s measures as a JSON-ready dict: `snapshot_measures` without ``support_providers``."""

        def optional(values: np.ndarray, kind: type) -> Any:
            value = values[index]
            return None if np.isnan(value) else kind(value)

        def columns(values: np.ndarray, names: Sequence[str]) -> dict[str, int]:
            return {name: int(count) for name, count in zip(names, values[index], strict=True)}

        return {
            "size": int(self.size[index]),
            "by_category": columns(self.by_category, [c.value for c in CATEGORIES]),
            "by_kind": columns(self.by_kind, [k.value for k in KINDS]),
            "by_ring": columns(self.by_ring, [r.value for r in RINGS]),
            "support_counts": columns(self.support_counts, [s.value for s in SUPPORTS]),
            "supports_covered": int(self.supports_covered[index]),
            "categories_present": int(self.categories_present[index]),
            "blau_index": optional(self.blau_index, float),
            "ties": int(self.ties[index]),
            "density": optional(self.density, float),
            "components": optional(self.components, int),
            "share_outside_family_and_services": optional(self.share_outside_family_and_services, float),
            "weak_ties": int(self.weak_ties[index]),
            "new_community_ties": optional(self.new_community_ties, int),
        }


def measures_for_many(arrays: SnapshotArrays) -> BatchMeasures:
    """The measures of every snapshot in `arrays`, vectorised (bincounts over the flat arrays).

    Time and memory grow linearly with the number of entries and ties; 100,000 snapshots of ~20 entries take
    well under a second. Raises ValueError for codes out of range, keys repeated within a snapshot, or ties
    that join an entry to itself or entries of different snapshots.
    """
    count = int(arrays.snapshot_count)
    snapshot = _codes(arrays.entry_snapshot, count, "entry_snapshot")
    category = _codes(arrays.entry_category, len(CATEGORIES), "entry_category", snapshot.shape)
    kind = _codes(arrays.entry_kind, len(KINDS), "entry_kind", snapshot.shape)
    ring = _codes(arrays.entry_ring, len(RINGS), "entry_ring", snapshot.shape)
    supports = _codes(arrays.entry_supports, 1 << len(SUPPORTS), "entry_supports", snapshot.shape)

    size = np.bincount(snapshot, minlength=count)
    by_category = _counts(snapshot, category, len(CATEGORIES), count)
    by_kind = _counts(snapshot, kind, len(KINDS), count)
    by_ring = _counts(snapshot, ring, len(RINGS), count)
    support_counts = np.stack(
        [
            np.bincount(snapshot, weights=(supports >> bit) & 1, minlength=count)
            for bit in range(len(SUPPORTS))
        ],
        axis=1,
    ).astype(np.int64)

    nonempty = size > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        sum_of_squares = (by_category * by_category).sum(axis=1).astype(np.float64)
        blau = np.where(nonempty, 1.0 - sum_of_squares / (size.astype(np.float64) ** 2), np.nan)
        outside = np.bincount(snapshot, weights=_IS_OUTSIDE[category], minlength=count)
        share = np.where(nonempty, outside / size, np.nan)
    weak = np.bincount(snapshot, weights=(ring == _OUTER) & ~_IS_FAMILY[category], minlength=count)

    ties, density, components = _tie_measures(arrays, snapshot, size, count)
    return BatchMeasures(
        size=size,
        by_category=by_category,
        by_kind=by_kind,
        by_ring=by_ring,
        support_counts=support_counts,
        supports_covered=(support_counts > 0).sum(axis=1),
        categories_present=(by_category > 0).sum(axis=1),
        blau_index=blau,
        ties=ties,
        density=density,
        components=components,
        share_outside_family_and_services=share,
        weak_ties=weak.astype(np.int64),
        new_community_ties=_new_community_ties(arrays, snapshot, category, count),
    )


def _codes(values: Any, limit: int, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    codes = np.asarray(values)
    if codes.ndim != 1 or (shape is not None and codes.shape != shape):
        raise ValueError(f"{name} must be one-dimensional, one value per entry")
    if codes.size and not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(f"{name} must hold integers")
    codes = codes.astype(np.int64, copy=False)
    if codes.size and (codes.min() < 0 or codes.max() >= limit):
        raise ValueError(f"{name} must lie between 0 and {limit - 1}")
    return codes


def _counts(snapshot: np.ndarray, code: np.ndarray, columns: int, count: int) -> np.ndarray:
    """(snapshots, columns) table of how many entries of each snapshot have each code: one bincount."""
    return np.bincount(snapshot * columns + code, minlength=count * columns).reshape(count, columns)


def _tie_measures(
    arrays: SnapshotArrays, snapshot: np.ndarray, size: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nan = np.full(count, np.nan)
    if arrays.tie_a is None or arrays.tie_b is None or len(arrays.tie_a) == 0:
        return np.zeros(count, dtype=np.int64), nan, nan.copy()
    entries = snapshot.shape[0]
    a = _codes(arrays.tie_a, entries, "tie_a")
    b = _codes(arrays.tie_b, entries, "tie_b", a.shape)
    if np.any(a == b):
        raise ValueError("a tie joins an entry to itself")
    if np.any(snapshot[a] != snapshot[b]):
        raise ValueError("a tie joins entries of different snapshots")
    # A tie in either order is the same tie: keep each (smaller row, larger row) pair once.
    pair = np.sort(np.minimum(a, b) * entries + np.maximum(a, b))
    pair = pair[np.concatenate(([True], pair[1:] != pair[:-1]))]
    low, high = pair // entries, pair % entries

    ties = np.bincount(snapshot[low], minlength=count)
    recorded = ties > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        possible = size.astype(np.float64) * (size - 1) / 2
        density = np.where(recorded, ties / possible, np.nan)
    # Each component has exactly one root; an entry without ties is its own root.
    roots = _component_roots(entries, low, high)
    per_snapshot = np.bincount(snapshot[roots == np.arange(entries)], minlength=count)
    components = np.where(recorded, per_snapshot, np.nan)
    return ties, density, components


def _component_roots(node_count: int, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """For every node, the smallest node of its connected component (vectorised union-find).

    Each round hooks every root to the smallest root it shares an edge with, then halves paths until every
    node points at a root. Roots only ever point to smaller nodes, so there are no cycles and each round
    joins at least one pair of components.
    """
    parent = np.arange(node_count)
    while True:
        root_low, root_high = parent[low], parent[high]
        apart = root_low != root_high
        if not apart.any():
            return parent
        root_low, root_high = root_low[apart], root_high[apart]
        np.minimum.at(parent, np.maximum(root_low, root_high), np.minimum(root_low, root_high))
        while True:
            grandparent = parent[parent]
            if np.array_equal(grandparent, parent):
                break
            parent = grandparent


def _new_community_ties(
    arrays: SnapshotArrays, snapshot: np.ndarray, category: np.ndarray, count: int
) -> np.ndarray:
    result = np.full(count, np.nan)
    if arrays.previous_snapshot is None:
        return result
    previous = np.asarray(arrays.previous_snapshot)
    if previous.shape != (count,):
        raise ValueError("previous_snapshot must hold one value per snapshot")
    previous = _codes(previous + 1, count + 1, "previous_snapshot (plus one)") - 1
    if arrays.entry_key is None:
        raise ValueError("entry_key is needed to count new community ties")
    keys = np.asarray(arrays.entry_key)
    if keys.shape != snapshot.shape:
        raise ValueError("entry_key must hold one value per entry")
    distinct, key_code = np.unique(keys, return_inverse=True)
    # Number every (snapshot, key) pair; an entry is new when (previous snapshot, its key) is not among them.
    width = max(len(distinct), 1)
    present = np.sort(snapshot * width + key_code)
    if present.size > 1 and np.any(present[1:] == present[:-1]):
        raise ValueError("two entries of one snapshot share a key")
    earlier = previous[snapshot]
    candidate = (earlier >= 0) & _IS_COMMUNITY[category]
    wanted = earlier[candidate] * width + key_code[candidate]
    at = np.searchsorted(present, wanted)
    found = present[np.minimum(at, max(present.size - 1, 0))] == wanted if present.size else np.zeros(0, bool)
    new = np.bincount(snapshot[candidate][~found], minlength=count)
    has_previous = previous >= 0
    result[has_previous] = new[has_previous]
    return result
