"""Our records as FHIR R4 resources (JSON-ready dicts). Pure: plain objects in (model instances are read by their
attributes only, never queried), dicts out, no Django. docs/api.md (FHIR R4) lists every mapping and code.

References inside a resource are relative (`Patient/12`); the views add absolute `fullUrl`s to Bundles. Canonical
URLs and our own code systems live under `SYSTEM_BASE`, a name that is never fetched (`.invalid` until the project
has a registered namespace).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connecting_people.measures.definitions import Instrument, Item

FHIR_VERSION = "4.0.1"
CONTENT_TYPE = "application/fhir+json"

SYSTEM_BASE = "https://connecting-people.invalid/fhir"
SCORE_SYSTEM = (
    f"{SYSTEM_BASE}/CodeSystem/instrument-score"  # "<instrument id>.<score>": ucla3.total, swemwbs.metric
)
ERROR_SYSTEM = (
    f"{SYSTEM_BASE}/CodeSystem/error"  # our stable error codes (the same codes as /api/v1 problems)
)
PERSON_ID_SYSTEM = f"{SYSTEM_BASE}/Id/person"
INSTRUMENT_ID_SYSTEM = f"{SYSTEM_BASE}/Id/instrument"
MODE_EXTENSION = f"{SYSTEM_BASE}/StructureDefinition/administration-mode"
MODE_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/administration-mode"
TIMEPOINT_EXTENSION = f"{SYSTEM_BASE}/StructureDefinition/timepoint-label"

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
UK_CORE_PATIENT = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"
NHS_NUMBER_STATUS_EXTENSION = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
)
NHS_NUMBER_STATUS_SYSTEM = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"

# LOINC codes for instrument scores, used only where we are sure of the published code, keyed by (instrument id,
# score). None of the shipped instruments is here: a deployment that adds PHQ-9 or GAD-7 under these ids gets
# the LOINC coding beside ours.
LOINC_SCORES: dict[tuple[str, str], tuple[str, str]] = {
    ("phq9", "total"): ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    ("gad7", "total"): ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
}

# Scores kept beside the total that are not numbers (state) or describe the scoring (value_set), and the GAS
# weights (kept with the scores, not a score).
TEXT_SCORES = ("state", "value_set")
NOT_SCORES = ("weights",)

MODES = ("with_person", "phone", "self_completed")

GAS_LEVELS = {
    -2: "much less than expected",
    -1: "somewhat less than expected",
    0: "as expected",
    1: "somewhat more than expected",
    2: "much more than expected",
}
GAS_INSTRUMENT = "gas"


# --------------------------------------------------------------------------------------------- ids and urls


def questionnaire_id(instrument_id: str, version: str) -> str:
    """A FHIR id for one version of an instrument: `ons-loneliness.1` (FHIR ids allow no underscore; our
    instrument ids have no hyphen or dot, so the id reads back unambiguously)."""
    return f"{instrument_id.replace('_', '-')}.{version}"


def instrument_key(fhir_id: str) -> tuple[str, str] | None:
    """(instrument id, version) from a Questionnaire id; None for anything that is not one of our ids."""
    name, dot, version = fhir_id.partition(".")
    if not dot or not name or not version:
        return None
    return name.replace("-", "_"), version


def questionnaire_url(instrument_id: str, version: str) -> str:
    return f"{SYSTEM_BASE}/Questionnaire/{questionnaire_id(instrument_id, version)}"


def answer_system(instrument_id: str) -> str:
    """The code system of one instrument's answer codes (the numbers we store: `1`, `2` ...)."""
    return f"{SYSTEM_BASE}/CodeSystem/answers-{instrument_id.replace('_', '-')}"


def _ref(kind: str, pk: Any) -> dict[str, str]:
    return {"reference": f"{kind}/{pk}"}


def _day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat()


def _instant(value: datetime | None) -> str | None:
    """An aware datetime as a FHIR instant (None for none or a naive one, which cannot be an instant)."""
    if value is None or value.tzinfo is None:
        return None
    return value.isoformat()


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else round(number, 6)


