"""`connecting-people map export|import`: a person's connections map to and from files, as one acting user.

    connecting-people map export PERSON_ID --format graphml|json|nc-csv --out DIR [--snapshot SNAPSHOT_ID]
                                 [--force] [--user USERNAME]
    connecting-people map import PERSON_ID FILE... [--taken-on YYYY-MM-DD] [--session ID] [--mapping FILE]
                                 [--quiet] [--user USERNAME]
    connecting-people map import-sessions FILE... [--match MATCH.csv] [--mapping FILE] [--apply] [--quiet]
                                 [--user USERNAME]

The acting user is --user, else the environment variable CONNECTING_PEOPLE_USER. Everything goes through the
connections services as that user: they reach the people they would reach on the web and nobody else, and
every export and import is audited under their name.

export writes the person's latest map (or map SNAPSHOT_ID) into DIR, creating it if needed, and prints one JSON
line: person_id, snapshot_id, taken_on, format and files (absolute paths). nc-csv writes several CSV files. A
file already in DIR is left alone (exit 2) unless --force. The export is audited only once its files are written.

import reads one .json, one .graphml, one .zip of a Network Canvas export, or the .csv files of one, into a new
map for the person dated --taken-on, else the file's date, else today; a date before their latest map adds an
older interview to their history (in date order). --session picks one interview session of an export holding
several; --mapping names a mapping file (JSON or YAML) for another tool's attributes. The limits are the page's: at most 20 files and 5 MB in all (a zip measured unpacked), and no more
entries and ties than a map holds; a file over them is refused before it is read. Prints one JSON line: person_id, snapshot_id, taken_on, then the import report (format, entries_created,
ties_created, fields_mapped, fields_not_mapped, values_not_understood, defaults_applied, warnings). A malformed
file: each "file:line: problem" on its own line on stderr, and nothing saved.

import-sessions reads a study's export of many interview sessions (a Network Canvas "export all" zip, its CSV
files, or a GraphML file of several graphs) into several people's maps. Sessions are matched to people by
--match, a CSV file with a person_id column and a case_id or session_id column, else by each session's case id
taken as our record number. Without --apply it changes nothing and prints the matching as one JSON line:
sessions (session, case_id, session_id, person_id, status: matched, unmatched, not reachable or date taken,
taken_on, entries, ties), people_not_reached (in --match but given no session), notes, applied false. With
--apply, all or nothing: every session must be matched to a person the user reaches, else nothing is saved
(exit 2). Limits: each session those of one map; at most 200 sessions and 50 MB unpacked in all.

Both imports show progress on stderr while they run when stderr is a terminal (never with --quiet).

Any error (no acting user, a person or map out of reach, a file that cannot be read or written, a date that
does not fit): a message on stderr, exit code 2, nothing on stdout, nothing changed.
"""

import csv
import io
import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.http import Http404

from connecting_people.accounts.actor import actor_for
from connecting_people.connections.interchange import (
    FORMATS,
    MAP_FILES_LIMIT_BYTES,
    MAX_FILES,
    NO_MAPPING,
    AttributeMapping,
    ImportRejected,
    read_attribute_mapping,
)
from connecting_people.connections.interchange.sessions import STUDY_LIMIT_BYTES, STUDY_ZIP_MAX_MEMBERS
from connecting_people.connections.services import map_export, sessions_import, snapshot_import
from connecting_people.core.commands import USAGE_ERROR, USER_VARIABLE, Progress, acting_user
from connecting_people.core.errors import NotFoundError, ServiceError
from connecting_people.core.input_limits import LimitExceeded, megabytes, read_at_most
from connecting_people.people.selectors import person_get


