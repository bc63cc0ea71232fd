"""Network measures: worked examples computed by hand, the batch against one-at-a-time, compare, properties."""

import json
import time
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connecting_people.connections.domain import Category, Entry, Kind, Ring, Snapshot, Support, Tie
from connecting_people.connections.metrics import (
    CATEGORY_CODE,
    SnapshotArrays,
    compare,
    distinct_ties,
    measures_for_many,
    snapshot_measures,
)

C, K, R, S = Category, Kind, Ring, Support


def entry(key, label, kind, category, ring, *supports):
    return Entry(key=key, label=label, kind=kind, category=category, ring=ring, supports=frozenset(supports))


# Worked example A: a first map, six entries, no ties.
FIRST = Snapshot(
    taken_on=date(2025, 1, 10),
    entries=(
        entry("k1", "Mum", K.PERSON, C.FAMILY, R.CLOSE, S.EMOTIONAL, S.PRACTICAL),
        entry("k2", "Sam", K.PERSON, C.FRIEND, R.CLOSE, S.EMOTIONAL, S.COMPANIONSHIP),
        entry("k3", "Choir", K.GROUP, C.COMMUNITY_GROUP, R.MIDDLE, S.COMPANIONSHIP),
        entry("k4", "Library", K.PLACE, C.COMMUNITY_GROUP, R.OUTER, S.INFORMATION),
        entry("k5", "CPN", K.SERVICE, C.SERVICES, R.MIDDLE, S.ADVICE, S.INFORMATION, S.EMOTIONAL),
        entry("k6", "Jo", K.PERSON, C.NEIGHBOUR, R.OUTER, S.PRACTICAL),
    ),
)

# Worked example B: six months on. Library lost; Sam moved out a ring, Choir in a ring; three gained; ties.
SECOND = Snapshot(
    taken_on=date(2025, 7, 10),
    entries=(
        entry("k1", "Mum", K.PERSON, C.FAMILY, R.CLOSE, S.EMOTIONAL, S.PRACTICAL),
        entry("k2", "Sam", K.PERSON, C.FRIEND, R.MIDDLE, S.EMOTIONAL, S.COMPANIONSHIP),
        entry("k3", "Choir", K.GROUP, C.COMMUNITY_GROUP, R.CLOSE, S.COMPANIONSHIP),
        entry("k5", "CPN", K.SERVICE, C.SERVICES, R.MIDDLE, S.ADVICE, S.INFORMATION, S.EMOTIONAL),
        entry("k6", "Jo", K.PERSON, C.NEIGHBOUR, R.OUTER, S.PRACTICAL),
        entry("k7", "Allotment", K.GROUP, C.COMMUNITY_GROUP, R.OUTER, S.COMPANIONSHIP, S.PRACTICAL),
        entry("k8", "Ali", K.PERSON, C.PEER_SUPPORT, R.MIDDLE, S.EMOTIONAL, S.INFORMATION),
        entry("k9", "Dr P", K.SERVICE, C.SERVICES, R.OUTER, S.ADVICE),
    ),
    ties=(Tie("k1", "k2"), Tie("k2", "k6"), Tie("k3", "k7"), Tie("k7", "k3"), Tie("k7", "k8")),
)

# Worked example C: partner and family count as family; one tie.
SMALL = Snapshot(
    taken_on=date(2025, 2, 1),
    entries=(
        entry("p", "Lee", K.PERSON, C.PARTNER, R.CLOSE, S.EMOTIONAL),
        entry("f", "Dad", K.PERSON, C.FAMILY, R.OUTER),
        entry("o", "Gamer", K.PERSON, C.ONLINE, R.OUTER, S.COMPANIONSHIP),
    ),
    ties=(Tie("p", "f"),),
)

NO_CATEGORIES = dict.fromkeys((c.value for c in Category), 0)