def _drop_empty(resource: dict[str, Any]) -> dict[str, Any]:
    """FHIR forbids empty strings, lists and objects: leave such elements out (one level deep)."""
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}


# --------------------------------------------------------------------------------------------- Patient


def patient(person: Any) -> dict[str, Any]:
    """A person supported as a UK Core Patient: NHS number (with its official system), our own id, names, date
    of birth, phone, email and address as held. Gender is not held, so it is left out."""
    identifiers = []
    if person.nhs_number:
        identifiers.append(
            {
                "extension": [
                    {
                        "url": NHS_NUMBER_STATUS_EXTENSION,
                        "valueCodeableConcept": {
                            "coding": [
                                {
                                    "system": NHS_NUMBER_STATUS_SYSTEM,
                                    "code": "02",
                                    "display": "Number present but not traced",
                                }
                            ]
                        },
                    }
                ],
                "system": NHS_NUMBER_SYSTEM,
                "value": person.nhs_number,
            }
        )
    identifiers.append({"system": PERSON_ID_SYSTEM, "value": str(person.pk)})
    names = [{"use": "official", "family": person.family_name, "given": [person.given_name]}]
    if person.preferred_name and person.preferred_name != person.given_name:
        names.append({"use": "usual", "family": person.family_name, "given": [person.preferred_name]})
    telecom = []
    if person.phone:
        telecom.append({"system": "phone", "value": person.phone})
    if person.email:
        telecom.append({"system": "email", "value": person.email})
    address = _drop_empty(
        {
            "use": "home",
            "line": [line.strip() for line in (person.address or "").splitlines() if line.strip()],
            "postalCode": person.postcode or None,
        }
    )
    trust = getattr(person, "trust", None)
    return _drop_empty(
        {
            "resourceType": "Patient",
            "id": str(person.pk),
            "meta": _drop_empty(
                {
                    "versionId": str(person.version),
                    "lastUpdated": _instant(getattr(person, "updated_at", None)),
                    "profile": [UK_CORE_PATIENT],
                }
            ),
            "identifier": identifiers,
            "active": person.status == "open",
            "name": names,
            "telecom": telecom,
            "birthDate": _day(person.date_of_birth),
            "address": [address] if len(address) > 1 else [],
            "managingOrganization": {
                "identifier": {"system": ODS_SYSTEM, "value": trust.ods_code},
                "display": trust.name,
            }
            if trust is not None and getattr(trust, "ods_code", "")
            else None,
        }
    )


# --------------------------------------------------------------------------------------------- Questionnaire


def _computable_name(instrument_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in instrument_id.split("_")) or "Instrument"


def _item_text(item: Item) -> str:
    return item.wording or item.label


def _answer_option(instrument_id: str, code: Any) -> dict[str, Any]:
    return {
        "valueCoding": {
            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": code.value}],
            "system": answer_system(instrument_id),
            "code": str(code.value),
            "display": code.wording or code.label,
        }
    }


