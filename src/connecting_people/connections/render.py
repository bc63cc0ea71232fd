"""The connections map drawn as SVG on the server. Pure: a snapshot in, SVG text out.

The drawing is the usual concentric sociogram: the person in the centre, three rings (close, middle, outer)
and ten sectors, one per relationship category in `Category` order, clockwise from twelve o'clock. The sector
names run round a rim outside the outer ring. Each entry sits in its ring and sector; kinds differ by shape
(circle person, square group, triangle place, diamond service) and, on screen, also by colour, so colour is
never the only cue. Ties between entries are lines.

Readable at any width. The SVG has a viewBox and scales to its container, so its text shrinks with it. It
therefore carries its words three times, in layers that a container query in the stylesheet chooses between
(classes app-map-wide, app-map-medium and app-map-narrow; `core/assets/scss/_connections-map.scss`). Each
layer sets its text at a size that is at least MIN_TEXT_PX (12) CSS px in the narrowest container it is
shown in (`LAYERS`): the wide layer from 592 px up (a laptop's map column), the medium one from 452 px (a
tablet's), the narrow one below that, sized for a 390 px phone's 358 px column. The shapes stay where they
are; larger words fit in fewer places, so on a phone more labels wrap, shorten or are left off (their names
stay in each entry's <title> and in the table). Without the stylesheet (an SVG saved on its own) only the wide
layer shows: the others carry display="none", which the stylesheet overrides.

Labels never overlap. Each layer's labels are placed one entry at a time, closest ring first, at the first of
a fixed list of positions round the entry's shape where the label's box meets no shape, no label already
placed, no ring name and the centre, and stays inside the rim. A label that fits nowhere whole is tried on two
lines, then shortened with an ellipsis, then left off that layer; the full name is always in the entry's
<title> (shown on hover and read on focus) and in the table beside the map. Text width is estimated from
Arial's advance widths (`text_width`), a little generously, so a box is never narrower than the text.

Every entry has a transparent touch target round its shape: 44 CSS px square at the scale each layer is
shown at, or as large as the distance to the nearest other entry allows (two targets never overlap).

Hooks for the map page's script (the contract in the issue): each entry is a
<g class="app-map-entry" data-entry-id data-ring data-sector tabindex="-1"> holding its <title>, shape and
labels; each ring-and-sector cell is a transparent <path class="app-map-zone" data-ring data-sector> (a drop
target); each tie is a <line class="app-map-tie" data-a data-b>. Decorative text ignores the pointer, so a
drop on a sector's name lands in its zone.

Layout is deterministic: entries of one ring and sector are ordered by (label, key) and spread evenly across
the sector, zig-zagging between lanes when a sector is crowded, so the same snapshot gives byte-identical SVG
whatever the order of its entries. There is no randomness and no state.

The SVG is a picture of the table of entries that sits beside it on the page (the accessible version): it
carries role="img", a <title> and a <desc> summarising the map, not every entry.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from html import escape

import numpy as np

from . import labels
from .domain import Category, Entry, Kind, Ring, Snapshot
from .metrics import distinct_ties

CATEGORY_NAMES = labels.CATEGORY_SECTOR
KIND_NAMES = labels.KIND
RING_NAMES = labels.RING

# Geometry, in the viewBox's user units. The drawing is WIDTH wide; its height depends on the legend.
WIDTH = 640
MARGIN = 4.0
RIM_OUTER = 316.0  # the outer edge of the drawing's disc
RIM_WIDTH = 30.0  # the band round the outside that holds the sector names
CENTRE_X = WIDTH / 2
CENTRE_Y = MARGIN + RIM_OUTER
CENTRE_RADIUS = 40.0  # the person in the middle
RIM_INNER = RIM_OUTER - RIM_WIDTH
# Where entries of each ring sit (the outer ring's zone also takes in the rim).
RING_BANDS = {Ring.CLOSE: (44.0, 144.0), Ring.MIDDLE: (144.0, 220.0), Ring.OUTER: (220.0, RIM_INNER)}
LEGEND_TOP = MARGIN + 2 * RIM_OUTER + 16

NODE = 8.0  # half the size of an entry's shape
ARC_SPACING = 40.0  # the least distance along a lane between two entries before another lane opens
LANE_MARGIN = 16.0  # keeps shapes off the ring lines
LANE_GAP = 30.0  # the least distance between two lanes of one ring
EDGE_PADDING = 14.0  # keeps entries of neighbouring sectors apart across the sector line
LABEL_GAP = 3.0  # between an entry's shape and its label
CLEARANCE = 6.0  # the least room between a label and any other entry's shape
# On a phone the stylesheet draws shapes this much larger (about their middle): a shape's box grows by at most
# 11 x 0.3 = 3.3 units a side, which the room left round labels (LABEL_GAP + HALO, and CLEARANCE) absorbs.
PHONE_SHAPE_SCALE = 1.3
SHORTENED = (12, 8, 5)  # the lengths, in characters before the ellipsis, a label is shortened to
HALO = 2.0  # the white outline round label text, kept clear of everything else
LINE_SPACING = 1.15  # of a two-line label, in ems
CROWDED_TIES = 60  # above this many ties, lines are drawn thinner

MIN_TEXT_PX = 12.0  # the least size of any text on screen, in CSS px, where each layer is shown
PHONE_CONTAINER = 358.0  # the map's width on a 390 px phone: the NHS.UK page has 16 px margins either side
TOUCH_TARGET_PX = 44.0  # the side of an entry's touch target, in CSS px


@dataclass(frozen=True)
class Layer:
    """One set of words for the drawing: its name (the CSS class app-map-<name>) and its text sizes."""

    name: str
    label: float  # entry labels, ring names, the centre and the legend
    sector: float  # sector names round the rim
    sector_bold: bool
    narrowest: float  # the narrowest container, in CSS px, this layer is shown in

    @property
    def scale(self) -> float:
        """CSS px per user unit in the narrowest container the layer is shown in."""
        return self.narrowest / WIDTH

    @property
    def touch_target(self) -> float:
        """TOUCH_TARGET_PX in user units at this layer's narrowest container (rounded up to a tenth)."""
        return math.ceil(TOUCH_TARGET_PX / self.scale * 10) / 10