def test_first_map_worked_example():
    measures = snapshot_measures(FIRST)
    assert measures["size"] == 6
    assert measures["by_category"] == NO_CATEGORIES | {
        "family": 1,
        "friend": 1,
        "community_group": 2,
        "services": 1,
        "neighbour": 1,
    }
    assert measures["by_kind"] == {"person": 3, "group": 1, "place": 1, "service": 1}
    assert measures["by_ring"] == {"close": 2, "middle": 2, "outer": 2}
    assert measures["support_providers"] == {
        "emotional": ["k1", "k2", "k5"],
        "practical": ["k1", "k6"],
        "information": ["k4", "k5"],
        "companionship": ["k2", "k3"],
        "advice": ["k5"],
    }
    assert measures["support_counts"] == {
        "emotional": 3,
        "practical": 2,
        "information": 2,
        "companionship": 2,
        "advice": 1,
    }
    assert measures["supports_covered"] == 5
    assert measures["categories_present"] == 5
    # Category counts 1, 1, 2, 1, 1 of 6: 1 − (1 + 1 + 4 + 1 + 1) / 36 = 1 − 8/36 = 7/9.
    assert measures["blau_index"] == pytest.approx(7 / 9)
    # Outside family and services: Sam, Choir, Library, Jo = 4 of 6.
    assert measures["share_outside_family_and_services"] == pytest.approx(2 / 3)
    # Outer ring: Library (community group) and Jo (neighbour), neither family.
    assert measures["weak_ties"] == 2
    assert measures["ties"] == 0
    assert measures["density"] is None  # no ties recorded: not measured
    assert measures["components"] is None
    assert measures["new_community_ties"] is None  # no previous snapshot


def test_follow_up_map_worked_example():
    measures = snapshot_measures(SECOND, FIRST)
    assert measures["size"] == 8
    assert measures["by_category"] == NO_CATEGORIES | {
        "family": 1,
        "friend": 1,
        "neighbour": 1,
        "community_group": 2,
        "peer_support": 1,
        "services": 2,
    }
    assert measures["by_kind"] == {"person": 4, "group": 2, "place": 0, "service": 2}
    assert measures["by_ring"] == {"close": 2, "middle": 3, "outer": 3}
    assert measures["support_providers"]["emotional"] == ["k1", "k2", "k5", "k8"]
    assert measures["support_providers"]["advice"] == ["k5", "k9"]
    assert measures["categories_present"] == 6
    # Counts 1, 1, 1, 2, 1, 2 of 8: 1 − (1 + 1 + 1 + 4 + 1 + 4) / 64 = 1 − 12/64 = 13/16.
    assert measures["blau_index"] == 13 / 16
    # Family: Mum; services: CPN, Dr P; the other 5 of 8 are outside.
    assert measures["share_outside_family_and_services"] == 5 / 8
    # Outer ring: Jo (neighbour), Allotment (community group), Dr P (services): none family, so 3.
    assert measures["weak_ties"] == 3
    # Ties k1–k2, k2–k6, k3–k7 (given twice, once each way), k7–k8: 4 distinct of 8 × 7 / 2 = 28 possible.
    assert measures["ties"] == 4
    assert measures["density"] == pytest.approx(4 / 28)
    # Groups: {Mum, Sam, Jo}, {Choir, Allotment, Ali}, {CPN}, {Dr P}.
    assert measures["components"] == 4
    # New keys: k7 (community group), k8 (peer support), k9 (services, not community): 2.
    assert measures["new_community_ties"] == 2


def test_partner_counts_as_family_worked_example():
    measures = snapshot_measures(SMALL)
    # Three categories, one entry each: 1 − 3 × (1/3)² = 2/3.
    assert measures["blau_index"] == pytest.approx(2 / 3)
    # Partner and family are family: only Gamer (online) is outside, 1 of 3.
    assert measures["share_outside_family_and_services"] == pytest.approx(1 / 3)
    # Outer ring: Dad (family, not weak) and Gamer (online, weak).
    assert measures["weak_ties"] == 1
    # One tie of 3 × 2 / 2 = 3 possible; groups {Lee, Dad}, {Gamer}.
    assert measures["density"] == pytest.approx(1 / 3)
    assert measures["components"] == 2
    assert measures["supports_covered"] == 2
    assert measures["support_providers"]["practical"] == []


def test_empty_map_has_no_proportions():
    measures = snapshot_measures(Snapshot(taken_on=date(2025, 1, 1), entries=()), FIRST)
    assert measures["size"] == 0
    assert measures["blau_index"] is None
    assert measures["share_outside_family_and_services"] is None
    assert measures["density"] is None
    assert measures["weak_ties"] == 0
    assert measures["new_community_ties"] == 0


def test_measures_are_json_ready():
    measures = snapshot_measures(SECOND, FIRST)
    assert json.loads(json.dumps(measures)) == measures


