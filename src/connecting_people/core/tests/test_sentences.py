"""Plain English from data: lists, sentences and quotations (core.sentences), and the checker the printout tests
use (plain_english.problems), which must catch the faults it is there for."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connecting_people.core.sentences import ends_a_sentence, joined, quoted, sentence, sentences
from connecting_people.core.tests.plain_english import problems

WORDS = st.text(alphabet="abcdefghij", min_size=1, max_size=8)


@pytest.mark.parametrize(
    "items, expected",
    [
        ([], ""),
        (["kind"], "kind"),
        (["kind", "reliable"], "kind and reliable"),
        (["good with animals", "kind", "reliable"], "good with animals, kind and reliable"),
        (["", " ", "kind", "  "], "kind"),
    ],
)
def test_lists_are_joined_a_b_and_c(items, expected):
    assert joined(items) == expected


@given(st.lists(WORDS, max_size=8))
def test_a_joined_list_keeps_every_item_in_order_with_one_and(items):
    text = joined(items)
    assert text.count(" and ") == (1 if len(items) > 1 else 0)
    assert text.replace(" and ", ", ").split(", ") == (items or [""])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ""),
        ("   ", ""),
        ("you enjoy walking", "You enjoy walking."),
        ("Already done.", "Already done."),
        ("Done..  ", "Done."),
        ("Is it?", "Is it?"),
        ("In your words: “I like buses”.", "In your words: “I like buses”."),
        ("In your words: “I like buses.”", "In your words: “I like buses.”"),
        ("two  spaces\nand a line", "Two spaces and a line."),
    ],
)
def test_a_sentence_starts_with_a_capital_and_ends_with_one_full_stop(text, expected):
    assert sentence(text) == expected


def test_quoted_words_end_the_sentence_once():
    assert quoted("I like buses") == "“I like buses”."
    assert quoted("I like buses.") == "“I like buses.”"
    assert quoted(" ") == ""
    assert ends_a_sentence(quoted("anything")) and not ends_a_sentence("“not ended”")


def test_empty_parts_are_left_out_of_sentences():
    assert sentences("", "you are in touch every week", "  ", "they give you advice") == (
        "You are in touch every week. They give you advice."
    )


INTERESTS = ["walking", "art", "gardening", "music", "board games", "fishing"]


@given(st.lists(st.sampled_from(INTERESTS), min_size=1, unique=True))
def test_any_list_makes_a_sentence_without_faults(items):
    assert problems(sentence(f"Your interests: {joined(items)}")) == []


@pytest.mark.parametrize(
    "text, fault",
    [
        ("You are good at good with animals, kind, reliable.", "'good' twice close together"),
        ("Neighbour neighbour.", "'neighbour' twice in a row"),
        ("Mum: Family. Gives you emotional support and.", "hangs on 'and'"),
        ("Gives you .", "a space before punctuation"),
        ("Cost: , free.", "an empty clause"),
        ("you enjoy walking.", "does not start with a capital"),
        ("You enjoy walking", "does not end with a full stop"),
        ("You enjoy walking..", "two full stops"),
        ("In your words: “”.", "empty quotation marks"),
        ("Mum (). Family.", "empty brackets"),
        ("They give you.", "hangs on 'you'"),
    ],
)
def test_the_checker_catches_each_fault(text, fault):
    assert any(fault in problem for problem in problems(text)), problems(text)


def test_the_checker_passes_plain_english():
    assert problems("Mum (family). You are in touch every week. They give you emotional support.") == []
    assert (
        problems("In your words: “I like the bus.” We will look at this again together on 5 May 2027.") == []
    )
