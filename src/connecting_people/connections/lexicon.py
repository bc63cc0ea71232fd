"""A first guess, from the name typed, of who or what a new map entry is. Pure: no Django, no state.

Typing "Mum" and pressing Enter should put a close family member on the map; "GP" a service in the outer ring;
"Allotment society" a community group; "Library" a place. The guess is only a starting point: the practitioner
changes it in place with the person (and the map page says what was guessed). So the word lists are short and
plain, holding only words whose meaning is clear on their own; anything else gets the default. Words that are
also common first names ("Faith", "Pa") are left out: a person called Faith must not turn into a church.

How a name is read:

- Case, accents on "café" and punctuation do not matter; "my" or "the" in front is ignored; "Mum's" reads as
  "mum"; a plural ("neighbours") reads as its singular when only the singular is listed.
- Each listed word or phrase found in the name is a match. A *strong* match (a word that says what the entry is,
  such as "church" or "GP") beats a *weak* one (a generic word such as "group", "club" or "team"), so "Hearing
  Voices group" is peer support and "Mosque youth club" is faith. Between matches of the same strength the one
  nearest the end of the name wins, because in English the last noun usually says what a thing is: "Church choir"
  is a choir (a community group), "Choir at the church" is read as faith.
- No match: the relationship the practitioner chose for the entry added just before, when they chose one that
  differs from what its own name suggested (people often list several workmates or neighbours in a row); else a
  friend, a person, in the middle ring.

Ring defaults: parents, partners, brothers, sisters, children and grandparents close; services and online
places outer; everything else middle.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .domain import Category, Kind, Ring

__all__ = ["DEFAULT", "Guess", "guess", "tie_asked"]


@dataclass(frozen=True)
class Guess:
    """What a new entry probably is. `from_name` is True when a word of the name said so."""

    kind: Kind
    category: Category
    ring: Ring
    from_name: bool = False


DEFAULT = Guess(Kind.PERSON, Category.FRIEND, Ring.MIDDLE)

# (kind, category, ring, strong, words): `words` lists words and phrases, comma-separated, as `_words` leaves
# them (lower case, no accents, punctuation as spaces).
_RULES: tuple[tuple[Kind, Category, Ring, bool, str], ...] = (
    (
        Kind.PERSON,
        Category.FAMILY,
        Ring.CLOSE,
        True,
        "mum, mam, mom, mummy, mother, dad, daddy, father, parent, brother, bro, sister, sis, son, daughter, "
        "child, nan, nana, nanna, gran, granny, grandma, grandmother, grandad, granddad, grandpa, grandfather, "
        "grandparent, grandson, granddaughter, grandchild, twin, stepmum, stepmom, stepdad, stepbrother, "
        "stepsister, stepson, stepdaughter",
    ),
    (
        Kind.PERSON,
        Category.FAMILY,
        Ring.MIDDLE,
        True,
        "aunt, auntie, aunty, uncle, cousin, niece, nephew, godmother, godfather, in law",
    ),
    (Kind.GROUP, Category.FAMILY, Ring.CLOSE, True, "family"),
    (
        Kind.PERSON,
        Category.PARTNER,
        Ring.CLOSE,
        True,
        "partner, husband, wife, boyfriend, girlfriend, fiance, fiancee, spouse, hubby",
    ),
    (Kind.PERSON, Category.FRIEND, Ring.MIDDLE, True, "friend, mate, pal, bestie, buddy"),
    (Kind.PERSON, Category.NEIGHBOUR, Ring.MIDDLE, True, "neighbour, neighbor, next door"),
    (
        Kind.PERSON,
        Category.WORK_EDUCATION,
        Ring.MIDDLE,
        True,
        "colleague, boss, manager, supervisor, workmate, coworker, teacher, tutor, lecturer, classmate",
    ),
    (
        Kind.PLACE,
        Category.WORK_EDUCATION,
        Ring.MIDDLE,
        True,
        "work, job, office, college, school, university, uni, placement, volunteering",
    ),
    (
        Kind.SERVICE,
        Category.SERVICES,
        Ring.OUTER,
        True,
        "gp, doctor, dr, nurse, cpn, care coordinator, care co ordinator, coordinator, social worker, "
        "support worker, key worker, keyworker, housing officer, housing, psychiatrist, psychologist, "
        "therapist, counsellor, counselor, occupational therapist, ot, pharmacy, pharmacist, chemist, dentist, "
        "optician, hospital, clinic, surgery, job centre, jobcentre, work coach, probation, cmht, crisis team, "
        "home treatment, iapt, talking therapies, advocate, advocacy, citizens advice, council, food bank, "
        "foodbank, benefits, day centre, mental health team",
    ),
    (
        Kind.GROUP,
        Category.FAITH,
        Ring.MIDDLE,
        True,
        "church, mosque, temple, synagogue, gurdwara, chapel, mandir, parish, congregation, cathedral, "
        "prayer group, bible study",
    ),
    # "St Anne's" is most often a church; "St Anne's hospital" or "school" says otherwise, and wins.
    (Kind.GROUP, Category.FAITH, Ring.MIDDLE, False, "st, saint"),
    (Kind.PERSON, Category.FAITH, Ring.MIDDLE, True, "vicar, imam, rabbi, priest, pastor"),
    (
        Kind.GROUP,
        Category.PEER_SUPPORT,
        Ring.MIDDLE,
        True,
        "hearing voices, peer support, support group, recovery group, self help group, alcoholics anonymous, "
        "narcotics anonymous, aa, recovery college",
    ),
    (Kind.PERSON, Category.PEER_SUPPORT, Ring.MIDDLE, True, "peer worker, peer mentor"),
    (
        Kind.GROUP,
        Category.ONLINE,
        Ring.OUTER,
        True,
        "online, facebook, discord, reddit, forum, whatsapp, instagram, twitter, tiktok, twitch, gaming",
    ),
    (
        Kind.GROUP,
        Category.COMMUNITY_GROUP,
        Ring.MIDDLE,
        True,
        "choir, allotment, allotment society, orchestra, band, scouts, guides, brownies, shed, book club, quiz, "
        "bingo, parkrun, knit and natter, walking group",
    ),
    # Generic: any more specific word in the name wins.
    (
        Kind.GROUP,
        Category.COMMUNITY_GROUP,
        Ring.MIDDLE,
        False,
        "club, society, group, team, class, association, league, circle, network",
    ),
    (
        Kind.PLACE,
        Category.COMMUNITY_GROUP,
        Ring.MIDDLE,
        True,
        "library, park, cafe, coffee shop, pub, gym, pool, swimming pool, leisure centre, community centre, "
        "community center, shop, market, museum, garden, garden centre, beach, bakery, bookshop",
    ),
)

_LEADING = ("my", "the", "our", "his", "her", "their")
_LONGEST = max(len(phrase.split()) for *_, words in _RULES for phrase in words.split(","))


def _index() -> dict[tuple[str, ...], tuple[Kind, Category, Ring, bool]]:
    table: dict[tuple[str, ...], tuple[Kind, Category, Ring, bool]] = {}
    for kind, category, ring, strong, words in _RULES:
        for phrase in words.split(","):
            key = tuple(phrase.split())
            if key in table:
                raise ValueError(f"{phrase!r} is listed twice in the lexicon")
            table[key] = (kind, category, ring, strong)
    return table


_INDEX = _index()
_NOT_A_LETTER = re.compile(r"[^a-z0-9]+")


def _words(name: str) -> list[str]:
    """The name as plain lower-case words: accents dropped, a possessive "'s" dropped, punctuation a space."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(character for character in text if not unicodedata.combining(character))
    text = re.sub(r"['’]s\b", "", text)
    words = _NOT_A_LETTER.sub(" ", text).split()
    while words and words[0] in _LEADING and len(words) > 1:
        words = words[1:]
    return words