# Widest first. The stylesheet shows each layer from its `narrowest` up to the next wider layer's; a test
# checks that it does. The narrow layer is also what a container narrower than a phone's shows.
WIDE = Layer("wide", label=13.0, sector=14.0, sector_bold=True, narrowest=592)
MEDIUM = Layer("medium", label=17.0, sector=17.0, sector_bold=True, narrowest=452)
NARROW = Layer("narrow", label=22.0, sector=21.5, sector_bold=False, narrowest=PHONE_CONTAINER)
LAYERS = (WIDE, MEDIUM, NARROW)

SCREEN = {
    "text": "#212b32",  # NHS text colour
    "grid": "#d8dde0",  # NHS grey lines
    "rim": "#f0f4f5",  # NHS pale grey: the band of sector names
    "ring": "#4c6272",  # NHS secondary text colour, 7:1 against white: the rings' names
    "tie": "#768692",  # NHS mid grey: 3.5:1 against white, enough for a line that carries meaning
    "centre": "#212b32",
    "centre_text": "#ffffff",
    "outline": "#ffffff",
    "background": "#ffffff",
    Kind.PERSON: "#005eb8",  # NHS blue
    Kind.GROUP: "#330072",  # NHS purple
    Kind.PLACE: "#007f3b",  # NHS green
    Kind.SERVICE: "#425563",  # NHS dark grey
}
PRINT = {
    "text": "#000000",
    "grid": "#000000",
    "rim": "#ffffff",
    "ring": "#000000",
    "tie": "#000000",
    "centre": "#000000",
    "centre_text": "#ffffff",
    "outline": "#000000",
    "background": "#ffffff",
    Kind.PERSON: "#ffffff",
    Kind.GROUP: "#ffffff",
    Kind.PLACE: "#ffffff",
    Kind.SERVICE: "#ffffff",
}

_SECTOR = 2 * math.pi / len(Category)
_START = -math.pi / 2  # twelve o'clock; angles grow clockwise because SVG's y axis points down
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
# Characters XML 1.0 does not allow; a label typed with one would otherwise break the whole drawing.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_RING_POSITION = {ring: index for index, ring in enumerate(Ring)}
_SECTOR_POSITION = {category: index for index, category in enumerate(Category)}

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


# ---------------------------------------------------------------------------------------------------------
# Text width


# Advance widths of printable ASCII (space to tilde) in thousandths of an em, in Arial and Arial Bold (the
# same as Helvetica's and Liberation Sans's, which are metric-compatible with Arial).
_ARIAL = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778,
    722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278,
    278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]  # fmt: skip
_ARIAL_BOLD = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778,
    722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333,
    278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
]  # fmt: skip
# Letters and punctuation beyond ASCII that names and labels often hold (regular, bold).
_ARIAL_MORE = {
    "’": (222, 278), "‘": (222, 278), "“": (333, 500), "”": (333, 500), "–": (556, 556),
    "—": (1000, 1000), "…": (1000, 1000), "£": (556, 556), "€": (556, 556), "·": (278, 278),
    "ß": (611, 611), "æ": (889, 889), "Æ": (1000, 1000), "ø": (611, 611), "Ø": (778, 778),
    "ł": (222, 278), "Ł": (556, 611), "œ": (944, 944), "Œ": (1000, 1000), "đ": (556, 611),
    "ı": (278, 278), "\u00a0": (278, 278),
}  # fmt: skip
_UNKNOWN = 1000  # a character Arial lacks comes from another font: take it as a full em (CJK is one em)
_WIDE_SYMBOL = 1250  # emoji and other pictographs outside the Basic Multilingual Plane
_ESTIMATE_SLACK = 1.02  # rounding, hinting and the odd wider fallback glyph


def _char_width(char: str, bold: bool) -> int:
    code = ord(char)
    if 32 <= code <= 126:
        return (_ARIAL_BOLD if bold else _ARIAL)[code - 32]
    if char in _ARIAL_MORE:
        return _ARIAL_MORE[char][1 if bold else 0]
    category = unicodedata.category(char)
    if category in ("Mn", "Me", "Cf"):  # accents set over the letter before, joiners and the like
        return 0
    base = unicodedata.normalize("NFD", char)[0]  # é is as wide as e in Arial
    if base != char and 32 <= ord(base) <= 126:
        return (_ARIAL_BOLD if bold else _ARIAL)[ord(base) - 32]
    return _WIDE_SYMBOL if code > 0xFFFF else _UNKNOWN


