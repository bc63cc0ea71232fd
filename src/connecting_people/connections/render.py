"""The connections map drawn as SVG on the server. Pure: a snapshot in, SVG text out.

The drawing is the usual concentric sociogram: the person in the centre, three rings (close, middle, outer)
and ten sectors, one per relationship category in `Category` order, clockwise from twelve o'clock. Each entry
sits in its ring and sector; kinds differ by shape (circle person, square group, triangle place, diamond
service) and, on screen, also by colour, so colour is never the only cue. Ties between entries are lines.

Layout is deterministic: entries of one ring and sector are ordered by (label, key) and spread evenly across
the sector, zig-zagging between lanes when a sector is crowded, so the same snapshot gives byte-identical SVG
whatever the order of its entries. There is no randomness and no state.

The SVG is a picture of the table of entries that sits beside it on the page (the accessible version): it
carries role="img", a <title> and a <desc> summarising the map, not every entry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from html import escape

from .domain import Category, Entry, Kind, Ring, Snapshot
from .metrics import distinct_ties

CATEGORY_NAMES = {
    Category.FAMILY: "Family",
    Category.PARTNER: "Partner",
    Category.FRIEND: "Friends",
    Category.NEIGHBOUR: "Neighbours",
    Category.WORK_EDUCATION: "Work or education",
    Category.COMMUNITY_GROUP: "Community groups",
    Category.FAITH: "Faith",
    Category.PEER_SUPPORT: "Peer support",
    Category.ONLINE: "Online",
    Category.SERVICES: "Services",
}
KIND_NAMES = {Kind.PERSON: "Person", Kind.GROUP: "Group", Kind.PLACE: "Place", Kind.SERVICE: "Service"}
RING_NAMES = {Ring.CLOSE: "Close", Ring.MIDDLE: "Middle", Ring.OUTER: "Outer"}

WIDTH, HEIGHT = 960, 850
CENTRE_X, CENTRE_Y = 480, 380
CENTRE_RADIUS = 30  # the person in the middle
RING_BANDS = {Ring.CLOSE: (40.0, 140.0), Ring.MIDDLE: (140.0, 240.0), Ring.OUTER: (240.0, 320.0)}
SECTOR_LABEL_RADIUS = 334
LEGEND_Y = 775

NODE = 8.0  # half the size of an entry's shape
ARC_SPACING = 34.0  # the least distance along a lane between two entries before another lane opens
LANE_MARGIN = 16.0  # keeps shapes and labels off the ring lines
LANE_GAP = 22.0  # the least distance between two lanes of one ring
EDGE_PADDING = 12.0  # keeps entries of neighbouring sectors apart across the sector line
CROWDED_TIES = 60  # above this many ties, lines are drawn thinner
LABEL_LENGTH = 16  # longer labels are cut short with an ellipsis; the table beside the map shows them whole

SCREEN = {
    "text": "#212b32",  # NHS text colour
    "grid": "#d8dde0",  # NHS grey lines
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


def map_svg(
    snapshot: Snapshot,
    *,
    map_id: str,
    title: str = "Connections map",
    description: str | None = None,
    centre_label: str = "You",
    print_version: bool = False,
    entry_ids: Mapping[str, int] | None = None,
) -> str:
    """The map of `snapshot` as an <svg> element (text), ready to place in a page.

    map_id:        prefix of the ids of <title> and <desc> (aria-labelledby); must be unique on the page and a
                   valid id (a letter, then letters, digits, "-" or "_").
    title:         the accessible name, e.g. "Connections map, 3 March 2025".
    description:   the accessible description; by default a plain-English count of entries by ring and ties.
    centre_label:  the text in the centre circle ("You" on the person's own printout).
    print_version: black lines on white with no colour fills, for printing in black and white; shapes still
                   tell the kinds apart.
    entry_ids:     {entry key: database id} for the map builder page: each entry then carries
                   class="app-map-entry", data-entry-id, data-ring, data-sector, tabindex="-1" and a <title>
                   with its whole label; ties carry class="app-map-tie" data-a/data-b (ids); and each ring and
                   sector is drawn as an invisible zone (class="app-map-zone", data-ring, data-sector) to drop
                   entries on. Without it (the printout) the drawing is as before.

    Raises ValueError for a bad `map_id`, repeated entry keys, or ties naming entries not on the map.
    """
    if not _ID.match(map_id):
        raise ValueError(f"map_id {map_id!r} is not a valid id")
    colours = PRINT if print_version else SCREEN
    ties = distinct_ties(snapshot)
    positions = layout(snapshot.entries)
    if description is None:
        description = _summary(snapshot.entries, len(ties))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="{map_id}-title {map_id}-desc" class="app-connections-map" '
        f'font-family="Frutiger W01, Arial, sans-serif" fill="{colours["text"]}">',
        f'<title id="{map_id}-title">{_text(title)}</title>',
        f'<desc id="{map_id}-desc">{_text(description)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{colours["background"]}"/>',
    ]
    parts.extend(_grid(colours, print_version))
    if entry_ids is not None:
        parts.extend(_zones())
    if ties:
        width = 1.5 if len(ties) <= CROWDED_TIES else 1  # many heavy lines would hide the entries
        parts.append(
            f'<g class="app-connections-map__ties" stroke="{colours["tie"]}" stroke-width="{width}">'
        )
        for a, b in ties:
            (x1, y1), (x2, y2) = positions[a], positions[b]
            tagged = ""
            if entry_ids is not None:
                tagged = f' class="app-map-tie" data-a="{entry_ids[a]}" data-b="{entry_ids[b]}"'
            parts.append(f'<line{tagged} x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')
        parts.append("</g>")
    parts.append(
        f'<circle cx="{CENTRE_X}" cy="{CENTRE_Y}" r="{CENTRE_RADIUS}" fill="{colours["centre"]}"/>'
        f'<text x="{CENTRE_X}" y="{CENTRE_Y + 5}" text-anchor="middle" font-size="15" font-weight="bold" '
        f'fill="{colours["centre_text"]}">{_text(_short(centre_label, 8))}</text>'
    )
    parts.append('<g class="app-connections-map__entries">')
    for entry in sorted(snapshot.entries, key=_order):
        x, y = positions[entry.key]
        tagged = ""
        if entry_ids is not None:
            tagged = (
                f' app-map-entry" data-entry-id="{entry_ids[entry.key]}" data-ring="{entry.ring.value}" '
                f'data-sector="{entry.category.value}" tabindex="-1'
            )
        parts.append(
            f'<g class="app-connections-map__entry{tagged}" data-key="{_text(entry.key)}">'
            + (f"<title>{_text(entry.label)}</title>" if entry_ids is not None else "")
            + f"{_shape(entry.kind, x, y, NODE, colours)}"
            f'<text x="{x:.1f}" y="{y + NODE + 12:.1f}" text-anchor="middle" font-size="12" '
            f'stroke="{colours["background"]}" stroke-width="3" paint-order="stroke">'
            f"{_text(_short(entry.label, LABEL_LENGTH))}</text></g>"
        )
    parts.append("</g>")
    parts.extend(_legend(colours, centre_label))
    parts.append("</svg>")
    return "".join(parts)


def layout(entries: Iterable[Entry]) -> dict[str, tuple[float, float]]:
    """Where each entry sits on the map: key -> (x, y) in the SVG's coordinates. Deterministic.

    Entries of one ring and sector are ordered by (label, key) and spread evenly across the sector (less a
    margin either side). When they would sit closer than ARC_SPACING along one lane, they zig-zag over as
    many lanes (concentric arcs inside the ring) as are needed and fit; a very crowded sector overlaps.
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
        radii = _lanes(ring, len(members))
        start = _START + _SECTOR_POSITION[category] * _SECTOR
        for index, entry in enumerate(members):
            radius = radii[index % len(radii)]
            padding = min(EDGE_PADDING / radius, _SECTOR / 4)
            angle = start + padding + (index + 0.5) / len(members) * (_SECTOR - 2 * padding)
            positions[entry.key] = (
                CENTRE_X + radius * math.cos(angle),
                CENTRE_Y + radius * math.sin(angle),
            )
    return positions


def _lanes(ring: Ring, count: int) -> list[float]:
    """Radii of the fewest lanes that keep `count` zig-zagged entries ARC_SPACING apart (or as many as fit)."""
    inner, outer = RING_BANDS[ring]
    inner, outer = inner + LANE_MARGIN, outer - LANE_MARGIN
    most = max(1, int((outer - inner) // LANE_GAP) + 1)
    for lanes in range(1, most + 1):
        radii = [(inner + outer) / 2] if lanes == 1 else _spread(inner, outer, lanes)
        # Entries on one lane are `lanes` steps apart; the innermost lane is the tightest.
        if radii[0] * _SECTOR * lanes / count >= ARC_SPACING:
            return radii
    return _spread(inner, outer, most)


def _spread(inner: float, outer: float, lanes: int) -> list[float]:
    if lanes == 1:
        return [(inner + outer) / 2]
    return [inner + (outer - inner) * lane / (lanes - 1) for lane in range(lanes)]


def _order(entry: Entry) -> tuple[int, int, str, str]:
    return (_RING_POSITION[entry.ring], _SECTOR_POSITION[entry.category], entry.label, entry.key)


def _text(text: str) -> str:
    """`text` made safe to place in SVG text or an attribute value."""
    return escape(_NOT_XML.sub("", text))


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _shape(kind: Kind, x: float, y: float, size: float, colours: dict) -> str:
    paint = f'fill="{colours[kind]}" stroke="{colours["outline"]}" stroke-width="1.5"'
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


def _grid(colours: dict, print_version: bool) -> list[str]:
    # In print the grid is black like everything else, so it is dashed and thin to stay behind the entries.
    dashes = ' stroke-dasharray="4 4"' if print_version else ""
    width = 1 if print_version else 1.5
    parts = [
        f'<g class="app-connections-map__grid" fill="none" stroke="{colours["grid"]}" stroke-width="{width}">'
    ]
    for _inner, outer in RING_BANDS.values():
        parts.append(f'<circle cx="{CENTRE_X}" cy="{CENTRE_Y}" r="{outer:.0f}"{dashes}/>')
    inner_edge, outer_edge = RING_BANDS[Ring.CLOSE][0], RING_BANDS[Ring.OUTER][1]
    for index in range(len(Category)):
        angle = _START + index * _SECTOR
        parts.append(
            f'<line x1="{CENTRE_X + inner_edge * math.cos(angle):.1f}" '
            f'y1="{CENTRE_Y + inner_edge * math.sin(angle):.1f}" '
            f'x2="{CENTRE_X + outer_edge * math.cos(angle):.1f}" '
            f'y2="{CENTRE_Y + outer_edge * math.sin(angle):.1f}"{dashes}/>'
        )
    parts.append("</g>")

    parts.append('<g class="app-connections-map__sectors" font-size="14" font-weight="bold">')
    for index, category in enumerate(Category):
        angle = _START + (index + 0.5) * _SECTOR
        cos, sin = math.cos(angle), math.sin(angle)
        anchor = "start" if cos > 0.2 else "end" if cos < -0.2 else "middle"
        x = CENTRE_X + SECTOR_LABEL_RADIUS * cos
        y = CENTRE_Y + SECTOR_LABEL_RADIUS * sin + 5 + 8 * sin  # lift labels above, drop them below
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{_text(CATEGORY_NAMES[category])}</text>'
        )
    parts.append("</g>")

    # Ring names sit just inside each ring at twelve o'clock, on a halo that hides the sector line beneath.
    parts.append(
        f'<g class="app-connections-map__rings" font-size="12" text-anchor="middle" '
        f'stroke="{colours["background"]}" stroke-width="4" paint-order="stroke">'
    )
    for ring, (_inner, outer) in RING_BANDS.items():
        parts.append(f'<text x="{CENTRE_X}" y="{CENTRE_Y - outer + 17:.0f}">{RING_NAMES[ring]}</text>')
    parts.append("</g>")
    return parts


def _zones() -> list[str]:
    """One invisible, pointer-sensitive shape per ring and sector, for the map builder to drop entries on."""
    parts = ['<g class="app-map-zones" fill="#ffffff" fill-opacity="0">']
    for ring, (inner, outer) in RING_BANDS.items():
        for index, category in enumerate(Category):
            start, end = _START + index * _SECTOR, _START + (index + 1) * _SECTOR
            corners = [
                (CENTRE_X + radius * math.cos(angle), CENTRE_Y + radius * math.sin(angle))
                for radius, angle in ((inner, start), (outer, start), (outer, end), (inner, end))
            ]
            (x1, y1), (x2, y2), (x3, y3), (x4, y4) = corners
            parts.append(
                f'<path class="app-map-zone" data-ring="{ring.value}" data-sector="{category.value}" '
                f'd="M{x1:.1f} {y1:.1f}L{x2:.1f} {y2:.1f}A{outer:.0f} {outer:.0f} 0 0 1 {x3:.1f} {y3:.1f}'
                f'L{x4:.1f} {y4:.1f}A{inner:.0f} {inner:.0f} 0 0 0 {x1:.1f} {y1:.1f}Z"/>'
            )
    parts.append("</g>")
    return parts


def _legend(colours: dict, centre_label: str) -> list[str]:
    parts = ['<g class="app-connections-map__legend" font-size="14">']
    x, y = 80.0, float(LEGEND_Y)
    parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{NODE * 1.2:.1f}" fill="{colours["centre"]}"/>')
    parts.append(f'<text x="{x + 18:.1f}" y="{y + 5:.1f}">{_text(_short(centre_label, 16))}</text>')
    x += 120
    for kind in Kind:
        parts.append(_shape(kind, x, y, NODE, colours))
        parts.append(f'<text x="{x + 18:.1f}" y="{y + 5:.1f}">{KIND_NAMES[kind]}</text>')
        x += 120
    parts.append(
        f'<line x1="{x - 10:.1f}" y1="{y:.1f}" x2="{x + 14:.1f}" y2="{y:.1f}" stroke="{colours["tie"]}" '
        f'stroke-width="1.5"/><text x="{x + 22:.1f}" y="{y + 5:.1f}">Tie between two entries</text>'
    )
    parts.append(
        f'<text x="80" y="{y + 40:.1f}">Rings from the centre: close, middle, outer. '
        "Sectors: the kind of relationship.</text>"
    )
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
