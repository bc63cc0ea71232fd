"""HSDS schedules as sessions we can search by day and time, and sessions put into words (pure: no Django).

An HSDS schedule follows iCalendar: `freq` WEEKLY or MONTHLY, `byday` a comma-separated list of two-letter
days ("TU,TH"), each optionally preceded by which one in the month ("2MO", "-1FR" the last Friday), and
`opens_at`/`closes_at` times. We keep one session per day named, at those times (a monthly meeting is still
searchable by its weekday; its words say which one). Times with a UTC offset ("10:00Z", "09:00-05:00") are read
as local times: the offset is ignored, as every source we know of publishes UK local times.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from .records import SessionRecord

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second to last"}

_DAY = re.compile(r"^([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_TIME = re.compile(
    r"^([01]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9])(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


class ScheduleProblem(ValueError):
    """A schedule that cannot be read; the message says why in plain words."""


@dataclass(frozen=True)
class Meeting:
    """One schedule, read: the days it names (each with its place in the month, None when weekly) and times."""

    days: tuple[tuple[int | None, int], ...]
    opens_at: time | None
    closes_at: time | None

    def sessions(self) -> list[SessionRecord]:
        return [SessionRecord(weekday, self.opens_at, self.closes_at) for _, weekday in self.days]


def parse_time(value: object, name: str) -> time | None:
    """ "10:00", "10:00:00", "18:30Z" → a time; None for nothing; ScheduleProblem otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    match = _TIME.match(text)
    if not match:
        raise ScheduleProblem(f"{name} {text!r} is not a time like 10:00")
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    return time(hour, minute, second)


def _weekday_name(value: object) -> int | None:
    """ORUK v1 `regular_schedules` give a `weekday`: a name ("Monday"), a code ("MO") or 1-7 from Monday."""
    text = str(value).strip().lower()
    for index, (code, name) in enumerate(zip(DAY_CODES, DAY_NAMES, strict=True)):
        if text in (code.lower(), name.lower(), name.lower()[:3]):
            return index
    if text in {"1", "2", "3", "4", "5", "6", "7"}:
        return int(text) - 1
    return None


def read_schedule(schedule: dict) -> Meeting | None:
    """The days and times of one HSDS schedule; None when it names no day (only a description, say).
    ScheduleProblem when a day, time or frequency cannot be read, or it closes before it opens."""
    freq = str(schedule.get("freq") or "").strip().upper()
    if freq not in ("", "WEEKLY", "MONTHLY"):
        raise ScheduleProblem(f"freq {freq!r} is not WEEKLY or MONTHLY")
    opens_at = parse_time(schedule.get("opens_at"), "opens_at")
    closes_at = parse_time(schedule.get("closes_at"), "closes_at")
    if opens_at and closes_at and closes_at <= opens_at:
        raise ScheduleProblem(f"closes_at {closes_at:%H:%M} is not after opens_at {opens_at:%H:%M}")
    days: list[tuple[int | None, int]] = []
    byday = schedule.get("byday")
    if byday not in (None, ""):
        for part in str(byday).split(","):
            token = part.strip().upper()
            match = _DAY.match(token)
            if not match:
                raise ScheduleProblem(
                    f"byday {str(byday)!r} has {part.strip()!r}, which is not a day like MO or 2MO"
                )
            ordinal = int(match.group(1)) if match.group(1) else None
            if ordinal is not None and (ordinal == 0 or not -5 <= ordinal <= 5):
                raise ScheduleProblem(f"byday {str(byday)!r}: {token} is not a week of the month")
            if ordinal is not None and freq != "MONTHLY":
                raise ScheduleProblem(
                    f"byday {str(byday)!r}: {token} counts weeks of a month, but freq is not MONTHLY"
                )
            days.append((ordinal, DAY_CODES.index(match.group(2))))
    elif schedule.get("weekday") not in (None, ""):
        weekday = _weekday_name(schedule["weekday"])
        if weekday is None:
            raise ScheduleProblem(f"weekday {schedule['weekday']!r} is not a day of the week")
        days.append((None, weekday))
    if not days:
        return None
    unique = sorted(set(days), key=lambda day: (day[1], day[0] or 0))
    return Meeting(days=tuple(unique), opens_at=opens_at, closes_at=closes_at)


def clock(value: time) -> str:
    """10am, 6:30pm, midday, midnight (as the NHS.UK style guide writes times)."""
    if value.hour == 12 and value.minute == 0:
        return "midday"
    if value.hour == 0 and value.minute == 0:
        return "midnight"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def times_in_words(opens_at: time | None, closes_at: time | None) -> str:
    if opens_at and closes_at:
        return f"{clock(opens_at)} to {clock(closes_at)}"
    if opens_at:
        return f"from {clock(opens_at)}"
    if closes_at:
        return f"until {clock(closes_at)}"
    return ""


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _day_phrase(days: Iterable[tuple[int | None, int]]) -> str:
    weekly = [DAY_NAMES[weekday] + "s" for ordinal, weekday in days if ordinal is None]
    monthly = [
        f"{ORDINALS.get(ordinal, str(ordinal))} {DAY_NAMES[weekday]}" for ordinal, weekday in days if ordinal
    ]
    phrases = []
    if weekly:
        phrases.append(_joined(weekly))
    if monthly:
        phrases.append(f"the {_joined(monthly)} of the month")
    text = " and ".join(phrases)
    return text[:1].upper() + text[1:]


def meetings_in_words(meetings: Iterable[Meeting]) -> str:
    """ "Tuesdays and Thursdays, 10am to midday; the first Monday of the month, 6pm to 8pm"."""
    parts = []
    for meeting in meetings:
        when = times_in_words(meeting.opens_at, meeting.closes_at)
        days = _day_phrase(meeting.days)
        parts.append(f"{days}, {when}" if when else days)
    return "; ".join(parts)


def sessions_in_words(sessions: Iterable[SessionRecord]) -> str:
    """Weekly sessions in words, days with the same times together: "Mondays and Wednesdays, 10am to midday"."""
    return meetings_in_words(
        Meeting(days=tuple((None, day) for day in days), opens_at=opens_at, closes_at=closes_at)
        for days, opens_at, closes_at in sessions_by_times(sessions)
    )


def sessions_by_times(
    sessions: Iterable[SessionRecord],
) -> list[tuple[tuple[int, ...], time | None, time | None]]:
    """Sessions grouped for one HSDS schedule each: (weekdays, opens, closes), in order of the first weekday."""
    grouped: dict[tuple[time | None, time | None], list[int]] = {}
    for session in sorted(set(sessions), key=SessionRecord.sort_key):
        grouped.setdefault((session.starts_at, session.ends_at), []).append(session.weekday)
    return [(tuple(days), opens_at, closes_at) for (opens_at, closes_at), days in grouped.items()]


def hsds_time(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")