@lru_cache(maxsize=4096)
def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The width of `text` set in Arial at `size` user units: the sum of its characters' advance widths, a
    little generous so that it is never less than a browser draws. Characters Arial lacks count a full em
    (pictographs more); accents that combine with the letter before count nothing."""
    return sum(_char_width(char, bold) for char in text) * size / 1000 * _ESTIMATE_SLACK + 0.5


# Arial's ascent and descent (0.905 and 0.212 em), rounded up to leave room for accents on capitals.
_ASCENT, _DESCENT = 0.95, 0.24


def line_box(x: float, baseline: float, width: float, size: float) -> Box:
    """The box (with the halo) of a line of text `width` wide centred on `x`, its baseline at `baseline`."""
    return (
        x - width / 2 - HALO,
        baseline - _ASCENT * size - HALO,
        x + width / 2 + HALO,
        baseline + _DESCENT * size + HALO,
    )


# ---------------------------------------------------------------------------------------------------------
# The drawing


def map_svg(
    snapshot: Snapshot,
    *,
    map_id: str,
    title: str = "Connections map",
    description: str | None = None,
    centre_label: str = "You",
    print_version: bool = False,
    entry_ids: Mapping[str, object] | None = None,
) -> str:
    """The map of `snapshot` as an <svg> element (text), ready to place in a page.

    map_id:        prefix of the ids in the drawing (its <title> and <desc> for aria-labelledby, and the
                   paths the sector names follow); must be unique on the page and a valid id (a letter, then
                   letters, digits, "-" or "_").
    title:         the accessible name, e.g. "Connections map, 3 March 2025".
    description:   the accessible description; by default a plain-English count of entries by ring and ties.
    centre_label:  the text in the centre circle ("You" on the person's own printout).
    print_version: black lines on white with no colour fills, for printing in black and white; shapes still
                   tell the kinds apart. No touch targets.
    entry_ids:     what data-entry-id (and a tie's data-a and data-b) holds for each entry key, e.g. the
                   database id the page's script sends back; by default the entry's key.

    Raises ValueError for a bad `map_id`, repeated entry keys, or ties naming entries not on the map.
    """
    if not _ID.match(map_id):
        raise ValueError(f"map_id {map_id!r} is not a valid id")
    colours = PRINT if print_version else SCREEN
    ties = distinct_ties(snapshot)
    positions = layout(snapshot.entries)
    if description is None:
        description = _summary(snapshot.entries, len(ties))
    # Escaped once here: a big map has thousands of ties, each naming two entries.
    ids = {
        entry.key: _text(str(entry_ids[entry.key]) if entry_ids else entry.key) for entry in snapshot.entries
    }
    entries = sorted(snapshot.entries, key=_order)
    centre = _centre_labels(centre_label)
    legends = {layer.name: _legend_layout(layer, centre_label) for layer in LAYERS}
    height = LEGEND_TOP + max(legend.height for legend in legends.values()) + MARGIN
    placed = {layer.name: place_labels(entries, positions, layer, centre[layer.name]) for layer in LAYERS}
    targets = {} if print_version else touch_targets(positions)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" '
        f'aria-labelledby="{map_id}-title {map_id}-desc" class="app-connections-map" '
        f'font-family="Arial, sans-serif" fill="{colours["text"]}">',
        f'<title id="{map_id}-title">{_text(title)}</title>',
        f'<desc id="{map_id}-desc">{_text(description)}</desc>',
    ]
    parts.extend(_sector_paths(map_id))
    parts.append(f'<rect width="{WIDTH}" height="{height:.0f}" fill="{colours["background"]}"/>')
    parts.extend(_zones())
    parts.extend(_grid(colours, print_version))
    parts.extend(_sector_names(map_id))
    if ties:
        width = 1.5 if len(ties) <= CROWDED_TIES else 1  # many heavy lines would hide the entries
        parts.append(
            f'<g class="app-connections-map__ties" stroke="{colours["tie"]}" stroke-width="{width}">'
        )
        for a, b in ties:
            (x1, y1), (x2, y2) = positions[a], positions[b]
            parts.append(
                f'<line class="app-map-tie" data-a="{ids[a]}" data-b="{ids[b]}" '
                f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'
            )
        parts.append("</g>")
    parts.extend(_ring_names(placed, colours))  # over the ties, which their halo interrupts
    parts.extend(_centre(colours, centre_label, centre))
    parts.append('<g class="app-connections-map__entries">')
    for entry in entries:
        x, y = positions[entry.key]
        parts.append(
            f'<g class="app-map-entry" data-entry-id="{ids[entry.key]}" data-key="{_text(entry.key)}" '
            f'data-ring="{entry.ring.value}" data-sector="{entry.category.value}" tabindex="-1">'
            f"<title>{_text(_one_line(entry.label))}</title>"
        )
        for layer in LAYERS:
            if entry.key in targets:
                side = math.floor(targets[entry.key][layer.name] * 10) / 10  # rounded down, never to overlap
                parts.append(
                    f'<rect class="app-map-entry__target {_layer_class(layer)}" x="{x - side / 2:.1f}" '
                    f'y="{y - side / 2:.1f}" width="{side:.1f}" height="{side:.1f}" fill="#ffffff" '
                    f'fill-opacity="0"{_hidden(layer)}/>'
                )
        parts.append(_shape(entry.kind, x, y, NODE, colours, ' class="app-map-shape"'))
        for layer in LAYERS:
            label = placed[layer.name].labels.get(entry.key)
            if label is not None:
                parts.append(_label_text(label, layer, colours, "app-map-label"))
        parts.append("</g>")
    parts.append("</g>")
    parts.extend(_legend(colours, legends))
    parts.append("</svg>")
    return "".join(parts)


def layout(entries: Iterable[Entry]) -> dict[str, tuple[float, float]]:
    """Where each entry sits on the map: key -> (x, y) in the SVG's coordinates. Deterministic.

    Entries of one ring and sector share its cell over one or more lanes (arcs inside the ring): the fewest
    lanes that keep neighbours on a lane ARC_SPACING apart, each lane taking a share of the entries in
    proportion to its length (outer lanes are longer), spread evenly along it less a margin at each sector
    line. The entries, ordered by (label, key), take the places in clockwise order. A cell too full for that
    spacing uses all its lanes, closer together.
    """
    cells: dict[tuple[Ring, Category], list[Entry]] = {}
    seen: set[str] = set()
    for entry in entries:
        if entry.key in seen:
            raise ValueError("two entries of the snapshot share a key")
        seen.add(entry.key)
        cells.setdefault((entry.ring, entry.category), []).append(entry)

    positions: dict[str, tuple[float, float]] = {}
    for (ring, category), members in cells.items():
        members.sort(key=lambda entry: (entry.label, entry.key))
        start = _START + _SECTOR_POSITION[category] * _SECTOR
        places = []
        lanes = _lanes(ring, len(members))
        for lane, (radius, count) in enumerate(lanes):
            padding = min(EDGE_PADDING / radius, _SECTOR / 4)
            # Neighbouring lanes are staggered by a quarter of a place each way, so that entries of the
            # same cell are not lined up one behind another with no room for their labels between.
            stagger = 0.0 if len(lanes) == 1 else 0.25 if lane % 2 else -0.25
            for index in range(count):
                share = (index + 0.5 + stagger) / count
                places.append((start + padding + share * (_SECTOR - 2 * padding), radius))
        for entry, (angle, radius) in zip(members, sorted(places), strict=True):
            positions[entry.key] = (CENTRE_X + radius * math.cos(angle), CENTRE_Y + radius * math.sin(angle))
    return positions


def _lanes(ring: Ring, count: int) -> list[tuple[float, int]]:
    """(radius, how many entries) for each lane a cell of `ring` with `count` entries uses."""
    inner, outer = RING_BANDS[ring]
    inner, outer = inner + LANE_MARGIN, outer - LANE_MARGIN
    most = max(1, int((outer - inner) // LANE_GAP) + 1)
    for lanes in range(1, most + 1):
        radii = _spread(inner, outer, lanes)
        lengths = [max(radius * _SECTOR - 2 * EDGE_PADDING, 1.0) for radius in radii]
        if sum(max(1, int(length // ARC_SPACING)) for length in lengths) >= count or lanes == most:
            break
    # Shares in proportion to length (largest remainders), so that spacing is about even between lanes.
    exact = [count * length / sum(lengths) for length in lengths]
    shares = [int(share) for share in exact]
    for lane in sorted(range(lanes), key=lambda lane: (shares[lane] - exact[lane], -lane))[
        : count - sum(shares)
    ]:
        shares[lane] += 1
    return [(radius, share) for radius, share in zip(radii, shares, strict=True) if share]


def _spread(inner: float, outer: float, lanes: int) -> list[float]:
    if lanes == 1:
        return [(inner + outer) / 2]
    return [inner + (outer - inner) * lane / (lanes - 1) for lane in range(lanes)]


# ---------------------------------------------------------------------------------------------------------
# Placing labels


@dataclass(frozen=True)
class Label:
    """A label as drawn: its lines (one or two), centred on x, the first line's baseline, and its box."""

    lines: tuple[str, ...]
    x: float
    baseline: float
    size: float
    box: Box
    whole: bool  # False when shortened with an ellipsis


@dataclass(frozen=True)
class Placement:
    """One layer's words: entry labels by key (entries missing were left off) and ring names by ring."""

    labels: dict[str, Label]
    rings: dict[Ring, Label]


class _Occupied:
    """Boxes already taken, in a coarse grid so that a new box is tested only against its neighbours. A box
    may carry an owner, so that a label can be tested against every shape but its own entry's."""

    CELL = 64.0

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list[tuple[float, float, float, float, str]]] = {}

    def add(self, box: Box, owner: str = "") -> None:
        cell = self.CELL
        for column in range(int(box[0] // cell), int(box[2] // cell) + 1):
            for row in range(int(box[1] // cell), int(box[3] // cell) + 1):
                self._cells.setdefault((column, row), []).append((*box, owner))

    def free(self, box: Box, owner: str | None = None) -> bool:
        """Whether `box` meets no box here (those of `owner` aside)."""
        x0, y0, x1, y1 = box
        cell, cells = self.CELL, self._cells
        for column in range(int(x0 // cell), int(x1 // cell) + 1):
            for row in range(int(y0 // cell), int(y1 // cell) + 1):
                for a0, b0, a1, b1, whose in cells.get((column, row), ()):
                    if x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1 and whose != owner:
                        return False
        return True


def shape_box(kind: Kind, x: float, y: float, size: float = NODE) -> Box:
    """The box round an entry's shape (with its outline)."""
    if kind == Kind.PERSON:
        left = top = right = bottom = size
    elif kind == Kind.GROUP:
        left = top = right = bottom = size * 0.9
    elif kind == Kind.PLACE:
        left, top, right, bottom = size * 1.1, size * 1.2, size * 1.1, size * 0.8
    else:
        left = top = right = bottom = size * 1.25
    pad = 1.0  # half the outline
    return (x - left - pad, y - top - pad, x + right + pad, y + bottom + pad)


def _inside_disc(box: Box, radius: float) -> bool:
    """Whether `box` lies wholly within `radius` of the centre (its corners do: the disc is convex)."""
    limit = radius * radius
    for x in (box[0], box[2]):
        for y in (box[1], box[3]):
            if (x - CENTRE_X) ** 2 + (y - CENTRE_Y) ** 2 > limit:
                return False
    return True


def _clear_of_centre(box: Box, radius: float) -> bool:
    """Whether `box` stays outside the centre circle of `radius`."""
    nearest_x = min(max(CENTRE_X, box[0]), box[2])
    nearest_y = min(max(CENTRE_Y, box[1]), box[3])
    return (nearest_x - CENTRE_X) ** 2 + (nearest_y - CENTRE_Y) ** 2 >= radius * radius


def sector_name_boxes(layer: Layer) -> list[Box]:
    """Boxes that together cover each sector name as `layer` sets it round the rim (the text is curved, so a
    run of small boxes along the arc, each a little wider and taller than the text is tall)."""
    radius = RIM_OUTER - RIM_WIDTH / 2
    half = 0.6 * layer.sector + HALO
    boxes = []
    for index, category in enumerate(Category):
        span = text_width(CATEGORY_NAMES[category], layer.sector, bold=layer.sector_bold) / radius
        middle = _START + (index + 0.5) * _SECTOR
        steps = max(2, math.ceil(span * radius / half))
        for step in range(steps + 1):
            x, y = _point(radius, middle - span / 2 + span * step / steps)
            boxes.append((x - half, y - half, x + half, y + half))
    return boxes


# The places a label may go round its shape, most preferred first: (across, up_down, slide). Across -1/0/1
# puts the label left of, centred on, or right of the shape; up_down likewise above, level with, below. A
# slide of 1 (or -1) lines the label's left (or right) edge up with the shape's, so that it reaches across.
_CANDIDATES = (
    (0, 1, 0),
    (0, -1, 0),
    (1, 0, 0),
    (-1, 0, 0),
    (0, 1, 1),
    (0, 1, -1),
    (0, -1, 1),
    (0, -1, -1),
    (1, 1, 0),
    (-1, 1, 0),
    (1, -1, 0),
    (-1, -1, 0),
)
_MAIN = _CANDIDATES[:4]  # below, above, right and left: enough to tell a cramped entry from a free one
_OFF = LABEL_GAP + HALO  # from a shape's box to the text beside it


def _candidate(width: float, height: float, shape: Box, where: tuple[int, int, int]) -> Box:
    """The box (text and halo) of a label `width` x `height` at place `where` round `shape`."""
    across, up_down, slide = where
    x0, y0, x1, y1 = shape
    if across == 1:
        left = x1 + _OFF
    elif across == -1:
        left = x0 - _OFF - width
    elif slide == 1:
        left = x0
    elif slide == -1:
        left = x1 - width
    else:
        left = (x0 + x1 - width) / 2
    if up_down == 1:
        top = y1 + _OFF
    elif up_down == -1:
        top = y0 - _OFF - height
    else:
        top = (y0 + y1 - height) / 2
    return (left - HALO, top - HALO, left + width + HALO, top + height + HALO)


def _height(lines: int, size: float) -> float:
    return (_ASCENT + _DESCENT + LINE_SPACING * (lines - 1)) * size


def _variants(text: str, size: float) -> list[tuple[tuple[str, ...], bool]]:
    """The forms a label may take, best first: whole on one line, whole on two, then shortened. The last is
    the shortest, and narrower than every other one-line form."""
    if not text:
        return []
    forms: list[tuple[tuple[str, ...], bool]] = [((text,), True)]
    words = text.split(" ")
    if len(words) > 1:
        # The split that makes the longer line shortest.
        best = min(
            range(1, len(words)),
            key=lambda cut: max(
                text_width(" ".join(words[:cut]), size), text_width(" ".join(words[cut:]), size)
            ),
        )
        forms.append(((" ".join(words[:best]), " ".join(words[best:])), True))
    for keep in SHORTENED:
        if len(text) > keep + 1:
            forms.append(((text[:keep].rstrip() + "…",), False))
    return forms


def place_labels(
    entries: list[Entry],
    positions: Mapping[str, tuple[float, float]],
    layer: Layer,
    centre: Label | None = None,
) -> Placement:
    """Where `layer`'s labels go. Each entry's label goes at the first candidate place round its shape where
    its box stays in the drawing, clear of the centre, of every label already placed and of the sector names,
    and at least CLEARANCE from any other entry's shape (so that it reads as its own entry's); whole if it
    can be, else on two lines, else shortened; left off when nothing fits. Then each ring's name, straight
    above (or else below) the centre just inside the ring's outer line, where there is room."""
    size = layer.label
    one_line = _height(1, size)
    # Everything a label must keep off: other entries' shapes (grown by CLEARANCE, so that a label reads as
    # its own entry's), the sector names, the centre's text, and the labels placed so far.
    taken = _Occupied()
    boxes = {}
    for entry in entries:
        x0, y0, x1, y1 = boxes[entry.key] = shape_box(entry.kind, *positions[entry.key])
        taken.add((x0 - CLEARANCE, y0 - CLEARANCE, x1 + CLEARANCE, y1 + CLEARANCE), entry.key)
    for box in sector_name_boxes(layer):
        taken.add(box)
    if centre is not None:
        taken.add(centre.box)
    forms = {entry.key: _variants(_one_line(entry.label), size) for entry in entries}

    bottom = LEGEND_TOP - 4
    near_centre = CENTRE_RADIUS + 3 * size  # only a box whose middle is this near might reach the centre

    def checker(key: str) -> Callable[[Box], bool]:
        """A test of candidate boxes for entry `key`'s label."""

        def fits(box: Box) -> bool:
            x0, y0, x1, y1 = box
            if x0 < 0 or y0 < 0 or x1 > WIDTH or y1 > bottom:
                return False
            if not taken.free(box, key):
                return False
            if abs(x0 + x1 - 2 * CENTRE_X) < x1 - x0 + 2 * near_centre and abs(y0 + y1 - 2 * CENTRE_Y) < (
                y1 - y0 + 2 * near_centre
            ):
                return _clear_of_centre(box, CENTRE_RADIUS)
            return True

        return fits

    # The entry with the fewest places (of the main four) for its whole label goes first: one by the rim has
    # less choice than one in open space, and taking its only place late would cost it its label. Ties go
    # closest ring first.
    def choice(entry: Entry) -> int:
        if not forms[entry.key]:
            return len(_MAIN)
        text = forms[entry.key][0][0][0]
        width = text_width(text, size)
        fits = checker(entry.key)
        return sum(fits(_candidate(width, one_line, boxes[entry.key], where)) for where in _MAIN)

    labels: dict[str, Label] = {}
    for entry in sorted(entries, key=lambda entry: (choice(entry), _order(entry))):
        shape, options = boxes[entry.key], forms[entry.key]
        if not options:
            continue
        fits = checker(entry.key)
        places = _CANDIDATES
        spot = None
        for index, (lines, whole) in enumerate(options):
            width = max(text_width(line, size) for line in lines)
            height = _height(len(lines), size)
            if index == 1 or (index == 2 and len(options[1][0]) == 1):
                # Whole on one line fits nowhere. Any shortened form, being narrower, fits only where the
                # shortest one does (each one-line box holds the shorter ones placed at the same spot).
                shortest = text_width(options[-1][0][0], size)
                places = tuple(
                    where for where in _CANDIDATES if fits(_candidate(shortest, one_line, shape, where))
                )
            candidates = _CANDIDATES if len(lines) == 2 else places
            spot = next(
                (box for where in candidates if fits(box := _candidate(width, height, shape, where))), None
            )
            if spot is not None:
                labels[entry.key] = Label(
                    lines, (spot[0] + spot[2]) / 2, spot[1] + HALO + _ASCENT * size, size, spot, whole
                )
                taken.add(spot)
                break
            if not places and all(len(lines) == 1 for lines, _ in options[index + 1 :]):
                break

    rings: dict[Ring, Label] = {}
    for ring, (inner, outer) in RING_BANDS.items():
        name = RING_NAMES[ring]
        width = text_width(name, size)
        for x, top in _ring_name_places(inner, outer, width, size):
            box = (x - width / 2 - HALO, top, x + width / 2 + HALO, top + one_line + 2 * HALO)
            if (
                _inside_disc(box, outer)
                and _clear_of_centre(box, max(inner, CENTRE_RADIUS))
                and taken.free(box)
            ):
                rings[ring] = Label((name,), x, top + HALO + _ASCENT * size, size, box, True)
                taken.add(box)
                break
    return Placement(labels, rings)


def _ring_name_places(inner: float, outer: float, width: float, size: float) -> Iterator[tuple[float, float]]:
    """Where a ring's name may go, best first, as (middle, top): just inside the ring's outer line straight
    above the centre, or a little to either side; the same below the centre; then anywhere round the ring,
    on the middle of its band, nearest twelve o'clock first."""
    height = _height(1, size) + 2 * HALO
    for top in (CENTRE_Y - outer + 4, CENTRE_Y + outer - 4 - height):
        for shift in (0, -1, 1, -2, 2, -3, 3, -4, 4):
            yield CENTRE_X + shift * 10, top
    middle = (inner + outer) / 2
    for step in range(1, 18):
        for turn in (step, -step):
            x, y = _point(middle, _START + math.radians(10 * turn))
            yield x, y - height / 2


def touch_targets(positions: Mapping[str, tuple[float, float]]) -> dict[str, dict[str, float]]:
    """The side of each entry's square touch target in each layer, in user units: TOUCH_TARGET_PX at the
    layer's narrowest container, or less where another entry is nearer, so that no two targets overlap (two
    squares centred d apart along the wider axis do not overlap when each side is at most d)."""
    keys = sorted(positions)
    if not keys:
        return {}
    points = np.array([positions[key] for key in keys])
    # Chebyshev distance between every two entries (250 entries: 62,500 pairs, well under a millisecond).
    apart = np.abs(points[:, None, :] - points[None, :, :]).max(axis=2)
    np.fill_diagonal(apart, np.inf)
    nearest = apart.min(axis=1)
    return {
        key: {layer.name: float(min(layer.touch_target, nearest[index])) for layer in LAYERS}
        for index, key in enumerate(keys)
    }


# ---------------------------------------------------------------------------------------------------------
# Pieces of the drawing


def _order(entry: Entry) -> tuple[int, int, str, str]:
    return (_RING_POSITION[entry.ring], _SECTOR_POSITION[entry.category], entry.label, entry.key)


def _text(text: str) -> str:
    """`text` made safe to place in SVG text or an attribute value."""
    return escape(_NOT_XML.sub("", text))


def _one_line(text: str) -> str:
    """`text` as SVG shows it: characters XML forbids dropped, runs of white space one space."""
    return " ".join(_NOT_XML.sub("", text).split())


def _layer_class(layer: Layer) -> str:
    return f"app-map-{layer.name}"


def _hidden(layer: Layer) -> str:
    # Only the stylesheet's container query shows the narrow layer; without it the wide one stands alone.
    return ' display="none"' if layer is not WIDE else ""


def _label_text(label: Label, layer: Layer, colours: dict, css_class: str, extra: str = "") -> str:
    spans = "".join(
        f'<tspan x="{label.x:.1f}" y="{label.baseline + index * LINE_SPACING * label.size:.1f}">'
        f"{_text(line)}</tspan>"
        for index, line in enumerate(label.lines)
    )
    return (
        f'<text class="{css_class} {_layer_class(layer)}" text-anchor="middle" '
        f'font-size="{label.size:g}" stroke="{colours["background"]}" stroke-width="{2 * HALO - 1:g}" '
        f'stroke-linejoin="round" paint-order="stroke"{extra}{_hidden(layer)}>{spans}</text>'
    )


def _shape(kind: Kind, x: float, y: float, size: float, colours: dict, extra: str = "") -> str:
    paint = f'fill="{colours[kind]}" stroke="{colours["outline"]}" stroke-width="1.5"{extra}'
    if kind == Kind.PERSON:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" {paint}/>'
    if kind == Kind.GROUP:
        side = size * 1.8
        return (
            f'<rect x="{x - side / 2:.1f}" y="{y - side / 2:.1f}" width="{side:.1f}" height="{side:.1f}" '
            f"{paint}/>"
        )
    if kind == Kind.PLACE:
        points = ((x, y - size * 1.2), (x + size * 1.1, y + size * 0.8), (x - size * 1.1, y + size * 0.8))
    else:
        step = size * 1.25
        points = ((x, y - step), (x + step, y), (x, y + step), (x - step, y))
    return f'<polygon points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in points)}" {paint}/>'


def _point(radius: float, angle: float) -> tuple[float, float]:
    return CENTRE_X + radius * math.cos(angle), CENTRE_Y + radius * math.sin(angle)


def _zones() -> list[str]:
    """One transparent, pointer-catching path per ring and sector: where the page's script drops entries."""
    parts = ['<g class="app-connections-map__zones">']
    for ring, (inner, outer) in RING_BANDS.items():
        if ring == Ring.OUTER:
            outer = RIM_OUTER  # a drop on the rim lands in the outer ring
        for index, category in enumerate(Category):
            a0, a1 = _START + index * _SECTOR, _START + (index + 1) * _SECTOR
            (x0, y0), (x1, y1) = _point(outer, a0), _point(outer, a1)
            (x2, y2), (x3, y3) = _point(inner, a1), _point(inner, a0)
            parts.append(
                f'<path class="app-map-zone" data-ring="{ring.value}" data-sector="{category.value}" '
                f'd="M{x0:.1f},{y0:.1f}A{outer:g},{outer:g} 0 0 1 {x1:.1f},{y1:.1f}'
                f'L{x2:.1f},{y2:.1f}A{inner:g},{inner:g} 0 0 0 {x3:.1f},{y3:.1f}Z" '
                f'fill="#ffffff" fill-opacity="0"/>'
            )
    parts.append("</g>")
    return parts


def _grid(colours: dict, print_version: bool) -> list[str]:
    # In print the grid is black like everything else, so it is dashed and thin to stay behind the entries.
    dashes = ' stroke-dasharray="4 4"' if print_version else ""
    width = 1 if print_version else 1.5
    parts = [
        f'<g class="app-connections-map__grid" fill="none" stroke="{colours["grid"]}" stroke-width="{width}" '
        f'pointer-events="none">',
        # The rim: a band of its own colour, edged like the rings.
        f'<circle cx="{CENTRE_X:g}" cy="{CENTRE_Y:g}" r="{RIM_OUTER - RIM_WIDTH / 2:g}" '
        f'stroke="{colours["rim"]}" stroke-width="{RIM_WIDTH:g}"/>',
        f'<circle cx="{CENTRE_X:g}" cy="{CENTRE_Y:g}" r="{RIM_OUTER:g}"/>',
    ]
    for _inner, outer in RING_BANDS.values():
        parts.append(f'<circle cx="{CENTRE_X:g}" cy="{CENTRE_Y:g}" r="{outer:g}"{dashes}/>')
    inner_edge = RING_BANDS[Ring.CLOSE][0]
    for index in range(len(Category)):
        angle = _START + index * _SECTOR
        (x1, y1), (x2, y2) = _point(inner_edge, angle), _point(RIM_OUTER, angle)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"{dashes}/>')
    parts.append("</g>")
    return parts


def _reads_anticlockwise(index: int) -> bool:
    """Whether sector `index`'s name runs anticlockwise, so that it reads left to right below the centre."""
    middle = (index + 0.5) * 360 / len(Category)  # degrees clockwise from twelve o'clock
    return 90 < middle < 270


def _sector_paths(map_id: str) -> list[str]:
    """The arcs, along the middle of the rim, that the sector names follow (clockwise above, anticlockwise
    below so no name is upside down)."""
    radius = RIM_OUTER - RIM_WIDTH / 2
    parts = ["<defs>"]
    for index in range(len(Category)):
        a0, a1 = _START + index * _SECTOR, _START + (index + 1) * _SECTOR
        (x0, y0), (x1, y1) = _point(radius, a0), _point(radius, a1)
        if _reads_anticlockwise(index):
            d = f"M{x1:.1f},{y1:.1f}A{radius:g},{radius:g} 0 0 0 {x0:.1f},{y0:.1f}"
        else:
            d = f"M{x0:.1f},{y0:.1f}A{radius:g},{radius:g} 0 0 1 {x1:.1f},{y1:.1f}"
        parts.append(f'<path id="{map_id}-sector-{index}" d="{d}"/>')
    parts.append("</defs>")
    return parts


def sector_arc_length() -> float:
    """The length of the path one sector's name follows, in user units."""
    return (RIM_OUTER - RIM_WIDTH / 2) * _SECTOR


def _sector_names(map_id: str) -> list[str]:
    parts = ['<g class="app-connections-map__sectors" pointer-events="none">']
    for layer in LAYERS:
        weight = ' font-weight="bold"' if layer.sector_bold else ""
        parts.append(
            f'<g class="{_layer_class(layer)}" font-size="{layer.sector:g}"{weight}{_hidden(layer)}>'
        )
        for index, category in enumerate(Category):
            parts.append(
                f'<text dominant-baseline="central"><textPath href="#{map_id}-sector-{index}" '
                f'startOffset="50%" text-anchor="middle">{_text(CATEGORY_NAMES[category])}</textPath></text>'
            )
        parts.append("</g>")
    parts.append("</g>")
    return parts


def _ring_names(placed: Mapping[str, Placement], colours: dict) -> list[str]:
    parts = ['<g class="app-connections-map__rings" pointer-events="none">']
    for layer in LAYERS:
        for ring in Ring:
            label = placed[layer.name].rings.get(ring)
            if label is not None:
                # In italics and a quieter colour, so that no one takes a ring's name for an entry's.
                parts.append(
                    _label_text(
                        label,
                        layer,
                        colours,
                        "app-map-ring-name",
                        f' font-style="italic" fill="{colours["ring"]}"',
                    )
                )
    parts.append("</g>")
    return parts


def _centre_labels(centre_label: str) -> dict[str, Label]:
    """The centre's text in each layer, bold, shortened with an ellipsis to fit inside the circle."""
    labels = {}
    for layer in LAYERS:
        size = layer.label
        room = 2 * math.sqrt(CENTRE_RADIUS**2 - (0.6 * size) ** 2) - 4
        text = _one_line(centre_label)
        if text_width(text, size, bold=True) > room:
            # The initials, as many as fit; the legend beside the dark circle gives the name in full.
            text = "".join(word[0] for word in text.split())
            while text and text_width(text, size, bold=True) > room:
                text = text[:-1]
        baseline = CENTRE_Y + 0.35 * size
        box = line_box(CENTRE_X, baseline, text_width(text, size, bold=True), size)
        labels[layer.name] = Label((text,), CENTRE_X, baseline, size, box, text == _one_line(centre_label))
    return labels


def _centre(colours: dict, centre_label: str, labels: Mapping[str, Label]) -> list[str]:
    parts = [
        '<g class="app-connections-map__centre" pointer-events="none">',
        f"<title>{_text(_one_line(centre_label))}</title>",
        f'<circle cx="{CENTRE_X:g}" cy="{CENTRE_Y:g}" r="{CENTRE_RADIUS:g}" fill="{colours["centre"]}"/>',
    ]
    for layer in LAYERS:
        label = labels[layer.name]
        parts.append(
            f'<text class="{_layer_class(layer)}" x="{label.x:g}" y="{label.baseline:.1f}" text-anchor="middle" '
            f'font-size="{label.size:g}" font-weight="bold" fill="{colours["centre_text"]}"{_hidden(layer)}>'
            f"{_text(label.lines[0])}</text>"
        )
    parts.append("</g>")
    return parts


@dataclass(frozen=True)
class _Legend:
    items: list[tuple[str, float, float]]  # what (a Kind value, "centre" or "tie"), x of its mark, baseline
    texts: list[tuple[str, float, float]]  # text, x, baseline
    size: float
    height: float


def _legend_layout(layer: Layer, centre_label: str) -> _Legend:
    """The key below the disc, its items flowing left to right and onto new rows, then a line on the rings
    and sectors wrapped to the width."""
    size = layer.label
    row_height = max(size * 1.5, 2.6 * NODE)
    mark = 3 * NODE  # room for a mark (a shape, or a tie's line)
    left, right = MARGIN + 12, WIDTH - MARGIN - 12
    centre_text = _one_line(centre_label)
    if len(centre_text) > 16:
        centre_text = centre_text[:15].rstrip() + "…"
    entries = [("centre", centre_text)] + [(kind.value, KIND_NAMES[kind]) for kind in Kind]
    entries.append(("tie", "Tie between two entries"))
    items, texts = [], []
    x, row = left, 0
    for what, text in entries:
        width = mark + 6 + text_width(text, size)
        if x > left and x + width > right:
            x, row = left, row + 1
        baseline = LEGEND_TOP + row * row_height + row_height / 2 + 0.35 * size
        items.append((what, x + mark / 2, baseline - 0.35 * size))
        texts.append((text, x + mark + 6, baseline))
        x += width + size * 1.5
    top = LEGEND_TOP + (row + 1) * row_height + size * 0.6
    if layer is not WIDE:  # on a narrow screen the rings' names on the drawing say it, and save the room
        return _Legend(items, texts, size, top - LEGEND_TOP)
    words = "Rings from the centre: close, middle, outer. Sectors: the kind of relationship.".split()
    lines: list[str] = []
    for word in words:
        if lines and text_width(f"{lines[-1]} {word}", size) <= right - left:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    for index, line in enumerate(lines):
        texts.append((line, left, top + _ASCENT * size + index * LINE_SPACING * size))
    height = top - LEGEND_TOP + (_ASCENT + _DESCENT + LINE_SPACING * (len(lines) - 1)) * size
    return _Legend(items, texts, size, height)


def _legend(colours: dict, legends: Mapping[str, _Legend]) -> list[str]:
    parts = ['<g class="app-connections-map__legend" pointer-events="none">']
    for layer in LAYERS:
        legend = legends[layer.name]
        parts.append(f'<g class="{_layer_class(layer)}" font-size="{legend.size:g}"{_hidden(layer)}>')
        for what, x, y in legend.items:
            if what == "centre":
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{NODE * 1.2:.1f}" fill="{colours["centre"]}"/>'
                )
            elif what == "tie":
                parts.append(
                    f'<line x1="{x - 12:.1f}" y1="{y:.1f}" x2="{x + 12:.1f}" y2="{y:.1f}" '
                    f'stroke="{colours["tie"]}" stroke-width="1.5"/>'
                )
            else:
                parts.append(_shape(Kind(what), x, y, NODE, colours, ' class="app-map-shape"'))
        for text, x, y in legend.texts:
            parts.append(f'<text x="{x:.1f}" y="{y:.1f}">{_text(text)}</text>')
        parts.append("</g>")
    parts.append("</g>")
    return parts


def _summary(entries: tuple[Entry, ...], tie_count: int) -> str:
    by_ring = dict.fromkeys(Ring, 0)
    for entry in entries:
        by_ring[entry.ring] += 1
    if not entries:
        return "The map has no entries yet."
    rings = ", ".join(f"{by_ring[ring]} {RING_NAMES[ring].lower()}" for ring in Ring)
    noun = "entry" if len(entries) == 1 else "entries"
    text = f"The map has {len(entries)} {noun}: {rings}."
    if tie_count:
        text += f" {tie_count} {'tie' if tie_count == 1 else 'ties'} between entries."
    return text
