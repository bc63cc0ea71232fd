"""Reading entries and ties back from our own formats (JSON and GraphML), strictly.

Our own files carry our own values, so a value that is not one of ours means the file is damaged or from a
newer version: it rejects the file (unlike a Network Canvas import, which reports it and carries on).
"""

import uuid
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import TypeVar

from ..domain import Category, Entry, Frequency, Kind, Ring, Support, Tie, Wish
from .result import Findings, new_key
from .vocabulary import minimal_label

E = TypeVar("E", bound=StrEnum)


def _member(
    findings: Findings, file: str, line: int | None, name: str, enum: type[E], value: object
) -> E | None:
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in enum)
    findings.reject(file, line, f"{name} {value!r} is not one of: {allowed}")
    return None


class OwnFormatReader:
    """Builds entries and ties from raw values, rejecting what our exports never write."""

    def __init__(self, findings: Findings, file: str, key_namespace: uuid.UUID | None) -> None:
        self.findings = findings
        self.file = file
        self.key_namespace = key_namespace
        self.entries: list[Entry] = []
        self._keys: dict[str, str] = {}  # source key → new key
        self._pairs: set[frozenset[str]] = set()
        self.ties: list[Tie] = []

    def entry(
        self,
        line: int | None,
        *,
        key: object,
        label: object,
        kind: object,
        category: object,
        ring: object,
        supports: Iterable[object],
        frequency: object,
        wish: object,
    ) -> None:
        findings, file = self.findings, self.file
        problems_before = len(findings.problems)
        if not isinstance(key, str) or not key.strip():
            findings.reject(file, line, "entry has no key")
        elif key in self._keys:
            findings.reject(file, line, f"key {key!r} is used by two entries")
        else:
            # Known even if the entry turns out bad, so its ties do not add problems of their own.
            self._keys[key] = new_key(key, self.key_namespace)
        if not isinstance(label, str):
            findings.reject(file, line, "entry has no label")
        the_kind = _member(findings, file, line, "kind", Kind, kind)
        the_category = _member(findings, file, line, "category", Category, category)
        the_ring = _member(findings, file, line, "ring", Ring, ring)
        the_supports = [_member(findings, file, line, "support", Support, value) for value in supports]
        if len(set(the_supports)) != len(the_supports):
            findings.reject(file, line, "a support is listed twice")
        the_frequency = (
            None if frequency is None else _member(findings, file, line, "frequency", Frequency, frequency)
        )
        the_wish = None if wish is None else _member(findings, file, line, "wish", Wish, wish)
        if len(findings.problems) > problems_before:
            return
        assert isinstance(key, str) and isinstance(label, str)
        assert the_kind is not None and the_category is not None and the_ring is not None
        tidy, changes = minimal_label(label, kind=the_kind)
        if not tidy:
            findings.reject(file, line, "label is empty")
            return
        if changes:
            # Says what changed, never what the label was: the report may be printed or kept.
            findings.warnings.append(f"{file}:{line}: label tidied ({', '.join(changes)})")
        self.entries.append(
            Entry(
                key=self._keys[key],
                label=tidy,
                kind=the_kind,
                category=the_category,
                ring=the_ring,
                supports=frozenset(s for s in the_supports if s is not None),
                frequency=the_frequency,
                wish=the_wish,
            )
        )

    def tie(self, line: int | None, a: object, b: object) -> None:
        findings, file = self.findings, self.file
        for end in (a, b):
            if not isinstance(end, str) or end not in self._keys:
                findings.reject(file, line, f"tie names an entry that is not in the file: {end!r}")
                return
        assert isinstance(a, str) and isinstance(b, str)
        if a == b:
            findings.reject(file, line, f"tie from entry {a!r} to itself")
            return
        pair = frozenset((a, b))
        if pair in self._pairs:
            findings.reject(file, line, f"tie {a!r}–{b!r} is listed twice")
            return
        self._pairs.add(pair)
        self.ties.append(Tie(a=self._keys[a], b=self._keys[b]))


def read_date(findings: Findings, file: str, line: int | None, name: str, value: object) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    findings.reject(file, line, f"{name} {value!r} is not a date (YYYY-MM-DD)")
    return None


def read_optional_text(
    findings: Findings, file: str, line: int | None, name: str, value: object
) -> str | None:
    if value is None or isinstance(value, str):
        return value
    findings.reject(file, line, f"{name} must be text")
    return None