def test_compare_gives_kept_gained_lost_and_changes():
    result = compare(FIRST, SECOND)
    assert result["kept"] == ["k1", "k2", "k3", "k5", "k6"]
    assert result["gained"] == ["k7", "k8", "k9"]
    assert result["lost"] == ["k4"]
    assert result["closer"] == ["k3"]  # Choir: middle to close
    assert result["further"] == ["k2"]  # Sam: close to middle
    change = result["change"]
    assert change["size"] == 2  # 8 − 6
    assert change["weak_ties"] == 1  # 3 − 2
    assert change["by_ring"] == {"close": 0, "middle": 1, "outer": 1}  # (2, 3, 3) − (2, 2, 2)
    assert change["by_category"]["services"] == 1
    assert change["by_category"]["peer_support"] == 1
    assert change["blau_index"] == pytest.approx(13 / 16 - 7 / 9)  # = 5/144
    assert change["share_outside_family_and_services"] == pytest.approx(5 / 8 - 2 / 3)  # = −1/24
    assert change["ties"] == 4
    assert change["density"] is None  # not measured on the first map
    assert change["new_community_ties"] is None
    assert change["support_providers"]["emotional"] == {"added": ["k8"], "removed": []}
    assert change["support_providers"]["information"] == {"added": ["k8"], "removed": ["k4"]}
    assert change["support_counts"]["practical"] == 1  # Mum, Jo, Allotment − Mum, Jo
    assert result["current"]["new_community_ties"] == 2
    assert result["previous"] == snapshot_measures(FIRST)
    assert json.loads(json.dumps(result)) == result


def test_compare_matches_by_key_not_label():
    renamed = Snapshot(
        taken_on=date(2025, 7, 1),
        entries=(
            entry("k1", "Mother", K.PERSON, C.FAMILY, R.CLOSE),
            entry("x", "Mum", K.PERSON, C.FAMILY, R.CLOSE),
        ),
    )
    result = compare(FIRST, renamed)
    assert result["kept"] == ["k1"]
    assert result["gained"] == ["x"]
    assert result["lost"] == ["k2", "k3", "k4", "k5", "k6"]


def test_bad_snapshots_are_refused():
    unknown = Snapshot(taken_on=date(2025, 1, 1), entries=FIRST.entries, ties=(Tie("k1", "nobody"),))
    with pytest.raises(ValueError, match="not an entry"):
        snapshot_measures(unknown)
    loop = Snapshot(taken_on=date(2025, 1, 1), entries=FIRST.entries, ties=(Tie("k1", "k1"),))
    with pytest.raises(ValueError, match="itself"):
        snapshot_measures(loop)
    twice = Snapshot(taken_on=date(2025, 1, 1), entries=FIRST.entries + FIRST.entries[:1])
    with pytest.raises(ValueError, match="share a key"):
        snapshot_measures(twice)


def test_distinct_ties_counts_a_tie_once_in_either_order():
    assert distinct_ties(SECOND) == (("k1", "k2"), ("k2", "k6"), ("k3", "k7"), ("k7", "k8"))


# ---------------------------------------------------------------------------------------------------------
# The batch


def test_batch_rows_equal_one_at_a_time_on_the_worked_examples():
    snapshots = [FIRST, SECOND, SMALL, Snapshot(taken_on=date(2025, 1, 1), entries=())]
    batch = measures_for_many(SnapshotArrays.from_snapshots(snapshots, previous=[None, 0, None, 1]))
    expected = [
        snapshot_measures(FIRST),
        snapshot_measures(SECOND, FIRST),
        snapshot_measures(SMALL),
        snapshot_measures(snapshots[3], SECOND),
    ]
    assert len(batch) == 4
    for index, measures in enumerate(expected):
        del measures["support_providers"]
        assert batch.row(index) == measures


KEYS = [f"e{number}" for number in range(12)]


@st.composite
def snapshots(draw, keys=KEYS):
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
    entries = tuple(
        Entry(
            key=key,
            label=draw(st.sampled_from(["A", "B", "Jo", "Mo"])),
            kind=draw(st.sampled_from(Kind)),
            category=draw(st.sampled_from(Category)),
            ring=draw(st.sampled_from(Ring)),
            supports=frozenset(draw(st.sets(st.sampled_from(Support)))),
        )
        for key in chosen
    )
    ties: tuple[Tie, ...] = ()
    if len(chosen) >= 2:
        pairs = st.tuples(st.sampled_from(chosen), st.sampled_from(chosen)).filter(lambda p: p[0] != p[1])
        ties = tuple(Tie(a, b) for a, b in draw(st.lists(pairs, max_size=20)))
    return Snapshot(taken_on=date(2025, 1, 1), entries=entries, ties=ties)


