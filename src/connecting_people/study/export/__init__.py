"""Pseudonymised study export: pure functions and writers, no Django.

The Django side (which study, which rows, who asks and why, the audit event, the CLI
``connecting-people study export STUDY_ID --out DIR``) reads rows with its selectors and passes them here as
plain iterables of mappings, typically generators over database cursors. Everything but the roster of
participants is streamed, so memory stays flat whatever the number of rows.

Parts (each module's docstring has the details):

* `keys`: the study key, kept outside the database (`load_study_key`).
* `identifiers`: study IDs and other pseudonyms (`Pseudonyms`), unique within an export.
* `dates`: days from baseline or per-participant shifted dates; age instead of date of birth.
* `schema`: the allow-listed field types (no free text); `participants`, `measures`: the allow-lists.
* `writers`: long and wide CSV and Parquet, one record at a time.
* `maps`: connections maps as Network Canvas CSV with alter numbers instead of names.
* `dictionary`: the data dictionary from the schemas and instrument definitions.
* `scanner`: the identifier scanner, the final check on every export.
* `bundle`: `write_export`, which writes all of it into a new directory, or nothing.
"""

from .bundle import FORMATS, ExportReport, ExportSettings, write_export
from .dates import AgeForm, DateMode, DatePolicy
from .errors import ExportError, StudyIdCollision, StudyKeyError
from .identifiers import Pseudonyms
from .keys import KEY_VARIABLE, StudyKey, load_study_key
from .participants import WithdrawalChoice
from .scanner import Finding, IdentifierScanner
from .schema import Field, FieldType

__all__ = [
    "FORMATS",
    "KEY_VARIABLE",
    "AgeForm",
    "DateMode",
    "DatePolicy",
    "ExportError",
    "ExportReport",
    "ExportSettings",
    "Field",
    "FieldType",
    "Finding",
    "IdentifierScanner",
    "Pseudonyms",
    "StudyIdCollision",
    "StudyKey",
    "StudyKeyError",
    "WithdrawalChoice",
    "load_study_key",
    "write_export",
]
