"""Plain-English words for a map's entries, measures and changes, for pages and the printout. Pure (no Django).

Names of measures and codes follow `metrics` (definitions there and in docs/connections.md).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from connecting_people.connections.domain import Category, Entry, Frequency, Kind, Ring, Support, Wish
from connecting_people.connections.metrics import CATEGORIES, RINGS, SUPPORTS

KIND = {Kind.PERSON: "Person", Kind.GROUP: "Group", Kind.PLACE: "Place", Kind.SERVICE: "Service"}
CATEGORY = {
    Category.FAMILY: "Family",
    Category.PARTNER: "Partner",
    Category.FRIEND: "Friend",
    Category.NEIGHBOUR: "Neighbour",
    Category.WORK_EDUCATION: "Work or education",
    Category.COMMUNITY_GROUP: "Community group",
    Category.FAITH: "Faith",
    Category.PEER_SUPPORT: "Peer support",
    Category.ONLINE: "Online",
    Category.SERVICES: "Services",
}
RING = {Ring.CLOSE: "Close", Ring.MIDDLE: "Middle", Ring.OUTER: "Outer"}
SUPPORT = {
    Support.EMOTIONAL: "emotional",
    Support.PRACTICAL: "practical help",
    Support.INFORMATION: "information",
    Support.COMPANIONSHIP: "companionship",
    Support.ADVICE: "advice",
}
FREQUENCY = {
    Frequency.DAILY: "every day or most days",
    Frequency.WEEKLY: "every week",
    Frequency.MONTHLY: "every month",
    Frequency.LESS_OFTEN: "less often than monthly",
    Frequency.NOT_IN_TOUCH: "not in touch at the moment",
}
WISH = {
    Wish.KEEP: "keep as it is",
    Wish.CLOSER: "get closer",
    Wish.RECONNECT: "get back in touch",
    Wish.FEWER: "see less of them",
}
# Said to the person on their printout, in the second person.
WISH_FOR_PERSON = {
    Wish.KEEP: "You would like to keep this as it is.",
    Wish.CLOSER: "You would like to get closer.",
    Wish.RECONNECT: "You would like to get back in touch.",
    Wish.FEWER: "You would like to see less of them.",
}
RING_FOR_PERSON = {
    Ring.CLOSE: "Closest to you",
    Ring.MIDDLE: "In the middle",
    Ring.OUTER: "Further out",
}

# Scalar measures in the order pages show them: (key, name, how the value is written).
SCALARS: tuple[tuple[str, str, str], ...] = (
    ("size", "Entries on the map", "count"),
    ("categories_present", "Kinds of relationship (of 10)", "count"),
    ("blau_index", "Diversity of relationships (Blau index, 0 to 0.9)", "index"),
    ("supports_covered", "Kinds of support covered (of 5)", "count"),
    ("share_outside_family_and_services", "Share outside family and services", "percent"),
    ("weak_ties", "Outer-ring ties outside family", "count"),
    ("new_community_ties", "New community connections since the last map", "count"),
    ("ties", "Ties recorded between entries", "count"),
    ("density", "Density of ties (0 to 1)", "index"),
    ("components", "Separate groups once the person is taken away", "count"),
)
NOT_MEASURED = {
    "density": "Not measured: no ties recorded",
    "components": "Not measured: no ties recorded",
    "new_community_ties": "Not measured: this is the first map",
    "blau_index": "Not measured: the map is empty",
    "share_outside_family_and_services": "Not measured: the map is empty",
}


def value_text(key: str, value: Any, style: str) -> str:
    if value is None:
        return NOT_MEASURED.get(key, "Not measured")
    if style == "percent":
        return f"{value * 100:.0f}%"
    if style == "index":
        return f"{value:.2f}"
    return str(value)


def change_text(value: Any, style: str) -> str:
    if value is None:
        return "–"
    if abs(value) < 1e-9:
        return "No change"
    sign = "+" if value > 0 else "−"
    magnitude = abs(value)
    if style == "percent":
        return f"{sign}{magnitude * 100:.0f} points"
    if style == "index":
        return f"{sign}{magnitude:.2f}"
    return f"{sign}{magnitude}"


def measure_rows(measures: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per scalar measure, then the counts by ring and by category."""
    rows = [
        {"name": name, "value": value_text(key, measures.get(key), style)} for key, name, style in SCALARS
    ]
    by_ring = measures.get("by_ring", {})
    rows.append(
        {
            "name": "Close, middle and outer",
            "value": ", ".join(f"{by_ring.get(ring.value, 0)} {RING[ring].lower()}" for ring in RINGS),
        }
    )
    return rows