class Command(BaseCommand):
    help = "Export a person's connections map to files, or import a map file as their next map."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="export|import")
        export = actions.add_parser(
            "export",
            help="Write a person's map to files in a folder.",
            description="Write a person's latest map (or an earlier one) to files in a folder, and print "
            "one JSON line naming them.",
        )
        export.add_argument("person_id", metavar="PERSON_ID", help="the person's record number")
        export.add_argument(
            "--format",
            required=True,
            choices=FORMATS,
            help="graphml, our own json, or nc-csv (Network Canvas-style CSV files, one per table)",
        )
        export.add_argument(
            "--out", required=True, metavar="DIR", help="the folder to write into (created if missing)"
        )
        export.add_argument(
            "--snapshot", metavar="SNAPSHOT_ID", help="which of the person's maps (default: the latest)"
        )
        export.add_argument("--force", action="store_true", help="replace files of the same name in DIR")
        _add_user_argument(export)

        to_import = actions.add_parser(
            "import",
            help="Read a map file into a new map for a person.",
            description="Read one .json, one .graphml, one .zip of a Network Canvas export, or the .csv "
            "files of one, into a new map for the person, and print one JSON line saying what was read.",
        )
        to_import.add_argument("person_id", metavar="PERSON_ID", help="the person's record number")
        to_import.add_argument("files", nargs="+", metavar="FILE", help="the file or files of one map")
        to_import.add_argument(
            "--taken-on",
            metavar="YYYY-MM-DD",
            help="the date of the new map (default: the file's date, else today); "
            "a date before the person's latest map adds an older interview to their history",
        )
        to_import.add_argument(
            "--session",
            metavar="ID",
            help="which interview session of an export holding several (its file prefix, session id or case id)",
        )
        _add_mapping_arguments(to_import)
        _add_user_argument(to_import)

        sessions = actions.add_parser(
            "import-sessions",
            help="Read a study's export of many interview sessions into several people's maps.",
            description="Match each interview session of a study export to a person and, with --apply, "
            "import each as a map of theirs (all or nothing). Without --apply, print the matching only.",
        )
        sessions.add_argument(
            "files", nargs="+", metavar="FILE", help="the export: a .zip, its .csv files, or .graphml"
        )
        sessions.add_argument(
            "--match",
            metavar="MATCH.csv",
            help="CSV with columns person_id and case_id or session_id (default: the case id is the record number)",
        )
        sessions.add_argument(
            "--apply", action="store_true", help="import (default: a dry run that changes nothing)"
        )
        _add_mapping_arguments(sessions)
        _add_user_argument(sessions)

    def handle(self, *args, **options):
        user = _acting_user(options["user"])
        if options["action"] == "import-sessions":
            self._import_sessions(user, options)
            return
        person = _reachable_person(user, options["person_id"])
        if options["action"] == "export":
            self._export(user, person, options)
        else:
            self._import(user, person, options)

    def _export(self, user, person, options) -> None:
        folder = Path(options["out"])
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{folder} is a file, not a folder", returncode=USAGE_ERROR)
        snapshot_id = None if options["snapshot"] is None else _number(options["snapshot"], "map")
        # One transaction: the service's audit event is kept only if the files were written.
        with transaction.atomic():
            try:
                snapshot, files = map_export(
                    actor=actor_for(user),
                    person_id=person.pk,
                    snapshot_id=snapshot_id,
                    format=options["format"],
                )
            except (Http404, NotFoundError):
                which = "yet" if snapshot_id is None else str(snapshot_id)
                raise CommandError(f"Person {person.pk} has no map {which}", returncode=USAGE_ERROR) from None
            except ServiceError as error:
                raise CommandError(error.message, returncode=USAGE_ERROR) from None
            paths = _write_files(folder, files, replace=options["force"])
        summary = {
            "person_id": person.pk,
            "snapshot_id": snapshot.pk,
            "taken_on": snapshot.taken_on.isoformat(),
            "format": options["format"],
            "files": [str(path) for path in paths],
        }
        self.stdout.write(json.dumps(summary))

    def _import(self, user, person, options) -> None:
        progress = Progress(self.stderr, quiet=options["quiet"])
        taken_on = None if options["taken_on"] is None else _date(options["taken_on"])
        mapping = _mapping(options["mapping"])
        progress.step(f"Reading {len(options['files'])} file(s)")
        files = _read_files(options["files"])
        progress.step(f"Importing into person {person.pk}'s maps")
        try:
            snapshot, report = snapshot_import(
                actor=actor_for(user),
                person_id=person.pk,
                files=files,
                taken_on=taken_on,
                mapping=mapping,
                session=options["session"],
            )
        except ImportRejected as rejected:
            progress.finish()
            for problem in rejected.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"Nothing imported from {', '.join(files)}: put right the problems above",
                returncode=USAGE_ERROR,
            ) from None
        except (Http404, NotFoundError):  # the person went out of reach since the check above
            progress.finish()
            raise _out_of_reach(person.pk, user) from None
        except ServiceError as error:
            progress.finish()
            raise CommandError(error.message, returncode=USAGE_ERROR) from None
        progress.finish()
        summary = {
            "person_id": person.pk,
            "snapshot_id": snapshot.pk,
            "taken_on": snapshot.taken_on.isoformat(),
            **report.as_dict(),
        }
        self.stdout.write(json.dumps(summary))

    def _import_sessions(self, user, options) -> None:
        progress = Progress(self.stderr, quiet=options["quiet"])
        mapping = _mapping(options["mapping"])
        matches = None if options["match"] is None else _matches(options["match"])
        progress.step(f"Reading {len(options['files'])} file(s)")
        files = _read_files(options["files"], limit=STUDY_LIMIT_BYTES, most=STUDY_ZIP_MAX_MEMBERS)
        progress.step("Reading the interview sessions")
        try:
            plan = sessions_import(
                actor=actor_for(user),
                files=files,
                matches=matches,
                apply=False,
                mapping=mapping,
            )
            if options["apply"] and plan.ready:
                plan = sessions_import(
                    actor=actor_for(user),
                    files=files,
                    matches=matches,
                    apply=True,
                    mapping=mapping,
                    progress=lambda done, total: progress.count(done, total, "Sessions imported"),
                )
        except ImportRejected as rejected:
            progress.finish()
            for problem in rejected.problems:
                self.stderr.write(problem)
            raise CommandError(
                "Nothing imported: put right the problems above", returncode=USAGE_ERROR
            ) from None
        except ServiceError as error:
            progress.finish()
            raise CommandError(error.message, returncode=USAGE_ERROR) from None
        progress.finish()
        summary = {
            "sessions": [match.as_dict() for match in plan.matches],
            "people_not_reached": list(plan.people_not_reached),
            "notes": list(plan.notes),
            "applied": plan.applied,
        }
        self.stdout.write(json.dumps(summary))
        if options["apply"] and not plan.applied:
            for match in plan.matches:
                if match.status != "matched":
                    who = f"person {match.person_id}" if match.person_id is not None else "no person"
                    self.stderr.write(f"session {match.session.name}: {match.status} ({who})")
            raise CommandError(
                "Nothing imported: every session must go to a person you can reach, on a day without a map",
                returncode=USAGE_ERROR,
            )


