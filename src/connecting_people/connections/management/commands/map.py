"""`connecting-people map export|import`: a person's connections map to and from files, as one acting user.

    connecting-people map export PERSON_ID --format graphml|json|nc-csv --out DIR [--snapshot SNAPSHOT_ID]
                                 [--force] [--user USERNAME]
    connecting-people map import PERSON_ID FILE... [--taken-on YYYY-MM-DD] [--user USERNAME]

The acting user is --user, else the environment variable CONNECTING_PEOPLE_USER. Everything goes through the
connections services as that user: they reach the people they would reach on the web and nobody else, and
every export and import is audited under their name.

export writes the person's latest map (or map SNAPSHOT_ID) into DIR, creating it if needed, and prints one JSON
line: person_id, snapshot_id, taken_on, format and files (absolute paths). nc-csv writes several CSV files. A
file already in DIR is left alone (exit 2) unless --force. The export is audited only once its files are written.

import reads one .json, one .graphml, one .zip of a Network Canvas export, or the .csv files of one, into a new
map for the person dated --taken-on, else the file's date, else today; the date must come after their latest
map. The limits are the page's: at most 20 files and 5 MB in all (a zip measured unpacked), and no more
entries and ties than a map holds; a file over them is refused before it is read. Prints one JSON line: person_id, snapshot_id, taken_on, then the import report (format, entries_created,
ties_created, fields_mapped, fields_not_mapped, values_not_understood, defaults_applied, warnings). A malformed
file: each "file:line: problem" on its own line on stderr, and nothing saved.

Any error (no acting user, a person or map out of reach, a file that cannot be read or written, a date that
does not fit): a message on stderr, exit code 2, nothing on stdout, nothing changed.
"""

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
    ImportRejected,
)
from connecting_people.connections.services import map_export, snapshot_import
from connecting_people.core.commands import USAGE_ERROR, USER_VARIABLE, acting_user
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
            "it must come after the person's latest map",
        )
        _add_user_argument(to_import)

    def handle(self, *args, **options):
        user = _acting_user(options["user"])
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
        taken_on = None if options["taken_on"] is None else _date(options["taken_on"])
        files = _read_files(options["files"])
        try:
            snapshot, report = snapshot_import(
                actor=actor_for(user), person_id=person.pk, files=files, taken_on=taken_on
            )
        except ImportRejected as rejected:
            for problem in rejected.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"Nothing imported from {', '.join(files)}: put right the problems above",
                returncode=USAGE_ERROR,
            ) from None
        except (Http404, NotFoundError):  # the person went out of reach since the check above
            raise _out_of_reach(person.pk, user) from None
        except ServiceError as error:
            raise CommandError(error.message, returncode=USAGE_ERROR) from None
        summary = {
            "person_id": person.pk,
            "snapshot_id": snapshot.pk,
            "taken_on": snapshot.taken_on.isoformat(),
            **report.as_dict(),
        }
        self.stdout.write(json.dumps(summary))


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


def _read_files(given: list[str]) -> dict[str, bytes]:
    """{file name: content} of each file; the importer tells formats apart by these names.

    Files over the import's limits (MAX_FILES, MAP_FILES_LIMIT_BYTES in all) are refused before they are read,
    by their sizes on disk, and reading stops at the limit anyway (a device or a file still growing)."""
    if len(given) > MAX_FILES:
        raise CommandError(
            f"{len(given)} files, but a map import takes at most {MAX_FILES}", returncode=USAGE_ERROR
        )
    paths = [Path(text) for text in given]
    try:
        total = sum(path.stat().st_size for path in paths)
    except OSError as error:
        raise CommandError(
            f"cannot read {error.filename}: {error.strerror}", returncode=USAGE_ERROR
        ) from None
    if total > MAP_FILES_LIMIT_BYTES:
        raise CommandError(_too_large([path.name for path in paths], total), returncode=USAGE_ERROR)
    files: dict[str, bytes] = {}
    room = MAP_FILES_LIMIT_BYTES
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
                _too_large(list(files) + [path.name], MAP_FILES_LIMIT_BYTES + 1), returncode=USAGE_ERROR
            ) from None
        except OSError as error:
            raise CommandError(f"cannot read {text}: {error.strerror}", returncode=USAGE_ERROR) from None
        room -= len(files[path.name])
    return files


def _too_large(names: list[str], size: int) -> str:
    return (
        f"{', '.join(names)}: {megabytes(size)} in all, "
        f"but a map import takes at most {megabytes(MAP_FILES_LIMIT_BYTES)}"
    )


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