@settings(max_examples=60, deadline=None)
@given(st.lists(snapshots(), min_size=1, max_size=8), st.data())
def test_batch_rows_equal_one_at_a_time(many, data):
    previous = [
        None if index == 0 else data.draw(st.one_of(st.none(), st.integers(0, len(many) - 1)))
        for index in range(len(many))
    ]
    batch = measures_for_many(SnapshotArrays.from_snapshots(many, previous))
    for index, snapshot in enumerate(many):
        before = None if previous[index] is None else many[previous[index]]
        expected = snapshot_measures(snapshot, before)
        del expected["support_providers"]
        assert batch.row(index) == expected  # exactly: the batch uses the same arithmetic


def test_batch_on_random_arrays_matches_networkx():
    """Random flat arrays (no Snapshot objects), checked row by row against `snapshot_measures`."""
    rng = np.random.default_rng(7)
    count = 300
    sizes = rng.integers(0, 25, count)
    snapshot = np.repeat(np.arange(count), sizes)
    start = np.cumsum(sizes) - sizes
    local = np.arange(snapshot.size) - start[snapshot]
    tie_snapshot = rng.integers(0, count, 2000)
    tie_snapshot = tie_snapshot[sizes[tie_snapshot] >= 2]
    a = start[tie_snapshot] + rng.integers(0, 1 << 30, tie_snapshot.size) % sizes[tie_snapshot]
    b = start[tie_snapshot] + rng.integers(0, 1 << 30, tie_snapshot.size) % sizes[tie_snapshot]
    keep = a != b
    arrays = SnapshotArrays(
        snapshot_count=count,
        entry_snapshot=snapshot,
        entry_category=rng.integers(0, 10, snapshot.size),
        entry_kind=rng.integers(0, 4, snapshot.size),
        entry_ring=rng.integers(0, 3, snapshot.size),
        entry_supports=rng.integers(0, 32, snapshot.size),
        entry_key=local + 100 * rng.integers(0, 2, snapshot.size),  # about half the keys carry over
        tie_a=a[keep],
        tie_b=b[keep],
        previous_snapshot=np.arange(count) - 1,
    )
    batch = measures_for_many(arrays)
    as_snapshots = _snapshots_from_arrays(arrays)
    for index in range(count):
        expected = snapshot_measures(as_snapshots[index], as_snapshots[index - 1] if index else None)
        del expected["support_providers"]
        assert batch.row(index) == expected


def _snapshots_from_arrays(arrays):
    categories, kinds, rings, supports = list(Category), list(Kind), list(Ring), list(Support)
    entries = [[] for _ in range(arrays.snapshot_count)]
    keys = [str(key) for key in arrays.entry_key]
    for row, index in enumerate(arrays.entry_snapshot):
        mask = int(arrays.entry_supports[row])
        entries[index].append(
            Entry(
                key=keys[row],
                label="x",
                kind=kinds[arrays.entry_kind[row]],
                category=categories[arrays.entry_category[row]],
                ring=rings[arrays.entry_ring[row]],
                supports=frozenset(s for bit, s in enumerate(supports) if mask >> bit & 1),
            )
        )
    ties = [[] for _ in range(arrays.snapshot_count)]
    for a, b in zip(arrays.tie_a, arrays.tie_b, strict=True):
        ties[arrays.entry_snapshot[a]].append(Tie(keys[a], keys[b]))
    return [
        Snapshot(taken_on=date(2025, 1, 1), entries=tuple(e), ties=tuple(t))
        for e, t in zip(entries, ties, strict=True)
    ]


def test_batch_without_ties_or_previous_gives_nan():
    arrays = SnapshotArrays.from_snapshots([FIRST])
    arrays = SnapshotArrays(
        snapshot_count=2,
        entry_snapshot=arrays.entry_snapshot,
        entry_category=arrays.entry_category,
        entry_kind=arrays.entry_kind,
        entry_ring=arrays.entry_ring,
        entry_supports=arrays.entry_supports,
    )
    batch = measures_for_many(arrays)
    assert batch.size.tolist() == [6, 0]
    assert np.isnan(batch.density).all() and np.isnan(batch.new_community_ties).all()
    assert batch.row(1)["blau_index"] is None


