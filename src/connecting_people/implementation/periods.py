"""Fixed calendar periods for numbers shown with small counts hidden, and hiding that holds across them.
Pure: no Django.

The trust dashboard shows an implementation lead totals for teams whose records they may not see, with counts
from 1 to threshold − 1 hidden. If any two dates could be chosen, two periods one day apart would differ by
exactly the events of that day: subtracting one table from the other would show a hidden count (and often
single out a person). So that dashboard offers only whole calendar months, quarters and years that have ended
(`ended_periods`), and:

- Every indicator except ``reviewed_on_time`` is worked out over the caseload at the period's end, from facts
  dated up to that end. Periods that end on the same day (December, October to December, the year) show the
  same numbers and hide the same ones. Periods that end on different days differ by whole months: the table
  for March against the table for February tells how the numbers changed over March, as any monthly
  statistic does, and never on which day.
- ``reviewed_on_time`` counts reviews due within the period (each due date in exactly one month), so a period and one inside it (the year and its
  March) count nested sets of reviews, and their difference counts the reviews due in the rest. It is hidden
  for a period when, against any shorter period inside it whose own numbers are shown, the reviews due, on
  time or late of one are a subset of the other's and the two counts differ by 1 to threshold − 1 (the
  complement rule, `published_indicators`). Months, quarters and years are nested or apart, never partly
  overlapping, and periods apart count reviews of disjoint windows, so every pair of periods is covered. The
  rule looks only at shorter periods, which have all ended by the time the longer one is offered: a number
  once shown stays shown (while the records behind it are unchanged).

Not covered (see docs/adr/0011): a record entered late changes the numbers of periods already shown, and
numbers of "now" (overdue work, outcome change) change from one day to the next.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from .indicators import (
    Indicator,
    PersonFacts,
    caseload_size,
    indicators,
    review_sets,
    suppressed_beside_caseload,
)

Kind = Literal["month", "quarter", "year"]
YEARS_OFFERED = 3  # whole calendar years back from this one (and every month and quarter in them)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class Period:
    """A whole calendar month, quarter (January to March, ...) or year: [start, end], both days included."""

    kind: Kind
    start: date
    end: date

    @property
    def key(self) -> str:
        """How the period is named in a URL: 2026-03, 2026-Q1, 2026."""
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def label(self) -> str:
        """In words: "March 2026", "January to March 2026", "2026"."""
        if self.kind == "month":
            return f"{_MONTHS[self.start.month - 1]} {self.start.year}"
        if self.kind == "quarter":
            return f"{_MONTHS[self.start.month - 1]} to {_MONTHS[self.end.month - 1]} {self.start.year}"
        return str(self.start.year)

    def contains(self, other: "Period") -> bool:
        return self.start <= other.start and other.end <= self.end


def month(year: int, number: int) -> Period:
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period("month", date(year, number, 1), following - timedelta(days=1))


def quarter(year: int, number: int) -> Period:
    first, last = month(year, 3 * number - 2), month(year, 3 * number)
    return Period("quarter", first.start, last.end)


def year(number: int) -> Period:
    return Period("year", date(number, 1, 1), date(number, 12, 31))


def period_for_key(key: str) -> Period | None:
    """The period a key names (see `Period.key`), or None for anything else."""
    text = key.strip()
    try:
        if len(text) == 4 and text.isdigit():
            return year(int(text))
        if len(text) == 7 and text[4] == "-" and text[5] == "Q" and text[:4].isdigit() and text[6] in "1234":
            return quarter(int(text[:4]), int(text[6]))
        if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
            number = int(text[5:])
            return month(int(text[:4]), number) if 1 <= number <= 12 else None
    except ValueError:  # a year out of date's range
        return None
    return None


def ended_periods(today: date, *, years: int = YEARS_OFFERED) -> list[Period]:
    """The periods offered on `today`: every month, quarter and year that has ended, from 1 January `years`
    years before this one. Quarters first, then months, then years, each newest first."""
    first = today.year - years
    months = [month(y, m) for y in range(first, today.year + 1) for m in range(1, 13)]
    quarters = [quarter(y, q) for y in range(first, today.year + 1) for q in range(1, 5)]
    years_ = [year(y) for y in range(first, today.year + 1)]
    ended = [period for period in (*quarters, *months, *years_) if period.end < today]
    return sorted(
        ended, key=lambda period: (("quarter", "month", "year").index(period.kind), -period.end.toordinal())
    )


def latest_quarter(today: date) -> Period:
    """The most recent quarter that has ended: what the trust dashboard shows first."""
    number = (today.month - 1) // 3  # the quarter before this one, 0 meaning last year's fourth
    return quarter(today.year, number) if number else quarter(today.year - 1, 4)


def periods_inside(period: Period) -> list[Period]:
    """The shorter calendar periods inside `period`: a year's quarters and months, a quarter's months."""
    if period.kind == "year":
        y = period.start.year
        return [*(quarter(y, q) for q in range(1, 5)), *(month(y, m) for m in range(1, 13))]
    if period.kind == "quarter":
        return [month(period.start.year, m) for m in range(period.start.month, period.start.month + 3)]
    return []


def published_indicators(
    people: list[PersonFacts], period: Period, *, threshold: int, today: date | None = None
) -> dict[str, Indicator]:
    """Every indicator for `period` over `people` as the trust dashboard shows it: hidden (`suppressed`) when
    a count from 1 to threshold − 1 stands behind it or differs from the caseload by such a count (secondary
    suppression, `suppressed_beside_caseload`), and ``reviewed_on_time`` also when it and a shorter
    period inside `period` would differ by such a count (the module docstring says why)."""
    found = suppressed_beside_caseload(
        indicators(people, period.start, period.end, today=today),
        caseload_size(people, period.end),
        threshold,
    )
    reviews = found["reviewed_on_time"]
    if reviews.suppressed or not reviews.denominator:
        return found
    mine = _review_counts(people, period, today)
    for inside in periods_inside(period):
        theirs = _review_counts(people, inside, today)
        if not _own_counts_shown(theirs, threshold):
            continue  # hidden in its own right: nothing of it is shown to subtract
        if _differ_by_a_small_count(mine, theirs, threshold):
            found["reviewed_on_time"] = Indicator("reviewed_on_time", None, None, None, suppressed=True)
            break
    return found


def _review_counts(
    people: list[PersonFacts], period: Period, today: date | None = None
) -> tuple[frozenset, frozenset, frozenset]:
    """(due, on time, late) reviews of the period."""
    due, on_time = review_sets(people, period.start, period.end, today=today)
    return due, on_time, due - on_time


def _own_counts_shown(counts: tuple[frozenset, ...], threshold: int) -> bool:
    due, on_time, late = (len(found) for found in counts)
    return not (due and any(0 < count < threshold for count in (due, on_time, late)))


def _differ_by_a_small_count(a: tuple[frozenset, ...], b: tuple[frozenset, ...], threshold: int) -> bool:
    for one, other in zip(a, b, strict=True):
        if (one <= other or other <= one) and 0 < abs(len(one) - len(other)) < threshold:
            return True
    return False
