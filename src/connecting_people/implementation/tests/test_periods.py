"""The trust dashboard's periods: only whole calendar months, quarters and years that have ended, and hiding
that holds across them. Subtracting what one allowed period shows from what another shows never gives a count
the dashboard hides (a property test over made-up caseloads), and the one-day differencing that free dates
allowed is gone from the page and its CSV."""

import csv
import io
from datetime import date, timedelta
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connecting_people.implementation import indicators as ind
from connecting_people.implementation.indicators import PersonFacts, ReviewFact
from connecting_people.implementation.periods import (
    Period,
    ended_periods,
    latest_quarter,
    month,
    period_for_key,
    periods_inside,
    published_indicators,
    quarter,
    year,
)
from connecting_people.people.tests.factories import PersonFactory

# --- the periods ------------------------------------------------------------------------------------------


def test_keys_and_labels():
    assert (month(2026, 2).key, month(2026, 2).label) == ("2026-02", "February 2026")
    assert (month(2026, 2).start, month(2026, 2).end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert (quarter(2026, 4).key, quarter(2026, 4).label) == ("2026-Q4", "October to December 2026")
    assert (quarter(2026, 4).start, quarter(2026, 4).end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert (year(2025).key, year(2025).label) == ("2025", "2025")
    for key in ("2026-02", "2026-Q4", "2025", "2024-12", "2024-Q1"):
        assert period_for_key(key).key == key
    for nonsense in ("2026-13", "2026-Q5", "2026-00", "26", "2026-1", "", "2026-03-01", "9999999"):
        assert period_for_key(nonsense) is None


def test_only_periods_that_have_ended_are_offered():
    offered = ended_periods(date(2026, 11, 15), years=1)
    keys = [period.key for period in offered]
    assert keys[:3] == ["2026-Q3", "2026-Q2", "2026-Q1"]
    assert "2026-10" in keys and "2026-11" not in keys  # this month has not ended
    assert "2026-Q4" not in keys and "2026" not in keys and "2025" in keys
    assert "2024-12" not in keys  # one year back: from 1 January 2025
    assert all(period.end < date(2026, 11, 15) for period in offered)
    # Every period ends on the last day of a month: two ends are never a day apart.
    ends = sorted({period.end for period in offered})
    assert all((later - earlier).days >= 28 for earlier, later in zip(ends, ends[1:], strict=False))


@pytest.mark.parametrize(
    "today, expected",
    [(date(2026, 11, 15), "2026-Q3"), (date(2026, 1, 1), "2025-Q4"), (date(2026, 4, 1), "2026-Q1")],
)
def test_the_first_period_shown_is_the_latest_quarter_that_has_ended(today, expected):
    assert latest_quarter(today).key == expected


def test_periods_inside_a_year_and_a_quarter():
    assert [p.key for p in periods_inside(quarter(2026, 2))] == ["2026-04", "2026-05", "2026-06"]
    assert len(periods_inside(year(2026))) == 16
    assert periods_inside(month(2026, 2)) == []


# --- hiding holds across periods (property) ---------------------------------------------------------------

YEAR = 2025
ALLOWED = [year(YEAR), *periods_inside(year(YEAR))]
DAY = st.integers(min_value=0, max_value=540).map(lambda n: date(YEAR - 1, 10, 1) + timedelta(days=n))


@st.composite
def caseloads(draw) -> list[PersonFacts]:
    people = []
    for person_id in range(draw(st.integers(min_value=0, max_value=24))):
        opened = draw(DAY)
        closed = draw(st.none() | DAY.filter(lambda day, opened=opened: day > opened))
        reviews = []
        held = opened
        for _ in range(draw(st.integers(min_value=0, max_value=5))):
            held = held + timedelta(days=draw(st.integers(min_value=1, max_value=80)))
            due = draw(st.none() | st.integers(min_value=10, max_value=70))
            reviews.append(ReviewFact(held, held + timedelta(days=due) if due else None, None))
        people.append(
            PersonFacts(
                person_id=person_id,
                opened_on=opened,
                closed_on=closed,
                allocated_on=None,
                first_map_on=draw(st.none() | DAY),
                first_goal_on=draw(st.none() | DAY),
                first_link_introduced_on=draw(st.none() | DAY),
                goals=tuple((draw(DAY), draw(st.booleans())) for _ in range(draw(st.integers(0, 2)))),
                reviews=tuple(reviews),
            )
        )
    return people


def counted_sets(people: list[PersonFacts], period: Period) -> dict[str, dict[str, frozenset]]:
    """What each indicator counts, as sets: denominator, numerator and the rest (numerator's complement)."""
    caseload = frozenset(p.person_id for p in people if p.in_caseload(period.end))
    due, on_time = ind.review_sets(people, period.start, period.end)
    with_goal = frozenset(
        p.person_id
        for p in people
        if p.person_id in caseload and p.first_goal_on is not None and p.first_goal_on <= period.end
    )
    return {
        "caseload": {"denominator": caseload, "numerator": caseload, "rest": frozenset()},
        "with_goal": {"denominator": caseload, "numerator": with_goal, "rest": caseload - with_goal},
        "reviewed_on_time": {"denominator": due, "numerator": on_time, "rest": due - on_time},
    }


@settings(max_examples=300, deadline=None)
@given(people=caseloads(), threshold=st.sampled_from([2, 3, 5]))
def test_no_two_allowed_periods_uncover_a_hidden_count_by_subtraction(people, threshold):
    shown = {period: published_indicators(people, period, threshold=threshold) for period in ALLOWED}
    truth = {period: counted_sets(people, period) for period in ALLOWED}
    for period in ALLOWED:
        # Each period on its own: nothing shown rests on a count from 1 to threshold - 1.
        for key, indicator in shown[period].items():
            if not indicator.suppressed and indicator.denominator:
                counts = [indicator.denominator]
                if indicator.numerator is not None:
                    counts += [indicator.numerator, indicator.denominator - indicator.numerator]
                assert not any(0 < count < threshold for count in counts), (period.key, key)
    for first, second in combinations(ALLOWED, 2):
        if first.end == second.end:
            # Counted at the same end: everything but the reviews is the same, shown or hidden alike.
            for key in ind.KEYS:
                if key != "reviewed_on_time":
                    assert shown[first][key] == shown[second][key], (first.key, second.key, key)
        if shown[first]["reviewed_on_time"].suppressed or shown[second]["reviewed_on_time"].suppressed:
            continue
        # Both shown: no set of reviews one counts is a count from 1 to threshold - 1 bigger than the other's.
        for part in ("denominator", "numerator", "rest"):
            one = truth[first]["reviewed_on_time"][part]
            other = truth[second]["reviewed_on_time"][part]
            if one <= other or other <= one:
                difference = abs(len(one) - len(other))
                assert not 0 < difference < threshold, (first.key, second.key, part, difference)


def test_the_complement_rule_hides_reviews_that_a_shorter_period_would_uncover():
    # Six reviews due in March 2025 (all on time) and one more due in February: the quarter counts 7, March 6.
    people = []
    for n in range(7):
        due_on = date(2025, 3, 2) if n < 6 else date(2025, 2, 3)
        people.append(
            PersonFacts(
                person_id=n,
                opened_on=date(2024, 1, 1),
                closed_on=None,
                allocated_on=None,
                first_map_on=None,
                first_goal_on=None,
                first_link_introduced_on=None,
                reviews=(
                    ReviewFact(due_on - timedelta(days=30), due_on, None),
                    ReviewFact(due_on + timedelta(days=3), None, None),
                ),
            )
        )
    march = published_indicators(people, month(2025, 3), threshold=5)["reviewed_on_time"]
    first_quarter = published_indicators(people, quarter(2025, 1), threshold=5)["reviewed_on_time"]
    assert (march.numerator, march.denominator) == (6, 6)
    assert first_quarter.suppressed  # 7 − 6 would be the February review


# --- the page -----------------------------------------------------------------------------------------------


def csv_rows(response) -> dict[tuple[str, str], dict]:
    return {
        (row["team_id"], row["measure"]): row
        for row in csv.DictReader(io.StringIO(response.content.decode()))
    }


def opened(org, on: date):
    return PersonFactory(
        team=org.team, allocated_worker=org.practitioner, practice_consent=True, opened_on=on, allocated_on=on
    )


def test_two_periods_a_day_apart_cannot_be_asked_for(client, org):
    today = date.today()
    last = today - timedelta(days=40)
    for _ in range(6):
        opened(org, last - timedelta(days=100))
    opened(org, last)  # one person whose support started on one particular day
    client.force_login(org.implementation_lead)
    url = f"/implementation/trusts/{org.trust.pk}/dashboard/"

    def caseload_up_to(day: date) -> str:
        start = last - timedelta(days=60)
        asked = {
            **{f"start_{part}": getattr(start, part) for part in ("day", "month", "year")},
            **{f"end_{part}": getattr(day, part) for part in ("day", "month", "year")},
            "format": "csv",
        }
        return csv_rows(client.get(url, asked))[(str(org.team.pk), "caseload")]["value"]

    # Free dates were the leak: the day before and the day itself differed by that one person.
    assert caseload_up_to(last - timedelta(days=1)) == caseload_up_to(last)


def test_a_calendar_period_is_chosen_from_the_list(client, org):
    today = date.today()
    chosen = month(today.year - 1, 6)
    client.force_login(org.implementation_lead)
    url = f"/implementation/trusts/{org.trust.pk}/dashboard/"
    page = client.get(url, {"period": chosen.key}).content.decode()
    assert f"<h2>{chosen.label} " in page and 'name="period"' in page
    assert 'name="start_day"' not in page
    exported = csv_rows(client.get(url, {"period": chosen.key, "format": "csv"}))
    assert exported[(str(org.team.pk), "caseload")]["start"] == chosen.start.isoformat()
    assert exported[(str(org.team.pk), "caseload")]["end"] == chosen.end.isoformat()
    default = latest_quarter(today)
    assert f"<h2>{default.label} " in client.get(url).content.decode()


@pytest.mark.parametrize("asked", ["this month", "2026-13", "1999-Q1", "tomorrow"])
def test_a_period_not_offered_is_refused_with_a_message_and_no_csv(client, org, asked):
    today = date.today()
    current = month(today.year, today.month).key
    client.force_login(org.implementation_lead)
    url = f"/implementation/trusts/{org.trust.pk}/dashboard/"
    key = current if asked == "this month" else asked
    response = client.get(url, {"period": key, "format": "csv"})
    page = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "There is a problem" in page and "Choose a period from the list" in page


# --- counts worked out by subtraction from the caseload -----------------------------------------------------


def _eighteen():
    """18 people in the caseload, allocated in 2024: 16 with a first map (14 within 28 days, 2 late, 2 none),
    14 with a community link introduced (4 without)."""
    people = []
    for pid in range(1, 19):
        allocated = date(2024, 6, 1)
        first_map = None if pid > 16 else allocated + timedelta(days=10 if pid <= 14 else 40)
        link = allocated + timedelta(days=60) if pid <= 14 else None
        people.append(PersonFacts(pid, allocated, None, allocated, first_map, None, link))
    return people


def test_no_shown_count_reveals_a_hidden_one_by_subtraction_from_the_caseload():
    people = _eighteen()
    q1 = quarter(2025, 1)
    caseload = ind.caseload_size(people, q1.end)
    assert caseload == 18
    shown = published_indicators(people, q1, threshold=5)
    # Hidden in its own right: 14 of 18 with a link introduced (18 - 14 = 4), 14 of 18 maps within 28 days.
    assert shown["with_link_introduced"].suppressed and shown["map_within_28_days"].suppressed
    # Before: "median days to first link, over 14" beside a caseload of 18 gave the hidden 14 back, and
    # "median days to first map, over 16" told that 2 people have no map.
    assert shown["median_days_to_first_link"].suppressed and shown["median_days_to_first_map"].suppressed
    for indicator in shown.values():
        for count in (indicator.numerator, indicator.denominator):
            if indicator.key in ind.PEOPLE_COUNTS and count is not None:
                assert not 0 < caseload - count < 5, (indicator.key, count)
