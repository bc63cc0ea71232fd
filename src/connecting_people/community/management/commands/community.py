"""`connecting-people community import|export`: the directory from and to Open Referral UK / HSDS 3.0.

    connecting-people community import SOURCE [--user USERNAME] [--timeout SECONDS]
    connecting-people community export --out FILE [--force] [--user USERNAME]

import reads SOURCE, which is a JSON file (a page of services, a service, an organization with services or a
service_at_location), a folder or .zip of HSDS CSV tables, or the http(s) base URL of an HSDS API (every page
of /services, then /services/{id} for services a page gives only in short). An API is fetched only from
public addresses (never this machine or an internal network), each answer within --timeout seconds. At most
100 MB is read in all (a zip unpacked), JSON nested at most 64 deep, and at most 20,000 services. It saves everything in one
transaction, keyed by (source, id), and prints one JSON line: source, created, updated, unchanged, rejected
(how many), organisations (created, updated, unchanged) and rejections (each with where, record, reason and
what was left out). Importing the same source again changes nothing and reports everything unchanged.

export writes the whole directory to FILE as one HSDS 3.0 page of full services, and prints one JSON line:
file, services, organisations. FILE is not replaced unless --force. Every service in it validates against the
compiled HSDS 3.0 and Open Referral UK 3.0 schemas, unknown fields disallowed (hsds/export.py says how: ids
are UUIDs, made stable from ids that are not; ORUK has no place for phone numbers, so none are written).

Both are audited, under --user (or the environment variable CONNECTING_PEOPLE_USER) when given, who must be
allowed to change the directory; otherwise as done from the command line. A source that cannot be read or is
not HSDS, a file that cannot be written, an unknown user: a message on stderr, exit code 2, nothing saved.
"""

import json
from pathlib import Path

import rules
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from connecting_people.accounts.actor import actor_for
from connecting_people.community import hsds, selectors, services
from connecting_people.community.hsds import vocabulary
from connecting_people.community.sources import TIMEOUT_SECONDS, SourceError, read_source
from connecting_people.core.commands import USAGE_ERROR, USER_VARIABLE, Progress, acting_user
from connecting_people.core.errors import ServiceError


