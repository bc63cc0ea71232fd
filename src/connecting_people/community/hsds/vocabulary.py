"""How HSDS taxonomy terms and cost options become our category, interests and cost (pure: no Django).

Publishers tag services with terms from many vocabularies (the LGA's service types, OpenActive activities,
their own lists). We do not keep the terms themselves: we look for words we recognise in each term's name and
map them onto our interests and categories (table below, also in docs/community.md). A term we do not
recognise changes nothing. When no term gives a category, words in the service's own name that name an
interest ("Riverside Gardening Club") give one; we do not guess from the description.

Our own export tags each service with terms of three vocabularies of ours (category, interest, cost), which
this module reads back exactly, so that an export imports unchanged.
"""

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml

from .records import CATEGORIES

OWN_CATEGORY_TAXONOMY = "connecting-people:category"
OWN_INTEREST_TAXONOMY = "connecting-people:interest"
OWN_COST_TAXONOMY = "connecting-people:cost"

# Below this many pounds a time, a cost option is "low cost" (the label on Opportunity.Cost.LOW says £5).
LOW_COST_LIMIT = Decimal(5)

# interest → (category it suggests, words that name it in a term or a service name). Words are matched whole,
# so "art" does not match "heart"; list plurals where publishers use them.
INTERESTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "gardening": ("nature", ("gardening", "garden", "gardens", "allotment", "allotments", "horticulture")),
    "football": ("sport", ("football", "soccer", "futsal")),
    "walking": ("sport", ("walking", "walks", "walk", "rambling", "ramblers", "hiking")),
    "reading": ("learning", ("reading", "book club", "books", "library", "libraries")),
    "music": ("arts", ("music", "choir", "choirs", "singing", "band", "orchestra", "ukulele")),
    "art": ("arts", ("art", "arts", "painting", "drawing", "sketching")),
    "cooking": ("learning", ("cooking", "cookery", "baking")),
    "volunteering": ("volunteering", ("volunteering", "volunteer", "volunteers")),
    "faith": (
        "faith",
        ("faith", "church", "mosque", "temple", "synagogue", "gurdwara", "worship", "religious"),
    ),
    "gaming": ("social", ("gaming", "board games", "video games", "games")),
    "swimming": ("sport", ("swimming", "swim")),
    "photography": ("arts", ("photography", "photo", "photographic")),
    "history": ("learning", ("history", "heritage", "museum", "museums")),
    "crafts": (
        "arts",
        ("crafts", "craft", "knitting", "sewing", "crochet", "pottery", "woodwork", "quilting"),
    ),
    "cycling": ("sport", ("cycling", "bike", "bikes", "bicycle")),
    "fishing": ("nature", ("fishing", "angling")),
    "films": ("arts", ("film", "films", "cinema", "movies")),
    "dancing": ("arts", ("dance", "dancing", "zumba")),
    "yoga": ("sport", ("yoga", "pilates", "tai chi")),
    "running": ("sport", ("running", "parkrun", "jogging")),
    "chess": ("social", ("chess",)),
    "writing": ("arts", ("creative writing", "writing group", "poetry")),
    "computers": ("learning", ("computer", "computers", "digital skills", "internet")),
    "languages": ("learning", ("languages", "language class", "esol", "english classes")),
}

# Category words that name no interest, tried in this order (the more specific first).
CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "peer_support",
        ("peer support", "support group", "self help", "mutual aid", "recovery", "hearing voices"),
    ),
    ("volunteering", ("volunteering", "volunteer")),
    ("faith", ("faith", "spiritual", "religion")),
    ("work", ("employment", "jobs", "job club", "work skills", "careers", "work experience")),
    ("learning", ("education", "learning", "course", "courses", "classes", "adult learning", "training")),
    ("sport", ("sport", "sports", "exercise", "fitness", "physical activity", "gym", "leisure centre")),
    ("nature", ("nature", "outdoors", "outdoor", "conservation", "environment", "parks", "green space")),
    ("arts", ("arts and crafts", "creative", "theatre", "drama")),
    (
        "social",
        ("social", "friendship", "befriending", "lunch club", "coffee morning", "companionship", "lonely"),
    ),
    (
        "community",
        ("community centre", "community center", "community hub", "community group", "neighbourhood"),
    ),
)


CATEGORY_FILE = Path(__file__).with_name("categories.yaml")
OUR_CATEGORIES = frozenset(CATEGORIES)


class CategoryFileError(ValueError):
    """A category mapping file that cannot be used; the message names the file and what is wrong."""


