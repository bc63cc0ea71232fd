"""The first guess of a new entry from its name: obvious names get their relationship, kind and ring; anything else
the default, or the relationship the practitioner chose for the entry before."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connecting_people.connections.domain import Category, Kind, Ring
from connecting_people.connections.lexicon import DEFAULT, Guess, guess


@pytest.mark.parametrize(
    "name, kind, category, ring",
    [
        ("Mum", Kind.PERSON, Category.FAMILY, Ring.CLOSE),
        ("brother", Kind.PERSON, Category.FAMILY, Ring.CLOSE),
        ("Nan", Kind.PERSON, Category.FAMILY, Ring.CLOSE),
        ("my sister", Kind.PERSON, Category.FAMILY, Ring.CLOSE),
        ("Mum's", Kind.PERSON, Category.FAMILY, Ring.CLOSE),
        ("Cousin", Kind.PERSON, Category.FAMILY, Ring.MIDDLE),
        ("Husband", Kind.PERSON, Category.PARTNER, Ring.CLOSE),
        ("Neighbours", Kind.PERSON, Category.NEIGHBOUR, Ring.MIDDLE),
        ("GP", Kind.SERVICE, Category.SERVICES, Ring.OUTER),
        ("GP surgery", Kind.SERVICE, Category.SERVICES, Ring.OUTER),
        ("Care coordinator", Kind.SERVICE, Category.SERVICES, Ring.OUTER),
        ("Care co-ordinator", Kind.SERVICE, Category.SERVICES, Ring.OUTER),
        ("CPN", Kind.SERVICE, Category.SERVICES, Ring.OUTER),
        ("Housing officer", Kind.SERVICE, Category.SERVICES, Ring.OUTER),
        ("Work coach", Kind.SERVICE, Category.SERVICES, Ring.OUTER),
        ("church", Kind.GROUP, Category.FAITH, Ring.MIDDLE),
        ("Mosque", Kind.GROUP, Category.FAITH, Ring.MIDDLE),
        ("St Anne's", Kind.GROUP, Category.FAITH, Ring.MIDDLE),
        ("Allotment society", Kind.GROUP, Category.COMMUNITY_GROUP, Ring.MIDDLE),
        ("Choir", Kind.GROUP, Category.COMMUNITY_GROUP, Ring.MIDDLE),
        ("Running club", Kind.GROUP, Category.COMMUNITY_GROUP, Ring.MIDDLE),
        ("Library", Kind.PLACE, Category.COMMUNITY_GROUP, Ring.MIDDLE),
        ("park", Kind.PLACE, Category.COMMUNITY_GROUP, Ring.MIDDLE),
        ("Café", Kind.PLACE, Category.COMMUNITY_GROUP, Ring.MIDDLE),
        ("CAFE", Kind.PLACE, Category.COMMUNITY_GROUP, Ring.MIDDLE),
        ("College", Kind.PLACE, Category.WORK_EDUCATION, Ring.MIDDLE),
        ("Hearing Voices group", Kind.GROUP, Category.PEER_SUPPORT, Ring.MIDDLE),
        ("Facebook group", Kind.GROUP, Category.ONLINE, Ring.OUTER),
    ],
)
def test_obvious_names_are_recognised(name, kind, category, ring):
    assert guess(name) == Guess(kind, category, ring, from_name=True)


def test_a_specific_word_beats_a_generic_one_and_the_last_word_decides_a_tie():
    assert guess("Mosque youth club").category == Category.FAITH  # "club" is generic
    assert guess("Church choir").category == Category.COMMUNITY_GROUP  # a choir that meets at a church
    assert guess("Choir at the church").category == Category.FAITH
    assert guess("St Mary's hospital").category == Category.SERVICES


@pytest.mark.parametrize("name", ["Sam", "Jo", "K.P.", "Faith", "Nas", "Mark", "Summer", ""])
def test_unknown_names_and_first_names_that_are_also_words_get_the_default(name):
    assert guess(name) == DEFAULT == Guess(Kind.PERSON, Category.FRIEND, Ring.MIDDLE, from_name=False)


def test_a_relationship_the_practitioner_chose_for_the_entry_before_carries_over():
    # "Alex" would be a friend; the practitioner made them a workmate, so the next unknown name is one too.
    assert guess("Pat", previous=("Alex", Category.WORK_EDUCATION)) == Guess(
        Kind.PERSON, Category.WORK_EDUCATION, Ring.MIDDLE
    )
    assert guess("Pat", previous=("Dee", Category.SERVICES)).ring == Ring.OUTER
    # A known name still wins over what came before.
    assert guess("GP", previous=("Alex", Category.WORK_EDUCATION)).category == Category.SERVICES


def test_a_relationship_that_only_followed_from_the_name_before_does_not_carry_over():
    assert guess("Sam", previous=("Mum", Category.FAMILY)) == DEFAULT
    assert guess("Sam", previous=("Jo", Category.FRIEND)) == DEFAULT
    # Mum made a neighbour by hand is a choice: it carries over.
    assert guess("Sam", previous=("Mum", Category.NEIGHBOUR)).category == Category.NEIGHBOUR


@given(st.text(max_size=60))
def test_any_text_gets_a_guess(name):
    result = guess(name)
    assert isinstance(result.kind, Kind) and isinstance(result.category, Category)
    assert isinstance(result.ring, Ring)


def test_every_listed_word_is_read_as_listed():
    from connecting_people.connections.lexicon import _RULES

    for kind, category, ring, _strong, words in _RULES:
        for phrase in words.split(","):
            assert guess(phrase.strip()) == Guess(kind, category, ring, from_name=True), phrase


class TestTieAsked:
    """"Sam + Jo" in the name box ties two entries already on the map; anything else stays a name."""

    LABELS = {1: "Sam", 2: "Jo", 3: "Allotment society", 4: "Library", 5: "Jo "}

    def test_two_names_on_the_map_joined_by_a_plus(self):
        from connecting_people.connections.lexicon import tie_asked

        assert tie_asked("Sam + Jo", {1: "Sam", 2: "Jo"}) == (1, 2)
        assert tie_asked("  allotment SOCIETY+library ", self.LABELS) == (3, 4)

    def test_otherwise_it_is_a_name(self):
        from connecting_people.connections.lexicon import tie_asked

        assert tie_asked("Fish + chips club", self.LABELS) is None  # neither side is on the map
        assert tie_asked("Sam + Sam", self.LABELS) is None  # one entry cannot be tied to itself
        assert tie_asked("Sam + Jo", self.LABELS) is None  # two entries are called Jo: which one?
        assert tie_asked("Sam +", self.LABELS) is None
        assert tie_asked("Sam + Library + Jo", self.LABELS) is None
        assert tie_asked("Sam", self.LABELS) is None
