"""The allow-lists: which columns each export file has, and which kinds of value a column may hold.

Nothing reaches a file unless a column here (or, for measures and fidelity, a variable of the instrument
definition) names it. Rows come in as mappings, typically straight from a database cursor; the export reads
only the keys it knows and reports the names (never the values) of the keys it ignored.

There is no free-text type. A column holds a study ID, a *code* (one short token: letters, digits and
``_ . : + -``, no spaces, at most 40 characters), a whole number, a number, true/false, a converted date or
an age. A value that does not fit its type stops the export: text that looks like a note cannot be smuggled
through a code column.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import ExportError

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+\-]{0,39}")


class FieldType(StrEnum):
    STUDY_ID = "study_id"
    CODE = "code"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DAY = "day"  # days from the participant's baseline, whole number
    SHIFTED_DATE = "shifted_date"  # ISO date moved by the participant's shift
    AGE = "age"


@dataclass(frozen=True)
class Field:
    """One allow-listed column: its name, type, what it means, and (for codes) the codes allowed."""

    name: str
    type: FieldType
    label: str
    codes: tuple[str, ...] = ()
    unit: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ExportError(f"field name {self.name!r}: use lower-case letters, digits and _")

    def value(self, raw: object, where: str) -> str | int | float | bool | None:
        """`raw` checked against this field's type (None for missing). ExportError naming `where` otherwise."""
        if raw is None or raw == "":
            return None
        if self.type is FieldType.CODE:
            text = code(raw, where)
            if self.codes and text not in self.codes:
                raise ExportError(f"{where}: not one of the allowed codes ({', '.join(self.codes)})")
            return text
        if self.type is FieldType.BOOLEAN:
            if isinstance(raw, bool):
                return raw
            raise ExportError(f"{where}: must be true or false")
        if self.type is FieldType.INTEGER:
            if isinstance(raw, int) and not isinstance(raw, bool):
                return raw
            raise ExportError(f"{where}: must be a whole number")
        if self.type is FieldType.NUMBER:
            return number(raw, where)
        raise ExportError(f"{where}: fields of type {self.type} are filled in by the export itself")


def code(raw: object, where: str) -> str:
    """`raw` as a code (a short token with no spaces); ExportError naming `where` otherwise."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ExportError(f"{where}: a code must be text or a whole number")
    text = str(raw)
    if not CODE_PATTERN.fullmatch(text):
        raise ExportError(
            f"{where}: not a code (one word of at most 40 letters, digits and _ . : + -, no spaces)"
        )
    return text


def number(raw: object, where: str) -> int | float | None:
    """`raw` as a number: int stays int, float stays float (NaN means missing), numeric text is read."""
    kind = type(raw)
    if kind is int:
        return raw  # type: ignore[return-value]
    if kind is float:
        return None if math.isnan(raw) else raw  # type: ignore[arg-type,return-value]
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ExportError(f"{where}: must be a number, not true or false")
    if isinstance(raw, numbers.Integral):  # numpy integers and other whole-number types
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            value = float(text)
        except ValueError:
            raise ExportError(f"{where}: must be a number") from None
        return None if math.isnan(value) else value
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ExportError(f"{where}: must be a number") from None
    return None if math.isnan(value) else value
