"""Errors raised by the pure measures engine. Each says, in words a caller can show, what was wrong and where."""

from __future__ import annotations

from pathlib import Path


class MeasuresError(ValueError):
    """Base class: something about a definition, an answer or a scoring option was not acceptable."""


class DefinitionError(MeasuresError):
    """A definition file (or a table it names) is broken. The message names the file and the field.

    `str(error)` reads like ``swemwbs.yaml: items[3].codes: codes must be whole numbers``.
    """

    def __init__(self, path: str | Path, field: str, problem: str) -> None:
        self.path = Path(path)
        self.field = field
        self.problem = problem
        where = f"{self.path.name}: {field}" if field else self.path.name
        super().__init__(f"{where}: {problem}")


class AnswerError(MeasuresError):
    """An answer is not one the instrument allows, or the number of answers is wrong.

    `item_id` names the item (``"answers"`` when the count is wrong), `value` is the value as given,
    `allowed` describes what would have been accepted, and `row` (batch scoring only) is the 0-based row.
    """

    def __init__(self, item_id: str, value: object, allowed: str, *, row: int | None = None) -> None:
        self.item_id = item_id
        self.value = value
        self.allowed = allowed
        self.row = row
        where = f"row {row}, " if row is not None else ""
        if item_id == "answers":
            message = f"{where}answers: {value} given; expected {allowed}"
        else:
            message = f"{where}item {item_id}: {_show(value)} is not an allowed answer (allowed: {allowed})"
        super().__init__(message)


class ScoringOptionError(MeasuresError):
    """A scoring option is unknown or has a value the instrument cannot use (value set, weights, unit costs)."""


class UnknownInstrumentError(MeasuresError, LookupError):
    """No loaded definition has this id (and version)."""


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return repr(value)
    return str(value)
