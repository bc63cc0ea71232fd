"""Plain rows in, checked tables out: the one place the analysis reads its input.

The rows are what the study app loads from its database (``QuerySet.values()``) or what the simulation
returns: mappings with these keys (extra keys are ignored).

* participants: ``participant``, ``team``, ``arm`` ("intervention" or "control"), optional ``site`` and
  ``missing_reason`` (why there is no follow-up interview, e.g. "withdrew", "lost to follow-up"; None when
  there is one).
* scores: ``participant``, ``timepoint``, ``measure``, ``value`` (a number, or None when not scored), optional
  ``day`` (days from the participant's baseline).
* service_use: ``participant``, ``timepoint``, ``service``, ``units`` (0 or more, or None when not answered).
* fidelity: ``team``, ``score`` (several rows for a team are averaged, and the results say so).

Identifiers are compared as text. Rows are sorted by identifier before anything is computed, so the order
the rows arrive in never changes a number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import StudyDataError
from .plan import AnalysisPlan

ARMS = ("intervention", "control")


@dataclass(frozen=True)
class StudyData:
    """The study's data, checked and aligned.

    participants: indexed by participant id (text, sorted); columns site, team, arm, missing_reason.
    values: measure -> frame aligned with `participants`; columns baseline, follow_up (NaN when absent),
        baseline_day, follow_up_day (NaN when absent or not given).
    service_use: timepoint -> frame of units, one row per participant with service-use rows at that timepoint
        and one column per service seen anywhere (NaN: a service not answered).
    fidelity: team -> fidelity score (mean of its ratings); ratings: team -> number of ratings.
    notes: plain statements about rows that were set aside (other timepoints, unknown teams).
    """

    participants: pd.DataFrame
    values: dict[str, pd.DataFrame]
    service_use: dict[str, pd.DataFrame]
    fidelity: pd.Series
    fidelity_ratings: pd.Series
    notes: list[str] = field(default_factory=list)

    def arm_counts(self) -> dict[str, int]:
        counts = self.participants["arm"].value_counts()
        return {arm: int(counts.get(arm, 0)) for arm in ARMS}


def study_data(
    *,
    participants: Iterable[Mapping[str, Any]],
    scores: Iterable[Mapping[str, Any]],
    service_use: Iterable[Mapping[str, Any]] = (),
    fidelity: Iterable[Mapping[str, Any]] = (),
    plan: AnalysisPlan,
) -> StudyData:
    """Check the rows and build the tables. Raises StudyDataError naming the problem and an example row."""
    notes: list[str] = []
    people = _participants(participants)
    known = people.index
    timepoints = (plan.baseline, plan.follow_up)
    measures = {plan.utility, *(outcome.measure for outcome in plan.outcomes())}
    values = _scores(scores, known, timepoints, measures, plan, notes)
    use = _service_use(service_use, known, timepoints, plan, notes)
    team_fidelity, ratings = _fidelity(fidelity, set(people["team"]), notes)
    return StudyData(
        participants=people,
        values=values,
        service_use=use,
        fidelity=team_fidelity,
        fidelity_ratings=ratings,
        notes=notes,
    )


def _frame(
    rows: Iterable[Mapping[str, Any]], what: str, required: tuple[str, ...], optional: tuple[str, ...]
):
    rows = list(rows)
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=[*required, *optional])
    absent = [key for key in required if key not in frame.columns]
    if absent:
        raise StudyDataError(
            f"The {what} rows have no {', '.join(absent)} (each row needs {', '.join(required)})."
        )
    for key in optional:
        if key not in frame.columns:
            frame[key] = None
    return frame[[*required, *optional]]


def _blank(value: Any) -> bool:
    """None, NaN (pandas may turn None into NaN) or empty text."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _rows(count: int, what: str, *, verb: tuple[str, str] = ("has", "have")) -> str:
    """ "1 score row has" / "3 score rows have" (verb: singular, plural; empty for none)."""
    count = int(count)
    word = verb[0] if count == 1 else verb[1]
    return f"{count} {what} row{'' if count == 1 else 's'}{' ' + word if word else ''}"


