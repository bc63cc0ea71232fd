"""Fidelity indicators derived from recorded practice. Pure: plain facts about people in, indicator values out.

One definition of each indicator, used by the dashboards, the CSV export and `connecting-people fidelity
indicators`. Every indicator is worked out for a period [start, end] (both days included) over a set of people
(a worker's, a team's or a trust's), from facts the selectors load once (`PersonFacts`).

The people counted ("the active caseload at the end of the period"): people whose support had started by the
period's end (`opened_on` ≤ end) and was still open at its end (not closed, or closed after the end). Closed
cases therefore count for periods before they closed and not after; deleted records do not exist to count.
Allocation date: when the current worker was allocated, or the day support started when that is not known.

Key (JSON name)                     Definition
``map_within_28_days``              Of the caseload allocated at least 28 days before the period's end, the share
                                    whose first connections map is dated no later than 28 days after allocation.
``with_goal``                       Share of the caseload with at least one goal set by the period's end.
``with_link_introduced``            Share of the caseload with at least one community link that reached
                                    "introduced" or beyond (went along, goes regularly) by the period's end.
``reviewed_on_time``                Of the reviews due in the period (each review's planned next date falling
                                    in it, so each due review belongs to exactly one month, quarter or year),
                                    the share followed by a review held no later than 14 days after the date
                                    due. Counts reviews due, not people. Asked with `today`, a review whose
                                    grace has not passed by then and that has not been followed yet is left
                                    out (it cannot be judged yet); without `today` every review due is judged
                                    on the records given.
``median_days_to_first_map``        Median days from allocation to the first connections map, over the caseload
                                    with a first map by the period's end (a map drawn before allocation: 0).
``median_days_to_first_link``       Median days from allocation to the first community link reaching
                                    "introduced" or beyond, over the caseload with one by the period's end.
``goals_linked_to_opportunity``     Of the caseload's goals set by the period's end, the share linked to at
                                    least one community opportunity. Counts goals, not people.
``new_community_tie_at_latest_review``
                                    Of the caseload with a review held by the period's end that started a
                                    connections map, the share whose latest such map counted at least one new
                                    community tie (`new_community_ties` ≥ 1, see connections/metrics.py).

Each value comes with its numerator and denominator (for medians: the number of people it is over). With a
denominator of 0 the value is None: shown as "no data", never as 0.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median
from typing import Any

MAP_WINDOW = timedelta(days=28)
REVIEW_GRACE = timedelta(days=14)

SHARES = (
    "map_within_28_days",
    "with_goal",
    "with_link_introduced",
    "reviewed_on_time",
    "goals_linked_to_opportunity",
    "new_community_tie_at_latest_review",
)
MEDIANS = ("median_days_to_first_map", "median_days_to_first_link")
KEYS = (
    "map_within_28_days",
    "with_goal",
    "with_link_introduced",
    "reviewed_on_time",
    "median_days_to_first_map",
    "median_days_to_first_link",
    "goals_linked_to_opportunity",
    "new_community_tie_at_latest_review",
)
TITLES = {
    "map_within_28_days": "Connections map within 28 days of allocation",
    "with_goal": "At least one goal set together",
    "with_link_introduced": "A community link introduced or beyond",
    "reviewed_on_time": "Reviews held on time",
    "median_days_to_first_map": "Median days from allocation to first map",
    "median_days_to_first_link": "Median days from allocation to first community link",
    "goals_linked_to_opportunity": "Goals linked to a community opportunity",
    "new_community_tie_at_latest_review": "New community tie at the latest review",
}


@dataclass(frozen=True)
class ReviewFact:
    held_on: date
    next_review_on: date | None
    new_community_ties: int | None  # of the map the review started; None when it started none


@dataclass(frozen=True)
class PersonFacts:
    person_id: int
    opened_on: date
    closed_on: date | None
    allocated_on: date | None
    first_map_on: date | None
    first_goal_on: date | None
    first_link_introduced_on: date | None
    goals: tuple[tuple[date, bool], ...] = ()  # (set on, linked to an opportunity)
    worker_id: int | None = None  # the allocated worker, for indicators per worker
    reviews: tuple[ReviewFact, ...] = field(default_factory=tuple)  # oldest first

    def in_caseload(self, end: date) -> bool:
        return self.opened_on <= end and (self.closed_on is None or self.closed_on > end)

    @property
    def allocated(self) -> date:
        return self.allocated_on or self.opened_on


@dataclass(frozen=True)
class Indicator:
    key: str
    value: float | None  # a share 0–1, or days for the medians; None when there is nothing to count
    numerator: int | None  # None for medians
    denominator: int | None  # None only when suppressed
    suppressed: bool = False  # hidden: too few people or events behind it

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "suppressed": self.suppressed,
        }


def _share(key: str, hits: int, total: int) -> Indicator:
    return Indicator(key, hits / total if total else None, hits, total)


def _median(key: str, values: list[int]) -> Indicator:
    return Indicator(key, float(median(values)) if values else None, None, len(values))


def indicators(
    people: list[PersonFacts], start: date, end: date, *, today: date | None = None
) -> dict[str, Indicator]:
    """Every indicator for the period [start, end] over `people` (see the module docstring); `today`, when
    given, leaves out reviews due that cannot be judged yet."""
    if end < start:
        raise ValueError("the period ends before it starts")
    caseload = [person for person in people if person.in_caseload(end)]

    window_passed = [p for p in caseload if p.allocated + MAP_WINDOW <= end]
    map_on_time = sum(
        1 for p in window_passed if p.first_map_on is not None and p.first_map_on <= p.allocated + MAP_WINDOW
    )
    with_goal = sum(1 for p in caseload if p.first_goal_on is not None and p.first_goal_on <= end)
    with_link = sum(
        1 for p in caseload if p.first_link_introduced_on is not None and p.first_link_introduced_on <= end
    )

    due_reviews, on_time_reviews = review_sets(caseload, start, end, today=today)
    due, on_time = len(due_reviews), len(on_time_reviews)

    days_to_map = [
        max(0, (p.first_map_on - p.allocated).days)
        for p in caseload
        if p.first_map_on is not None and p.first_map_on <= end
    ]
    days_to_link = [
        max(0, (p.first_link_introduced_on - p.allocated).days)
        for p in caseload
        if p.first_link_introduced_on is not None and p.first_link_introduced_on <= end
    ]
    goals = [linked for p in caseload for set_on, linked in p.goals if set_on <= end]

    with_review_map = [
        [r for r in p.reviews if r.held_on <= end and r.new_community_ties is not None] for p in caseload
    ]
    reviewed = [reviews[-1] for reviews in with_review_map if reviews]
    tie = sum(1 for review in reviewed if review.new_community_ties >= 1)

    return {
        "map_within_28_days": _share("map_within_28_days", map_on_time, len(window_passed)),
        "with_goal": _share("with_goal", with_goal, len(caseload)),
        "with_link_introduced": _share("with_link_introduced", with_link, len(caseload)),
        "reviewed_on_time": _share("reviewed_on_time", on_time, due),
        "median_days_to_first_map": _median("median_days_to_first_map", days_to_map),
        "median_days_to_first_link": _median("median_days_to_first_link", days_to_link),
        "goals_linked_to_opportunity": _share("goals_linked_to_opportunity", sum(goals), len(goals)),
        "new_community_tie_at_latest_review": _share(
            "new_community_tie_at_latest_review", tie, len(reviewed)
        ),
    }


def _due_in(when: date | None, start: date, end: date) -> bool:
    """Whether a review planned for `when` is due in [start, end]. Every due date falls in exactly one period
    of a partition (months, quarters, years), so monthly counts add up to the year's."""
    return when is not None and start <= when <= end


