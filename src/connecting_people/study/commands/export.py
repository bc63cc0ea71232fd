"""`connecting-people study export`: a study's pseudonymised export, written now into a new folder.

    connecting-people study export STUDY_ID --out DIR --purpose analysis|monitoring|sharing|archive
                                  [--reason TEXT] [--dates days|shifted] [--format FORMAT ...] [--user USERNAME]

The acting user is --user, else the environment variable CONNECTING_PEOPLE_USER, and must lead the whole study.
The export is recorded as one of the study's jobs and audited as on the web (who asked, for what purpose, and
what was written, as counts); it is made in this process, not by the background worker, and written unzipped
into DIR, which must not exist yet. Prints one JSON line: directory, files (with their row counts),
participants, fingerprint (of the study key) and job.

Any error (no acting user, a study the user does not lead, an existing DIR, no study key, data the export
refuses, an identifier found by the final check): a message on stderr, exit code 2, nothing written.
"""

import json
from pathlib import Path

from django.core.management.base import CommandError

from connecting_people.accounts.actor import actor_for
from connecting_people.core.commands import USAGE_ERROR, USER_VARIABLE, acting_user
from connecting_people.core.errors import NotFoundError, ServiceError
from connecting_people.study import selectors
from connecting_people.study.export import FORMATS
from connecting_people.study.export.db import DATE_CHOICES, export_run_here
from connecting_people.study.models import Job, StudyMember

HELP = "Write a study's pseudonymised export into a new folder."
DESCRIPTION = (
    "Write a study's pseudonymised export (study IDs, dates as days from baseline or shifted, allow-listed "
    "fields only) into a new folder, record and audit it as one of the study's exports, and print one JSON line."
)


def add_arguments(parser) -> None:
    parser.add_argument("study_id", metavar="STUDY_ID", help="the study's number")
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="the folder to write (it must not exist yet)"
    )
    parser.add_argument(
        "--purpose",
        required=True,
        choices=Job.Purpose.values,
        help="what the export is for (recorded and audited)",
    )
    parser.add_argument(
        "--reason", default="", metavar="TEXT", help="why, in your words (kept with the export)"
    )
    parser.add_argument(
        "--dates",
        choices=list(DATE_CHOICES),
        default="days",
        help="days from each participant's baseline (default), or dates shifted per participant",
    )
    parser.add_argument(
        "--format",
        dest="formats",
        action="extend",
        nargs="+",
        choices=FORMATS,
        metavar="FORMAT",
        help=f"which measure files: {', '.join(FORMATS)} (default: all of them)",
    )
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help=f"who is acting (default: the environment variable {USER_VARIABLE})",
    )


def _study_id(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 0 < number < 2**63:
        raise CommandError(f"A study id is a whole number from 1 up, not {text!r}", returncode=USAGE_ERROR)
    return number


def run(command, options) -> None:
    user = acting_user(options["user"], required=True)
    actor = actor_for(user)
    study_id = _study_id(options["study_id"])
    try:
        access = selectors.study_access(actor=actor, study_id=study_id)
    except NotFoundError:
        raise CommandError(
            f"No study {study_id} that {user.get_username()} is a member of", returncode=USAGE_ERROR
        ) from None
    if access.member.role != StudyMember.Role.LEAD or access.site_id is not None:
        raise CommandError(
            f"Only a lead of the whole study can export it: {user.get_username()} is not one for "
            f"{access.study.code.upper()}",
            returncode=USAGE_ERROR,
        )
    try:
        job = export_run_here(
            actor=actor,
            access=access,
            directory=Path(options["out"]),
            purpose=options["purpose"],
            reason=options["reason"],
            dates=options["dates"],
            formats=options["formats"] or FORMATS,
        )
    except ServiceError as error:
        raise CommandError(error.message, returncode=USAGE_ERROR) from None
    if job.state != Job.State.DONE:
        raise CommandError(f"Export {job.pk} failed: {job.error}", returncode=USAGE_ERROR)
    command.stdout.write(
        json.dumps(
            {
                "directory": job.result_path,
                "files": job.summary["files"],
                "participants": job.summary["participants"],
                "fingerprint": job.summary["fingerprint"],
                "job": job.pk,
            }
        )
    )
