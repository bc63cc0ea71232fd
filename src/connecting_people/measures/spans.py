"""Keeps `HeadlineSpan` (each person's first and latest headline score per instrument version) in step with the
administrations. Called by the recording service, the synthetic data generator and the migration that added it.
"""

from collections.abc import Iterable

from django.db.models import Case, F, FloatField, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, NullIf

from connecting_people.measures import registry
from connecting_people.measures.models import Administration, HeadlineSpan

CHUNK = 2_000  # people a query


def headline_expression() -> Case:
    """`selectors.headline_value` as an SQL expression, one branch per loaded instrument version: the total, or
    the derived score the definition names; NULL for a band, a version not loaded and a missing score."""
    branches = []
    for instrument in registry.catalogue():
        if instrument.headline == "band":
            continue
        if instrument.headline == "total":
            score = F("total")
        else:
            # SQLite gives a JSON null as the text 'null' (PostgreSQL as NULL): NULL on both.
            score = Cast(NullIf(KT(f"derived__{instrument.headline}"), Value("null")), FloatField())
        branches.append(When(instrument_id=instrument.id, instrument_version=instrument.version, then=score))
    return Case(*branches, default=Value(None), output_field=FloatField())


def refresh_spans(person_ids: Iterable[int]) -> int:
    """Work out the spans of these people again from their administrations (in the caller's transaction).
    Returns how many spans they now have."""
    ids = sorted(set(person_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        spans: dict[tuple[int, str, str], HeadlineSpan] = {}
        rows = (
            Administration.objects.filter(person_id__in=chunk)
            .annotate(headline=headline_expression())
            .filter(headline__isnull=False)
            .order_by("person_id", "instrument_id", "instrument_version", "administered_on", "id")
            .values_list("person_id", "instrument_id", "instrument_version", "administered_on", "headline")
        )
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
        HeadlineSpan.objects.filter(person_id__in=chunk).delete()
        HeadlineSpan.objects.bulk_create(spans.values(), batch_size=1_000)
        written += len(spans)
    return written


def refresh_all_spans() -> int:
    """Every person's spans again (after the instrument catalogue changed). Returns how many there are now."""
    return refresh_spans(Administration.objects.values_list("person_id", flat=True).distinct())
