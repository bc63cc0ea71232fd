"""The words other tools use for our fields and values, and the label policy for people imported from elsewhere.

Matching is by *normalised* text: case-folded, with everything but letters and digits removed, so
``"Family / Relative"``, ``"family_relative"`` and ``"FamilyRelative"`` are all ``"familyrelative"``.
Each of our own values (``"work_education"``, ``"less_often"``...) is always understood; the synonyms below
are what Network Canvas protocols and other studies commonly call the same thing.
"""

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from ..domain import Category, Frequency, Kind, Ring, Support, Wish

LABEL_MAX_LENGTH = 30

E = TypeVar("E", bound=StrEnum)


def normalised(text: str) -> str:
    """Case-folded letters and digits only: ``"Family / Relative"`` gives ``"familyrelative"``."""
    return re.sub(r"[\W_]+", "", text.casefold())


class Vocabulary(Generic[E]):
    """Reads one of our enum values from another tool's word for it (None when the word is not understood)."""

    def __init__(self, field: str, words: Mapping[E, tuple[str, ...]]) -> None:
        self.field = field
        self.words = words
        self._lookup: dict[str, E] = {}
        for member, synonyms in words.items():
            for word in (member.value, *synonyms):
                key = normalised(word)
                if self._lookup.setdefault(key, member) is not member:
                    raise ValueError(f"{field}: {word!r} would mean both {self._lookup[key]} and {member}")

    def read(self, text: str) -> E | None:
        return self._lookup.get(normalised(text))


KINDS = Vocabulary[Kind](
    "kind",
    {
        Kind.PERSON: ("people", "persons", "individual", "individuals", "alter", "alters", "human"),
        Kind.GROUP: (
            "groups",
            "club",
            "clubs",
            "organisation",
            "organisations",
            "organization",
            "organizations",
            "org",
            "society",
            "team",
            "association",
        ),
        Kind.PLACE: ("places", "venue", "venues", "location", "locations", "site", "sites", "space"),
        Kind.SERVICE: ("provider", "providers", "agency", "agencies", "services"),
    },
)

CATEGORIES = Vocabulary[Category](
    "category",
    {
        Category.FAMILY: (
            "relative",
            "relatives",
            "family relative",
            "family member",
            "kin",
            "parent",
            "mother",
            "father",
            "sibling",
            "brother",
            "sister",
            "child",
            "son",
            "daughter",
            "grandparent",
            "grandchild",
            "cousin",
            "aunt",
            "uncle",
        ),
        Category.PARTNER: (
            "romantic partner",
            "romantic",
            "spouse",
            "husband",
            "wife",
            "girlfriend",
            "boyfriend",
            "significant other",
            "sex partner",
        ),
        Category.FRIEND: ("friends", "close friend", "mate", "mates"),
        Category.NEIGHBOUR: ("neighbor", "neighbours", "neighbors"),
        Category.WORK_EDUCATION: (
            "work",
            "education",
            "work or education",
            "colleague",
            "colleagues",
            "coworker",
            "co-worker",
            "workmate",
            "employer",
            "school",
            "college",
            "university",
            "classmate",
            "course",
            "study",
        ),
        Category.COMMUNITY_GROUP: (
            "community",
            "group",
            "club",
            "hobby",
            "sport",
            "volunteering",
            "voluntary",
            "leisure",
        ),
        Category.FAITH: (
            "religion",
            "religious",
            "church",
            "mosque",
            "temple",
            "synagogue",
            "gurdwara",
            "worship",
            "faith community",
        ),
        Category.PEER_SUPPORT: ("peer", "peers", "support group", "mutual aid", "recovery"),
        Category.ONLINE: ("internet", "social media", "online only", "gaming"),
        Category.SERVICES: (
            "service",
            "professional",
            "professionals",
            "health",
            "health services",
            "mental health",
            "gp",
            "doctor",
            "nurse",
            "social worker",
            "care coordinator",
            "council",
            "housing",
        ),
    },
)

RINGS = Vocabulary[Ring](
    "ring",
    {
        Ring.CLOSE: (
            "inner",
            "inner circle",
            "closest",
            "very close",
            "extremely close",
            "strong",
            "high",
        ),
        Ring.MIDDLE: ("medium", "moderate", "somewhat close", "fairly close", "quite close"),
        Ring.OUTER: (
            "outer circle",
            "not close",
            "not very close",
            "not close at all",
            "distant",
            "weak",
            "low",
            "acquaintance",
        ),
    },
)