def _questionnaire_item(
    instrument: Instrument, link_id: str, item: Item, *, repeated: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": link_id, "text": _item_text(item)}
    if repeated:
        out["text"] = f"{_item_text(item)} ({link_id})"
    if item.range is not None:
        kind = "integer" if item.range.whole_numbers else "decimal"
        value = "valueInteger" if kind == "integer" else "valueDecimal"
        convert = int if kind == "integer" else float
        out["type"] = kind
        out["extension"] = [
            {"url": MIN_VALUE, value: convert(item.range.minimum)},
            {"url": MAX_VALUE, value: convert(item.range.maximum)},
        ]
    else:
        out["type"] = "choice"
        out["answerOption"] = [_answer_option(instrument.id, code) for code in item.codes]
    out["required"] = False  # the missing-data rule, not the form, decides what an unanswered item means
    return out


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    """One version of an instrument. Item `text` is the instrument's own wording where it carries it (shipped
    because its licence allows, or supplied by this deployment's wording file); otherwise our short label, which
    is not the instrument's wording (`description` says which). linkIds are our item ids (for goal attainment
    scaling, the goal positions goal1 … goalN)."""
    repeated = instrument.repeat is not None
    items = [
        _questionnaire_item(instrument, link_id, instrument.answer_item(position), repeated=repeated)
        for position, link_id in enumerate(instrument.answer_ids())
    ]
    has_wording = any(item.wording for item in instrument.items)
    if has_wording and instrument.wording_source:
        words = f"Item text is the instrument's wording, supplied by this deployment ({instrument.wording_source})."
    elif has_wording:
        words = "Item text is the instrument's published wording, which its licence allows us to show."
    else:
        words = (
            "Item text is our own short label for each item, not the instrument's wording (its licence does not "
            "let us ship the wording)."
        )
    description = " ".join(
        part
        for part in (words, f"Recall period: {instrument.recall_period}." if instrument.recall_period else "")
        if part
    )
    if instrument.instructions:
        description += f" Instructions: {instrument.instructions}"
    return _drop_empty(
        {
            "resourceType": "Questionnaire",
            "id": questionnaire_id(instrument.id, instrument.version),
            "url": questionnaire_url(instrument.id, instrument.version),
            "identifier": [{"system": INSTRUMENT_ID_SYSTEM, "value": instrument.id}],
            "version": instrument.version,
            "name": _computable_name(instrument.id),
            "title": instrument.title,
            "status": "draft" if instrument.illustrative else "active",
            "subjectType": ["Patient"],
            "description": description,
            "copyright": " ".join(part for part in (instrument.licence, instrument.citation) if part),
            "code": [
                {
                    "system": SCORE_SYSTEM,
                    "code": f"{instrument.id}.{instrument.headline}",
                    "display": instrument.title,
                }
            ],
            "item": items,
        }
    )


# --------------------------------------------------------------------------------------------- responses


def _mode_extension(mode: str) -> dict[str, Any]:
    return {"url": MODE_EXTENSION, "valueCoding": {"system": MODE_SYSTEM, "code": mode}}


def questionnaire_response(administration: Any, instrument: Instrument | None) -> dict[str, Any]:
    """One administration as the answers given: an item per answered question (linkId = our item id), coded
    answers as Codings of the instrument's answer system, numbers as numbers. Unanswered items are left out."""
    answers = list(administration.answers or [])
    if instrument is not None:
        link_ids = list(instrument.answer_ids(len(answers)))
    else:  # a version no longer loaded: positions only
        link_ids = [f"item{position + 1}" for position in range(len(answers))]
    items = []
    for position, (link_id, value) in enumerate(zip(link_ids, answers, strict=True)):
        if value is None:
            continue
        item = instrument.answer_item(position) if instrument is not None else None
        entry: dict[str, Any] = {"linkId": link_id}
        if item is not None:
            entry["text"] = _item_text(item)
        if item is not None and item.range is None:
            label = item.code_label(value)
            wording = next((code.wording for code in item.codes if code.value == value), None)
            entry["answer"] = [
                {
                    "valueCoding": _drop_empty(
                        {
                            "system": answer_system(instrument.id),
                            "code": str(_number(value)),
                            "display": wording or label,
                        }
                    )
                }
            ]
        else:
            number = _number(value)
            entry["answer"] = [
                {"valueInteger": number} if isinstance(number, int) else {"valueDecimal": number}
            ]
        items.append(entry)
    extensions = [_mode_extension(administration.mode)]
    if administration.timepoint_label:
        extensions.append({"url": TIMEPOINT_EXTENSION, "valueString": administration.timepoint_label})
    return _drop_empty(
        {
            "resourceType": "QuestionnaireResponse",
            "id": str(administration.pk),
            "extension": extensions,
            "questionnaire": questionnaire_url(
                administration.instrument_id, administration.instrument_version
            )
            + f"|{administration.instrument_version}",
            "status": "completed",
            "subject": _ref("Patient", administration.person_id),
            "authored": _day(administration.administered_on),
            "item": items,
        }
    )


# --------------------------------------------------------------------------------------------- Observation


@dataclass(frozen=True)
class Score:
    """One score of an administration: its id ("total", a subscale, a derived score, "band") and value."""

    id: str
    label: str
    value: Any


def _score_code(instrument_id: str, score_id: str, display: str) -> dict[str, Any]:
    codings = []
    loinc = LOINC_SCORES.get((instrument_id, score_id))
    if loinc is not None:
        codings.append({"system": LOINC, "code": loinc[0], "display": loinc[1]})
    codings.append({"system": SCORE_SYSTEM, "code": f"{instrument_id}.{score_id}", "display": display})
    return {"coding": codings, "text": display}


def _labels(instrument: Instrument | None) -> dict[str, str]:
    if instrument is None:
        return {}
    labels = {"total": "total score", "band": "band"}
    labels.update({subscale.id: subscale.label for subscale in instrument.subscales})
    labels.update({derived.id: derived.label for derived in instrument.derived})
    labels.setdefault("value_set", "value set used for the index")
    return labels


def scores_of(administration: Any, instrument: Instrument | None) -> list[Score]:
    """Every score kept with the administration, total first, then subscales, derived scores and the band."""
    labels = _labels(instrument)
    found = [Score("total", labels.get("total", "total score"), administration.total)]
    for score_id, value in (administration.subscales or {}).items():
        found.append(Score(score_id, labels.get(score_id, score_id), value))
    for score_id, value in (administration.derived or {}).items():
        if score_id not in NOT_SCORES:
            found.append(Score(score_id, labels.get(score_id, score_id), value))
    if administration.band:
        found.append(Score("band", "band", administration.band))
    return found


def _value(score: Score, *, cost: bool = False) -> dict[str, Any]:
    """A score as an Observation value: a band as text, a state or value set as a string, a number as a
    Quantity (UCUM's `{score}`; a cost, from a costing instrument, in the unit-cost table's currency, which the
    record does not keep, so without a UCUM code)."""
    if score.id == "band":
        return {"valueCodeableConcept": {"text": str(score.value)}}
    if score.id in TEXT_SCORES or isinstance(score.value, str):
        return {"valueString": str(score.value)}
    if cost:
        return {"valueQuantity": {"value": _number(score.value), "unit": "cost"}}
    return {
        "valueQuantity": {"value": _number(score.value), "system": UCUM, "code": "{score}", "unit": "score"}
    }


def observation(administration: Any, instrument: Instrument | None) -> dict[str, Any]:
    """One administration's scores: the headline score (the one the pages chart: total, metric, index,
    T-score, or the band) as the value, every other score as a component; derived from the
    QuestionnaireResponse of the same id. A score the missing-data rule left out is a `dataAbsentReason`."""
    instrument_id = administration.instrument_id
    headline = instrument.headline if instrument is not None else "total"
    title = instrument.title if instrument is not None else instrument_id
    scores = scores_of(administration, instrument)
    cost = instrument is not None and instrument.scoring.type == "csri_cost"
    main = next((score for score in scores if score.id == headline), Score(headline, headline, None))
    label = _labels(instrument).get(headline, headline)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(administration.pk),
        "extension": [_mode_extension(administration.mode)],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": _score_code(instrument_id, headline, f"{title}: {label}"),
        "subject": _ref("Patient", administration.person_id),
        "effectiveDateTime": _day(administration.administered_on),
        "derivedFrom": [_ref("QuestionnaireResponse", administration.pk)],
    }
    if main.value is None:
        rule = administration.missing_rule or "not scored"
        resource["dataAbsentReason"] = {
            "coding": [{"system": DATA_ABSENT, "code": "unknown", "display": "Unknown"}],
            "text": f"Not scored: {rule}",
        }
    else:
        resource.update(_value(main, cost=cost))
    if administration.band and headline != "band":
        resource["interpretation"] = [{"text": administration.band}]
    components = []
    for score in scores:
        if score.id == headline or score.value is None or (score.id == "band" and headline != "band"):
            continue
        components.append(
            {
                "code": _score_code(instrument_id, score.id, f"{title}: {score.label}"),
                **_value(score, cost=cost),
            }
        )
    if components:
        resource["component"] = components
    if administration.missing_items:
        resource["note"] = [
            {"text": "Items not answered: " + ", ".join(map(str, administration.missing_items))}
        ]
    return resource


