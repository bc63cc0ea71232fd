"""Synthetic outcome-measure administrations: baseline and follow-ups for each person, scored in bulk.

About ten administrations a person (DESIGN.md: ~50k at M, ~2.5M at L): five instruments at up to three
timepoints. Later timepoints drift a little towards better scores, as a service that helps would show.
"""

import random
from datetime import date, timedelta

import numpy as np

from connecting_people.measures import registry
from connecting_people.measures.models import Administration
from connecting_people.measures.scoring import score_batch
from connecting_people.measures.services import administration_from_score, refresh_spans
from connecting_people.people.models import Person

# Instrument id, and whether a higher code is the better direction (so drift can move answers the right way).
INSTRUMENTS = [("swemwbs", True), ("ucla3", False), ("eq5d5l", False), ("lsns6", True), ("djg6", None)]
TIMEPOINTS = [("baseline", 0), ("3 months", 91), ("6 months", 182)]
MODES = [mode for mode, _ in Administration.Mode.choices]
CHUNK = 20_000


def _answers(instrument, count: int, timepoint: int, better_high: bool | None, rng: np.random.Generator):
    columns = []
    for item in instrument.items:
        if item.codes:
            codes = np.array(item.code_values, dtype=np.float64)
            weights = np.ones(len(codes))
            if better_high is not None and timepoint:
                tilt = np.linspace(-1, 1, len(codes)) * (0.25 * timepoint) * (1 if better_high else -1)
                weights = np.exp(tilt)
            columns.append(rng.choice(codes, size=count, p=weights / weights.sum()))
        else:
            low, high = item.range.minimum, item.range.maximum
            columns.append(rng.integers(int(low), int(high) + 1, size=count).astype(np.float64))
    answers = np.column_stack(columns)
    answers[rng.random(answers.shape) < 0.01] = np.nan  # a few unanswered items
    return answers


def generate_administrations(
    *, people: list[Person], workers_by_team: dict[int, list[int]], seed: int, today: date
) -> int:
    """Create administrations for these people; returns how many. Scores come from the real scoring engine."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    created = 0
    for instrument_id, better_high in INSTRUMENTS:
        instrument = registry.instrument(instrument_id)
        options = registry.scoring_options(instrument)
        for timepoint, (label, offset) in enumerate(TIMEPOINTS):
            due = [p for p in people if p.opened_on + timedelta(days=offset + 14) <= today]
            if timepoint:
                due = [p for p in due if pick.random() < 0.8]  # not everyone is seen at every follow-up
            for start in range(0, len(due), CHUNK):
                chunk = due[start : start + CHUNK]
                answers = _answers(instrument, len(chunk), timepoint, better_high, rng)
                result = score_batch(instrument, answers, validate=False, **options)
                rows = []
                for index, person in enumerate(chunk):
                    worker = person.allocated_worker_id or pick.choice(workers_by_team[person.team_id])
                    day = min(today, person.opened_on + timedelta(days=offset + pick.randint(0, 13)))
                    rows.append(
                        administration_from_score(
                            person_id=person.pk,
                            instrument=instrument,
                            answers=[None if np.isnan(value) else int(value) for value in answers[index]],
                            result=result.row(index),
                            administered_on=day,
                            mode=pick.choice(MODES),
                            timepoint_label=label,
                            administered_by_id=worker,
                        )
                    )
                Administration.objects.bulk_create(rows, batch_size=5_000)
                created += len(rows)
    refresh_spans(person.pk for person in people)
    return created
