"""Outcome measures: the instruments this deployment defines (/api/v1/instruments: ids, response codes, scoring,
bands, missing-data rules; never licensed item wording), a stateless scoring endpoint, and a person's recorded
administrations (/api/v1/people/{person_id}/administrations), recorded through the measures service."""

from datetime import date, datetime
from typing import Any

from django.urls import reverse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from connecting_people.api.auth import require_scope
from connecting_people.api.paging import DEFAULT_LIMIT, Page, page_of
from connecting_people.api.responses import idempotent, json_response
from connecting_people.core.errors import NotFoundError, ServiceError
from connecting_people.measures import registry, scoring, selectors, services
from connecting_people.measures.definitions import Instrument
from connecting_people.measures.errors import AnswerError, ScoringOptionError, UnknownInstrumentError
from connecting_people.measures.models import Administration
from connecting_people.measures.presenters import recordable_instruments
from connecting_people.people.selectors import person_get

instruments = Router(tags=["instruments"])
administrations = Router(tags=["measures"])

Answer = float | None
Answers = list[Answer] | dict[str, Answer]


# --- instruments --------------------------------------------------------------------------------------------


class InstrumentSummaryOut(Schema):
    id: str
    version: str
    title: str
    latest: bool
    recordable: bool
    scoring_type: str
    items: int
    url: str


class InstrumentOut(Schema):
    """The definition as `instruments show` gives it, without item wording unless it ships freely with the
    project (`wording_included`). Codes keep their short labels."""

    model_config = ConfigDict(extra="allow")

    id: str
    version: str
    title: str
    citation: str
    licence: str
    wording_included: bool
    recordable: bool
    items: list[dict[str, Any]]
    subscales: list[dict[str, Any]]
    scoring: dict[str, Any]
    bands: list[dict[str, Any]]
    missing: dict[str, Any]
    derived: list[dict[str, Any]]
    headline: str
    url: str


class InstrumentQuery(Schema):
    version: str | None = Field(None, max_length=20)


class ScoreIn(Schema):
    answers: Answers = Field(
        description="Codes in the definition's item order (null where unanswered), or item id → code"
    )
    version: str | None = Field(None, max_length=20, description="The definition's version (default: latest)")
    weights: list[float] | None = Field(
        None, max_length=50, description="Goal attainment scaling only: each goal's weight"
    )
    value_set: str | None = Field(
        None, max_length=40, description="EQ-5D-5L only: the value set (default: the deployment's)"
    )


class ScoreOut(Schema):
    """What the measures engine gives for one response: always these keys, and the derived scores the
    instrument defines (`metric`, `index`, `t_score` …)."""

    model_config = ConfigDict(extra="allow")

    instrument: str
    version: str
    total: float | None
    subscales: dict[str, float | None]
    band: str | None
    missing: list[str]
    missing_rule: dict[str, Any]


def _wording_shown(instrument: Instrument) -> bool:
    """Item text goes out where it ships with the project (its authors publish it for anyone) or where this
    deployment supplied it (`wording_source`, under its own licence, for its own staff and systems, as FHIR's
    Questionnaire does); the project never ships a licensed instrument's wording, so there is nothing else."""
    return instrument.wording_ships or bool(instrument.wording_source)


def _without_wording(item: dict[str, Any]) -> dict[str, Any]:
    item = {name: value for name, value in item.items() if name != "wording"}
    if item.get("codes"):
        item["codes"] = [
            {name: value for name, value in code.items() if name != "wording"} for code in item["codes"]
        ]
    return item


def _instrument_url(request, instrument: Instrument) -> str:
    url = reverse("api-v1:instrument", args=[instrument.id])
    return request.build_absolute_uri(f"{url}?version={instrument.version}")


def instrument_out(request, instrument: Instrument) -> dict[str, Any]:
    described = instrument.as_json()
    described.pop("wording_source", None)
    described.pop("wording_ships", None)
    shown = _wording_shown(instrument)
    if not shown:
        described["items"] = [_without_wording(item) for item in described["items"]]
        described["instructions"] = None
    return described | {
        "wording_included": shown,
        "recordable": instrument in recordable_instruments(),
        "url": _instrument_url(request, instrument),
    }


def _instrument(instrument_id: str, version: str | None = None) -> Instrument:
    try:
        return registry.instrument(instrument_id, version)
    except UnknownInstrumentError as error:
        raise NotFoundError("No such instrument", params={"instrument_id": instrument_id}) from error


def _checked_answers(instrument: Instrument, answers: Answers) -> list:
    """The answers as the engine takes them; a refused one is a ServiceError pointing at it
    (`/body/answers/2` for a list, `/body/answers/<item id>` for a mapping)."""
    try:
        return scoring.check_answers(instrument, answers)
    except AnswerError as error:
        where = "answers"
        if error.item_id != "answers":
            if isinstance(answers, dict):
                where = f"answers/{error.item_id}"
            else:
                ids = instrument.answer_ids(len(answers))
                where = f"answers/{ids.index(error.item_id)}" if error.item_id in ids else "answers"
        raise ServiceError(
            str(error), field=where, code="answer_not_allowed", params={"item_id": error.item_id}
        ) from error


@instruments.get("", response=Page[InstrumentSummaryOut], url_name="instruments", summary="Instruments")
def instruments_list(request):
    """Every instrument definition loaded here, each version (`latest` marks the one new records use). One
    page: the catalogue is small."""
    require_scope(request, "measures:read")
    catalogue = registry.catalogue()
    recordable = recordable_instruments()
    items = [
        {
            "id": instrument.id,
            "version": instrument.version,
            "title": instrument.title,
            "latest": catalogue.get(instrument.id) is instrument,
            "recordable": instrument in recordable,
            "scoring_type": instrument.scoring.type,
            "items": len(instrument.items),
            "url": _instrument_url(request, instrument),
        }
        for instrument in catalogue
    ]
    return {"items": items, "next": None}