def _add_mapping_arguments(parser) -> None:
    parser.add_argument(
        "--mapping",
        metavar="FILE",
        help="a mapping file (JSON or YAML) saying which of the other tool's attributes are our fields",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _mapping(path: str | None) -> AttributeMapping:
    if path is None:
        return NO_MAPPING
    try:
        with open(path, "rb") as handle:
            content = read_at_most(handle, 64_000)
    except LimitExceeded:
        raise CommandError(f"{path}: a mapping file is at most 64 kB", returncode=USAGE_ERROR) from None
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}", returncode=USAGE_ERROR) from None
    try:
        return read_attribute_mapping(Path(path).name, content)
    except ImportRejected as rejected:
        raise CommandError("\n".join(rejected.problems), returncode=USAGE_ERROR) from None


def _matches(path: str) -> dict[str, int]:
    """{case id or session id: person id} from the --match CSV (columns person_id and case_id/session_id)."""
    try:
        with open(path, "rb") as handle:
            text = read_at_most(handle, 1_000_000).decode("utf-8-sig")
    except (LimitExceeded, UnicodeDecodeError):
        raise CommandError(f"{path}: expected UTF-8 CSV of at most 1 MB", returncode=USAGE_ERROR) from None
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}", returncode=USAGE_ERROR) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    header = [name.strip() for name in (rows[0].keys() if rows else [])]
    id_columns = [name for name in ("session_id", "case_id", "session") if name in header]
    if "person_id" not in header or not id_columns:
        raise CommandError(
            f"{path}: expected columns person_id and case_id or session_id", returncode=USAGE_ERROR
        )
    matches: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        person = (row.get("person_id") or "").strip()
        if not person.isdigit():
            raise CommandError(
                f"{path}:{line}: person_id {person!r} is not a record number", returncode=USAGE_ERROR
            )
        for column in id_columns:
            given = (row.get(column) or "").strip()
            if given:
                if matches.get(given, int(person)) != int(person):
                    raise CommandError(
                        f"{path}:{line}: {given} is matched to two people", returncode=USAGE_ERROR
                    )
                matches[given] = int(person)
    return matches


