"""The participants of an export: who is in, under which study ID, with which tags, and who is left out.

Input: one mapping per enrolled participant (a database row), with these keys; any other key is ignored
(and its name reported), so names, NHS numbers, addresses and notes in the row never leave:

    person_id          internal id (never written; the study ID is derived from it)
    site, team, arm    codes (for example ``site03``, ``T07``, ``intervention``)
    baseline_on        the participant's baseline date (days count from here)
    date_of_birth      date or None (only age at baseline leaves)
    consent_version    code of the consent form signed; None or empty = no recorded consent
    withdrawn_on       date of withdrawal, or None
    withdrawal_choice  ``remove-data`` or ``keep-collected`` when withdrawn
    processing_restricted
                       true when the participant's processing is restricted (UK GDPR Article 18): nothing else
                       of them need be given
    + the names of any extra allow-listed fields (`Field`) the caller adds, such as a gender code

Rules:
* Processing restricted: left out entirely, from every file, as if never enrolled (counted).
* No recorded consent: left out entirely.
* Withdrew choosing ``remove-data``: left out entirely, from every file, as if never enrolled.
* Withdrew choosing ``keep-collected``: kept, with data dated on or before the withdrawal date only; anything
  dated later is dropped (and counted).

Holds one small entry per participant (not per row of data), so it can be asked about each data row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .dates import AgeForm, DatePolicy, ParticipantDates, as_date, written_age
from .errors import ExportError
from .identifiers import Pseudonyms
from .schema import Field, FieldType, code

PARTICIPANT_KEYS = frozenset(
    {
        "person_id",
        "site",
        "team",
        "arm",
        "baseline_on",
        "date_of_birth",
        "consent_version",
        "withdrawn_on",
        "withdrawal_choice",
        "processing_restricted",
    }
)
SUBJECT_COLUMNS = ("study_id", "site", "team", "arm")  # the first columns of every participant file


class WithdrawalChoice(StrEnum):
    REMOVE_DATA = "remove-data"
    KEEP_COLLECTED = "keep-collected"


class LeftOut(StrEnum):
    """Why a participant, or a row of their data, is not in the export (counted in the report)."""

    PROCESSING_RESTRICTED = "processing-restricted"
    NO_CONSENT = "no-consent"
    REMOVED_ON_REQUEST = "removed-on-request"
    AFTER_WITHDRAWAL = "after-withdrawal"


@dataclass(frozen=True, slots=True)
class ExportedParticipant:
    study_id: str
    subject: tuple[str, str, str, str]  # study_id, site, team, arm
    dates: ParticipantDates
    last_date: date | None  # the withdrawal date for keep-collected withdrawals: nothing later leaves


def participant_fields(dates: DatePolicy, age: AgeForm, extra: Sequence[Field] = ()) -> tuple[Field, ...]:
    """The columns of participants.csv, in order, for these settings."""
    day = FieldType.SHIFTED_DATE if dates.shifted else FieldType.DAY
    fields = [
        Field(
            "study_id", FieldType.STUDY_ID, "study ID (keyed HMAC of the participant; see the documentation)"
        ),
        Field("site", FieldType.CODE, "study site"),
        Field("team", FieldType.CODE, "team (cluster) the participant was recruited from"),
        Field("arm", FieldType.CODE, "arm of the team"),
        Field("consent_version", FieldType.CODE, "version of the consent form signed"),
        Field(
            "age_at_baseline",
            FieldType.AGE,
            "age at baseline in whole years",
            unit="years",
            notes="90 means 90 or over",
        )
        if AgeForm(age) is AgeForm.YEARS
        else Field("age_band", FieldType.AGE, "age band at baseline", unit="years"),
    ]
    if dates.shifted:
        fields.append(Field(dates.column("baseline"), day, "baseline date, shifted"))
    fields += [
        Field("withdrawn", FieldType.BOOLEAN, "withdrew, keeping data collected up to withdrawal"),
        Field(dates.column("withdrawal"), day, "withdrawal"),
        *extra,
    ]
    return tuple(fields)


class Roster:
    """The export's participants, built from participant rows (see the module docstring).

    pseudonyms: gives study IDs (and date shifts). dates, age: how dates and age are written.
    extra_fields: further allow-listed participant columns, of types code, integer, number or boolean.

    `rows()` gives the participants.csv rows (matching `header`); `admit(person_id, on, file=…, position=…)`
    says whether a data row of a person dated `on` may leave, and under which study ID and date conversion.
    `left_out` counts participants left out by reason, `dropped_rows` data rows by (file, reason), and
    `ignored_keys` holds the names of input keys that are not allow-listed.
    """

    def __init__(
        self,
        participants: Iterable[Mapping[str, object]],
        *,
        pseudonyms: Pseudonyms,
        dates: DatePolicy,
        age: AgeForm = AgeForm.YEARS,
        extra_fields: Sequence[Field] = (),
    ) -> None:
        self.dates = dates
        self.age = AgeForm(age)
        for field in extra_fields:
            if field.type not in (FieldType.CODE, FieldType.INTEGER, FieldType.NUMBER, FieldType.BOOLEAN):
                raise ExportError(
                    f"extra participant field {field.name}: must be a code, integer, number or boolean"
                )
            if field.name in PARTICIPANT_KEYS or field.name in {
                f.name for f in participant_fields(dates, age)
            }:
                raise ExportError(f"extra participant field {field.name}: that name is already a column")
        self.fields = participant_fields(dates, self.age, extra_fields)
        self.header = tuple(field.name for field in self.fields)
        self._extra = tuple(extra_fields)
        allowed = PARTICIPANT_KEYS | {field.name for field in extra_fields}
        self.ignored_keys: set[str] = set()
        self.left_out: dict[str, int] = {
            LeftOut.PROCESSING_RESTRICTED: 0,
            LeftOut.NO_CONSENT: 0,
            LeftOut.REMOVED_ON_REQUEST: 0,
        }
        self._admitted: dict[str, ExportedParticipant] = {}
        self._excluded: dict[str, LeftOut] = {}
        # (file, reason) -> data rows not exported, for the report
        self.dropped_rows: Counter[tuple[str, str]] = Counter()
        self._rows: list[tuple] = []
        for position, row in enumerate(participants, start=1):
            self.ignored_keys.update(key for key in row if key not in allowed)
            self._add(row, pseudonyms, f"participant {position}")

    def _add(self, row: Mapping[str, object], pseudonyms: Pseudonyms, where: str) -> None:
        if row.get("person_id") is None:
            raise ExportError(f"{where}: person_id is missing")
        person = str(row["person_id"])
        if person in self._admitted or person in self._excluded:
            raise ExportError(f"{where}: the same person is listed twice")
        if row.get("processing_restricted"):
            self._excluded[person] = LeftOut.PROCESSING_RESTRICTED
            self.left_out[LeftOut.PROCESSING_RESTRICTED] += 1
            return
        withdrawn_on = row.get("withdrawn_on")
        choice = row.get("withdrawal_choice")
        if withdrawn_on is not None:
            try:
                choice = WithdrawalChoice(choice)
            except ValueError:
                raise ExportError(
                    f"{where}: withdrawal_choice must be {WithdrawalChoice.REMOVE_DATA} or"
                    f" {WithdrawalChoice.KEEP_COLLECTED} for a withdrawn participant"
                ) from None
            if choice is WithdrawalChoice.REMOVE_DATA:
                self._excluded[person] = LeftOut.REMOVED_ON_REQUEST
                self.left_out[LeftOut.REMOVED_ON_REQUEST] += 1
                return
        elif choice:
            raise ExportError(f"{where}: withdrawal_choice is given but withdrawn_on is not")
        if not row.get("consent_version"):
            self._excluded[person] = LeftOut.NO_CONSENT
            self.left_out[LeftOut.NO_CONSENT] += 1
            return
        baseline = as_date(row.get("baseline_on"), f"{where}: baseline_on")
        shift = pseudonyms.date_shift(person, self.dates.max_shift_days) if self.dates.shifted else None
        dates = ParticipantDates(baseline, shift)
        study_id = pseudonyms.participant(person)
        subject = (
            study_id,
            code(row.get("site"), f"{where}: site"),
            code(row.get("team"), f"{where}: team"),
            code(row.get("arm"), f"{where}: arm"),
        )
        last = as_date(withdrawn_on, f"{where}: withdrawn_on") if withdrawn_on is not None else None
        born = row.get("date_of_birth")
        age = written_age(as_date(born, f"{where}: date_of_birth"), baseline, self.age) if born else None
        values: list[object] = [
            *subject,
            code(row["consent_version"], f"{where}: consent_version"),
            age,
        ]
        if self.dates.shifted:
            values.append(dates.convert(baseline))
        values += [last is not None, dates.convert(last) if last is not None else None]
        values += [field.value(row.get(field.name), f"{where}: {field.name}") for field in self._extra]
        self._rows.append(tuple(values))
        self._admitted[person] = ExportedParticipant(study_id, subject, dates, last)

    def __len__(self) -> int:
        return len(self._admitted)

    def rows(self) -> Iterator[tuple]:
        """participants.csv rows, in the order given, matching `header`."""
        return iter(self._rows)

    def admit(self, person_id: object, on: date, *, file: str, position: str) -> ExportedParticipant | None:
        """The exported participant when their row dated `on` (for `file`) may leave; None (counted) otherwise.

        Raises ExportError for data of someone who is not a participant of this export at all.
        """
        person = str(person_id)
        found = self._admitted.get(person)
        if found is None:
            reason = self._excluded.get(person)
            if reason is None:
                raise ExportError(f"{position}: data for a person who is not a participant of this export")
            self.dropped_rows[(file, reason)] += 1
            return None
        if found.last_date is not None and on > found.last_date:
            self.dropped_rows[(file, LeftOut.AFTER_WITHDRAWAL)] += 1
            return None
        return found
