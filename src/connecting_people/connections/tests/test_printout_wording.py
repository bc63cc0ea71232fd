"""The map printout's sentences for every combination of an entry's fields: kind, relationship, how often in
touch (or not asked), each set of supports and each wish (or none). Plain English every time: no word twice in
a row, no empty clause, no sentence hanging on a half-said phrase, a capital at the start and a full stop at the
end; and each field said exactly when it is recorded."""

import itertools

from connecting_people.connections.domain import Category, Entry, Frequency, Kind, Ring, Support, Wish
from connecting_people.connections.presenters import (
    SUPPORT_AS_NOUN,
    entry_sentences,
    printout_changes,
    printout_sections,
)
from connecting_people.core.tests.plain_english import problems

SUPPORT_SETS = [
    frozenset(chosen) for size in range(len(Support) + 1) for chosen in itertools.combinations(Support, size)
]
LABELS = ("Mum", "Jo", "The group", "Good neighbour", "Gives")  # labels that could run into the words after


def every_entry():
    for number, (kind, category, frequency, supports, wish) in enumerate(
        itertools.product(Kind, Category, [None, *Frequency], SUPPORT_SETS, [None, *Wish])
    ):
        yield Entry(
            key=str(number),
            label=LABELS[number % len(LABELS)],
            kind=kind,
            category=category,
            ring=Ring.CLOSE,
            supports=supports,
            frequency=frequency,
            wish=wish,
        )


def test_every_combination_of_fields_reads_as_plain_english():
    checked = 0
    for entry in every_entry():
        line = f"{entry.label}{entry_sentences(entry)}"
        assert problems(line) == [], (entry, line)
        checked += 1
    assert checked == 4 * 10 * 6 * 32 * 5


def test_each_field_is_said_when_recorded_and_only_then():
    for entry in every_entry():
        text = entry_sentences(entry)
        assert ("You are in touch" in text or "You are not in touch" in text) == bool(entry.frequency), text
        assert (" you " in text and "give" in text) == bool(entry.supports), text
        assert ("would like" in text) == (entry.wish is not None), text
        # Every kind of support is said as a noun: "emotional support", never a bare "emotional".
        for support in entry.supports:
            assert SUPPORT_AS_NOUN[support] in text
        assert "emotional." not in text and "emotional and" not in text


def test_the_sentences_from_the_issue_are_now_plain():
    mum = Entry("1", "Mum", Kind.PERSON, Category.FAMILY, Ring.CLOSE, frozenset({Support.EMOTIONAL}))
    assert f"Mum{entry_sentences(mum)}" == "Mum (family). They give you emotional support."
    sam = Entry(
        "2", "Sam", Kind.PERSON, Category.FRIEND, Ring.CLOSE,
        frozenset({Support.EMOTIONAL, Support.ADVICE, Support.PRACTICAL}), Frequency.NOT_IN_TOUCH, Wish.RECONNECT,
    )  # fmt: skip
    assert entry_sentences(sam) == (
        " (friend). You are not in touch at the moment. They give you emotional support, practical help and "
        "advice. You would like to get back in touch."
    )


def test_a_label_that_names_the_relationship_is_not_followed_by_it_again():
    neighbour = Entry(
        "1", "Neighbour", Kind.PERSON, Category.NEIGHBOUR, Ring.OUTER, frequency=Frequency.WEEKLY
    )
    assert f"Neighbour{entry_sentences(neighbour)}" == "Neighbour. You are in touch every week."
    alone = Entry("2", "Pat", Kind.PERSON, Category.NEIGHBOUR, Ring.OUTER)
    assert f"Pat{entry_sentences(alone)}" == "Pat (neighbour)."


def test_changes_wanted_are_one_plain_sentence_each_and_keep_says_nothing():
    entries = [
        Entry(str(n), label, Kind.PERSON, Category.FRIEND, Ring.MIDDLE, wish=wish)
        for n, (label, wish) in enumerate(
            [
                ("Jo", Wish.CLOSER),
                ("Al", Wish.RECONNECT),
                ("Pub.", Wish.FEWER),
                ("Kim", Wish.KEEP),
                ("Lu", None),
            ]
        )
    ]
    changes = printout_changes(entries)
    assert changes == ["Get back in touch with Al.", "Get closer to Jo.", "See less of Pub."]
    assert all(problems(change) == [] for change in changes)


def test_sections_go_closest_first_with_every_entry_once():
    entries = list(itertools.islice(every_entry(), 0, 200))
    entries = [
        Entry(e.key, e.label, e.kind, e.category, ring, e.supports)
        for e, ring in zip(entries, itertools.cycle(Ring))
    ]
    sections = printout_sections(entries)
    assert [section["title"] for section in sections] == ["Closest to you", "In the middle", "Further out"]
    assert sum(len(section["entries"]) for section in sections) == len(entries)
