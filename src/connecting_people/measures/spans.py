"""How `HeadlineSpan` rows (each person's first and latest headline score per instrument version) follow from the
administrations' headline scores. `services.refresh_spans` reads the scores (`selectors.headline_rows`) and stores
what this works out; the recording service, the synthetic data generator and the `refresh_spans` command call it.
"""

from collections.abc import Iterable
from datetime import date

from connecting_people.measures.models import HeadlineSpan


def spans_from_rows(rows: Iterable[tuple[int, str, str, date, float]]) -> list[HeadlineSpan]:
    """Unsaved spans from (person id, instrument id, version, administered on, score) rows in that order (as
    `selectors.headline_rows` gives them): one span for each person and instrument version."""
    spans: dict[tuple[int, str, str], HeadlineSpan] = {}
    for person_id, instrument_id, version, on, score in rows:
        key = (person_id, instrument_id, version)
        span = spans.get(key)
        if span is None:
            spans[key] = HeadlineSpan(
                person_id=person_id,
                instrument_id=instrument_id,
                instrument_version=version,
                first_on=on,
                first_score=score,
                latest_on=on,
                latest_score=score,
                scored=1,
            )
        else:
            span.latest_on, span.latest_score, span.scored = on, score, span.scored + 1
    return list(spans.values())