SUPPORTS = Vocabulary[Support](
    "support",
    {
        Support.EMOTIONAL: ("emotion", "emotional support", "feelings", "listening", "confiding"),
        Support.PRACTICAL: ("practical help", "instrumental", "tangible", "help", "hands on"),
        Support.INFORMATION: ("informational", "info", "information support"),
        Support.COMPANIONSHIP: ("company", "social", "socialising", "socializing", "fun", "belonging"),
        Support.ADVICE: ("guidance", "advise"),
    },
)

FREQUENCIES = Vocabulary[Frequency](
    "frequency",
    {
        Frequency.DAILY: ("every day", "most days", "day", "last 24 hours", "more than weekly"),
        Frequency.WEEKLY: ("every week", "once a week", "week", "several times a week", "last week"),
        # "Less than weekly" (a three-step Network Canvas scale: daily, weekly, less than weekly): its lowest step
        # holds monthly contact, so it reads as the nearest of ours below weekly. A mapping file can say otherwise.
        Frequency.MONTHLY: ("every month", "once a month", "month", "last month", "less than weekly"),
        Frequency.LESS_OFTEN: (
            "less than monthly",
            "less often than monthly",
            "rarely",
            "occasionally",
            "sometimes",
            "yearly",
        ),
        Frequency.NOT_IN_TOUCH: ("never", "no contact", "not in contact", "lost touch"),
    },
)

WISHES = Vocabulary[Wish](
    "wish",
    {
        Wish.KEEP: ("same", "stay the same", "keep the same", "maintain", "no change"),
        Wish.CLOSER: ("more", "more contact", "get closer", "increase", "see more"),
        Wish.RECONNECT: ("get back in touch", "rekindle", "restore", "reconnect with"),
        Wish.FEWER: ("less", "less contact", "reduce", "decrease", "step back"),
    },
)

# The variable (column) names we read each field from, compared normalised. Label names are in priority
# order: the least identifying first.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "label": (
        "label",
        "nickname",
        "first_name",
        "firstname",
        "given_name",
        "forename",
        "alias",
        "display_name",
        "name",
    ),
    # networkCanvasType: the node type Network Canvas's GraphML writes on each node (person, venue...).
    "kind": ("kind", "node_kind", "entry_kind", "node_type", "entity_type", "networkCanvasType"),
    "category": (
        "category",
        "relationship",
        "relationship_type",
        "relationship_category",
        "relation",
        "rel_type",
    ),
    "ring": (
        "ring",
        "closeness",
        "closeness_ring",
        "how_close",
        "circle",
        "rel_strength",
        "relationship_strength",
        "tie_strength",
        "emotional_closeness",
        # Other tools' usual names for how strong the tie to the person in the middle is (numbers or words).
        "weight",
        "strength",
        "tie_weight",
    ),
    "support": ("support", "supports", "support_type", "support_kind", "kind_of_support", "support_given"),
    "frequency": (
        "frequency",
        "contact_frequency",
        "contact_freq",
        "freq",
        "how_often",
        "visit_freq",
        "visit_frequency",
        "in_touch",
        "contact_freq_category",
    ),
    "wish": ("wish", "wants", "want", "wish_for", "wanted_change"),
}

# Names that say kind in one tool and relationship in another ("type": person/organisation, or friend/family):
# their values are read as a kind when they are one, else as a category.
KIND_OR_CATEGORY_NAMES = ("type", "node_class", "class")

# Yes/no variables that say the relationship, and sometimes the ring too (Network Canvas name generators often
# record "family_member" and "close_friend" as booleans). Read only from columns holding true/false.
CATEGORY_FLAGS: dict[str, tuple[Category, Ring | None]] = {
    **{name: (Category.FAMILY, None) for name in ("family_member", "family", "is_family", "relative", "kin")},
    "close_family": (Category.FAMILY, Ring.CLOSE),
    "close_friend": (Category.FRIEND, Ring.CLOSE),
    **{name: (Category.FRIEND, None) for name in ("friend", "is_friend")},
    **{name: (Category.PARTNER, None) for name in ("partner", "romantic_partner", "sex_partner", "spouse")},
    **{name: (Category.NEIGHBOUR, None) for name in ("neighbour", "neighbor")},
    **{name: (Category.WORK_EDUCATION, None) for name in ("colleague", "coworker", "classmate")},
    **{
        name: (Category.SERVICES, None)
        for name in ("professional", "service_provider", "health_professional")
    },
}
RING_FLAGS: dict[str, Ring] = {"close": Ring.CLOSE, "is_close": Ring.CLOSE, "very_close": Ring.CLOSE}