def _lookup(words: tuple[str, ...]) -> tuple[Kind, Category, Ring, bool] | None:
    found = _INDEX.get(words)
    if found is None and words[-1].endswith("s") and len(words[-1]) > 3:
        found = _INDEX.get((*words[:-1], words[-1][:-1]))
    return found


def _from_name(name: str) -> Guess | None:
    words = _words(name)
    best: tuple[bool, int, int] | None = None  # (strong, end position, length): the greatest wins
    chosen: tuple[Kind, Category, Ring, bool] | None = None
    for start in range(len(words)):
        for length in range(1, min(_LONGEST, len(words) - start) + 1):
            found = _lookup(tuple(words[start : start + length]))
            if found is None:
                continue
            rank = (found[3], start + length, length)
            if best is None or rank > best:
                best, chosen = rank, found
    if chosen is None:
        return None
    kind, category, ring, _strong = chosen
    return Guess(kind, category, ring, from_name=True)


def guess(name: str, *, previous: tuple[str, Category] | None = None) -> Guess:
    """Kind, relationship and ring for a new entry called `name`.

    previous: the name and current relationship of the entry added just before, if any. Its relationship is
              carried over to a name the lists do not know, but only when the practitioner chose it (it is not
              what that entry's own name suggested).
    """
    found = _from_name(name)
    if found is not None:
        return found
    if previous is not None:
        previous_name, previous_category = previous
        suggested = _from_name(previous_name)
        if previous_category != (suggested or DEFAULT).category:
            ring = Ring.OUTER if previous_category in (Category.SERVICES, Category.ONLINE) else Ring.MIDDLE
            return Guess(Kind.PERSON, previous_category, ring)
    return DEFAULT


# "Sam + Jo": two names already on the map, joined by a plus sign, ask for a tie between them.
_TIE = re.compile(r"^\s*(?P<a>[^+]*[^+\s])\s*\+\s*(?P<b>[^+]*[^+\s])\s*$")


def tie_asked(typed: str, labels: dict[int, str]) -> tuple[int, int] | None:
    """The two entries a typed "Sam + Jo" asks to tie, as ids from `labels` (id -> label of the entries on the
    map), when each side names exactly one entry (case and surrounding spaces ignored) and they differ; None
    otherwise, and then what was typed is a new entry's name like any other ("Fish + chips club")."""
    found = _TIE.match(typed)
    if not found:
        return None
    by_name: dict[str, list[int]] = {}
    for entry_id, label in labels.items():
        by_name.setdefault(label.strip().casefold(), []).append(entry_id)
    a = by_name.get(found["a"].casefold(), [])
    b = by_name.get(found["b"].casefold(), [])
    if len(a) != 1 or len(b) != 1 or a == b:
        return None
    return a[0], b[0]
