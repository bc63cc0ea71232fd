"""The SVG map: deterministic, well-formed, accessible, one shape per entry in its ring and sector."""

import math
import re
import time
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connecting_people.connections.domain import Category, Entry, Kind, Ring, Snapshot, Support, Tie
from connecting_people.connections.render import (
    CENTRE_X,
    CENTRE_Y,
    KIND_NAMES,
    RING_BANDS,
    layout,
    map_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
SHAPES = {f"{SVG}circle", f"{SVG}rect", f"{SVG}polygon"}


def entry(key, label, kind=Kind.PERSON, category=Category.FRIEND, ring=Ring.CLOSE):
    return Entry(
        key=key, label=label, kind=kind, category=category, ring=ring, supports=frozenset({Support.ADVICE})
    )


MAP = Snapshot(
    taken_on=date(2025, 3, 3),
    entries=(
        entry("k1", "Mum", Kind.PERSON, Category.FAMILY, Ring.CLOSE),
        entry("k2", "Sam", Kind.PERSON, Category.FRIEND, Ring.MIDDLE),
        entry("k3", "Choir", Kind.GROUP, Category.COMMUNITY_GROUP, Ring.MIDDLE),
        entry("k4", "Library", Kind.PLACE, Category.COMMUNITY_GROUP, Ring.OUTER),
        entry("k5", "CPN", Kind.SERVICE, Category.SERVICES, Ring.MIDDLE),
        entry("k6", "Jo", Kind.PERSON, Category.FRIEND, Ring.MIDDLE),
    ),
    ties=(Tie("k1", "k2"), Tie("k3", "k4"), Tie("k4", "k3")),
)


def parse(svg):
    return ET.fromstring(svg)


def entry_groups(root):
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "app-connections-map__entry"]


def shape_signature(element):
    """What a reader sees: the element type, and for polygons the number of corners."""
    if element.tag == f"{SVG}polygon":
        return ("polygon", len(element.get("points").split()))
    return (element.tag.removeprefix(SVG), 0)


def test_same_snapshot_gives_byte_identical_svg():
    assert map_svg(MAP, map_id="map") == map_svg(MAP, map_id="map")


def test_entry_and_tie_order_do_not_change_the_svg():
    reordered = Snapshot(
        taken_on=MAP.taken_on,
        entries=tuple(reversed(MAP.entries)),
        ties=(Tie("k4", "k3"), Tie("k2", "k1")),
    )
    assert map_svg(reordered, map_id="map") == map_svg(MAP, map_id="map")