# --------------------------------------------------------------------------------------------- Goal and CarePlan

GOAL_STATUS = {
    "active": ("active", "in-progress"),
    "achieved": ("completed", "achieved"),
    "stopped": ("cancelled", None),
}
GOAL_LEVEL_FIELDS = {
    -2: "level_minus_2",
    -1: "level_minus_1",
    0: "level_0",
    1: "level_plus_1",
    2: "level_plus_2",
}


def goal(goal_row: Any) -> dict[str, Any]:
    """A goal in the person's words with its goal attainment scale: one `target` per level written, from -2 to
    +2, each with the level as a Coding of the GAS answer system and the person's description as its text. The
    target coded `0` is the expected outcome, the goal's target proper."""
    lifecycle, achievement = GOAL_STATUS.get(goal_row.status, ("active", None))
    targets = []
    for level, field in GOAL_LEVEL_FIELDS.items():
        text = getattr(goal_row, field, "")
        if not text:
            continue
        targets.append(
            {
                "measure": _score_code(GAS_INSTRUMENT, "goal", "Goal attainment scaling: level"),
                "detailCodeableConcept": {
                    "coding": [
                        {
                            "system": answer_system(GAS_INSTRUMENT),
                            "code": str(level),
                            "display": GAS_LEVELS[level],
                        }
                    ],
                    "text": text,
                },
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "id": str(goal_row.pk),
        "meta": {"versionId": str(goal_row.version)},
        "lifecycleStatus": lifecycle,
        "description": {"text": goal_row.text},
        "subject": _ref("Patient", goal_row.person_id),
        "startDate": _day(goal_row.set_on),
        "expressedBy": _ref("Patient", goal_row.person_id),
        "target": targets,
    }
    if achievement is not None:
        resource["achievementStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                    "code": achievement,
                    "display": "Achieved" if achievement == "achieved" else "In Progress",
                }
            ]
        }
    return _drop_empty(resource)