def test_batch_refuses_bad_arrays():
    good = SnapshotArrays.from_snapshots([SECOND, FIRST], previous=[None, 0])
    fields = {name: getattr(good, name) for name in good.__dataclass_fields__}

    def refused(match, **changes):
        with pytest.raises(ValueError, match=match):
            measures_for_many(SnapshotArrays(**(fields | changes)))

    refused("entry_category", entry_category=good.entry_category + 10)
    refused("entry_snapshot", entry_snapshot=good.entry_snapshot + 2)
    refused("one value per entry", entry_ring=good.entry_ring[:-1])
    refused("itself", tie_a=np.array([0]), tie_b=np.array([0]))
    refused("different snapshots", tie_a=np.array([0]), tie_b=np.array([9]))
    refused("share a key", entry_key=np.zeros_like(good.entry_key))


def test_batch_of_100000_snapshots_is_fast():
    """The dashboard target: all measures of 100,000 stored snapshots in under 60 s (it takes about 1 s)."""
    rng = np.random.default_rng(1)
    count = 100_000
    sizes = rng.integers(0, 41, count)  # 20 entries a map on average: 2 million entries
    snapshot = np.repeat(np.arange(count), sizes)
    start = np.cumsum(sizes) - sizes
    tie_snapshot = np.repeat(np.arange(count), np.where(sizes >= 2, sizes // 2 * 2, 0))  # ~1 tie per entry
    a = start[tie_snapshot] + rng.integers(0, 1 << 30, tie_snapshot.size) % sizes[tie_snapshot]
    b = start[tie_snapshot] + rng.integers(0, 1 << 30, tie_snapshot.size) % sizes[tie_snapshot]
    keep = a != b
    arrays = SnapshotArrays(
        snapshot_count=count,
        entry_snapshot=snapshot,
        entry_category=rng.integers(0, 10, snapshot.size),
        entry_kind=rng.integers(0, 4, snapshot.size),
        entry_ring=rng.integers(0, 3, snapshot.size),
        entry_supports=rng.integers(0, 32, snapshot.size),
        entry_key=(snapshot // 2) * 100 + np.arange(snapshot.size) - start[snapshot],
        tie_a=a[keep],
        tie_b=b[keep],
        previous_snapshot=np.where(np.arange(count) % 2 == 1, np.arange(count) - 1, -1),
    )
    began = time.perf_counter()
    batch = measures_for_many(arrays)
    elapsed = time.perf_counter() - began
    assert len(batch) == count
    assert elapsed < 60
    print(f"100,000 snapshots, {snapshot.size} entries, {keep.sum()} ties: {elapsed:.2f} s")


# ---------------------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=200, deadline=None)
@given(snapshots(), snapshots())
def test_measures_stay_in_range(snapshot, previous):
    measures = snapshot_measures(snapshot, previous)
    size = measures["size"]
    assert sum(measures["by_category"].values()) == size
    assert sum(measures["by_kind"].values()) == size
    assert sum(measures["by_ring"].values()) == size
    assert 0 <= measures["supports_covered"] <= len(Support)
    assert 0 <= measures["categories_present"] <= min(size, len(Category))
    if size:
        assert 0 <= measures["blau_index"] <= 1 - 1 / len(Category) < 1
        assert 0 <= measures["share_outside_family_and_services"] <= 1
    assert 0 <= measures["weak_ties"] <= measures["by_ring"]["outer"]
    assert 0 <= measures["new_community_ties"] <= size
    if measures["ties"]:
        assert 0 < measures["density"] <= 1
        assert 1 <= measures["components"] <= size - 1  # a tie joins two entries into one group
    else:
        assert measures["density"] is None and measures["components"] is None


@settings(max_examples=100, deadline=None)
@given(snapshots(), snapshots())
def test_compare_partitions_the_keys(previous, current):
    result = compare(previous, current)
    kept, gained, lost = set(result["kept"]), set(result["gained"]), set(result["lost"])
    assert kept | gained == {entry.key for entry in current.entries}
    assert kept | lost == {entry.key for entry in previous.entries}
    assert not kept & gained and not kept & lost and not gained & lost
    assert set(result["closer"]) | set(result["further"]) <= kept
    assert result["change"]["size"] == len(gained) - len(lost)


@settings(max_examples=100, deadline=None)
@given(snapshots())
def test_measures_do_not_depend_on_entry_or_tie_order(snapshot):
    shuffled = Snapshot(
        taken_on=snapshot.taken_on,
        entries=tuple(reversed(snapshot.entries)),
        ties=tuple(Tie(tie.b, tie.a) for tie in reversed(snapshot.ties)),
    )
    assert snapshot_measures(shuffled) == snapshot_measures(snapshot)


def test_codes_follow_the_enum_order():
    assert [CATEGORY_CODE[category] for category in Category] == list(range(10))