def term_key(name: str) -> str:
    """How a term's name is matched: lower case, "&" as "and", punctuation as spaces."""
    return _words(name.replace("&", " and ")).strip()


def read_category_file(path: Path | str) -> dict[str, str]:
    """{term key: category} from a YAML file with a `terms:` mapping of term names to our categories."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CategoryFileError(f"cannot read the category file {path}: {error.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise CategoryFileError(f"the category file {path} is not YAML: {error}") from None
    terms = document.get("terms") if isinstance(document, dict) else None
    if not isinstance(terms, dict):
        raise CategoryFileError(
            f"the category file {path} has no 'terms:' mapping of term names to categories"
        )
    mapping: dict[str, str] = {}
    for name, category in terms.items():
        if category not in OUR_CATEGORIES:
            raise CategoryFileError(
                f"the category file {path}: {name!r} maps to {category!r}, which is not one of "
                + ", ".join(sorted(OUR_CATEGORIES))
            )
        mapping[term_key(str(name))] = category
    return mapping


@cache
def shipped_categories() -> Mapping[str, str]:
    return read_category_file(CATEGORY_FILE)


def category_map(extra: Path | str | None = None) -> dict[str, str]:
    """The shipped mapping with a deployment's own file (when named) read over it."""
    mapping = dict(shipped_categories())
    if extra:
        mapping.update(read_category_file(extra))
    return mapping


def _words(text: str) -> str:
    """Lower case, anything but letters and digits as single spaces, padded so whole words match with " w "."""
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split()) + " "


def _has(text: str, word: str) -> bool:
    return f" {word} " in text


def interests_in(text: str) -> list[str]:
    """Our interests named in a text, in the table's order."""
    words = _words(text)
    return [interest for interest, (_, names) in INTERESTS.items() if any(_has(words, n) for n in names)]


def category_of(text: str) -> str | None:
    """The category a text names, or None. An interest's category comes before the category-only words."""
    words = _words(text)
    for _interest, (category, names) in INTERESTS.items():
        if any(_has(words, name) for name in names):
            return category
    for category, names in CATEGORY_WORDS:
        if any(_has(words, name) for name in names):
            return category
    return None


def classify(
    terms: Iterable[tuple[str, str]], *, service_name: str, categories: Mapping[str, str] | None = None
) -> tuple[str, list[str]]:
    """(category, sorted interests) from a service's taxonomy terms, each given as (taxonomy, term name).

    Terms of our own vocabularies are taken as they are and win over everything else. Otherwise the first term
    that names a category gives it, every term naming interests adds them, and when the terms give no category
    the service's name is read for interests (and the category they suggest). "other" when nothing matches.
    A term named in `categories` (category_map(): the taxonomies real feeds use) gives its category first."""
    own_category, own_interests, foreign = None, set(), []
    for taxonomy, name in terms:
        if taxonomy == OWN_CATEGORY_TAXONOMY:
            own_category = own_category or name
        elif taxonomy == OWN_INTEREST_TAXONOMY:
            own_interests.add(name.strip().lower())
        elif taxonomy != OWN_COST_TAXONOMY:
            foreign.append(name)
    if own_category is not None or own_interests:
        return own_category or "other", sorted(i for i in own_interests if i)
    mapping = shipped_categories() if categories is None else categories
    category = next((found for name in foreign if (found := mapping.get(term_key(name)))), None)
    category = category or next((found for name in foreign if (found := category_of(name))), None)
    interests = {interest for name in foreign for interest in interests_in(name)}
    if category is None:
        from_name = interests_in(service_name)
        interests.update(from_name)
        if from_name:
            category = INTERESTS[from_name[0]][0]
    return category or "other", sorted(interests)


def own_cost(terms: Iterable[tuple[str, str]]) -> str | None:
    """The cost code our own export recorded, if any."""
    return next((name for taxonomy, name in terms if taxonomy == OWN_COST_TAXONOMY), None)


def cost_from_amounts(amounts: Iterable[Decimal]) -> str:
    """The cheapest way in decides: nothing to pay is "free", under LOW_COST_LIMIT "low", else "paid";
    "unknown" without amounts."""
    listed = list(amounts)
    if not listed:
        return "unknown"
    cheapest = min(listed)
    if cheapest == 0:
        return "free"
    return "low" if cheapest < LOW_COST_LIMIT else "paid"


def pounds(amount: Decimal) -> str:
    """£35, £2.50; "Free" for nothing."""
    if amount == 0:
        return "Free"
    return f"£{amount:.0f}" if amount == amount.to_integral_value() else f"£{amount:.2f}"