@instruments.get(
    "/{instrument_id}", response=InstrumentOut, url_name="instrument", summary="One instrument's definition"
)
def instrument_get(request, instrument_id: str, query: Query[InstrumentQuery]):
    """Items (ids, short labels, allowed codes or ranges), subscales, scoring type and parameters, bands
    (official or conventional, with their source), the missing-data rule and derived scores. The latest version
    unless `version` is given."""
    require_scope(request, "measures:read")
    instrument = _instrument(instrument_id, query.version)
    return json_response(instrument_out(request, instrument))


@instruments.post(
    "/{instrument_id}/score", response=ScoreOut, url_name="instrument_score", summary="Score answers"
)
def instrument_score(request, instrument_id: str, payload: ScoreIn):
    """Answers in, scores out, by the same engine that scores recorded administrations: nothing is stored and
    nothing names a person. The deployment's EQ-5D-5L value set unless `value_set` is given."""
    require_scope(request, "measures:read")
    instrument = _instrument(instrument_id, payload.version)
    checked = _checked_answers(instrument, payload.answers)
    options = registry.scoring_options(instrument)
    if payload.value_set is not None:
        options["value_set"] = payload.value_set
    if payload.weights is not None:
        options["weights"] = payload.weights
    try:
        result = scoring.score_one(instrument, checked, **options)
    except ScoringOptionError as error:
        field = "value_set" if payload.value_set is not None else "weights" if payload.weights else None
        raise ServiceError(str(error), field=field, code="scoring_option_invalid") from error
    except AnswerError as error:  # weights that do not fit the goals scored
        raise ServiceError(str(error), field="weights", code="scoring_option_invalid") from error
    return json_response(result)


# --- a person's administrations -----------------------------------------------------------------------------


class AdministrationOut(Schema):
    id: int
    person_id: int
    instrument_id: str
    instrument_version: str
    administered_on: date
    timepoint_label: str
    mode: Administration.Mode
    administered_by_id: int
    answers: list[float | None]
    total: float | None
    subscales: dict[str, Any]
    band: str
    derived: dict[str, Any]
    missing_items: list[str]
    missing_rule: str
    created_at: datetime
    url: str


class AdministrationIn(Schema):
    instrument_id: str = Field(max_length=64)
    answers: Answers
    administered_on: date
    mode: Administration.Mode
    timepoint_label: str = Field("", max_length=60)


class AdministrationsFilter(Schema):
    instrument_id: str | None = Field(None, max_length=64)
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _administration_url(request, administration: Administration) -> str:
    url = reverse("api-v1:administration", args=[administration.person_id, administration.pk])
    return request.build_absolute_uri(url)


def administration_out(request, administration: Administration) -> dict[str, Any]:
    fields = {name: getattr(administration, name) for name in AdministrationOut.model_fields if name != "url"}
    return fields | {"url": _administration_url(request, administration)}


@administrations.get(
    "/{int:person_id}/administrations",
    response=Page[AdministrationOut],
    url_name="administrations",
    summary="A person's outcome measures",
)
def administrations_list(request, person_id: int, filters: Query[AdministrationsFilter]):
    """Every administration recorded for the person (goal attainment, scored at reviews, included), by id, a
    page at a time; `instrument_id` narrows to one instrument."""
    require_scope(request, "measures:read")
    person = person_get(actor=request.actor, person_id=person_id, shown_on="api-measures")
    rows = selectors.administrations_for(actor=request.actor, person=person)
    if filters.instrument_id:
        rows = rows.filter(instrument_id=filters.instrument_id)
    items, following = page_of(request, rows, cursor=filters.cursor, limit=filters.limit)
    return {"items": [administration_out(request, row) for row in items], "next": following}


@administrations.get(
    "/{int:person_id}/administrations/{int:administration_id}",
    response=AdministrationOut,
    url_name="administration",
    summary="One administration",
)
def administration_get(request, person_id: int, administration_id: int):
    require_scope(request, "measures:read")
    person = person_get(actor=request.actor, person_id=person_id, shown_on="api-measure")
    administration = selectors.administration_of(
        actor=request.actor, person=person, administration_id=administration_id
    )
    return json_response(administration_out(request, administration))


@administrations.post(
    "/{int:person_id}/administrations",
    response={201: AdministrationOut},
    url_name="administrations",
    summary="Record an outcome measure",
)
@idempotent
def administration_create(request, person_id: int, payload: AdministrationIn):
    """Scored by the measures engine and saved with its scores. Goal attainment scaling is recorded by holding a
    review (its goals are scored there), not here. Send an `Idempotency-Key`."""
    require_scope(request, "measures:write")
    person = person_get(actor=request.actor, person_id=person_id)
    try:
        instrument = registry.instrument(payload.instrument_id)
    except UnknownInstrumentError as error:
        raise ServiceError(
            "No instrument has that id", field="instrument_id", code="instrument_unknown"
        ) from error
    if instrument not in recordable_instruments():
        raise ServiceError(
            "This instrument is recorded elsewhere (goal attainment: at a review)",
            field="instrument_id",
            code="instrument_recorded_elsewhere",
        )
    checked = _checked_answers(instrument, payload.answers)
    administration = services.administration_record(
        actor=request.actor,
        person_id=person.pk,
        instrument_id=instrument.id,
        answers=checked,
        administered_on=payload.administered_on,
        mode=payload.mode,
        timepoint_label=payload.timepoint_label.strip(),
    )
    return json_response(
        administration_out(request, administration),
        status=201,
        location=_administration_url(request, administration),
    )
