"""The practice indicators on a fixed team of six, every value worked out by hand in the comments."""

from datetime import date

import pytest

from connecting_people.implementation.indicators import (
    KEYS,
    PersonFacts,
    ReviewFact,
    indicators,
    months_ending,
    suppressed,
)

START, END = date(2026, 1, 1), date(2026, 3, 31)


def person(pid, **facts):
    defaults = {
        "opened_on": date(2025, 10, 1),
        "closed_on": None,
        "allocated_on": None,
        "first_map_on": None,
        "first_goal_on": None,
        "first_link_introduced_on": None,
    }
    return PersonFacts(person_id=pid, **{**defaults, **facts})


TEAM = [
    # A: allocated 1 Oct, map 20 Oct (19 days: on time), goal, link introduced 1 Dec (61 days), two goals (one
    # linked), reviewed 5 Jan planning 1 Mar, reviewed again 10 Mar (within 14 days' grace): on time.
    person(
        1,
        allocated_on=date(2025, 10, 1),
        first_map_on=date(2025, 10, 20),
        first_goal_on=date(2025, 11, 1),
        first_link_introduced_on=date(2025, 12, 1),
        goals=((date(2025, 11, 1), True), (date(2026, 2, 1), False)),
        reviews=(
            ReviewFact(date(2026, 1, 5), date(2026, 3, 1), 2),
            ReviewFact(date(2026, 3, 10), date(2026, 6, 1), 0),
        ),
    ),
    # B: allocated 1 Nov, map 15 Dec (44 days: late), a goal (not linked), review 1 Dec planning 1 Feb; no
    # review after: late. Its map counted one new community tie.
    person(
        2,
        allocated_on=date(2025, 11, 1),
        first_map_on=date(2025, 12, 15),
        first_goal_on=date(2025, 11, 20),
        goals=((date(2025, 11, 20), False),),
        reviews=(ReviewFact(date(2025, 12, 1), date(2026, 2, 1), 1),),
    ),
    # C: allocated 20 Mar: the 28-day window has not passed by 31 Mar, so not counted for the map on time;
    # nothing else yet.
    person(3, opened_on=date(2026, 3, 20), allocated_on=date(2026, 3, 20)),
    # D: closed 15 Feb: not in the caseload at the end of the period.
    person(4, closed_on=date(2026, 2, 15), first_map_on=date(2025, 10, 2), first_goal_on=date(2025, 10, 5)),
    # E: opened in April, after the period: not counted.
    person(5, opened_on=date(2026, 4, 2)),
    # F: no allocation date known: counts from 1 Oct (opened); map drawn before that (0 days); link introduced
    # 31 Oct (30 days); a review that started no map.
    person(
        6,
        first_map_on=date(2025, 9, 25),
        first_link_introduced_on=date(2025, 10, 31),
        reviews=(ReviewFact(date(2026, 2, 1), None, None),),
    ),
]


def values(found):
    return {key: (found[key].value, found[key].numerator, found[key].denominator) for key in KEYS}


def test_hand_computed_team():
    found = indicators(TEAM, START, END)
    assert values(found) == {
        # caseload at 31 Mar: A, B, C, F (D closed, E not yet opened); C's window has not passed.
        "map_within_28_days": (pytest.approx(2 / 3), 2, 3),  # A and F on time, B late
        "with_goal": (0.5, 2, 4),  # A, B
        "with_link_introduced": (0.5, 2, 4),  # A, F
        "reviewed_on_time": (0.5, 1, 2),  # due 1 Mar (A, met 10 Mar) and 1 Feb (B, missed)
        "median_days_to_first_map": (19.0, None, 3),  # A 19, B 44, F 0
        "median_days_to_first_link": (45.5, None, 2),  # A 61, F 30
        "goals_linked_to_opportunity": (pytest.approx(1 / 3), 1, 3),  # A's two goals and B's one
        "new_community_tie_at_latest_review": (0.5, 1, 2),  # A's latest map 0 ties, B's 1; F's review no map
    }


