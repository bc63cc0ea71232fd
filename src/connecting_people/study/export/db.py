"""The pseudonymised export of one study, made from the database with the pure `study.export` package.

What goes in (each a generator over a database cursor, so memory stays flat whatever the study's size):

* `participant_rows`: every participant, keyed by the Participant's pk (the pure code derives the study ID from
  it and the key), with site, team and arm codes, baseline (the anchor days count from), date of birth (the
  linked person's, or the research-only participant's own), the latest consent's version and the withdrawal.
* `administration_rows`: every assessment, ordered by participant and timepoint as the wide files need.
* `fidelity_rows`: fidelity ratings of the study's teams and of workers in them, rated from the study's start
  to today, with the study team's site, team and arm codes. The rating period becomes a code
  ``<kind>-d<first day>-d<last day>`` (kind self, supervisor or team; days from the study's start), so self and
  supervisor ratings of one worker for one period are told apart; of ratings with the same kind, subject,
  period and scale, only the latest leaves (the others are counted as replaced).
* `map_rows`: for each participant linked to a person, that person's connections map nearest each
  timepoint's target date within the timepoint's window (one map per timepoint, never one map for two);
  research-only participants have none.

A participant whose processing is restricted (UK GDPR Article 18, the privacy app) is in no file: their row
carries only their id and `processing_restricted`, for the export to count them as left out, and none of their
assessments or maps is read (`participant_processing_allowed`).

Only rows that existed when the export started are read (`cutoff`), so a participant enrolled while it runs
cannot appear in one file and not another. Everything leaves through `write_export`'s allow-lists; then the
identifier scanner reads every file with the names, dates of birth and map labels of the study's people, and
any finding stops the export (its files are deleted).

`make_export(job)` is the background job's maker (`jobs.MAKERS`): it writes into `jobs.job_directory(job)`,
zips that directory to ``<directory>.zip`` and returns the zip's path with a summary of counts and codes (for
the job page and the audit event). `export_run_here` is the command line's way: the same job record and audit,
made now, into a directory the caller names.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.db.models.sql.constants import MULTI
from django.utils import timezone

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.audit.services import audit_record
from connecting_people.connections.selectors import (
    map_dates_of_people,
    person_labels_on_maps,
    snapshots_by_id,
)
from connecting_people.core.errors import NotAllowedError, ServiceError
from connecting_people.implementation import registry as fidelity_registry
from connecting_people.implementation.models import FidelityRating
from connecting_people.implementation.selectors import ratings_of_teams
from connecting_people.measures import registry
from connecting_people.measures.definitions import Instrument
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.people.selectors import names_and_dates_of_birth
from connecting_people.study import jobs
from connecting_people.study.export import (
    FORMATS,
    DateMode,
    DatePolicy,
    ExportError,
    ExportReport,
    ExportSettings,
    IdentifierScanner,
    StudyKeyError,
    write_export,
)
from connecting_people.study.keys import study_key
from connecting_people.study.models import (
    Assessment,
    Consent,
    Job,
    Participant,
    ScheduledInstrument,
    Study,
    StudyTeam,
)
from connecting_people.study.selectors import (
    StudyAccess,
    participant_processing_allowed,
    participant_restricted,
    site_taking_part,
)

CHUNK_SIZE = 2_000  # rows fetched from the database at a time
MAP_PARTICIPANTS_CHUNK = 500  # participants whose maps are read together (three queries a chunk)
DATE_CHOICES = {"days": DateMode.DAYS_FROM_BASELINE, "shifted": DateMode.SHIFTED}
DIRECTORY_OPTION = "directory"  # set by the command line only: write here, unzipped
FINDINGS_SHOWN = 5


# ---------------------------------------------------------------------------------------------------------
# Rows from the database


def _anchor():
    """The date a participant's days count from: the baseline assessment's date, else enrolment."""
    return Coalesce("baseline_on", "enrolled_on")


def _participants(study: Study, cutoff: datetime, participant_ids: Sequence[int] | None = None):
    """The participants exported: enrolled by `cutoff` at a site taking part (never one only invited); only
    those of `participant_ids` when given (the API's page of a study, picked by a scoped selector)."""
    found = Participant.objects.filter(site_taking_part(), study=study, created_at__lte=cutoff)
    return found if participant_ids is None else found.filter(pk__in=list(participant_ids))


def participant_rows(
    study: Study, *, cutoff: datetime, participant_ids: Sequence[int] | None = None
) -> Iterator[dict[str, Any]]:
    """One mapping per participant of the study enrolled by `cutoff` (of `participant_ids` when given), in the
    keys `export.participants` reads."""
    latest_consent = (
        Consent.objects.filter(participant=OuterRef("pk"))
        .order_by("-consented_on", "-id")
        .values("version")[:1]
    )
    rows = (
        _participants(study, cutoff, participant_ids)
        .annotate(
            export_baseline=_anchor(),
            export_born=Coalesce("person__date_of_birth", "date_of_birth"),
            export_consent=Subquery(latest_consent),
            export_restricted=participant_restricted(),
        )
        .order_by("pk")
        .values_list(
            "pk",
            "site__code",
            "study_team__code",
            "study_team__arm",
            "export_baseline",
            "export_born",
            "export_consent",
            "withdrawn_on",
            "withdrawal_choice",
            "export_restricted",
        )
    )
    for pk, site, team, arm, baseline, born, consent, withdrawn_on, choice, restricted in rows.iterator(
        CHUNK_SIZE
    ):
        if restricted:
            yield {"person_id": pk, "processing_restricted": True}
            continue
        yield {
            "person_id": pk,
            "site": site,
            "team": team,
            "arm": arm,
            "baseline_on": baseline,
            "date_of_birth": born,
            "consent_version": consent,
            "withdrawn_on": withdrawn_on,
            "withdrawal_choice": choice or None,
        }


def administration_rows(
    study: Study, *, cutoff: datetime, participant_ids: Sequence[int] | None = None
) -> Iterator[dict[str, Any]]:
    """One mapping per assessment recorded by `cutoff` (of the participants of `participant_ids` when given),
    ordered by participant, then timepoint."""
    found = Assessment.objects.filter(
        site_taking_part("participant__site"),
        participant_processing_allowed("participant"),
        participant__study=study,
        participant__created_at__lte=cutoff,
        recorded_at__lte=cutoff,
    )
    if participant_ids is not None:
        found = found.filter(participant_id__in=list(participant_ids))
    rows = found.order_by(
        "participant_id", "timepoint__target_day", "timepoint_id", "instrument_id"
    ).values_list(
        "participant_id",
        "timepoint__code",
        "instrument_id",
        "instrument_version",
        "administered_on",
        "answers",
        "total",
        "subscales",
        "derived",
    )
    # About a hundred thousand rows per 10,000 participants: read as the driver gives them (`_raw_rows`) and
    # their three JSON columns decoded here, which halves the time Django's per-value converters take.
    for person, timepoint, instrument, version, on, answers, total, subscales, derived in _raw_rows(rows):
        yield {
            "person_id": person,
            "timepoint": timepoint,
            "instrument": instrument,
            "version": version,
            "administered_on": on,
            "answers": _json(answers),
            "total": total,
            "subscales": _json(subscales),
            "derived": _json(derived),
        }


def _raw_rows(queryset) -> Iterator[tuple]:
    """The rows of a `values_list` queryset as the database driver gives them, `CHUNK_SIZE` at a time (over a
    server-side cursor where the database has them and they are not turned off, as `.iterator()` does),
    without Django's converters: JSON columns stay text (see `_json`). Only for columns whose other values
    need no converting: integers, text, floats, and dates read straight from a date column."""
    chunked = not connections[queryset.db].settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    compiler = queryset.query.get_compiler(using=queryset.db)
    for chunk in compiler.execute_sql(MULTI, chunked_fetch=chunked, chunk_size=CHUNK_SIZE):
        yield from chunk


_decode_json = json.JSONDecoder().raw_decode


def _json(text: str | None) -> Any:
    """A JSON column's text as Python, as `JSONField` reads it (None stays None), without the checks
    `json.loads` makes before decoding (the text comes from the database: JSON, no white space around it)."""
    if text is None:
        return None
    if text == "{}":
        return {}
    try:
        value, end = _decode_json(text)
    except ValueError:
        end = -1
    if end != len(text):  # white space around it, or not JSON (json.loads raises as JSONField would)
        return json.loads(text)
    return value


def _one_version(kind: str, item_id: str, used: set[str]) -> str | None:
    if len(used) > 1:
        raise jobs.JobFailed(
            f"{kind} {item_id} has been recorded in more than one version ({', '.join(sorted(used))}): an "
            "export holds one version of each, so it cannot be made. Ask the system administrator."
        )
    return next(iter(used), None)


def study_instruments(study: Study) -> list[Instrument]:
    """The instruments of the study's schedule, in schedule order, each in the version its assessments were
    recorded with (the deployment's latest when there are none yet). JobFailed when one was recorded in two
    versions or its version is no longer in the deployment."""
    ids = list(
        dict.fromkeys(
            ScheduledInstrument.objects.filter(timepoint__study=study)
            .order_by("timepoint__target_day", "position", "instrument_id")
            .values_list("instrument_id", flat=True)
        )
    )
    used: dict[str, set[str]] = defaultdict(set)
    recorded = (
        Assessment.objects.filter(
            site_taking_part("participant__site"),
            participant_processing_allowed("participant"),
            participant__study=study,
        )
        .values_list("instrument_id", "instrument_version")
        .distinct()
        .order_by()
    )
    for instrument_id, version in recorded:
        used[instrument_id].add(version)
    found = []
    for instrument_id in ids:
        version = _one_version("The instrument", instrument_id, used[instrument_id])
        try:
            found.append(registry.instrument(instrument_id, version))
        except UnknownInstrumentError:
            raise jobs.JobFailed(
                f"The instrument {instrument_id}{f' version {version}' if version else ''} is not in this "
                "deployment's instruments, so its answers cannot be described: ask the system administrator."
            ) from None
    return found


def _study_teams(study: Study) -> dict[int, tuple[str, str, str]]:
    """{team id: (site code, team code, arm)} of the teams allocated in the study, at sites taking part: the
    fidelity ratings exported are these teams' only."""
    return {
        team_id: (site, code, arm)
        for team_id, site, code, arm in StudyTeam.objects.filter(site_taking_part(), study=study).values_list(
            "team_id", "site__code", "code", "arm"
        )
    }


def _ratings(study: Study, *, cutoff: datetime, today: date):
    return ratings_of_teams(
        team_ids=_study_teams(study), since=study.starts_on, until=today, stored_by=cutoff
    )


def fidelity_scales(study: Study, *, cutoff: datetime, today: date) -> list[Instrument]:
    """Every fidelity scale of the deployment, in the version the study's ratings used (else the latest)."""
    used: dict[str, set[str]] = defaultdict(set)
    for scale_id, version in (
        _ratings(study, cutoff=cutoff, today=today)
        .values_list("scale_id", "scale_version")
        .distinct()
        .order_by()
    ):
        used[scale_id].add(version)
    scales = []
    for scale_id in fidelity_registry.catalogue().ids():
        version = _one_version("The fidelity scale", scale_id, used[scale_id])
        try:
            scales.append(fidelity_registry.scale(scale_id, version))
        except UnknownInstrumentError:
            raise jobs.JobFailed(
                f"The fidelity scale {scale_id} version {version} is not in this deployment: ask the system "
                "administrator."
            ) from None
    return scales


def period_code(kind: str, start: date, end: date, study_start: date) -> str:
    """A rating period as a code: ``supervisor-d0-d90`` (the kind of rating, then days from the study's start)."""
    return f"{kind}-d{(start - study_start).days}-d{(end - study_start).days}"


def fidelity_rows(
    study: Study, *, cutoff: datetime, today: date, replaced: Counter[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Fidelity ratings of the study's teams and of workers in them, as the export's fidelity rows: team ratings
    by team, then worker ratings by worker, each by period. Of several ratings with the same kind, subject,
    period and scale only the latest is given; the others are counted in `replaced["fidelity"]`."""
    teams = _study_teams(study)
    base = _ratings(study, cutoff=cutoff, today=today)
    fields = (
        "kind",
        "worker_id",
        "team_id",
        "period_start",
        "period_end",
        "scale_id",
        "scale_version",
        "rated_on",
        "answers",
        "total",
        "subscales",
    )
    ordered_by = ("kind", "period_start", "period_end", "scale_id", "rated_on", "id")
    team_ratings = base.filter(kind=FidelityRating.Kind.TEAM).order_by("team_id", *ordered_by)
    worker_ratings = base.exclude(kind=FidelityRating.Kind.TEAM).order_by("worker_id", "team_id", *ordered_by)
    for query in (team_ratings, worker_ratings):
        held: tuple | None = None  # the latest rating so far of one kind, subject, period and scale
        for row in query.values_list(*fields).iterator(CHUNK_SIZE):
            if held is not None:
                if held[:6] == row[:6]:  # kind, worker, team, period start and end, scale
                    if replaced is not None:
                        replaced["fidelity"] += 1
                else:
                    yield _rating(held, teams, study.starts_on)
            held = row
        if held is not None:
            yield _rating(held, teams, study.starts_on)


def _rating(row: tuple, teams: dict[int, tuple[str, str, str]], study_start: date) -> dict[str, Any]:
    kind, worker_id, team_id, start, end, scale_id, version, rated_on, answers, total, subscales = row
    site, team, arm = teams[team_id]
    return {
        "rated_level": "team" if kind == FidelityRating.Kind.TEAM else "worker",
        "worker_id": worker_id,
        "site": site,
        "team": team,
        "arm": arm,
        "period": period_code(kind, start, end, study_start),
        "scale": scale_id,
        "version": version,
        "rated_on": rated_on,
        "answers": answers,
        "total": total,
        "subscales": subscales,
    }


def _timepoints(study: Study) -> list[tuple[str, int, int, int]]:
    return list(
        study.timepoints.order_by("target_day").values_list(
            "code", "target_day", "window_before", "window_after"
        )
    )


def maps_chosen(
    maps: Sequence[tuple[int, date]], *, anchor: date, timepoints: Sequence[tuple[str, int, int, int]]
) -> list[tuple[str, int]]:
    """For one participant: (timepoint code, snapshot id) of the map nearest each timepoint's target date within
    its window (the earlier of two equally near), a map used once at most; in date order.

    maps: (snapshot id, date) of the person's maps. timepoints: (code, target day, window before, after)."""
    taken = dict(maps)
    used: set[int] = set()
    chosen = []
    for code, target_day, before, after in timepoints:
        target = anchor + timedelta(days=target_day)
        opens, closes = target - timedelta(days=before), target + timedelta(days=after)
        candidates = [
            (abs((on - target).days), on, pk) for pk, on in maps if opens <= on <= closes and pk not in used
        ]
        if candidates:
            _distance, _on, pk = min(candidates)
            used.add(pk)
            chosen.append((code, pk))
    return sorted(chosen, key=lambda pair: (taken[pair[1]], pair[1]))


def map_rows(
    study: Study, *, cutoff: datetime, chunk_size: int = MAP_PARTICIPANTS_CHUNK
) -> Iterator[dict[str, Any]]:
    """The maps of participants linked to a person (see `maps_chosen`), by participant and date, read
    `chunk_size` participants at a time."""
    timepoints = _timepoints(study)
    linked = (
        _participants(study, cutoff)
        .filter(participant_processing_allowed(), person__isnull=False)
        .annotate(export_baseline=_anchor())
        .order_by("pk")
        .values_list("pk", "person_id", "export_baseline")
    )
    after = 0
    while chunk := list(linked.filter(pk__gt=after)[:chunk_size]):
        after = chunk[-1][0]
        maps: dict[int, list[tuple[int, date]]] = defaultdict(list)
        heads = map_dates_of_people(person_ids=[person for _, person, _ in chunk], created_before=cutoff)
        for person, pk, taken_on in heads:
            maps[person].append((pk, taken_on))
        plan = [
            (participant, code, snapshot)
            for participant, person, anchor in chunk
            for code, snapshot in maps_chosen(maps[person], anchor=anchor, timepoints=timepoints)
        ]
        snapshots = snapshots_by_id(snapshot_ids=[snapshot for _, _, snapshot in plan])
        for participant, code, snapshot in plan:
            yield {"person_id": participant, "timepoint": code, "snapshot": snapshots[snapshot]}


# ---------------------------------------------------------------------------------------------------------
# A page of pseudonymised participants (the API)


def pseudonymised_participants(study: Study, *, participant_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The participants of `participant_ids` as an export in days from baseline writes them: study ID, site,
    team and arm codes, consent version, age at baseline, withdrawal, and each assessment by timepoint with its
    day and allow-listed variables. Built by the export's own `Roster` and `participant_measures`, so nothing
    leaves that an export would not hold; participants an export leaves out (no consent, removed on request,
    processing restricted) are left out here too. Three queries for the rows, whatever their number (and the
    study's schedule, read once). ServiceError (code `study_key_missing` or `study_not_exportable`) when the
    study key or the study's instruments do not allow it."""
    from connecting_people.study.export.identifiers import Pseudonyms
    from connecting_people.study.export.measures import MeasureCounts, layouts, participant_measures
    from connecting_people.study.export.participants import Roster

    cutoff = timezone.now()
    settings = ExportSettings(study=study.pk, prefix=study_id_prefix(study), study_start=study.starts_on)
    try:
        key = study_key()
        instruments = layouts(study_instruments(study))
        pseudonyms = Pseudonyms(
            key, study=settings.study, prefix=settings.prefix, characters=settings.id_characters
        )
        roster = Roster(
            participant_rows(study, cutoff=cutoff, participant_ids=participant_ids),
            pseudonyms=pseudonyms,
            dates=settings.dates,
            age=settings.age,
        )
        counts = MeasureCounts(Counter(), set())
        assessments: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in participant_measures(
            administration_rows(study, cutoff=cutoff, participant_ids=participant_ids),
            roster=roster,
            instruments=instruments,
            counts=counts,
        ):
            assessments[record.subject[0]].append(
                {
                    "timepoint": record.timepoint,
                    "instrument": record.layout.id,
                    "version": record.layout.version,
                    "day": record.when,
                    "values": dict(zip(record.layout.variables, record.values, strict=True)),
                }
            )
    except StudyKeyError as error:
        raise ServiceError(f"No usable study key: {error}", code="study_key_missing") from None
    except (ExportError, jobs.JobFailed) as error:
        raise ServiceError(str(error), code="study_not_exportable") from None
    found = []
    for row in roster.rows():
        values = dict(zip(roster.header, row, strict=True))
        found.append({**values, "assessments": assessments.get(values["study_id"], [])})
    return found


# ---------------------------------------------------------------------------------------------------------
# The final check


def identifier_scanner(study: Study, *, shifted: bool, cutoff: datetime, today: date) -> IdentifierScanner:
    """A scanner that knows the study's people: participants' names and dates of birth, the labels on their
    maps, the names of rated workers; and the study's own codes, which are not names."""
    names: set[str] = set()
    dates_of_birth: set[date] = set()
    linked = Participant.objects.filter(study=study, person__isnull=False).values("person_id")
    people = names_and_dates_of_birth(person_ids=linked)
    for given, family, preferred, born in people.iterator(CHUNK_SIZE):
        names.add(f"{given} {family}")
        if preferred:
            names.add(preferred)
        dates_of_birth.add(born)
    dates_of_birth.update(
        Participant.objects.filter(study=study, date_of_birth__isnull=False).values_list(
            "date_of_birth", flat=True
        )
    )
    # People in a participant's life are named by first name or initials: those labels must never appear.
    # Groups, places and services ("Social worker", "Riverside Library") are not people, and their names are
    # everyday words that the data dictionary may use, so they are not searched for.
    names.update(person_labels_on_maps(person_ids=linked).iterator(CHUNK_SIZE))
    workers = _ratings(study, cutoff=cutoff, today=today).values("worker_id")
    for first, last in get_user_model().objects.filter(pk__in=workers).values_list("first_name", "last_name"):
        names.add(f"{first} {last}".strip())
    vocabulary = [
        *StudyTeam.objects.filter(study=study).values_list("code", flat=True),
        *study.sites.values_list("code", flat=True),
        *study.timepoints.values_list("code", flat=True),
        *StudyTeam.objects.filter(study=study).values_list("arm", flat=True),
        *FidelityRating.Kind.values,
        "worker team item score true false",
    ]
    return IdentifierScanner(
        names=sorted(name for name in names if name),
        dates_of_birth=dates_of_birth,
        shifted_dates=shifted,
        vocabulary=vocabulary,
    )


# ---------------------------------------------------------------------------------------------------------
# Writing one export


def study_id_prefix(study: Study) -> str:
    """The study's code in capitals, as the printed start of every study ID (letters and digits only, at most
    10, starting with a letter): ``cpis`` gives ``CPIS``."""
    prefix = re.sub(r"[^A-Z0-9]", "", study.code.upper())
    if not prefix or not prefix[0].isalpha():
        prefix = f"S{prefix}"
    return prefix[:10]


def export_settings(study: Study, options: dict[str, Any]) -> ExportSettings:
    """The settings of an export of `study` from a job's options: ``dates`` (days or shifted) and ``formats``."""
    dates = options.get("dates", "days")
    if dates not in DATE_CHOICES:
        raise jobs.JobFailed("Choose days from baseline or shifted dates.")
    formats = [name for name in FORMATS if name in (options.get("formats") or FORMATS)]
    if not formats:
        raise jobs.JobFailed("Choose at least one kind of file.")
    scoring_notes = {
        instrument.id: f"index: value set {registry.default_value_set()}"
        for instrument in registry.catalogue()
        if instrument.scoring.type == "eq5d"
    }
    scoring_notes[study.service_use_instrument] = (
        f"costs: units × the study's unit-cost table, price year {study.price_year}, {study.currency}"
        + (" (illustrative figures)" if study.unit_costs_illustrative else "")
        + "; the cost of delivering the intervention is not in these rows: the analysis adds it to each "
        "intervention participant, costed from recorded training sessions and attendance, supervision that "
        "discussed connection work, team champions' months and practitioners' contacts (the table's "
        "intervention_* rows), divided by the intervention participants analysed"
    )
    return ExportSettings(
        study=study.pk,
        prefix=study_id_prefix(study),
        dates=DatePolicy(DATE_CHOICES[dates]),
        formats=formats,
        study_start=study.starts_on,
        scoring_notes=scoring_notes,
    )


def export_write(
    study: Study, directory: Path, *, options: dict[str, Any], timings: dict[str, float] | None = None
) -> tuple[ExportReport, dict]:
    """Writes the export of `study` into `directory` (which must not exist) and checks every file for
    identifiers. Returns the report and the summary (counts and codes only). Raises JobFailed, with a message
    fit to show and nothing left behind, for a missing or weak key, an export the data cannot make, or any
    identifier found. `timings`, when given, gets the seconds of each step ("write", "scan")."""
    started = time.perf_counter()
    settings = export_settings(study, options)
    cutoff = timezone.now()
    today = timezone.localdate()
    replaced: Counter[str] = Counter()
    try:
        key = study_key()
        report = write_export(
            directory,
            key=key,
            settings=settings,
            participants=participant_rows(study, cutoff=cutoff),
            administrations=administration_rows(study, cutoff=cutoff),
            instruments=study_instruments(study),
            fidelity_ratings=fidelity_rows(study, cutoff=cutoff, today=today, replaced=replaced),
            fidelity_scales=fidelity_scales(study, cutoff=cutoff, today=today),
            maps=map_rows(study, cutoff=cutoff),
        )
    except StudyKeyError as error:
        raise jobs.JobFailed(f"No usable study key, so nothing was exported: {error}") from None
    except ExportError as error:
        raise jobs.JobFailed(f"The export stopped and nothing was kept: {error}") from None
    written = time.perf_counter()
    try:
        scanner = identifier_scanner(study, shifted=settings.dates.shifted, cutoff=cutoff, today=today)
        findings = scanner.scan_directory(directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    if timings is not None:
        timings["write"] = written - started
        timings["scan"] = time.perf_counter() - written
    if findings:
        shutil.rmtree(directory, ignore_errors=True)
        shown = "; ".join(str(finding) for finding in findings[:FINDINGS_SHOWN])
        more = f" and {len(findings) - FINDINGS_SHOWN} more" if len(findings) > FINDINGS_SHOWN else ""
        raise jobs.JobFailed(
            f"The identifier check found {len(findings)} cell(s) that may identify someone ({shown}{more}); "
            "the export was deleted."
        )
    summary = {
        "files": dict(report.files),
        "participants": report.participants,
        "participants_left_out": dict(report.participants_left_out),
        "rows_left_out": dict(report.rows_left_out),
        "instruments_not_exported": dict(report.instruments_not_exported),
        "fidelity_ratings_replaced": replaced["fidelity"],
        # Not "key_fingerprint": the audit drops any summary entry whose name mentions a key.
        "fingerprint": report.key_fingerprint,
        "date_mode": str(settings.dates.mode),
        "formats": list(settings.formats),
    }
    return report, summary


ZIP_LEVEL = 1  # deflate level: CSV of numbers and codes shrinks almost as much as at 6, three times faster


def _zip(directory: Path, top: str) -> Path:
    """`directory` as ``<directory>.zip`` beside it, files under the folder `top`; the directory is removed.
    Each file is copied into the archive in blocks, so memory does not grow with the export."""
    target = directory.with_name(f"{directory.name}.zip")
    partial = directory.with_name(f".{directory.name}.zip.partial")
    try:
        with zipfile.ZipFile(
            partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL, allowZip64=True
        ) as archive:
            for path in sorted(p for p in directory.rglob("*") if p.is_file()):
                archive.write(path, arcname=f"{top}/{path.relative_to(directory).as_posix()}")
        partial.rename(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    shutil.rmtree(directory)
    return target


def download_name(job: Job) -> str:
    """The zip's name for the person who downloads it (and its folder inside): ``cpis-export-12``."""
    return f"{job.study.code}-export-{job.pk}"


def make_export(job: Job) -> tuple[Path, dict]:
    """The export job's maker: writes the study's export and zips it (see the module docstring).

    The command line's jobs carry the option ``directory``: the export is written there and not zipped.
    """
    study = job.study
    given = job.options.get(DIRECTORY_OPTION)
    if given:
        directory = Path(given)
        _report, summary = export_write(study, directory, options=job.options)
        return directory, summary
    directory = jobs.job_directory(job)
    zipped = directory.with_name(f"{directory.name}.zip")
    if directory.exists() or zipped.exists():
        raise jobs.JobFailed(
            "Files of an earlier export are where this one would go: ask the system administrator."
        )
    directory.parent.mkdir(parents=True, exist_ok=True)
    _report, summary = export_write(study, directory, options=job.options)
    return _zip(directory, download_name(job)), summary


# ---------------------------------------------------------------------------------------------------------
# The command line, and downloads


def export_run_here(
    *,
    actor: Actor,
    access: StudyAccess,
    directory: Path,
    purpose: str,
    reason: str = "",
    dates: str = "days",
    formats: Sequence[str] = FORMATS,
) -> Job:
    """An export made now, in this process, into `directory` (which must not exist; its parent must): recorded
    as a job and audited as `jobs.job_request` does (who asked, for what purpose), and finished by
    `jobs.job_run` (the outcome audited as the requester's act). Returns the job, done or failed.

    NotAllowedError unless the user leads the whole study; ServiceError for a bad purpose or directory."""
    actor = as_actor(actor)
    user = actor.user
    if not access.is_lead or access.site_id is not None:
        raise NotAllowedError("Only a study lead can make exports.")
    if purpose not in Job.Purpose.values:
        raise ServiceError("Choose what it is for.", field="purpose", code="purpose_required")
    if dates not in DATE_CHOICES:
        raise ServiceError("Choose days or shifted dates.", field="dates", code="dates_choice_required")
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ServiceError(
            f"Choose files from {', '.join(FORMATS)}.",
            field="formats",
            code="formats_unknown",
            params={"formats": list(FORMATS)},
        )
    directory = Path(directory).absolute()
    if directory.exists():
        raise ServiceError(
            f"{directory} already exists: an export is written into a new folder.",
            field="out",
            code="export_directory_exists",
            params={"directory": str(directory)},
        )
    if not directory.parent.is_dir():
        raise ServiceError(
            f"{directory.parent} is not a folder.",
            field="out",
            code="export_directory_missing",
            params={"directory": str(directory.parent)},
        )
    options = {"dates": dates, "formats": [name for name in FORMATS if name in formats]}
    with transaction.atomic():
        job = Job.objects.create(
            study=access.study,
            kind=Job.Kind.EXPORT,
            purpose=purpose,
            reason=reason.strip()[:300],
            options={**options, DIRECTORY_OPTION: str(directory)},
            requested_by=user,
        )
        audit_record(
            actor=user,
            action="study.export_requested",
            object_type="study_job",
            object_id=job.pk,
            # The folder stays on the job row: a path is not a code.
            summary={
                "study": access.study.code,
                "purpose": purpose,
                "options": options,
                "command_line": True,
            },
        )
    return jobs.job_run(job.pk)


def export_download_record(*, actor: Actor, job: Job) -> None:
    """Audits that `user` downloaded the export `job` (who, which job; the purpose it was made for)."""
    actor = as_actor(actor)
    user = actor.user
    audit_record(
        actor=user,
        action="study.export_downloaded",
        object_type="study_job",
        object_id=job.pk,
        summary={"study": job.study.code, "job": job.pk, "purpose": job.purpose},
    )