def _add_user_argument(parser) -> None:
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help=f"who is acting: their username (default: the environment variable {USER_VARIABLE})",
    )


def _acting_user(username: str | None):
    return acting_user(username, required=True)


def _reachable_person(user, text: str):
    """The person the user reaches (the scoped selector), so that errors can say which thing was missing."""
    person_id = _number(text, "person")
    try:
        return person_get(actor=actor_for(user), person_id=person_id)
    except Http404:
        raise _out_of_reach(person_id, user) from None


def _out_of_reach(person_id: int, user) -> CommandError:
    return CommandError(f"No person {person_id} that {user.get_username()} can reach", returncode=USAGE_ERROR)


def _number(text: str, what: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 0 < number < 2**63:  # the database's ids; a larger number would fail in the query itself
        raise CommandError(f"A {what} id is a whole number from 1 up, not {text!r}", returncode=USAGE_ERROR)
    return number


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--taken-on: {text!r} is not a date (YYYY-MM-DD)", returncode=USAGE_ERROR
        ) from None


def _read_files(
    given: list[str], *, limit: int = MAP_FILES_LIMIT_BYTES, most: int = MAX_FILES
) -> dict[str, bytes]:
    """{file name: content} of each file; the importer tells formats apart by these names.

    Files over the import's limits (MAX_FILES, MAP_FILES_LIMIT_BYTES in all) are refused before they are read,
    by their sizes on disk, and reading stops at the limit anyway (a device or a file still growing)."""
    if len(given) > most:
        raise CommandError(
            f"{len(given)} files, but this import takes at most {most}", returncode=USAGE_ERROR
        )
    paths = [Path(text) for text in given]
    try:
        total = sum(path.stat().st_size for path in paths)
    except OSError as error:
        raise CommandError(
            f"cannot read {error.filename}: {error.strerror}", returncode=USAGE_ERROR
        ) from None
    if total > limit:
        raise CommandError(_too_large([path.name for path in paths], total, limit), returncode=USAGE_ERROR)
    files: dict[str, bytes] = {}
    room = limit
    for text, path in zip(given, paths, strict=True):
        if path.name in files:
            raise CommandError(
                f"Two files are named {path.name}: give one map's files", returncode=USAGE_ERROR
            )
        try:
            with path.open("rb") as handle:
                files[path.name] = read_at_most(handle, room)
        except LimitExceeded:
            raise CommandError(
                _too_large(list(files) + [path.name], limit + 1, limit), returncode=USAGE_ERROR
            ) from None
        except OSError as error:
            raise CommandError(f"cannot read {text}: {error.strerror}", returncode=USAGE_ERROR) from None
        room -= len(files[path.name])
    return files


def _too_large(names: list[str], size: int, limit: int = MAP_FILES_LIMIT_BYTES) -> str:
    what = "a map import" if limit == MAP_FILES_LIMIT_BYTES else "this import"
    return f"{', '.join(names)}: {megabytes(size)} in all, but {what} takes at most {megabytes(limit)}"


def _write_files(folder: Path, files: Mapping[str, str], *, replace: bool) -> list[Path]:
    """Write each {file name: text} into folder, created if missing; the absolute paths written.

    CommandError (exit 2) when a file is already there and not `replace`, or one cannot be written; files this
    call created are then removed again (a replaced file cannot be given back).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot create {folder}: {error.strerror}", returncode=USAGE_ERROR) from None
    paths = [folder.resolve() / name for name in files]
    present = [path.name for path in paths if path.exists()]
    if present and not replace:
        raise CommandError(
            f"{', '.join(present)} already in {folder}: use --force to replace", returncode=USAGE_ERROR
        )
    created: list[Path] = []
    for path, text in zip(paths, files.values(), strict=True):
        existed = path.exists()
        try:
            # "x" refuses a file that appeared since the check above; newline="" writes the text as it is.
            with path.open("w" if replace else "x", encoding="utf-8", newline="") as handle:
                if not existed:
                    created.append(path)
                handle.write(text)
        except OSError as error:
            for done in created:
                done.unlink(missing_ok=True)
            raise CommandError(f"cannot write {path}: {error.strerror}", returncode=USAGE_ERROR) from None
    return paths