def test_svg_is_accessible_xml():
    root = parse(map_svg(MAP, map_id="person-7-map", title="Connections map, 3 March 2025"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "person-7-map-title person-7-map-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.get("id") == "person-7-map-title"
    assert title.text == "Connections map, 3 March 2025"
    assert desc.get("id") == "person-7-map-desc"
    assert desc.text == "The map has 6 entries: 1 close, 4 middle, 1 outer. 2 ties between entries."


def test_one_shape_and_label_per_entry():
    root = parse(map_svg(MAP, map_id="map"))
    groups = entry_groups(root)
    assert sorted(g.get("data-key") for g in groups) == ["k1", "k2", "k3", "k4", "k5", "k6"]
    for group in groups:
        assert len([child for child in group if child.tag in SHAPES]) == 1
    assert sorted(group.find(f"{SVG}text").text for group in groups) == [
        "CPN",
        "Choir",
        "Jo",
        "Library",
        "Mum",
        "Sam",
    ]


def test_ties_are_lines_each_drawn_once():
    root = parse(map_svg(MAP, map_id="map"))
    (ties,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "app-connections-map__ties"]
    assert len(ties.findall(f"{SVG}line")) == 2  # k1–k2, and k3–k4 given both ways
    without = Snapshot(taken_on=MAP.taken_on, entries=MAP.entries)
    assert "app-connections-map__ties" not in map_svg(without, map_id="map")


def test_kinds_have_distinct_shapes_on_the_map_and_in_the_legend():
    one_of_each = Snapshot(
        taken_on=date(2025, 1, 1),
        entries=tuple(entry(f"k{i}", kind.value, kind) for i, kind in enumerate(Kind)),
    )
    root = parse(map_svg(one_of_each, map_id="map"))
    on_map = {}
    for group in entry_groups(root):
        shape = next(child for child in group if child.tag in SHAPES)
        on_map[group.find(f"{SVG}text").text] = shape_signature(shape)
    assert len(set(on_map.values())) == len(Kind)  # four different shapes
    assert on_map == {
        "person": ("circle", 0),
        "group": ("rect", 0),
        "place": ("polygon", 3),
        "service": ("polygon", 4),
    }

    (legend,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "app-connections-map__legend"]
    texts = [text.text for text in legend.findall(f"{SVG}text")]
    for name in KIND_NAMES.values():
        assert name in texts
    legend_shapes = [shape_signature(child) for child in legend if child.tag in SHAPES]
    for signature in on_map.values():
        assert signature in legend_shapes


def test_labels_are_escaped_and_shortened():
    odd = Snapshot(
        taken_on=date(2025, 1, 1),
        entries=(entry("a&b", "<b>Jo & Mo</b>"), entry("c", "A very long name indeed")),
    )
    root = parse(map_svg(odd, map_id="map", title='Map "one" <draft>'))
    assert root.find(f"{SVG}title").text == 'Map "one" <draft>'
    labels = {group.get("data-key"): group.find(f"{SVG}text").text for group in entry_groups(root)}
    assert labels == {"a&b": "<b>Jo & Mo</b>", "c": "A very long nam…"}


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="map_id"):
        map_svg(MAP, map_id='x" onload="alert(1)')
    with pytest.raises(ValueError, match="not an entry"):
        map_svg(Snapshot(taken_on=MAP.taken_on, entries=MAP.entries, ties=(Tie("k1", "zz"),)), map_id="m")
    with pytest.raises(ValueError, match="share a key"):
        map_svg(Snapshot(taken_on=MAP.taken_on, entries=MAP.entries + MAP.entries[:1]), map_id="m")


def test_empty_map_renders():
    root = parse(map_svg(Snapshot(taken_on=date(2025, 1, 1), entries=()), map_id="map"))
    assert entry_groups(root) == []
    assert root.find(f"{SVG}desc").text == "The map has no entries yet."


def test_print_version_is_black_and_white_with_the_same_shapes():
    screen, printed = map_svg(MAP, map_id="map"), map_svg(MAP, map_id="map", print_version=True)
    colours = set(re.findall(r'(?:fill|stroke)="(#[0-9a-fA-F]{6})"', printed))
    assert colours <= {"#000000", "#ffffff"}
    assert "#005eb8" in screen  # the screen version is in NHS colours

    def shapes(svg):
        return {
            g.get("data-key"): shape_signature(next(c for c in g if c.tag in SHAPES))
            for g in entry_groups(parse(svg))
        }

    assert shapes(printed) == shapes(screen)


def test_large_map_renders_in_a_few_milliseconds():
    entries = tuple(
        entry(f"k{i:03d}", f"N{i}", list(Kind)[i % 4], list(Category)[i % 10], list(Ring)[i % 3])
        for i in range(150)
    )
    # Each entry tied to the next four round the list: 600 distinct ties, of which the first 500.
    ties = tuple(Tie(f"k{i:03d}", f"k{(i + step) % 150:03d}") for step in range(1, 5) for i in range(150))[
        :500
    ]
    big = Snapshot(taken_on=date(2025, 1, 1), entries=entries, ties=ties)
    map_svg(big, map_id="map")
    began = time.perf_counter()
    for _ in range(20):
        svg = map_svg(big, map_id="map")
    each = (time.perf_counter() - began) / 20
    root = parse(svg)
    assert len(entry_groups(root)) == 150
    assert len(root.findall(f"{SVG}g[@class='app-connections-map__ties']/{SVG}line")) == 500
    assert each < 0.05  # about 4 ms on a laptop; the page budget is 100 ms
    print(f"150 entries, {len(ties)} ties: {each * 1000:.1f} ms per map")


# ---------------------------------------------------------------------------------------------------------
# Properties


@st.composite
def snapshots(draw):
    count = draw(st.integers(0, 60))
    entries = tuple(
        Entry(
            key=f"e{index}",
            label=draw(st.text(min_size=1, max_size=20)),
            kind=draw(st.sampled_from(Kind)),
            category=draw(st.sampled_from(Category)),
            ring=draw(st.sampled_from(Ring)),
        )
        for index in range(count)
    )
    ties = ()
    if count >= 2:
        pairs = st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)).filter(lambda p: p[0] != p[1])
        ties = tuple(Tie(f"e{a}", f"e{b}") for a, b in draw(st.lists(pairs, max_size=40)))
    return Snapshot(taken_on=date(2025, 1, 1), entries=entries, ties=ties)