def _text(column: pd.Series) -> pd.Series:
    return column.map(lambda value: "" if _blank(value) else str(value)).astype(object)


def _require_text(frame: pd.DataFrame, what: str, keys: tuple[str, ...]) -> None:
    for key in keys:
        blank = frame[key] == ""
        if blank.any():
            raise StudyDataError(f"{_rows(blank.sum(), what)} no {key}.")


def _numbers(column: pd.Series, what: str, frame: pd.DataFrame, key: str) -> pd.Series:
    """Numbers (Decimal from a database is fine), NaN for missing; text that is not a number, or an infinite
    value, is refused."""
    numbers = pd.to_numeric(column, errors="coerce").astype(np.float64)
    bad = (numbers.isna() & ~column.map(_blank).astype(bool)) | np.isinf(numbers)
    if bad.any():
        first = frame.index[bad.to_numpy()][0]
        raise StudyDataError(
            f"{_rows(bad.sum(), what)} a {key} that is not a number (first: {frame.loc[first].to_dict()})."
        )
    return numbers


def _participants(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    frame = _frame(rows, "participant", ("participant", "team", "arm"), ("site", "missing_reason"))
    if frame.empty:
        raise StudyDataError("There are no participants to analyse.")
    frame = frame.assign(
        participant=_text(frame["participant"]),
        team=_text(frame["team"]),
        site=_text(frame["site"]),
        arm=_text(frame["arm"]).str.strip().str.lower(),
        missing_reason=frame["missing_reason"].map(lambda v: None if _blank(v) else str(v)).astype(object),
    )
    _require_text(frame, "participant", ("participant", "team", "arm"))
    duplicated = frame["participant"][frame["participant"].duplicated()]
    if len(duplicated):
        raise StudyDataError(
            f"{duplicated.nunique()} participants appear more than once (first: {duplicated.iloc[0]!r})."
        )
    unknown = frame.loc[~frame["arm"].isin(ARMS), "arm"]
    if len(unknown):
        raise StudyDataError(
            f"Unknown arm {unknown.iloc[0]!r} for {len(unknown)} participants: each is in the "
            "intervention or the control arm."
        )
    arms_per_team = frame.groupby("team")["arm"].nunique()
    split = sorted(arms_per_team.index[arms_per_team > 1])
    if split:
        raise StudyDataError(
            f"Team {split[0]!r} has participants in both arms{f' (and {len(split) - 1} more teams)' if len(split) > 1 else ''}: "
            "a team is allocated to one arm, and its participants are analysed in that arm."
        )
    sites_per_team = frame.groupby("team")["site"].nunique()
    split = sorted(sites_per_team.index[sites_per_team > 1])
    if split:
        raise StudyDataError(f"Team {split[0]!r} appears in more than one site.")
    return frame.set_index("participant").sort_index()


def _unknown_participants(frame: pd.DataFrame, known: pd.Index, what: str) -> None:
    unknown = ~frame["participant"].isin(known)
    if unknown.any():
        raise StudyDataError(
            f"{_rows(unknown.sum(), what, verb=('names', 'name'))} a participant who is not in the participant rows "
            f"(first: {frame.loc[unknown, 'participant'].iloc[0]!r})."
        )


def _other_timepoints(
    frame: pd.DataFrame, timepoints: tuple[str, str], what: str, notes: list[str]
) -> pd.DataFrame:
    other = ~frame["timepoint"].isin(timepoints)
    if other.any():
        names = ", ".join(sorted(frame.loc[other, "timepoint"].unique()))
        notes.append(
            f"Not used: {_rows(other.sum(), what, verb=('', ''))} at other timepoints ({names}); the analysis "
            f"compares {timepoints[0]} with {timepoints[1]}."
        )
    return frame[~other]


def _scores(
    rows, known, timepoints, measures, plan: AnalysisPlan, notes: list[str]
) -> dict[str, pd.DataFrame]:
    frame = _frame(rows, "score", ("participant", "timepoint", "measure", "value"), ("day",))
    frame = frame.assign(
        participant=_text(frame["participant"]),
        timepoint=_text(frame["timepoint"]),
        measure=_text(frame["measure"]),
    )
    _require_text(frame, "score", ("participant", "timepoint", "measure"))
    _unknown_participants(frame, known, "score")
    frame = frame[frame["measure"].isin(measures)]
    frame = _other_timepoints(frame, timepoints, "score", notes)
    frame = frame.assign(
        value=_numbers(frame["value"], "score", frame, "value"),
        day=_numbers(frame["day"], "score", frame, "day"),
    )
    frame = frame[frame["value"].notna()]
    keys = ["participant", "timepoint", "measure"]
    duplicated = frame.duplicated(keys)
    if duplicated.any():
        first = frame.loc[duplicated].iloc[0]
        raise StudyDataError(
            f"{int(duplicated.sum())} scores are given twice for the same participant, timepoint and measure "
            f"(first: {first['participant']!r}, {first['timepoint']!r}, {first['measure']!r}): keep one "
            "assessment per timepoint before analysing."
        )
    values = {}
    for measure in sorted(measures):
        rows_of = frame[frame["measure"] == measure]
        table = pd.DataFrame(index=known)
        for timepoint, name in zip(timepoints, ("baseline", "follow_up"), strict=True):
            at = rows_of[rows_of["timepoint"] == timepoint].set_index("participant")
            table[name] = at["value"].reindex(known)
            table[f"{name}_day"] = at["day"].reindex(known)
        values[measure] = table
    return values


def _service_use(rows, known, timepoints, plan: AnalysisPlan, notes: list[str]) -> dict[str, pd.DataFrame]:
    frame = _frame(rows, "service-use", ("participant", "timepoint", "service", "units"), ())
    frame = frame.assign(
        participant=_text(frame["participant"]),
        timepoint=_text(frame["timepoint"]),
        service=_text(frame["service"]),
    )
    _require_text(frame, "service-use", ("participant", "timepoint", "service"))
    _unknown_participants(frame, known, "service-use")
    frame = _other_timepoints(frame, timepoints, "service-use", notes)
    frame = frame.assign(units=_numbers(frame["units"], "service-use", frame, "units"))
    negative = frame["units"] < 0
    if negative.any():
        first = frame.loc[negative].iloc[0]
        raise StudyDataError(
            f"{_rows(negative.sum(), 'service-use')} negative units (first: {first['participant']!r}, "
            f"{first['service']!r})."
        )
    duplicated = frame.duplicated(["participant", "timepoint", "service"])
    if duplicated.any():
        first = frame.loc[duplicated].iloc[0]
        raise StudyDataError(
            f"{_rows(duplicated.sum(), 'service-use', verb=('repeats', 'repeat'))} a service for the same participant and timepoint "
            f"(first: {first['participant']!r}, {first['timepoint']!r}, {first['service']!r})."
        )
    services = sorted(frame["service"].unique())
    tables = {}
    for timepoint in timepoints:
        at = frame[frame["timepoint"] == timepoint]
        table = (
            at.pivot(index="participant", columns="service", values="units") if len(at) else pd.DataFrame()
        )
        tables[timepoint] = table.reindex(columns=services).sort_index()
    return tables


def _fidelity(rows, teams: set[str], notes: list[str]) -> tuple[pd.Series, pd.Series]:
    frame = _frame(rows, "fidelity", ("team", "score"), ())
    frame = frame.assign(team=_text(frame["team"]))
    _require_text(frame, "fidelity", ("team",))
    frame = frame.assign(score=_numbers(frame["score"], "fidelity", frame, "score"))
    frame = frame[frame["score"].notna()]
    unknown = sorted(set(frame["team"]) - teams)
    if unknown:
        notes.append(f"Fidelity ratings of {len(unknown)} teams without participants were not used.")
        frame = frame[frame["team"].isin(teams)]
    grouped = frame.groupby("team")["score"]
    means, counts = grouped.mean().sort_index(), grouped.size().sort_index()
    several = int((counts > 1).sum())
    if several:
        notes.append(
            f"{several} teams have more than one fidelity rating: each team's ratings were averaged."
        )
    return means, counts