def _activity(step: Any, person_id: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "kind": "Task",
        "status": "completed" if step.done_on else "not-started",
        "description": step.what,
        "scheduledPeriod": {"end": _day(step.due_on)},
        "goal": [_ref("Goal", step.goal_id)],
    }
    if step.owner == "person":
        detail["performer"] = [_ref("Patient", person_id)]
    else:
        detail["performer"] = [{"display": "The worker" if step.owner == "worker" else "Someone else"}]
    activity: dict[str, Any] = {"detail": detail}
    if step.done_on:
        activity["progress"] = [{"time": _day(step.done_on), "text": f"Done on {_day(step.done_on)}"}]
    return activity


def care_plan(person: Any, goals: Sequence[Any], steps: Iterable[Any]) -> dict[str, Any]:
    """The person's plan: its goals (references) and their `steps` as activities, in the order given. One plan
    per person, so the CarePlan's id is the person's id. A plan with no goal yet is a draft; a closed case's plan
    is completed."""
    if person.status != "open":
        status = "completed"
    else:
        status = "active" if goals else "draft"
    activities = [_activity(step, person.pk) for step in steps]
    starts = [goal_row.set_on for goal_row in goals]
    return _drop_empty(
        {
            "resourceType": "CarePlan",
            "id": str(person.pk),
            "status": status,
            "intent": "plan",
            "title": "Connecting People plan",
            "subject": _ref("Patient", person.pk),
            "period": {"start": _day(min(starts))} if starts else None,
            "goal": [_ref("Goal", goal_row.pk) for goal_row in goals],
            "activity": activities,
        }
    )


# --------------------------------------------------------------------------------------------- Bundle, errors


def searchset(
    entries: Iterable[Mapping[str, Any]], *, base: str, self_url: str, next_url: str | None = None
) -> dict[str, Any]:
    """A searchset Bundle of `entries` (resources), each with its absolute `fullUrl` under `base`
    (`https://host/fhir/R4/`), a self link and, when there are more, a next link."""
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    rows = [
        {
            "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
            "resource": dict(resource),
            "search": {"mode": "match"},
        }
        for resource in entries
    ]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if rows:
        bundle["entry"] = rows
    return bundle