@settings(max_examples=100, deadline=None)
@given(snapshots(), st.randoms(use_true_random=False))
def test_any_map_is_well_formed_and_independent_of_order(snapshot, random):
    entries, ties = list(snapshot.entries), list(snapshot.ties)
    random.shuffle(entries)
    random.shuffle(ties)
    shuffled = Snapshot(taken_on=snapshot.taken_on, entries=tuple(entries), ties=tuple(ties))
    svg = map_svg(snapshot, map_id="m")
    assert map_svg(shuffled, map_id="m") == svg
    # Labels are any text at all (control characters included): the SVG must still parse.
    assert len(entry_groups(parse(svg))) == len(entries)


@settings(max_examples=100, deadline=None)
@given(snapshots())
def test_every_entry_sits_inside_its_ring_and_sector(snapshot):
    sector = 2 * math.pi / len(Category)
    for key, (x, y) in layout(snapshot.entries).items():
        found = next(e for e in snapshot.entries if e.key == key)
        inner, outer = RING_BANDS[found.ring]
        radius = math.hypot(x - CENTRE_X, y - CENTRE_Y)
        assert inner < radius < outer
        # Clockwise from twelve o'clock, in sectors of 36 degrees in Category order.
        turn = (math.atan2(y - CENTRE_Y, x - CENTRE_X) + math.pi / 2) % (2 * math.pi)
        assert int(turn // sector) == list(Category).index(found.category)


def test_the_builder_marks_entries_ties_and_zones_only_when_given_ids():
    ids = {entry.key: number for number, entry in enumerate(MAP.entries, start=10)}
    root = parse(map_svg(MAP, map_id="map", entry_ids=ids))
    marked = [g for g in root.iter(f"{SVG}g") if "app-map-entry" in (g.get("class") or "").split()]
    assert len(marked) == len(MAP.entries)
    mum = next(g for g in marked if g.get("data-key") == "k1")
    assert (mum.get("data-entry-id"), mum.get("data-ring"), mum.get("data-sector")) == (
        "10",
        "close",
        "family",
    )
    assert mum.get("tabindex") == "-1" and mum.find(f"{SVG}title").text == "Mum"
    ties = [line for line in root.iter(f"{SVG}line") if line.get("class") == "app-map-tie"]
    assert {(line.get("data-a"), line.get("data-b")) for line in ties} == {("10", "11"), ("12", "13")}
    zones = [path for path in root.iter(f"{SVG}path") if path.get("class") == "app-map-zone"]
    assert len(zones) == len(Ring) * len(Category)
    plain = map_svg(MAP, map_id="map")
    assert "app-map-" not in plain and "tabindex" not in plain
