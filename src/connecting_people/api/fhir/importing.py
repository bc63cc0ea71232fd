"""Reading a QuestionnaireResponse sent to us (POST /fhir/R4/QuestionnaireResponse) into what the measures service
records: which of our instruments, for which patient, on which day, how, and the answers by our item ids. Pure: a
dict in, plain values out; every refusal is an `ImportProblem` naming the element (a FHIRPath in `expression`).

The structure (datatypes, cardinalities) is checked before this by the FHIR models; the codes are checked after
it by the measures engine, as for any recording."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from connecting_people.api.fhir import mapping
from connecting_people.measures.definitions import Instrument

ACCEPTED_STATUSES = ("completed", "amended")
VALUE_KEYS = ("valueCoding", "valueInteger", "valueDecimal")


class ImportProblem(Exception):
    def __init__(self, code: str, message: str, *, expression: Sequence[str] = (), status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.expression = tuple(expression)
        self.status = status


@dataclass(frozen=True)
class Received:
    instrument_id: str
    version: str
    patient_id: str  # as given; the view looks it up in the sender's reach
    authored: date | datetime  # a datetime is aware; the view takes its local day
    mode: str
    answers: Mapping[str, list[Mapping[str, Any]]] = field(default_factory=dict)  # linkId -> its answers


def item_path(link_id: str) -> str:
    return f"QuestionnaireResponse.item.where(linkId='{link_id}')"


def _local_part(reference: str, kind: str, bases: Iterable[str]) -> str | None:
    """The id in `reference` when it names a `kind` of ours: `Patient/12`, or one under one of our `bases`."""
    for prefix in (f"{kind}/", *(f"{base}{kind}/" for base in bases)):
        if reference.startswith(prefix):
            rest = reference[len(prefix) :]
            return rest if rest and "/" not in rest else None
    return None


def _questionnaire(canonical: Any, bases: Sequence[str]) -> tuple[str, str]:
    if not isinstance(canonical, str) or not canonical:
        raise ImportProblem(
            "questionnaire_missing",
            "Name the Questionnaire answered in `questionnaire` (its canonical URL; GET /fhir/R4/Questionnaire "
            "lists ours).",
            expression=["QuestionnaireResponse.questionnaire"],
        )
    url, _, version = canonical.partition("|")
    fhir_id = _local_part(url, "Questionnaire", (f"{mapping.SYSTEM_BASE}/", *bases))
    key = mapping.instrument_key(fhir_id) if fhir_id else None
    if key is None:
        raise ImportProblem(
            "questionnaire_unknown",
            f"We score answers only to our own Questionnaires (GET /fhir/R4/Questionnaire lists them); "
            f"{canonical} is not one of them.",
            expression=["QuestionnaireResponse.questionnaire"],
        )
    if version and version != key[1]:
        raise ImportProblem(
            "questionnaire_version_mismatch",
            f"{url} is version {key[1]}, not {version}.",
            expression=["QuestionnaireResponse.questionnaire"],
        )
    return key


def _patient(subject: Any, bases: Sequence[str]) -> str:
    reference = subject.get("reference") if isinstance(subject, Mapping) else None
    found = _local_part(reference, "Patient", bases) if isinstance(reference, str) else None
    if found is None:
        raise ImportProblem(
            "subject_required",
            'Send `subject` as a reference to one of our patients: {"reference": "Patient/<id>"}.',
            expression=["QuestionnaireResponse.subject"],
        )
    return found


def _authored(value: Any) -> date | datetime:
    problem = ImportProblem(
        "authored_required",
        "Send `authored`, the day (or date and time, with its time zone) the answers were given.",
        expression=["QuestionnaireResponse.authored"],
    )
    if not isinstance(value, str) or len(value) < 10:  # a year or a month alone does not say the day
        raise problem
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise problem from None
    if moment.tzinfo is None:
        raise problem
    return moment


def _refers_to_patient(reference: Any) -> bool:
    return isinstance(reference, Mapping) and str(reference.get("reference", "")).split("/")[-2:-1] == [
        "Patient"
    ]


def _mode(body: Mapping[str, Any]) -> str:
    """How it was given: our extension when sent; else self-completed when the patient wrote or was the source
    of the answers; else together with the person."""
    for extension in body.get("extension") or []:
        if isinstance(extension, Mapping) and extension.get("url") == mapping.MODE_EXTENSION:
            code = (extension.get("valueCoding") or {}).get("code")
            if code in mapping.MODES:
                return code
            raise ImportProblem(
                "mode_unknown",
                f"The administration mode is one of {', '.join(mapping.MODES)}.",
                expression=["QuestionnaireResponse.extension"],
            )
    if _refers_to_patient(body.get("author")) or _refers_to_patient(body.get("source")):
        return "self_completed"
    return "with_person"


def _collect(items: Any, found: dict[str, list[Mapping[str, Any]]]) -> None:
    for item in items or []:
        link_id = item.get("linkId")
        answers = item.get("answer") or []
        if answers:
            if link_id in found:
                raise ImportProblem(
                    "item_repeated", f"Item {link_id} is answered twice.", expression=[item_path(link_id)]
                )
            found[link_id] = list(answers)
        _collect(item.get("item"), found)
        for answer in answers:
            _collect(answer.get("item"), found)


def received(body: Any, *, bases: Sequence[str] = ()) -> Received:
    """What a QuestionnaireResponse asks us to record. `bases` are the absolute URLs our references may start
    with (`https://host/fhir/R4/`). Raises ImportProblem."""
    if not isinstance(body, Mapping) or body.get("resourceType") != "QuestionnaireResponse":
        raise ImportProblem(
            "resource_type", "Send one QuestionnaireResponse resource.", expression=["resourceType"]
        )
    instrument_id, version = _questionnaire(body.get("questionnaire"), bases)
    if body.get("status") not in ACCEPTED_STATUSES:
        raise ImportProblem(
            "response_not_completed",
            'Only completed answers are recorded: send `status` "completed".',
            expression=["QuestionnaireResponse.status"],
        )
    patient_id = _patient(body.get("subject"), bases)
    authored = _authored(body.get("authored"))
    answers: dict[str, list[Mapping[str, Any]]] = {}
    _collect(body.get("item"), answers)
    return Received(instrument_id, version, patient_id, authored, _mode(body), answers)


def _number(link_id: str, answer: Mapping[str, Any], system: str) -> float:
    given = [key for key in answer if key.startswith("value")]
    if len(given) != 1 or given[0] not in VALUE_KEYS:
        raise ImportProblem(
            "answer_type",
            f"Answer item {link_id} with valueCoding (a code of the Questionnaire's answerOption), valueInteger "
            "or valueDecimal.",
            expression=[item_path(link_id)],
        )
    value = answer[given[0]]
    if given[0] == "valueCoding":
        if value.get("system") not in (None, system):
            raise ImportProblem(
                "answer_system",
                f"The code for item {link_id} is from {value.get('system')}; ours are from {system}.",
                expression=[item_path(link_id)],
            )
        try:
            number = float(value.get("code"))
        except (TypeError, ValueError):
            number = math.nan
        if math.isnan(number) or math.isinf(number):
            raise ImportProblem(
                "answer_not_allowed",
                f"{value.get('code')!r} is not an answer code of item {link_id}.",
                expression=[item_path(link_id)],
            )
        return number
    return float(value)


def answers_in_order(
    instrument: Instrument, answers: Mapping[str, list[Mapping[str, Any]]]
) -> list[float | None]:
    """The answers in the definition's item order (None for an item not answered). Raises ImportProblem for an
    item we do not have and for more than one answer to an item."""
    known = instrument.item_ids
    unknown = [link_id for link_id in answers if link_id not in known]
    if unknown:
        raise ImportProblem(
            "item_unknown",
            f"{instrument.title} has no item {unknown[0]!r}: its linkIds are {', '.join(known)}.",
            expression=[item_path(str(unknown[0]))],
        )
    system = mapping.answer_system(instrument.id)
    ordered: list[float | None] = []
    for link_id in known:
        given = answers.get(link_id) or []
        if len(given) > 1:
            raise ImportProblem(
                "answers_too_many", f"Item {link_id} takes one answer.", expression=[item_path(link_id)]
            )
        ordered.append(_number(link_id, given[0], system) if given else None)
    return ordered
