"""A mapping file: how another tool's attributes (GraphML) or variables (Network Canvas) become our fields.

The importers guess from common names (`vocabulary.FIELD_NAMES`); a mapping file says what they cannot guess.
JSON or YAML, at most MAPPING_MAX_BYTES, with two optional parts::

    fields:                     # their attribute or column name → one of ours
      Beziehung: category       #   label, kind, category, ring, support, frequency, wish
      Vorname: label
      ist_familie: category=family   # a yes/no attribute: when true, the entry is family
      sehr_nah: ring=close
      Notizen: ignore           # known, and left out on purpose (still listed as not mapped)
    values:                     # for one of our fields: their value → our code
      category: {Familie: family, Freund: friend}
      frequency: {Less_than_weekly: less_often}

Names and values are compared normalised (case, spaces and punctuation do not matter, as everywhere in
`vocabulary`). What the file says comes before any guess. Every problem in the file is reported at once, as
``"file: problem"``, and nothing is imported.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .result import ImportRejected, ImportTooLarge
from .vocabulary import VOCABULARIES, normalised

MAPPING_MAX_BYTES = 64_000
MAPPING_MAX_DEPTH = 8
IGNORE = "ignore"
_FIELDS = ("label", *VOCABULARIES)


@dataclass(frozen=True)
class AttributeMapping:
    """A read mapping file. fields: normalised name → field (or IGNORE); flags: normalised name → (field,
    member) for a yes/no attribute; values: field → {normalised their value → our member}."""

    source: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    flags: dict[str, tuple[str, StrEnum]] = field(default_factory=dict)
    values: dict[str, dict[str, StrEnum]] = field(default_factory=dict)

    def read(self, target: str, value: str) -> StrEnum | None:
        """Our member for `value` of field `target`: the file's own word first, then our vocabulary."""
        own = self.values.get(target, {}).get(normalised(value))
        return own if own is not None else VOCABULARIES[target].read(value)


NO_MAPPING = AttributeMapping()


def _parse(name: str, content: str | bytes) -> Any:
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    if len(data) > MAPPING_MAX_BYTES:
        raise ImportTooLarge(f"{name}: a mapping file is at most {MAPPING_MAX_BYTES:,} bytes")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ImportRejected([f"{name}: not UTF-8 text"]) from None
    import yaml  # JSON is YAML too; imported here so the module stays cheap to load

    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAPPING_MAX_DEPTH:
                    raise ImportRejected([f"{name}: nested more than {MAPPING_MAX_DEPTH} deep"])
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ImportRejected([f"{name}{where}: not valid JSON or YAML"]) from None


def read_attribute_mapping(name: str, content: str | bytes) -> AttributeMapping:
    """The mapping file's rules (module docstring). ImportRejected listing every problem in it."""
    document = _parse(name, content)
    problems: list[str] = []
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ImportRejected([f"{name}: expected a mapping with 'fields' and/or 'values'"])
    for extra in sorted(set(map(str, document)) - {"fields", "values"}):
        problems.append(f"{name}: {extra!r} is not understood (expected 'fields' and/or 'values')")
    fields: dict[str, str] = {}
    flags: dict[str, tuple[str, StrEnum]] = {}
    given_fields = document.get("fields") or {}
    if not isinstance(given_fields, dict):
        problems.append(f"{name}: 'fields' must map attribute names to our fields")
        given_fields = {}
    for attribute, target in given_fields.items():
        target_text = str(target).strip()
        wanted, _, value = target_text.partition("=")
        wanted = wanted.strip().lower()
        if wanted not in (*_FIELDS, IGNORE):
            problems.append(
                f"{name}: fields: {attribute}: {target_text!r} is not one of"
                f" {', '.join((*_FIELDS, IGNORE))} (or field=value for a yes/no attribute)"
            )
        elif value:
            member = VOCABULARIES[wanted].read(value) if wanted in VOCABULARIES else None
            if member is None:
                problems.append(f"{name}: fields: {attribute}: {value.strip()!r} is not a {wanted} we record")
            else:
                flags[normalised(str(attribute))] = (wanted, member)
        else:
            fields[normalised(str(attribute))] = wanted
    values: dict[str, dict[str, StrEnum]] = {}
    given_values = document.get("values") or {}
    if not isinstance(given_values, dict):
        problems.append(f"{name}: 'values' must map our fields to {{their value: our code}}")
        given_values = {}
    for target, table in given_values.items():
        wanted = str(target).strip().lower()
        if wanted not in VOCABULARIES:
            problems.append(f"{name}: values: {target!r} is not one of {', '.join(VOCABULARIES)}")
            continue
        if not isinstance(table, dict):
            problems.append(f"{name}: values: {target}: expected {{their value: our code}}")
            continue
        for theirs, ours in table.items():
            member = VOCABULARIES[wanted].read(str(ours))
            if member is None:
                problems.append(f"{name}: values: {target}: {ours!r} is not a {wanted} we record")
            else:
                values.setdefault(wanted, {})[normalised(str(theirs))] = member
    if problems:
        raise ImportRejected(problems)
    return AttributeMapping(source=name, fields=fields, flags=flags, values=values)