VOCABULARIES: dict[str, Vocabulary] = {
    "kind": KINDS,
    "category": CATEGORIES,
    "ring": RINGS,
    "support": SUPPORTS,
    "frequency": FREQUENCIES,
    "wish": WISHES,
}

# When a category cannot be read, the guess that does least harm for the entry's kind (reported as a default).
DEFAULT_CATEGORY: dict[Kind, Category] = {
    Kind.PERSON: Category.FRIEND,
    Kind.GROUP: Category.COMMUNITY_GROUP,
    Kind.PLACE: Category.COMMUNITY_GROUP,
    Kind.SERVICE: Category.SERVICES,
}
DEFAULT_RING = Ring.MIDDLE
DEFAULT_KIND = Kind.PERSON

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A cell starting with one of these is run as a formula by spreadsheets; no name starts with one.
_FORMULA_START = "=+-@"


# Titles and honorifics in front of a name: they say nothing the map needs ("Dr. Kayla Mills" is "Kayla M").
TITLES = frozenset(
    normalised(title)
    for title in (
        "Dr", "Doctor", "Mr", "Mrs", "Ms", "Miss", "Mx", "Master", "Madam", "Sir", "Dame", "Lady", "Lord",
        "Prof", "Professor", "Rev", "Revd", "Reverend", "Fr", "Father", "Sr", "Sister", "Br", "Brother",
        "Pastor", "Rabbi", "Imam", "Cllr", "Councillor", "Capt", "Captain", "Hon",
    )
)  # fmt: skip


def _initial(word: str) -> str:
    """The first letter or digit of a word ("O'Brien" gives "O", "-Smith" gives "S"), or "" when none."""
    return next((character for character in word if character.isalnum()), "")


def _is_initial(word: str) -> bool:
    return len(word.rstrip(".")) == 1 and word[0].isalnum()


def _person_name(cleaned: str, changes: list[str]) -> str:
    """A person's name of several words as first name and family initial, titles dropped (`minimal_label`)."""
    words = cleaned.split(" ")
    titles = 0
    while titles < len(words) - 1 and normalised(words[titles]) in TITLES:
        titles += 1
    if titles and len(words) - titles == 1:
        # "Mr Smith", "Dr Patel": the one word after a title is a family name, so it too becomes an initial.
        initial = _initial(words[-1])
        changes.append("family name cut to its initial")
        return f"{words[titles - 1]} {initial}" if initial else words[titles - 1]
    if titles:
        words = words[titles:]
        changes.append("title dropped")
    if len(words) == 1:
        return words[0]
    if len(words) == 2 and _is_initial(words[1]):
        return " ".join(words)  # already a first name and an initial ("Kayla M", "Kayla M.")
    initial = _initial(words[-1])
    if not initial:
        changes.append("first word kept")
        return words[0]
    changes.append("family name cut to its initial")
    # The initial is kept whatever the length: the first name gives way when the two are too long.
    return f"{words[0][: LABEL_MAX_LENGTH - 2].rstrip()} {initial}"


def minimal_label(text: str, *, kind: Kind) -> tuple[str, list[str]]:
    """Apply the label policy: third parties get minimal data.

    Control characters become spaces and runs of white space one space; leading ``= + - @`` (spreadsheet
    formula starters) are removed. A person keeps their first name and, when a family name follows, its initial
    only ("Kayla Mills" gives "Kayla M"; middle names are dropped); titles in front ("Dr.", "Mrs", "Prof"...) are
    dropped first, unless the title is all there is ("Dr" stays "Dr"). A group, place or service keeps its whole
    name. Either is cut to LABEL_MAX_LENGTH characters.

    Returns the label (possibly empty) and what was changed, in plain words (empty when nothing was).
    """
    changes: list[str] = []
    cleaned = " ".join(_CONTROL.sub(" ", text).split())
    cleaned = cleaned.lstrip(_FORMULA_START + " ")
    if kind is Kind.PERSON and " " in cleaned:
        cleaned = _person_name(cleaned, changes)
    if len(cleaned) > LABEL_MAX_LENGTH:
        cleaned = cleaned[:LABEL_MAX_LENGTH].rstrip()
        changes.append(f"cut to {LABEL_MAX_LENGTH} characters")
    if not changes and cleaned != text:
        changes.append("spacing or leading symbols tidied")
    return cleaned, changes
