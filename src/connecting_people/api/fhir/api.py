"""FHIR R4 (JSON) at /fhir/R4/: a second NinjaAPI beside /api/v1, with the same tokens, scopes (fhir:read,
fhir:write) and reach. Every answer is application/fhir+json; every error an OperationOutcome (not the problem
documents of /api/v1, which FHIR clients do not read). The resources are made by `mapping` (pure) from what the
apps' selectors return; docs/api.md (FHIR R4) is the guide."""

import json
import logging
from datetime import date
from typing import Any

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from connecting_people import __version__
from connecting_people.api.auth import MissingScope, RateLimited, TokenAuth, require_scope
from connecting_people.api.fhir import importing, mapping
from connecting_people.api.fhir.importing import ImportProblem
from connecting_people.api.paging import page_of
from connecting_people.api.problems import status_of
from connecting_people.api.responses import BadIdempotencyKey, IdempotencyKeyReused, atomic_writes, idempotent
from connecting_people.audit.services import audit_list_viewed
from connecting_people.core.errors import (
    DomainError,
    NotAllowedError,
    NotFoundError,
    ProcessingRestrictedError,
    ServiceError,
    StaleRecordError,
)
from connecting_people.measures import registry
from connecting_people.measures import selectors as measures
from connecting_people.measures import services as measure_services
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.measures.presenters import recordable_instruments
from connecting_people.people import selectors as people
from connecting_people.people.selectors import processing_allowed
from connecting_people.plans import selectors as plans

logger = logging.getLogger(__name__)

fhir_api = NinjaAPI(
    title="Connecting People FHIR R4",
    version="R4",
    description="FHIR R4 (JSON). The CapabilityStatement at /fhir/R4/metadata describes it; see docs/api.md (FHIR R4).",
    auth=TokenAuth(),
    urls_namespace="fhir",
    openapi_url=None,
    docs_url=None,
)

DEFAULT_COUNT = 50
LARGEST_COUNT = 200
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}
JSON_BODIES = {"application/json", "application/fhir+json"}