# Our HTTP statuses as OperationOutcome issue types (http://hl7.org/fhir/issue-type).
ISSUE_TYPES = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    412: "conflict",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    500: "exception",
}


def operation_outcome(
    status: int, code: str, message: str, *, expression: Sequence[str] = (), issue_type: str | None = None
) -> dict[str, Any]:
    """An error as an OperationOutcome: one issue, its type from the status, our stable `code` in `details`
    (the same codes as /api/v1's problem documents), `message` in `diagnostics` and `details.text`, and the
    element it concerns in `expression` (for an answer: `QuestionnaireResponse.item.where(linkId='x')`)."""
    issue: dict[str, Any] = {
        "severity": "error" if status < 500 else "fatal",
        "code": issue_type or ISSUE_TYPES.get(status, "processing"),
        "details": {"coding": [{"system": ERROR_SYSTEM, "code": code}], "text": message},
        "diagnostics": message,
    }
    if expression:
        issue["expression"] = list(expression)
    return {"resourceType": "OperationOutcome", "issue": [issue]}


# --------------------------------------------------------------------------------------------- CapabilityStatement

SEARCH_BY_PATIENT = [
    {"name": "patient", "type": "reference", "documentation": "Patient/<id> or the id alone"},
    {"name": "subject", "type": "reference", "documentation": "Patient/<id> (the same as patient)"},
    {"name": "_count", "type": "number", "documentation": "page size, 1 to 200 (default 50)"},
]


def capability_statement(*, software_version: str, published: date, base_url: str) -> dict[str, Any]:
    """What this server does: JSON only; read and search by patient; create for QuestionnaireResponse."""

    def reading(kind: str, params: list[dict[str, Any]], documentation: str, *, profile: str | None = None):
        entry: dict[str, Any] = {
            "type": kind,
            "documentation": documentation,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": params,
        }
        if profile:
            entry["supportedProfile"] = [profile]
        return entry

    patient_params = [
        {"name": "identifier", "type": "token", "documentation": f"{NHS_NUMBER_SYSTEM}|<NHS number>"},
        {"name": "_count", "type": "number", "documentation": "page size, 1 to 200 (default 50)"},
    ]
    responses = reading(
        "QuestionnaireResponse",
        SEARCH_BY_PATIENT,
        "One per recorded outcome measure. Create: answers to one of our Questionnaires (the latest version), "
        "scored by our engine and recorded for the patient referenced.",
    )
    responses["interaction"].append({"code": "create"})
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published.isoformat(),
        "publisher": "Connecting People",
        "description": "FHIR R4 (JSON) access to the records of people supported, their outcome measures and "
        "plans. Every request but this one carries a bearer token with the scope fhir:read (fhir:write to "
        "create); a token reaches only what its owner reaches on the pages.",
        "kind": "instance",
        "software": {"name": "Connecting People", "version": software_version},
        "implementation": {"description": "Connecting People FHIR R4 server", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": [CONTENT_TYPE, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Errors are OperationOutcome resources (application/fhir+json). Searches page "
                "with Bundle.link 'next'.",
                "security": {
                    "cors": False,
                    "description": "Authorization: Bearer <token> (a personal access token or a service "
                    "account's token); scopes fhir:read and fhir:write.",
                },
                "resource": [
                    reading(
                        "Patient",
                        patient_params,
                        "People supported, as UK Core Patients.",
                        profile=UK_CORE_PATIENT,
                    ),
                    reading(
                        "Questionnaire",
                        [
                            {
                                "name": "url",
                                "type": "uri",
                                "documentation": "the canonical URL (optionally |version)",
                            }
                        ],
                        "One per instrument version. Public information, but read with a token like the rest.",
                    ),
                    responses,
                    reading("Observation", SEARCH_BY_PATIENT, "The scores of each recorded outcome measure."),
                    reading("Goal", SEARCH_BY_PATIENT, "Goals with their goal attainment scales."),
                    reading(
                        "CarePlan", SEARCH_BY_PATIENT, "One plan per person: goals, and steps as activities."
                    ),
                ],
            }
        ],
    }