def test_an_earlier_period_counts_who_was_there_then():
    found = indicators(TEAM, date(2025, 12, 1), date(2025, 12, 31))
    # caseload at 31 Dec: A, B, D, F (C and E not opened yet; D not yet closed)
    assert found["with_goal"].denominator == 4 and found["with_goal"].numerator == 3  # A, B, D
    assert found["reviewed_on_time"].denominator == 0 and found["reviewed_on_time"].value is None


def test_no_data_is_none_never_zero():
    found = indicators([], START, END)
    assert all(found[key].value is None for key in KEYS)
    assert all(found[key].denominator == 0 for key in KEYS)


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        indicators(TEAM, END, START)


def test_small_numbers_are_suppressed_but_no_data_stays_no_data():
    found = indicators(TEAM, START, END)
    hidden = suppressed(found["with_goal"], 5)
    assert (
        hidden.suppressed and hidden.value is None and hidden.numerator is None and hidden.denominator is None
    )
    assert not suppressed(
        found["with_goal"], 2
    ).suppressed  # 2 of 4: neither 2 nor its complement 2 is below 2
    assert suppressed(found["with_goal"], 3).suppressed  # 2 of 4 at a threshold of 3: the 2 would show
    empty = indicators([], START, END)["with_goal"]
    assert suppressed(empty, 5) == empty


def test_months_ending():
    assert months_ending(date(2026, 2, 10), 3) == [
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 10)),
    ]


def test_a_complement_below_the_threshold_is_hidden_too():
    from connecting_people.implementation.indicators import Indicator

    assert suppressed(Indicator("with_goal", 19 / 20, 19, 20), 5).suppressed  # tells of the 1 without a goal
    assert not suppressed(Indicator("with_goal", 15 / 20, 15, 20), 5).suppressed
    assert not suppressed(Indicator("with_goal", 1.0, 20, 20), 5).suppressed  # 0 identifies nobody
    assert suppressed(Indicator("median_days_to_first_map", 12.0, None, 3), 5).suppressed


# --- reviews due: each in exactly one period ----------------------------------------------------------------


def _reviews_every(days_apart, first, count):
    """Reviews held `days_apart` days apart from `first`, each planning the next on the day it is held."""
    from datetime import timedelta

    held = [first + timedelta(days=days_apart * i) for i in range(count)]
    return tuple(ReviewFact(on, on + timedelta(days=days_apart), None) for on in held)


YEAR_TEAM = [
    # Reviews every 33 days from 2 Jan 2025 (12 held, the last planning one for 2 Feb 2026): 11 due in 2025
    # (4 Feb, 9 Mar, 11 Apr, 14 May, 16 Jun, 19 Jul, 21 Aug, 23 Sep, 26 Oct, 28 Nov, 31 Dec), 6 of them in the
    # last 14 days of their month, each followed on the day it was due.
    person(1, opened_on=date(2024, 12, 1), reviews=_reviews_every(33, date(2025, 1, 2), 12)),
]


def test_monthly_reviews_due_sum_to_the_year():
    year = indicators(YEAR_TEAM, date(2025, 1, 1), date(2025, 12, 31))["reviewed_on_time"]
    monthly = [
        indicators(YEAR_TEAM, first, last)["reviewed_on_time"]
        for first, last in months_ending(date(2025, 12, 31), 12)
    ]
    assert year.denominator == 11 and year.numerator == 11
    assert sum(m.denominator for m in monthly) == year.denominator
    assert sum(m.numerator for m in monthly) == year.numerator


def test_a_review_due_whose_grace_has_not_passed_by_today_waits_unless_already_held():
    # The last review, held 31 Dec 2025, planned the next for 2 Feb 2026; none was held after it.
    team = YEAR_TEAM
    early = indicators(team, date(2026, 1, 1), date(2026, 2, 10), today=date(2026, 2, 10))["reviewed_on_time"]
    assert early.denominator == 0  # due 2 Feb, its 14 days' grace not passed on 10 Feb: not judged yet
    later = indicators(team, date(2026, 1, 1), date(2026, 2, 28), today=date(2026, 3, 1))["reviewed_on_time"]
    assert (later.numerator, later.denominator) == (0, 1)
