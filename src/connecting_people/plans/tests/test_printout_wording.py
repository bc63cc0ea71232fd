"""The printed plan's sentences (plans.printout) for every combination of its fields, empty ones included, and
for text typed by anyone: no word twice in a row or nearly, no empty clause, no hanging phrase, a capital at the
start and a full stop at the end."""

import itertools
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from connecting_people.core.tests.plain_english import problems
from connecting_people.plans import printout
from connecting_people.plans.models import Barrier

STRENGTHS = ["good with animals", "kind", "reliable", "listening"]
INTERESTS = ["gardening", "walking", "board games"]
OWN_WORDS = ["", "I am good with people", "I can fix bikes.", "Am I good at anything?"]
DAY = date(2026, 12, 5)
# Free text as people type it: words (none that would leave their own sentence hanging), with or without a
# full stop, question or exclamation mark at the end, and spaces around.
TYPED = st.builds(
    lambda words, stop, pad: pad + " ".join(words) + stop + pad,
    st.lists(st.sampled_from(["choir", "Sing", "bus", "Tuesday", "friends", "walk", "Jo"]), min_size=1,
             max_size=6, unique=True),
    st.sampled_from(["", ".", "!", "?"]),
    st.sampled_from(["", " ", "  "]),
)  # fmt: skip


def subsets(items):
    return [list(chosen) for size in range(len(items) + 1) for chosen in itertools.combinations(items, size)]


def assert_plain(lines):
    for line in lines:
        assert line, lines
        assert problems(line) == [], line


def test_strengths_and_interests_in_every_combination():
    for strengths, interests, words in itertools.product(subsets(STRENGTHS), subsets(INTERESTS), OWN_WORDS):
        lines = printout.strengths_and_interests(strengths, interests, words)
        assert_plain(lines)
        text = " ".join(lines)
        assert ("Your strengths" in text) == bool(strengths)
        assert ("Your interests" in text) == bool(interests)
        assert ("In your words" in text) == bool(words)


def test_the_sentence_from_the_issue_is_now_plain():
    assert printout.strengths_and_interests(["good with animals", "kind", "reliable"], [], "") == [
        "Your strengths: good with animals, kind and reliable."
    ]
    assert printout.strengths_and_interests([], [], "") == ["We have not written these down yet."]


def test_barriers_in_every_combination():
    names = [label for _code, label in Barrier.choices]
    for chosen, words in itertools.product(subsets(names), OWN_WORDS[:2]):
        lines = printout.barriers(chosen, words)
        assert_plain(lines)
        assert bool(lines) == bool(chosen or words)
    assert printout.barriers(["Money", "Travel or transport"], "Buses are dear") == [
        "Money and travel or transport.",
        "In your words: “Buses are dear”.",
    ]


def test_steps_goals_links_and_the_review_in_every_combination():
    for what, who, done_on in itertools.product(
        ["Go along", "Ring the choir.", "Ask Jo"], ["you", "Alex Morgan", "", "your worker"], [None, DAY]
    ):
        line = printout.step_sentence(printout.StepLine(what, who, DAY, done_on))
        assert_plain([line])
        assert ("done on" in line) == (done_on is not None)
    for success in ["Goes to the choir each week", "Goes every week."]:
        assert_plain([printout.goal_success(printout.GoalLines("Sing", success))])
    assert printout.goal_success(printout.GoalLines("Sing", " ")) == ""
    for when, where, cost, details in itertools.product(
        ["", "Tuesdays, 10am to midday", "Drop in any time the centre is open."],
        ["", "4 Abbey Lane CP2 4AB"],
        ["free", "low", "paid", "unknown", ""],
        ["", "£3 a session", "Free", "free, donations welcome", "Low cost", "Paid on the door"],
    ):
        text = printout.link_sentences(printout.LinkLines("Choir", when, where, cost, details))
        if text:
            assert_plain([text])
        assert bool(text) == bool(when or where or cost in printout.COST_FOR_PERSON)
    free = printout.LinkLines("Choir", cost="free", cost_details="Free")
    assert printout.link_sentences(free) == "Free."  # not "It is free: Free."
    assert_plain([printout.next_review(DAY)])
    assert printout.next_review(None) == ""


@given(TYPED, TYPED, TYPED)
def test_whatever_is_typed_the_sentences_stay_whole(what, success, words):
    assert_plain([printout.step_sentence(printout.StepLine(what, "you", DAY))])
    assert_plain([printout.goal_success(printout.GoalLines("Goal", success))])
    assert_plain(printout.strengths_and_interests(["kind"], ["walking"], words))