class Command(BaseCommand):
    help = "Import the community directory from Open Referral UK / HSDS, or export it as HSDS JSON."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="import|export")
        to_import = actions.add_parser(
            "import",
            help="Import opportunities from an HSDS file, CSV package or API.",
            description="Read an HSDS JSON file, a folder or .zip of HSDS CSV tables, or an HSDS API base URL, "
            "save it in one go, and print one JSON line saying what changed and what was rejected.",
        )
        to_import.add_argument("source", metavar="SOURCE", help="a file or folder path, or an http(s) URL")
        to_import.add_argument(
            "--timeout",
            type=float,
            default=TIMEOUT_SECONDS,
            metavar="SECONDS",
            help=f"how long to wait for each answer from an API (default {TIMEOUT_SECONDS:g})",
        )
        to_import.add_argument(
            "--source",
            dest="source_name",
            default="",
            metavar="NAME",
            help="who published SOURCE, kept with every record from it so that the next import of the same "
            "publisher's data finds them (default: the API's URL, else the one organisation every service in "
            "the file belongs to; a file of several organisations' services needs --source)",
        )
        to_import.add_argument(
            "--quiet", action="store_true", help="show no progress on stderr (it shows only on a terminal)"
        )
        _add_user_argument(to_import)
        export = actions.add_parser(
            "export",
            help="Write the whole directory as HSDS 3.0 JSON.",
            description="Write every opportunity and organisation to FILE as one HSDS 3.0 page of full "
            "services, and print one JSON line naming the file.",
        )
        export.add_argument("--out", required=True, metavar="FILE", help="the file to write")
        export.add_argument("--force", action="store_true", help="replace FILE if it is there")
        _add_user_argument(export)

    def handle(self, *args, **options):
        user = _acting_user(options["user"])
        if options["action"] == "import":
            self._import(user, options)
        else:
            self._export(user, options)

    def _import(self, user, options) -> None:
        if options["timeout"] <= 0:
            raise CommandError("--timeout must be more than 0 seconds", returncode=USAGE_ERROR)
        try:
            categories = vocabulary.category_map(settings.CONNECTING_PEOPLE_DIRECTORY_CATEGORIES_FILE or None)
        except vocabulary.CategoryFileError as error:
            raise CommandError(f"Nothing imported: {error}", returncode=USAGE_ERROR) from None
        progress = Progress(self.stderr, quiet=options.get("quiet", False))

        def reading(done: int, total: int | None, what: str) -> None:
            progress.step(f"{what}: {done} of {total}" if total else f"{what}: {done}")

        try:
            source = read_source(
                options["source"],
                name=options.get("source_name", ""),
                timeout=options["timeout"],
                allow_loopback=settings.CONNECTING_PEOPLE_FETCH_ALLOW_LOOPBACK,
                categories=categories,
                progress=reading,
            )
        except SourceError as error:
            progress.finish()
            raise CommandError(f"Nothing imported: {error.message}", returncode=USAGE_ERROR) from None
        progress.step("saving")
        directory = source.directory
        progress.finish()
        if not directory.opportunities:
            summary = {
                "source": source.label or source.name,
                "created": 0,
                "rejected": len(directory.rejected_services),
                "rejected_services": [dict(service) for service in directory.rejected_services],
                "rejections": [rejection.as_dict() for rejection in directory.rejections],
            }
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            held = len(directory.rejected_services)
            raise CommandError(
                f"Nothing imported: every one of the {held} services in {source.name} was rejected "
                "(rejected_services says why)"
                if held
                else f"Nothing imported: {source.name} holds no services",
                returncode=USAGE_ERROR,
            )
        if not source.label and source.directory.opportunities:
            raise CommandError(
                f"Nothing imported: {source.name} holds services of several organisations and does not say "
                "who published it. Name the publisher with --source NAME (use the same name every time you "
                "import their data, so that their records are updated rather than added again).",
                returncode=USAGE_ERROR,
            )
        try:
            report = services.directory_import(
                records=source.directory, source=source.label, actor=actor_for(user)
            )
        except ServiceError as error:
            raise CommandError(f"Nothing imported: {error.message}", returncode=USAGE_ERROR) from None
        summary = report.as_dict()
        if source.encodings:
            summary["encodings"] = source.encodings
        self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def _export(self, user, options) -> None:
        path = Path(options["out"])
        if path.is_dir():
            raise CommandError(f"{path} is a folder: give a file name", returncode=USAGE_ERROR)
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} is already there: use --force to replace it", returncode=USAGE_ERROR)
        directory = selectors.directory_for_export()
        text = json.dumps(hsds.service_list(directory), indent=2, ensure_ascii=False) + "\n"
        # One transaction: the audit event is kept only if the file was written.
        with transaction.atomic():
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"cannot write {path}: {error.strerror}", returncode=USAGE_ERROR) from None
            services.directory_exported(actor=actor_for(user), services=len(directory.opportunities))
        summary = {
            "file": str(path.resolve()),
            "services": len(directory.opportunities),
            "organisations": len(directory.organisations),
        }
        self.stdout.write(json.dumps(summary))


def _add_user_argument(parser) -> None:
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help=f"who is acting, for the audit trail (default: the environment variable {USER_VARIABLE}, else "
        "nobody: the command line)",
    )


def _acting_user(username: str | None):
    """The acting user, who must be allowed to change the directory; None when nobody is named."""
    user = acting_user(username, required=False)
    if user is not None and not rules.test_rule("edit_directory", user):
        raise CommandError(
            f"User {user.get_username()} cannot change the community directory", returncode=USAGE_ERROR
        )
    return user