def _followed_on_time(person: PersonFacts, review: ReviewFact) -> bool:
    """Whether a review was held after `review` and no later than the grace after its planned date (settled
    once that grace has passed, whatever period is asked about)."""
    when = review.next_review_on
    return when is not None and any(
        review.held_on < later.held_on <= when + REVIEW_GRACE for later in person.reviews
    )


def review_sets(
    people: list[PersonFacts], start: date, end: date, *, today: date | None = None
) -> tuple[frozenset, frozenset]:
    """The reviews behind ``reviewed_on_time`` for [start, end], of `people` in the caseload at `end`: (those
    due, those of them followed on time), each review as (person_id, its position in person.reviews). With
    `today`, a review due whose grace has not passed by `today` counts only once it has been followed."""
    due: list[tuple[int, int]] = []
    on_time: list[tuple[int, int]] = []
    for person in people:
        if not person.in_caseload(end):
            continue
        for position, review in enumerate(person.reviews):
            when = review.next_review_on
            if when is None or not _due_in(when, start, end):
                continue
            followed = _followed_on_time(person, review)
            if not followed and today is not None and today < when + REVIEW_GRACE:
                continue  # still within its grace: not judged yet
            due.append((person.person_id, position))
            if followed:
                on_time.append((person.person_id, position))
    return frozenset(due), frozenset(on_time)