class SearchProblem(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# --------------------------------------------------------------------------------------------- answers


def fhir_response(resource: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None):
    response = HttpResponse(
        json.dumps(resource, default=str), status=status, content_type=mapping.CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome(status: int, code: str, message: str, *, expression=(), headers: dict[str, str] | None = None):
    return fhir_response(
        mapping.operation_outcome(status, code, message, expression=expression),
        status=status,
        headers=headers,
    )


def base_url(request) -> str:
    """This server's FHIR base, absolute, ending in a slash: `https://host/fhir/R4/`."""
    return request.build_absolute_uri(reverse("fhir:metadata")).rsplit("metadata", 1)[0]


# --------------------------------------------------------------------------------------------- errors


NOT_FOUND = "Nothing found with that id that you can reach."


@fhir_api.exception_handler(DomainError)
def _domain_error(request, error: DomainError):
    status = status_of(error, bad_request_codes=frozenset({"bad_cursor"}))
    if status == 404:
        return outcome(404, "not_found", NOT_FOUND)
    return outcome(status, error.code, error.message)


@fhir_api.exception_handler(Http404)
def _not_found(request, error):
    return outcome(404, "not_found", NOT_FOUND)


@fhir_api.exception_handler(ImportProblem)
def _import_problem(request, error: ImportProblem):
    if error.status == 404:
        return outcome(404, "not_found", NOT_FOUND)
    return outcome(error.status, error.code, error.message, expression=error.expression)


@fhir_api.exception_handler(SearchProblem)
def _search_problem(request, error: SearchProblem):
    return outcome(error.status, error.code, error.message)


@fhir_api.exception_handler(ValidationError)
def _invalid(request, error: ValidationError):
    return outcome(422, "invalid", "The request has values that are not valid.")


@fhir_api.exception_handler(AuthenticationError)
def _unauthenticated(request, error):
    return outcome(
        401,
        "token_required",
        "Send a valid token: `Authorization: Bearer cp_…`. Tokens expire and can be revoked.",
        headers={"WWW-Authenticate": 'Bearer realm="connecting-people"'},
    )


@fhir_api.exception_handler(MissingScope)
def _missing_scope(request, error: MissingScope):
    return outcome(
        403,
        "insufficient_scope",
        f"This token does not have the scope {error.scope}.",
        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{error.scope}"'},
    )


@fhir_api.exception_handler(RateLimited)
def _rate_limited(request, error: RateLimited):
    return outcome(
        429,
        "rate_limited",
        f"This token may make {error.limit} requests a minute. Try again in {error.retry_after} seconds.",
        headers={"Retry-After": str(error.retry_after)},
    )


@fhir_api.exception_handler(IdempotencyKeyReused)
def _key_reused(request, error):
    return outcome(
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was used with a different request. Use a new key.",
    )


@fhir_api.exception_handler(BadIdempotencyKey)
def _bad_key(request, error):
    return outcome(400, "bad_idempotency_key", "An Idempotency-Key is 1 to 200 visible ASCII characters.")


@fhir_api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    return outcome(error.status_code, "http_error", str(error))


@fhir_api.exception_handler(Exception)
def _server_error(request, error):
    logger.exception("FHIR request failed", exc_info=error)
    return outcome(500, "server_error", "Something went wrong on our side. Nothing was changed.")


@csrf_exempt
def not_found(request, rest: str = ""):
    """Any address under /fhir/ that no route answers (a plain Django view, for the URL fallback)."""
    return outcome(
        404,
        "not_found",
        "There is nothing at this address. The server's capabilities are at /fhir/R4/metadata.",
    )


# --------------------------------------------------------------------------------------------- helpers


def _begin(request, scope: str) -> None:
    """The token's scope, then the format asked for (JSON only)."""
    require_scope(request, scope)
    asked = request.GET.get("_format")
    if asked is not None and asked.split(";")[0].strip() not in JSON_FORMATS:
        raise SearchProblem("format_not_supported", "This server answers in JSON only (_format=json).", 406)


def _pk(value: str) -> int:
    """Our ids are whole numbers: anything else names nothing (404, the same as an id out of reach)."""
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise NotFoundError("No such resource")
    return int(value)


def _count(request) -> int:
    raw = request.GET.get("_count", str(DEFAULT_COUNT))
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= LARGEST_COUNT:
        raise SearchProblem("bad_count", f"_count must be a whole number from 1 to {LARGEST_COUNT}.")
    return int(raw)


def _page(request, rows) -> tuple[list, str | None]:
    """One page of `rows` by id, after `_cursor`; and the next page's URL (None on the last)."""
    return page_of(
        request,
        rows,
        cursor=request.GET.get("_cursor"),
        limit=_count(request),
        cursor_name="_cursor",
        limit_name="_count",
    )


def _patient_asked(request) -> str | None:
    """The patient a search names (`patient=12`, `patient=Patient/12`, `subject=Patient/12`, or an absolute
    reference to ours); "" when it names something that cannot be one of ours; None when none is named."""
    values = request.GET.getlist("patient") + request.GET.getlist("subject")
    if not values:
        return None
    ids = set()
    base = base_url(request)
    for value in values:
        for prefix in (base + "Patient/", "Patient/"):
            if value.startswith(prefix):
                value = value[len(prefix) :]
                break
        ids.add(value if value.isascii() and value.isdigit() and len(value) <= 18 else "")
    return ids.pop() if len(ids) == 1 else ""


def _by_patient(request, rows, kind: str, path: str):
    """`rows` narrowed to the patient the search names (none at all when that patient is not in reach: the same
    empty Bundle as for an id that does not exist), or to everyone in reach whose processing is not restricted
    (a list, as on the caseload pages). Returns (rows, person or None)."""
    asked = _patient_asked(request)
    if asked is None:
        return rows.filter(processing_allowed(path)), None
    if not asked:
        return rows.none(), None
    try:
        person = people.person_get(actor=request.actor, person_id=int(asked), shown_on=f"fhir.{kind}")
    except NotFoundError:
        return rows.none(), None
    return rows.filter(**({f"{path}": person} if path else {"pk": person.pk})), person


def _searchset(request, resources, following: str | None, kind: str, person) -> HttpResponse:
    if person is None:
        audit_list_viewed(
            actor=request.actor, list_name=f"fhir.{kind}", rows=len(resources), object_type=kind.lower()
        )
    bundle = mapping.searchset(
        resources, base=base_url(request), self_url=request.build_absolute_uri(), next_url=following
    )
    return fhir_response(bundle)


def _instrument(instrument_id: str, version: str):
    try:
        return registry.instrument(instrument_id, version)
    except UnknownInstrumentError:
        return None


def _versioned(resource: dict[str, Any], version: int) -> HttpResponse:
    return fhir_response(resource, headers={"ETag": f'W/"{version}"'})


# --------------------------------------------------------------------------------------------- metadata


@fhir_api.get("/metadata", auth=None, url_name="metadata", summary="CapabilityStatement")
def metadata(request):
    statement = mapping.capability_statement(
        software_version=__version__, published=date(2026, 1, 1), base_url=base_url(request)
    )
    return fhir_response(statement)


# --------------------------------------------------------------------------------------------- Patient


def _patients(request):
    return people.people_visible_to(actor=request.actor).select_related("trust")


@fhir_api.get("/Patient", url_name="patients", summary="Search patients")
def patient_search(request):
    _begin(request, "fhir:read")
    rows = _patients(request).filter(processing_allowed())
    identifier = request.GET.get("identifier")
    if identifier is not None:
        system, bar, value = identifier.rpartition("|")
        if bar and system not in ("", mapping.NHS_NUMBER_SYSTEM):
            rows = rows.none()
        else:
            rows = rows.filter(nhs_number="".join(value.split()))
    items, following = _page(request, rows)
    return _searchset(request, [mapping.patient(person) for person in items], following, "Patient", None)


@fhir_api.get("/Patient/{patient_id}", url_name="patient", summary="Read a patient")
def patient_read(request, patient_id: str):
    _begin(request, "fhir:read")
    person = people.person_get(actor=request.actor, person_id=_pk(patient_id), shown_on="fhir.Patient")
    return _versioned(mapping.patient(person), person.version)


# --------------------------------------------------------------------------------------------- Questionnaire


def _questionnaires() -> list:
    return list(registry.catalogue())


@fhir_api.get("/Questionnaire", url_name="questionnaires", summary="Search questionnaires")
def questionnaire_search(request):
    _begin(request, "fhir:read")
    found = _questionnaires()
    url = request.GET.get("url")
    if url is not None:
        canonical, _, version = url.partition("|")
        found = [
            instrument
            for instrument in found
            if mapping.questionnaire_url(instrument.id, instrument.version) == canonical
            and (not version or instrument.version == version)
        ]
    bundle = mapping.searchset(
        [mapping.questionnaire(instrument) for instrument in found],
        base=base_url(request),
        self_url=request.build_absolute_uri(),
    )
    return fhir_response(bundle)


@fhir_api.get("/Questionnaire/{questionnaire_id}", url_name="questionnaire", summary="Read a questionnaire")
def questionnaire_read(request, questionnaire_id: str):
    _begin(request, "fhir:read")
    key = mapping.instrument_key(questionnaire_id)
    instrument = _instrument(*key) if key else None
    if instrument is None:
        raise NotFoundError("No such questionnaire")
    return fhir_response(mapping.questionnaire(instrument))


# --------------------------------------------------------------------------------------------- responses, scores


def _administrations(request, kind: str):
    rows = measures.administrations_in_reach(actor=request.actor)
    return _by_patient(request, rows, kind, "person")


@fhir_api.get("/QuestionnaireResponse", url_name="responses", summary="Search questionnaire responses")
def response_search(request):
    _begin(request, "fhir:read")
    rows, person = _administrations(request, "QuestionnaireResponse")
    items, following = _page(request, rows)
    resources = [
        mapping.questionnaire_response(row, _instrument(row.instrument_id, row.instrument_version))
        for row in items
    ]
    return _searchset(request, resources, following, "QuestionnaireResponse", person)


@fhir_api.get(
    "/QuestionnaireResponse/{response_id}", url_name="response", summary="Read a questionnaire response"
)
def response_read(request, response_id: str):
    _begin(request, "fhir:read")
    row = measures.administration_get(actor=request.actor, administration_id=_pk(response_id))
    people.person_shown(actor=request.actor, person=row.person, page="fhir.QuestionnaireResponse")
    instrument = _instrument(row.instrument_id, row.instrument_version)
    return fhir_response(mapping.questionnaire_response(row, instrument))


@fhir_api.get("/Observation", url_name="observations", summary="Search observations")
def observation_search(request):
    _begin(request, "fhir:read")
    rows, person = _administrations(request, "Observation")
    items, following = _page(request, rows)
    resources = [
        mapping.observation(row, _instrument(row.instrument_id, row.instrument_version)) for row in items
    ]
    return _searchset(request, resources, following, "Observation", person)


@fhir_api.get("/Observation/{observation_id}", url_name="observation", summary="Read an observation")
def observation_read(request, observation_id: str):
    _begin(request, "fhir:read")
    row = measures.administration_get(actor=request.actor, administration_id=_pk(observation_id))
    people.person_shown(actor=request.actor, person=row.person, page="fhir.Observation")
    return fhir_response(mapping.observation(row, _instrument(row.instrument_id, row.instrument_version)))


def _structure_problems(body: dict) -> None:
    """The resource's structure (datatypes, cardinalities, unknown elements) checked by the FHIR models (R4B,
    the same as R4 for QuestionnaireResponse)."""
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
    from pydantic import ValidationError as PydanticError

    try:
        QuestionnaireResponse.model_validate(body)
    except PydanticError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in ("QuestionnaireResponse", *first.get("loc", ())))
        raise ImportProblem(
            "structure_invalid",
            f"Not a valid QuestionnaireResponse: {where}: {first.get('msg')}",
            expression=[where],
        ) from None
    except ValueError as error:
        raise ImportProblem("structure_invalid", f"Not a valid QuestionnaireResponse: {error}") from None


def _recordable(received: importing.Received):
    instrument = _instrument(received.instrument_id, received.version)
    if instrument is None:
        raise ImportProblem(
            "questionnaire_unknown",
            f"We have no Questionnaire {mapping.questionnaire_id(received.instrument_id, received.version)} "
            "(GET /fhir/R4/Questionnaire lists ours).",
            expression=["QuestionnaireResponse.questionnaire"],
        )
    if instrument not in recordable_instruments():
        latest = registry.instrument(instrument.id)
        if latest.version != instrument.version:
            message = (
                f"Answers are recorded against the current version of {instrument.title}: "
                f"{mapping.questionnaire_url(latest.id, latest.version)}."
            )
            raise ImportProblem(
                "questionnaire_not_current", message, expression=["QuestionnaireResponse.questionnaire"]
            )
        raise ImportProblem(
            "questionnaire_not_importable",
            f"{instrument.title} is scored from goals at a review, not recorded from answers.",
            expression=["QuestionnaireResponse.questionnaire"],
        )
    return instrument


@fhir_api.post(
    "/QuestionnaireResponse", url_name="responses", summary="Record answers to one of our questionnaires"
)
@idempotent
def response_create(request):
    """Answers to one of our Questionnaires (the current version), for a patient in the sender's reach: checked,
    scored by the measures engine and recorded as any administration is. 201 with Location and the response as
    recorded; an OperationOutcome (422) naming the element for anything we cannot record."""
    _begin(request, "fhir:write")
    if request.content_type not in JSON_BODIES:
        raise SearchProblem("unsupported_media_type", "Send the resource as application/fhir+json.", 415)
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise SearchProblem("not_json", "The body is not JSON.") from None
    if isinstance(body, dict) and body.get("resourceType") == "QuestionnaireResponse":
        _structure_problems(body)
    base = base_url(request)
    received = importing.received(body, bases=[base])
    instrument = _recordable(received)
    answers = importing.answers_in_order(instrument, received.answers)
    authored = received.authored
    administered_on = authored if type(authored) is date else timezone.localtime(authored).date()
    if administered_on > timezone.localdate():
        raise ImportProblem(
            "authored_in_future",
            "`authored` is a day still to come.",
            expression=["QuestionnaireResponse.authored"],
        )
    try:
        row = measure_services.administration_record(
            actor=request.actor,
            person_id=_pk(received.patient_id),
            instrument_id=instrument.id,
            answers=answers,
            administered_on=administered_on,
            mode=received.mode,
        )
    except ServiceError as error:
        if isinstance(error, ProcessingRestrictedError | NotAllowedError | StaleRecordError):
            raise
        field = error.field or ""
        if field in instrument.item_ids:
            where = [importing.item_path(field)]
        elif field == "administered_on":
            where = ["QuestionnaireResponse.authored"]
        else:
            where = []
        raise ImportProblem(error.code, error.message, expression=where) from error
    resource = mapping.questionnaire_response(row, instrument)
    return fhir_response(resource, status=201, headers={"Location": f"{base}QuestionnaireResponse/{row.pk}"})


# --------------------------------------------------------------------------------------------- Goal, CarePlan


@fhir_api.get("/Goal", url_name="goals", summary="Search goals")
def goal_search(request):
    _begin(request, "fhir:read")
    rows, person = _by_patient(request, plans.goals_in_reach(actor=request.actor), "Goal", "person")
    items, following = _page(request, rows)
    return _searchset(request, [mapping.goal(row) for row in items], following, "Goal", person)


@fhir_api.get("/Goal/{goal_id}", url_name="goal", summary="Read a goal")
def goal_read(request, goal_id: str):
    _begin(request, "fhir:read")
    row = plans.goal_get(actor=request.actor, goal_id=_pk(goal_id))
    people.person_shown(actor=request.actor, person=row.person, page="fhir.Goal")
    return _versioned(mapping.goal(row), row.version)


def _care_plans(request, persons: list) -> list[dict[str, Any]]:
    goals = plans.goals_of_people(actor=request.actor, person_ids=[person.pk for person in persons])
    steps = plans.steps_of_goals(actor=request.actor, goal_ids=[goal.pk for goal in goals])
    goals_by_person: dict[int, list] = {}
    for goal in goals:
        goals_by_person.setdefault(goal.person_id, []).append(goal)
    steps_by_goal: dict[int, list] = {}
    for step in steps:
        steps_by_goal.setdefault(step.goal_id, []).append(step)
    plans_made = []
    for person in persons:
        own = goals_by_person.get(person.pk, [])
        plans_made.append(
            mapping.care_plan(person, own, [step for goal in own for step in steps_by_goal.get(goal.pk, [])])
        )
    return plans_made


@fhir_api.get("/CarePlan", url_name="careplans", summary="Search care plans")
def careplan_search(request):
    _begin(request, "fhir:read")
    rows, person = _by_patient(request, people.people_visible_to(actor=request.actor), "CarePlan", "")
    items, following = _page(request, rows)
    return _searchset(request, _care_plans(request, items), following, "CarePlan", person)


@fhir_api.get("/CarePlan/{careplan_id}", url_name="careplan", summary="Read a care plan")
def careplan_read(request, careplan_id: str):
    _begin(request, "fhir:read")
    person = people.person_get(actor=request.actor, person_id=_pk(careplan_id), shown_on="fhir.CarePlan")
    return fhir_response(_care_plans(request, [person])[0])


atomic_writes(fhir_api.default_router)
