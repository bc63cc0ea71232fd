"""Plain-English words for a map's entries, measures and changes, for pages and the printout. Pure (no Django).

Names of measures and codes follow `metrics` (definitions there and in docs/connections.md).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from connecting_people.connections import labels
from connecting_people.connections.domain import Entry, Frequency, Kind, Ring, Support, Wish
from connecting_people.connections.metrics import CATEGORIES, RINGS, SUPPORTS
from connecting_people.core.sentences import joined, sentence, sentences, without_end_stop

KIND = labels.KIND
CATEGORY = labels.CATEGORY
RING = labels.RING
SUPPORT = labels.lowered(labels.SUPPORT)
FREQUENCY = labels.lowered(labels.FREQUENCY)
WISH = labels.lowered(labels.WISH)
# Said to the person on their printout, in the second person: whole sentences, built by `entry_sentences`.
RING_FOR_PERSON = {
    Ring.CLOSE: "Closest to you",
    Ring.MIDDLE: "In the middle",
    Ring.OUTER: "Further out",
}
# The relationship, after the entry's name: "Mum (family)".
CATEGORY_FOR_PERSON = {category: name.lower() for category, name in CATEGORY.items()}
FREQUENCY_FOR_PERSON = {
    Frequency.DAILY: "You are in touch every day or most days",
    Frequency.WEEKLY: "You are in touch every week",
    Frequency.MONTHLY: "You are in touch every month",
    Frequency.LESS_OFTEN: "You are in touch less often than once a month",
    Frequency.NOT_IN_TOUCH: "You are not in touch at the moment",
}
# Kinds of support as nouns, for "They give you emotional support and advice".
SUPPORT_AS_NOUN = {
    Support.EMOTIONAL: "emotional support",
    Support.PRACTICAL: "practical help",
    Support.INFORMATION: "information",
    Support.COMPANIONSHIP: "companionship",
    Support.ADVICE: "advice",
}
# Who gives the support, by kind of entry: (subject, verb, object).
GIVER = {
    Kind.PERSON: ("they", "give", "them"),
    Kind.GROUP: ("the group", "gives", "the group"),
    Kind.PLACE: ("it", "gives", "it"),
    Kind.SERVICE: ("the service", "gives", "the service"),
}
WISH_FOR_PERSON = {
    Wish.KEEP: "You would like to keep this as it is",
    Wish.CLOSER: "You would like to get closer",
    Wish.RECONNECT: "You would like to get back in touch",
    Wish.FEWER: "You would like to see less of {object}",
}
# The printout's list of changes the person would like: the entry's name goes in the sentence.
CHANGE_FOR_PERSON = {
    Wish.CLOSER: "Get closer to {label}",
    Wish.RECONNECT: "Get back in touch with {label}",
    Wish.FEWER: "See less of {label}",
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


def _words(text: str) -> list[str]:
    return [word.strip(".,;:()").casefold() for word in text.split()]


def supports_sentence(entry: Entry) -> str:
    """ "They give you emotional support and advice", or "" when no support is recorded."""
    given = joined(SUPPORT_AS_NOUN[support] for support in SUPPORTS if support in entry.supports)
    if not given:
        return ""
    subject, verb, _object = GIVER[entry.kind]
    return f"{subject} {verb} you {given}"


def entry_sentences(entry: Entry) -> str:
    """What the printout says about one entry straight after its label (shown in bold): its relationship, then a
    sentence for each of how often you are in touch, the support it gives and what you would like, leaving out
    what is not known. " (friend). You are in touch every week. They give you emotional support and advice." A
    label that already names the relationship is not followed by it again ("Neighbour. You are …")."""
    wish = WISH_FOR_PERSON[entry.wish].format(object=GIVER[entry.kind][2]) if entry.wish else ""
    relationship = CATEGORY_FOR_PERSON[entry.category]
    said_already = set(_words(entry.label)) & (set(_words(relationship)) - {"or"})
    rest = sentences(
        FREQUENCY_FOR_PERSON[entry.frequency] if entry.frequency else "",
        supports_sentence(entry),
        wish,
    )
    return ("." if said_already else f" ({relationship}).") + (f" {rest}" if rest else "")


def printout_sections(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """The printout's sentences, one list per ring, closest first: each line an entry's label (shown in bold)
    and `entry_sentences` straight after it."""
    sections = []
    for ring in RINGS:
        lines = [
            {"label": entry.label, "text": entry_sentences(entry)}
            for entry in sorted((e for e in entries if e.ring == ring), key=map_order)
        ]
        sections.append({"title": RING_FOR_PERSON[ring], "entries": lines})
    return sections


def printout_changes(entries: Sequence[Entry]) -> list[str]:
    """The changes the person would like, one sentence each, in the printout's order: "Get closer to Mum."
    Entries to keep as they are, or with no wish recorded, say nothing."""
    return [
        sentence(CHANGE_FOR_PERSON[entry.wish].format(label=without_end_stop(entry.label)))
        for entry in sorted(entries, key=map_order)
        if entry.wish in CHANGE_FOR_PERSON
    ]


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