def by_worker(people: list[PersonFacts]) -> dict[int | None, list[PersonFacts]]:
    """People grouped by their allocated worker (None: not allocated), for indicators per worker."""
    groups: dict[int | None, list[PersonFacts]] = {}
    for person in people:
        groups.setdefault(person.worker_id, []).append(person)
    return groups


def caseload_size(people: list[PersonFacts], end: date) -> int:
    return sum(1 for person in people if person.in_caseload(end))


def months_ending(end: date, count: int) -> list[tuple[date, date]]:
    """The `count` calendar months up to and including `end`'s month, oldest first, the last cut at `end`."""
    periods = []
    year, month = end.year, end.month
    for _ in range(count):
        first = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        periods.append((first, min(following - timedelta(days=1), end)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(periods))


# Indicators whose counts are of people in the caseload at the period's end (a subset of it), so the caseload
# shown beside them, less one of their counts, counts people too.
PEOPLE_COUNTS = (
    "map_within_28_days",
    "with_goal",
    "with_link_introduced",
    "median_days_to_first_map",
    "median_days_to_first_link",
    "new_community_tie_at_latest_review",
)


def suppressed_beside_caseload(
    found: dict[str, Indicator], caseload: int, threshold: int
) -> dict[str, Indicator]:
    """`found` with every indicator hidden as `suppressed` hides it, and also (secondary suppression) each
    people-count indicator one of whose counts differs from the caseload by 1 to threshold − 1: "median days to
    first link, over 14" beside a caseload of 18 would give back a hidden "14 of 18" (and tell of the 4
    without). `caseload` is the caseload size shown beside them, before it is itself hidden."""
    out = {key: suppressed(value, threshold) for key, value in found.items()}
    for key in PEOPLE_COUNTS:
        indicator = out.get(key)
        if indicator is None or indicator.suppressed:
            continue
        counts = (indicator.numerator, indicator.denominator)
        if any(count is not None and 0 < caseload - count < threshold for count in counts):
            out[key] = Indicator(key, None, None, None, suppressed=True)
    return out


def suppressed(indicator: Indicator, threshold: int) -> Indicator:
    """The indicator hidden (value, numerator and denominator None, `suppressed` set) when a count from 1 to
    threshold − 1 stands behind it or could be worked out from it: the denominator, the numerator, or the
    difference between them ("19 of 20" tells of the 1). A denominator of 0 stays as it is ("no data")."""
    counts = [indicator.denominator]
    if indicator.numerator is not None and indicator.denominator is not None:
        counts += [indicator.numerator, indicator.denominator - indicator.numerator]
    if indicator.denominator and any(count is not None and 0 < count < threshold for count in counts):
        return Indicator(indicator.key, None, None, None, suppressed=True)
    return indicator
