"""Recording an administration of an outcome measure: validated, scored, saved and audited in one transaction."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from connecting_people.accounts.actor import Actor
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import ServiceError
from connecting_people.measures import registry, scoring, selectors
from connecting_people.measures.errors import AnswerError, ScoringOptionError, UnknownInstrumentError
from connecting_people.measures.models import Administration, HeadlineSpan
from connecting_people.measures.recording import derived_scores
from connecting_people.measures.spans import spans_from_rows
from connecting_people.people.models import Person
from connecting_people.people.services import person_for_change

SPANS_CHUNK = 2_000  # people a query when spans are worked out again


def administration_from_score(
    *,
    person_id: int,
    instrument,
    answers: list,
    result: dict,
    administered_on: date,
    mode: str,
    timepoint_label: str,
    administered_by_id: int | None,
) -> Administration:
    """An unsaved Administration holding `result` (a score_one dict or a BatchResult row). Shared by the
    service and the synthetic data generator, so both store scores the same way."""
    return Administration(
        person_id=person_id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        administered_on=administered_on,
        timepoint_label=timepoint_label,
        mode=mode,
        administered_by_id=administered_by_id,
        answers=answers,
        total=result["total"],
        subscales=result["subscales"],
        band=result["band"] or "",
        derived=derived_scores(result),
        missing_items=result["missing"],
        missing_rule=result["missing_rule"]["outcome"],
    )


def administration_record(
    *,
    actor: Actor,
    person_id: int,
    instrument_id: str,
    answers: list[float | None],
    administered_on: date,
    mode: str,
    timepoint_label: str = "",
    weights: list[float] | None = None,
) -> Administration:
    """Score and save one administration for a person the actor can reach (not found otherwise).

    `answers` are codes in the definition's item order, None where the person gave no answer. `weights`, for
    Goal Attainment Scaling only, gives each goal's weight (kept with the scores).
    Raises ServiceError (field = the item's id) for an answer the instrument does not allow.
    """
    person = person_for_change(actor=actor, person_id=person_id)
    try:
        instrument = registry.instrument(instrument_id)
    except UnknownInstrumentError as error:
        raise ServiceError(
            str(error), code="instrument_unknown", params={"instrument_id": instrument_id}
        ) from error
    if administered_on < person.date_of_birth:
        raise ServiceError(
            "The date must be after the person's date of birth.",
            field="administered_on",
            code="date_before_birth",
        )
    try:
        checked = scoring.check_answers(instrument, answers)
    except AnswerError as error:
        raise ServiceError(
            str(error), field=error.item_id, code="answer_not_allowed", params={"item_id": error.item_id}
        ) from error
    options = registry.scoring_options(instrument)
    if weights is not None:
        options["weights"] = weights
    try:
        result = scoring.score_one(instrument, checked, **options)
    except ScoringOptionError as error:
        raise ServiceError(str(error), code="scoring_option_invalid") from error
    with transaction.atomic():
        person = person_for_change(actor=actor, person_id=person_id)  # again, locked: see its docstring
        administration = administration_from_score(
            person_id=person.pk,
            instrument=instrument,
            answers=checked,
            result=result,
            administered_on=administered_on,
            mode=mode,
            timepoint_label=timepoint_label,
            administered_by_id=actor.user_id,
        )
        if weights is not None:
            administration.derived["weights"] = list(weights)
        administration.save()
        refresh_spans([person.pk])
        audit_record(
            actor=actor.user,
            action="measure.recorded",
            object_type="administration",
            object_id=administration.pk,
            person_id=person.pk,
            summary={
                "instrument": instrument.id,
                "version": instrument.version,
                "administered_on": administered_on,
            },
        )
    return administration


# ---------------------------------------------------------------------------------------------------------
# Headline spans: derived from the administrations, kept in step with them


def refresh_spans(person_ids: Iterable[int]) -> int:
    """Work out the spans of these people again from their administrations (in the caller's transaction).
    Returns how many spans they now have. Not audited: spans are derived, and hold nothing the administrations
    do not."""
    ids = sorted(set(person_ids))
    written = 0
    for start in range(0, len(ids), SPANS_CHUNK):
        chunk = ids[start : start + SPANS_CHUNK]
        spans = spans_from_rows(selectors.headline_rows(person_ids=chunk))
        HeadlineSpan.objects.filter(person_id__in=chunk).delete()
        HeadlineSpan.objects.bulk_create(spans, batch_size=1_000)
        written += len(spans)
    return written


def refresh_all_spans() -> int:
    """Every person's spans again (after the instrument catalogue changed). Returns how many there are now."""
    return refresh_spans(selectors.people_with_administrations())


def measures_erase_for_person(*, person: Person) -> dict[str, int]:
    """Erasure (privacy app, which has locked the person and audits the erasure): remove every outcome measure
    and headline span of the person, in the caller's transaction. Rows removed, by model."""
    removed: dict[str, int] = {}
    for rows in (Administration.objects.filter(person=person), HeadlineSpan.objects.filter(person=person)):
        for label, count in rows.delete()[1].items():
            removed[label] = removed.get(label, 0) + count
    return removed
