"""How complete the study's data are, by site, arm and timepoint, and the flow of participants. Pure: no Django.

Plain rows in (`ParticipantRow`, `TimepointRow`, `AssessmentRow`), counts out: `completeness()` gives the
numbers of the completeness dashboard, `flow()` the numbers of the flow diagram (`flow.FlowCounts`). Where a
participant stands at a timepoint is `schedule.status` (the same statuses the "to do" lists show), worked out
on `today` from their anchor (baseline date, else enrolment), the timepoint's window, the instruments scheduled
there and those recorded.

Every count is of participants, never of assessments. For each site × arm × timepoint (and the totals by site,
by arm and overall):

* **recruited**: participants enrolled (at the site's teams of the arm), whatever happened later. The same at
  every timepoint.
* **withdrawn**: recruited participants who have withdrawn, whatever they chose about their data.
* **removed**: withdrawn participants who asked for all their data to be removed. They count as recruited and
  withdrawn and in nothing below: their assessments are left out, as in every export and analysis.
* **restricted**: participants whose processing is restricted (UK GDPR Article 18, the privacy app). They count
  as recruited and restricted and in nothing else, withdrawn and removed included: nothing of theirs is looked
  at beyond their enrolment (the database layer does not even read their assessments).
* **in the data** (`in_data`): recruited minus removed and restricted. Every count below is of these
  participants.
* **assessed**: with at least one instrument recorded at the timepoint (scheduled or not).
* **in window**: assessed, with every instrument recorded at the timepoint dated inside its window.
* **outside window**: assessed, with at least one instrument dated outside the window (allowed, and flagged).
  ``in_window + outside_window = assessed``.
* **complete**: every instrument scheduled at the timepoint recorded there (status "done"). A timepoint with
  nothing scheduled is never complete.
* **not yet due**: nothing can be recorded yet: the window has not opened ("not due" or "due").
* **window open**: not complete and still possible: the window is open (the participant may have some
  instruments recorded already: "in window", "overdue" or "partly done").
* **missed**: not complete and no longer possible: the window closed, or the participant withdrew before it
  closed (status "missed"; some instruments may have been recorded).
  ``complete + not_yet_due + window_open + missed = in_data``.
* **missing**, by instrument: participants for whom the timepoint is over without that scheduled instrument,
  i.e. those counted as missed who did not record it. A timepoint still to come or open is not missing
  anything yet. Every instrument scheduled at the timepoint has an entry (0 when none is missing).

The flow's counts are defined at `flow()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from connecting_people.study.completeness.flow import ArmFlow, FlowCounts
from connecting_people.study.design import schedule

ARMS = ("intervention", "control")
WITHDRAWN = "withdrawn"
KEEP, REMOVE = "keep-collected", "remove-data"

# Why a participant has no follow-up, in the flow diagram's words. Withdrawal reasons are the study's codes
# (`Participant.WithdrawalReason`).
WITHDREW = {
    "participant_choice": "Withdrew by choice",
    "unwell": "Withdrew, too unwell to continue",
    "moved": "Withdrew, moved away or left the service",
    "researcher_decision": "Withdrawn by the researchers",
    "died": "Died",
    "other": "Withdrew for another reason",
}
WITHDREW_UNKNOWN = "Withdrew for another reason"
MISSED_FOLLOW_UP = "Not assessed before the follow-up window closed"
NOT_YET_DUE = "Not yet due for follow-up"
WINDOW_OPEN = "Follow-up window still open"
NO_FOLLOW_UP = "No follow-up timepoint set up"
REMOVED = "Asked for their data to be removed"
RESTRICTED = "Processing restricted: data not used"
NOT_SCORED = "Primary outcome could not be scored (too many answers missing)"
LOST_ORDER = (
    *dict.fromkeys(WITHDREW.values()),
    MISSED_FOLLOW_UP,
    WINDOW_OPEN,
    NOT_YET_DUE,
    NO_FOLLOW_UP,
    RESTRICTED,
)
EXCLUDED_ORDER = (REMOVED, NOT_SCORED)


@dataclass(frozen=True)
class ParticipantRow:
    """A participant: `site` and `arm` are codes; `anchor` is the day their later timepoints count from (the
    baseline assessment's date, else enrolment); `enrolled_on`, when given, is the day baseline's window counts
    from (`schedule.window_anchor`; without it, baseline counts from `anchor` too)."""

    id: int | str
    site: str
    arm: str
    anchor: date
    status: str = "active"  # "active" | "withdrawn"
    withdrawn_on: date | None = None
    withdrawal_reason: str = ""
    withdrawal_choice: str = ""  # "" | "keep-collected" | "remove-data"
    enrolled_on: date | None = None
    restricted: bool = False  # processing restricted: counted as recruited and restricted, in nothing else

    def anchor_for(self, window: schedule.Window) -> date:
        if self.enrolled_on is None:
            return self.anchor
        baseline = None if self.anchor == self.enrolled_on else self.anchor
        return schedule.window_anchor(window.target_day, enrolled_on=self.enrolled_on, baseline_on=baseline)

    @property
    def withdrawn(self) -> bool:
        return self.status == WITHDRAWN

    @property
    def removed(self) -> bool:
        return self.withdrawn and self.withdrawal_choice == REMOVE


@dataclass(frozen=True)
class TimepointRow:
    """A timepoint, its window and the instruments scheduled at it (in order)."""

    code: str
    label: str
    window: schedule.Window
    instruments: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssessmentRow:
    """One instrument recorded for a participant at a timepoint. `scored`: it has a total (False when too
    many answers were missing to score it)."""

    participant: int | str
    timepoint: str
    instrument: str
    in_window: bool
    scored: bool = True


@dataclass(frozen=True)
class Counts:
    """The counts of one site × arm × timepoint, or a total of them (see the module's docstring)."""

    recruited: int = 0
    withdrawn: int = 0
    removed: int = 0
    restricted: int = 0
    assessed: int = 0
    in_window: int = 0
    outside_window: int = 0
    complete: int = 0
    not_yet_due: int = 0
    window_open: int = 0
    missed: int = 0
    missing: Mapping[str, int] = field(default_factory=dict)  # instrument id -> participants

    @property
    def in_data(self) -> int:
        return self.recruited - self.removed - self.restricted


COUNT_FIELDS = (
    "recruited",
    "withdrawn",
    "removed",
    "restricted",
    "assessed",
    "in_window",
    "outside_window",
    "complete",
    "not_yet_due",
    "window_open",
    "missed",
)

ALL = None  # "every site" or "every arm" in a key of `Completeness.table`


@dataclass(frozen=True)
class Completeness:
    """The dashboard's numbers. `table[(site, arm, timepoint)]`, where `site` and `arm` may be ALL (None) for
    totals: every combination of `sites` (and ALL) × `arms` (and ALL) × timepoint is there. `recruitment` has
    recruited, withdrawn, removed and restricted by (site, arm), for a study with no timepoints too."""

    sites: tuple[str, ...]
    arms: tuple[str, ...]
    timepoints: tuple[TimepointRow, ...]
    table: Mapping[tuple[str | None, str | None, str], Counts]
    recruitment: Mapping[tuple[str | None, str | None], Counts]
    today: date

    def counts(self, timepoint: str, *, site: str | None = ALL, arm: str | None = ALL) -> Counts:
        return self.table[(site, arm, timepoint)]

    def recruited(self, *, site: str | None = ALL, arm: str | None = ALL) -> Counts:
        return self.recruitment[(site, arm)]


@dataclass
class _Tally:
    counts: dict[str, int]
    missing: dict[str, int]

    @classmethod
    def empty(cls, instruments: Iterable[str]) -> _Tally:
        return cls(dict.fromkeys(COUNT_FIELDS, 0), dict.fromkeys(instruments, 0))

    def frozen(self) -> Counts:
        return Counts(**self.counts, missing=dict(self.missing))


@dataclass(frozen=True)
class Visit:
    """Where one participant stands at one timepoint on a day."""

    status: str
    recorded: frozenset[str]  # instruments recorded there
    outside_window: bool  # any of them outside the window


def visits(
    participants: Sequence[ParticipantRow],
    timepoints: Sequence[TimepointRow],
    assessments: Iterable[AssessmentRow],
    today: date,
) -> dict[tuple[int | str, str], Visit]:
    """(participant id, timepoint code) -> Visit, for every participant and timepoint (removed participants
    included: callers leave them out where they must)."""
    recorded: dict[tuple[int | str, str], set[str]] = {}
    outside: set[tuple[int | str, str]] = set()
    for row in assessments:
        key = (row.participant, row.timepoint)
        recorded.setdefault(key, set()).add(row.instrument)
        if not row.in_window:
            outside.add(key)
    found = {}
    for participant in participants:
        for point in timepoints:
            key = (participant.id, point.code)
            done = frozenset(recorded.get(key, ()))
            found[key] = Visit(
                status=schedule.status(
                    point.window,
                    anchor=participant.anchor_for(point.window),
                    today=today,
                    scheduled=len(point.instruments),
                    recorded=len(done & set(point.instruments)),
                    withdrawn_on=participant.withdrawn_on if participant.withdrawn else None,
                ),
                recorded=done,
                outside_window=key in outside,
            )
    return found


def _add(tally: _Tally, participant: ParticipantRow, point: TimepointRow | None, visit: Visit | None) -> None:
    """Counts one participant at one timepoint into a tally (`visit` None: recruitment counts only)."""
    counts = tally.counts
    counts["recruited"] += 1
    if participant.restricted:
        counts["restricted"] += 1
        return
    counts["withdrawn"] += participant.withdrawn
    counts["removed"] += participant.removed
    if participant.removed or visit is None or point is None:
        return
    if visit.recorded:
        counts["assessed"] += 1
        counts["outside_window" if visit.outside_window else "in_window"] += 1
    if visit.status == schedule.DONE:
        counts["complete"] += 1
    elif visit.status in (schedule.NOT_DUE, schedule.DUE):
        counts["not_yet_due"] += 1
    elif visit.status == schedule.MISSED:
        counts["missed"] += 1
        for instrument in point.instruments:
            if instrument not in visit.recorded:
                tally.missing[instrument] += 1
    else:  # in window, overdue, partly done
        counts["window_open"] += 1


def completeness(
    *,
    participants: Iterable[ParticipantRow],
    timepoints: Iterable[TimepointRow],
    assessments: Iterable[AssessmentRow],
    today: date,
    sites: Iterable[str] = (),
) -> Completeness:
    """The dashboard's counts (see the module's docstring). `sites`: site codes to show even when they have no
    participants (sites of participants are added); arms are always intervention and control (and any other
    arm code the rows carry)."""
    people = sorted(participants, key=lambda row: str(row.id))
    points = tuple(timepoints)
    site_codes = tuple(sorted({*sites, *(row.site for row in people)}))
    arms = (*ARMS, *sorted({row.arm for row in people} - set(ARMS)))
    left_out = {row.id for row in people if row.removed or row.restricted}
    found = visits(people, points, (row for row in assessments if row.participant not in left_out), today)
    tallies: dict[tuple[str | None, str | None, str], _Tally] = {
        (site, arm, point.code): _Tally.empty(point.instruments)
        for site in (*site_codes, ALL)
        for arm in (*arms, ALL)
        for point in points
    }
    for participant in people:
        for point in points:
            visit = found[(participant.id, point.code)]
            for site in (participant.site, ALL):
                for arm in (participant.arm, ALL):
                    _add(tallies[(site, arm, point.code)], participant, point, visit)
    recruitment = {(site, arm): _Tally.empty(()) for site in (*site_codes, ALL) for arm in (*arms, ALL)}
    for participant in people:
        for site in (participant.site, ALL):
            for arm in (participant.arm, ALL):
                _add(recruitment[(site, arm)], participant, None, None)
    return Completeness(
        sites=site_codes,
        arms=arms,
        timepoints=points,
        table={key: tally.frozen() for key, tally in tallies.items()},
        recruitment={key: tally.frozen() for key, tally in recruitment.items()},
        today=today,
    )


def follow_up_timepoint(timepoints: Sequence[TimepointRow]) -> TimepointRow | None:
    """The timepoint the primary outcome is compared at: the last one after baseline (None if there is none)."""
    later = [point for point in timepoints if point.window.target_day > 0]
    return max(later, key=lambda point: point.window.target_day) if later else None


def flow(
    *,
    participants: Iterable[ParticipantRow],
    timepoints: Iterable[TimepointRow],
    assessments: Iterable[AssessmentRow],
    teams: Mapping[str, int],
    not_enrolled: Mapping[str, int],
    primary_instrument: str,
    today: date,
    follow_up: str | None = None,
) -> FlowCounts:
    """The numbers of the flow diagram.

    `teams`: arm -> teams allocated to it; `not_enrolled`: reason (in words) -> people screened and not
    enrolled; `follow_up`: the follow-up timepoint's code (default: `follow_up_timepoint`). For each arm:

    * allocated: participants enrolled at the arm's teams (every one, withdrawn or not: intention to treat);
    * followed up: with the primary instrument recorded at the follow-up timepoint (in or outside its window);
    * not followed up (lost), by reason, in this order of precedence: processing restricted (nothing of theirs
      is looked at, so whether they were followed up is not known: "Processing restricted: data not used"),
      withdrew before the follow-up window closed (by their withdrawal reason; "Died" for a death), the window
      closed without it, the window is open, the window has not opened yet;
    * analysed: followed up, except (excluded) participants who asked for their data to be removed and those
      whose primary outcome could not be scored.

    Reasons with no participants are left out. Assessed for eligibility = enrolled + not enrolled.
    """
    people = sorted(participants, key=lambda row: str(row.id))
    points = tuple(timepoints)
    point = (
        next((p for p in points if p.code == follow_up), None)
        if follow_up is not None
        else follow_up_timepoint(points)
    )
    primary: dict[int | str, bool] = {}  # participant -> scored, for the primary instrument at follow-up
    if point is not None:
        for row in assessments:
            if row.timepoint == point.code and row.instrument == primary_instrument:
                primary[row.participant] = row.scored
    arms = (*ARMS, *sorted({row.arm for row in people} - set(ARMS)))
    found = []
    for arm in arms:
        members = [row for row in people if row.arm == arm]
        lost: dict[str, int] = {}
        excluded: dict[str, int] = {}
        followed = analysed = 0
        for participant in members:
            if participant.restricted:
                lost[RESTRICTED] = lost.get(RESTRICTED, 0) + 1
                continue
            if participant.id in primary:
                followed += 1
                if participant.removed:
                    excluded[REMOVED] = excluded.get(REMOVED, 0) + 1
                elif not primary[participant.id]:
                    excluded[NOT_SCORED] = excluded.get(NOT_SCORED, 0) + 1
                else:
                    analysed += 1
                continue
            reason = _lost_reason(participant, point, today)
            lost[reason] = lost.get(reason, 0) + 1
        if arm not in ARMS and not members:
            continue
        found.append(
            ArmFlow(
                arm=arm,
                teams=int(teams.get(arm, 0)),
                allocated=len(members),
                followed_up=followed,
                lost=_ordered(lost, LOST_ORDER),
                analysed=analysed,
                excluded=_ordered(excluded, EXCLUDED_ORDER),
            )
        )
    screened = {reason: int(count) for reason, count in not_enrolled.items() if count}
    return FlowCounts(
        assessed=len(people) + sum(screened.values()),
        not_enrolled=screened,
        enrolled=len(people),
        arms=tuple(found),
        follow_up_label=point.label if point is not None else "follow-up",
    )


def _lost_reason(participant: ParticipantRow, point: TimepointRow | None, today: date) -> str:
    if point is None:
        return NO_FOLLOW_UP
    closes = point.window.closes(participant.anchor_for(point.window))
    if participant.withdrawn and participant.withdrawn_on is not None and participant.withdrawn_on <= closes:
        return WITHDREW.get(participant.withdrawal_reason, WITHDREW_UNKNOWN)
    if today > closes:
        return MISSED_FOLLOW_UP
    if today >= point.window.opens(participant.anchor_for(point.window)):
        return WINDOW_OPEN
    return NOT_YET_DUE


def _ordered(counts: Mapping[str, int], order: Sequence[str]) -> dict[str, int]:
    known = [reason for reason in order if reason in counts]
    return {reason: counts[reason] for reason in [*known, *sorted(set(counts) - set(known))]}