def category_rows(measures: Mapping[str, Any]) -> list[dict[str, Any]]:
    by_category = measures.get("by_category", {})
    return [{"name": CATEGORY[c], "count": by_category.get(c.value, 0)} for c in CATEGORIES]


def support_rows(measures: Mapping[str, Any], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each kind of support and who gives it ("by whom"), by label."""
    providers = measures.get("support_providers", {})
    rows = []
    for support in SUPPORTS:
        names = sorted(labels.get(key, "?") for key in providers.get(support.value, []))
        rows.append({"name": SUPPORT[support].capitalize(), "count": len(names), "by": ", ".join(names)})
    return rows


def entry_cells(entry: Entry) -> dict[str, str]:
    return {
        "kind": KIND[entry.kind],
        "category": CATEGORY[entry.category],
        "ring": RING[entry.ring],
        "supports": ", ".join(SUPPORT[s] for s in SUPPORTS if s in entry.supports).capitalize()
        or "None recorded",
        "frequency": FREQUENCY[entry.frequency].capitalize() if entry.frequency else "Not asked",
        "wish": WISH[entry.wish].capitalize() if entry.wish else "Not asked",
    }


def map_order(entry: Entry) -> tuple[int, int, str, str]:
    """Close ring first, then by category, then by label: the order of the table and the printout."""
    return (RINGS.index(entry.ring), CATEGORIES.index(entry.category), entry.label.casefold(), entry.key)


def printout_sections(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """The printout's sentences, one list per ring, closest first."""
    sections = []
    for ring in RINGS:
        lines = []
        for entry in sorted((e for e in entries if e.ring == ring), key=map_order):
            parts = [f"{CATEGORY[entry.category].lower()}"]
            if entry.frequency:
                parts.append(f"in touch {FREQUENCY[entry.frequency]}")
            sentence = ", ".join(parts).capitalize() + "."
            if entry.supports:
                given = [SUPPORT[s] for s in SUPPORTS if s in entry.supports]
                listed = given[0] if len(given) == 1 else ", ".join(given[:-1]) + " and " + given[-1]
                sentence += f" Gives you {listed}."
            if entry.wish:
                sentence += " " + WISH_FOR_PERSON[entry.wish]
            lines.append({"label": entry.label, "text": sentence})
        sections.append({"title": RING_FOR_PERSON[ring], "entries": lines})
    return sections


def _cell(key: str, value: Any, style: str) -> str:
    return "–" if value is None else value_text(key, value, style)


def compare_rows(change: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every measure before, after and the change (from `metrics.compare`)."""
    before, after, delta = change["previous"], change["current"], change["change"]
    rows = [
        {
            "name": name,
            "before": _cell(key, before.get(key), style),
            "after": _cell(key, after.get(key), style),
            "change": change_text(delta.get(key), style),
        }
        for key, name, style in SCALARS
    ]
    for group, names, label in (
        ("by_ring", {r.value: RING[r] for r in RINGS}, "ring"),
        ("by_category", {c.value: CATEGORY[c] for c in CATEGORIES}, "category"),
        ("support_counts", {s.value: SUPPORT[s] for s in SUPPORTS}, "support"),
    ):
        for code, name in names.items():
            rows.append(
                {
                    "name": f"{name[:1].upper()}{name[1:]} ({label})",
                    "before": str(before[group][code]),
                    "after": str(after[group][code]),
                    "change": change_text(delta[group][code], "count"),
                }
            )
    return rows
