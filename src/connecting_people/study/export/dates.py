"""Dates in an export: days from the participant's baseline (the default) or dates shifted per participant.

No real date of a participant leaves. Two ways to keep the timing:

* ``days-from-baseline``: each date becomes a whole number of days from the participant's baseline date
  (baseline = day 0, a follow-up six months later about day 182). Columns are named ``day``, ``<what>_day``.
* ``shifted``: each participant's dates all move by the same number of days, drawn from the study key
  (`Pseudonyms.date_shift`): random-looking, stable from one export to the next, never 0, within
  ±`max_shift_days`. Intervals within a person are kept; the calendar is not (seasons and weekdays are lost
  up to the shift). Columns are named ``shifted_date``, ``<what>_shifted_date`` so that nobody takes them for
  real dates.

Dates of birth never leave: the export gives age at baseline in whole years (90 and over written as 90) or, when
asked, an age band.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from .errors import ExportError

DEFAULT_MAX_SHIFT_DAYS = 182
TOP_AGE = 90  # ages of 90 and over are written as 90: very old ages are rare enough to single people out
AGE_BANDS: tuple[tuple[int, int | None], ...] = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, None))


class DateMode(StrEnum):
    DAYS_FROM_BASELINE = "days-from-baseline"
    SHIFTED = "shifted"


class AgeForm(StrEnum):
    YEARS = "years"
    BANDS = "bands"


@dataclass(frozen=True)
class DatePolicy:
    """How an export writes dates. max_shift_days is used only in shifted mode."""

    mode: DateMode = DateMode.DAYS_FROM_BASELINE
    max_shift_days: int = DEFAULT_MAX_SHIFT_DAYS

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", DateMode(self.mode))
        if self.mode is DateMode.SHIFTED and not 1 <= self.max_shift_days <= 3650:
            raise ExportError("the largest date shift must be from 1 to 3650 days")

    @property
    def shifted(self) -> bool:
        return self.mode is DateMode.SHIFTED

    def column(self, stem: str = "") -> str:
        """The column name for a converted date: ``day``/``shifted_date``, or ``<stem>_day``/``<stem>_shifted_date``."""
        suffix = "shifted_date" if self.shifted else "day"
        return f"{stem}_{suffix}" if stem else suffix


@dataclass(frozen=True, slots=True)
class ParticipantDates:
    """One participant's date conversion: `convert` gives days from baseline (int) or the shifted date."""

    baseline: date
    shift_days: int | None  # None in days-from-baseline mode

    def convert(self, when: date) -> int | date:
        if self.shift_days is None:
            return (when - self.baseline).days
        return when + timedelta(days=self.shift_days)


def age_in_years(born: date, on: date) -> int:
    """Whole years from `born` to `on` (a birthday on 29 February falls on 1 March in other years)."""
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if years < 0:
        raise ExportError("a date of birth falls after the baseline date")
    return years


def written_age(born: date, on: date, form: AgeForm) -> int | str:
    """Age at `on` as the export writes it: whole years top-coded at 90, or a band such as ``35-44``."""
    years = age_in_years(born, on)
    if AgeForm(form) is AgeForm.YEARS:
        return min(years, TOP_AGE)
    for low, high in AGE_BANDS:
        if high is None and years >= low:
            return f"{low}+"
        if high is not None and low <= years <= high:
            return f"{low}-{high}"
    return f"under-{AGE_BANDS[0][0]}"


def as_date(value: object, what: str) -> date:
    """A date from a date (a datetime counts by its date) or ISO text; ExportError naming `what` otherwise."""
    if isinstance(value, date):
        return value if type(value) is date else date(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ExportError(f"{what} is not a date")
