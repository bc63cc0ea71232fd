"""Where a participant stands at each timepoint: pure (no Django).

A timepoint is due ``target_day`` days after the participant's anchor and in window from ``target_day - window_before`` to
``target_day + window_after``. On a given day an assessment is:

* ``done``: every scheduled instrument is recorded (``partly done`` when some are);
* ``not due``: the window opens more than `soon` days from now;
* ``due``: the window opens within `soon` days;
* ``in window``: the window is open and the target day is still ahead (or today);
* ``overdue``: the target day has passed and the window is still open;
* ``missed``: the window has closed with nothing recorded, or the participant withdrew before it closed.

The anchor (`window_anchor`): for baseline (day 0) the day of enrolment, so a late baseline interview is
flagged as outside its window; for every later timepoint the baseline interview's date (enrolment until there is
one), since follow-up counts from baseline. An assessment recorded outside its window is allowed; `in_window`
says whether a date falls inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

DONE, PARTLY_DONE, NOT_DUE, DUE, IN_WINDOW, OVERDUE, MISSED = (
    "done",
    "partly done",
    "not due",
    "due",
    "in window",
    "overdue",
    "missed",
)
STATUSES = (DONE, PARTLY_DONE, NOT_DUE, DUE, IN_WINDOW, OVERDUE, MISSED)
OPEN_STATUSES = (DUE, IN_WINDOW, OVERDUE)
SOON_DAYS = 14


def window_anchor(target_day: int, *, enrolled_on: date, baseline_on: date | None) -> date:
    """The day a timepoint's window counts from: enrolment for baseline, the baseline interview after it."""
    if target_day == 0:
        return enrolled_on
    return baseline_on or enrolled_on


@dataclass(frozen=True)
class Window:
    target_day: int
    before: int
    after: int

    def opens(self, anchor: date) -> date:
        return anchor + timedelta(days=self.target_day - self.before)

    def target(self, anchor: date) -> date:
        return anchor + timedelta(days=self.target_day)

    def closes(self, anchor: date) -> date:
        return anchor + timedelta(days=self.target_day + self.after)

    def contains_day(self, day: int) -> bool:
        return self.target_day - self.before <= day <= self.target_day + self.after

    def in_window(self, anchor: date, on: date) -> bool:
        return self.contains_day((on - anchor).days)


def status(
    window: Window,
    *,
    anchor: date,
    today: date,
    scheduled: int,
    recorded: int,
    withdrawn_on: date | None = None,
    soon: int = SOON_DAYS,
) -> str:
    """The status of one timepoint for one participant (see the module's docstring)."""
    if scheduled and recorded >= scheduled:
        return DONE
    if recorded:
        still_open = today <= window.closes(anchor) and withdrawn_on is None
        return PARTLY_DONE if still_open else MISSED
    if withdrawn_on is not None and withdrawn_on <= window.closes(anchor):
        return MISSED
    if today > window.closes(anchor):
        return MISSED
    if today < window.opens(anchor):
        return DUE if (window.opens(anchor) - today).days <= soon else NOT_DUE
    if today <= window.target(anchor):
        return IN_WINDOW
    return OVERDUE
