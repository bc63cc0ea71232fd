"""`connecting-people privacy ...`: the data protection officer's duties from the command line.

    connecting-people privacy subject-access (--record N | --nhs-number N) --format json|html --out FILE [--force]
    connecting-people privacy restrict (--record N | --nhs-number N) --ground GROUND [--reference REF]
    connecting-people privacy lift (--record N | --nhs-number N) --reason REASON [--person-told]
    connecting-people privacy erase (--record N | --nhs-number N) --lawful-basis BASIS --confirm RECORD_NUMBER
    connecting-people privacy retention report [--json]
    connecting-people privacy retention apply [--dry-run | --apply]

Every action runs as the user named by --user, else the environment variable CONNECTING_PEOPLE_USER, who must
be data protection officer of the person's trust: it goes through the same services as the pages, and is
audited the same way. `--out -` writes the subject access document to standard output. `erase` needs the
record number repeated with --confirm. `retention apply` only says what is due unless --apply is given.

Success prints one JSON line (or the report). Anything the user can put right (no such person in their trust,
a missing choice, an existing file without --force): a message on stderr, exit code 2, nothing changed.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from connecting_people.accounts.actor import actor_for
from connecting_people.core.commands import USAGE_ERROR, USER_VARIABLE, acting_user
from connecting_people.core.errors import NotFoundError, ServiceError
from connecting_people.privacy import selectors, services
from connecting_people.privacy.models import ErasureBasis, LiftReason, RestrictionGround
from connecting_people.privacy.retention import RetentionConfigError
from connecting_people.privacy.views import subject_access_html, subject_access_json


def _usage(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


class Command(BaseCommand):
    help = "Subject access, restriction, erasure and retention, as a trust's data protection officer."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        access = actions.add_parser("subject-access", help="Write everything held about a person to a file.")
        _person_arguments(access)
        access.add_argument(
            "--format", required=True, choices=["json", "html"], help="data (json) or a web page"
        )
        access.add_argument("--out", required=True, metavar="FILE", help="the file to write, or - for stdout")
        access.add_argument("--force", action="store_true", help="replace FILE if it exists")

        restrict = actions.add_parser("restrict", help="Restrict processing of a person.")
        _person_arguments(restrict)
        restrict.add_argument("--ground", required=True, choices=RestrictionGround.values)
        restrict.add_argument(
            "--reference", default="", help="the request's reference in the trust's own log"
        )

        lift = actions.add_parser("lift", help="Lift the restriction of a person's processing.")
        _person_arguments(lift)
        lift.add_argument("--reason", required=True, choices=LiftReason.values)
        lift.add_argument(
            "--person-told",
            action="store_true",
            help="the person has been told (required unless made_in_error)",
        )

        erase = actions.add_parser("erase", help="Erase a person's record, where the law allows it.")
        _person_arguments(erase)
        erase.add_argument("--lawful-basis", required=True, choices=ErasureBasis.values)
        erase.add_argument(
            "--confirm", required=True, metavar="RECORD_NUMBER", help="the record number again, to confirm"
        )

        retention = actions.add_parser(
            "retention", help="What the retention rules make due, and applying them."
        )
        steps = retention.add_subparsers(dest="step", required=True, metavar="report|apply")
        report = steps.add_parser("report", help="Counts by class of what is due today.")
        report.add_argument("--json", action="store_true", help="print JSON instead of text")
        _user_argument(report)
        apply = steps.add_parser("apply", help="Apply the rules: a dry run unless --apply.")
        how = apply.add_mutually_exclusive_group()
        how.add_argument("--dry-run", action="store_true", help="say what would be done (the default)")
        how.add_argument("--apply", action="store_true", help="erase and remove what is due")
        _user_argument(apply)

    def handle(self, *args, **options):
        actor = actor_for(acting_user(options["user"], required=True))
        if not selectors.is_data_protection_officer(actor=actor):
            raise _usage(f"{actor.user.get_username()} is not a data protection officer")
        try:
            if options["action"] == "retention":
                self._retention(actor, options)
            else:
                getattr(self, "_" + options["action"].replace("-", "_"))(actor, options)
        except ServiceError as error:
            raise _usage(error.message) from None
        except RetentionConfigError as error:
            raise _usage(f"Retention rules refused: {error}") from None

    def _person(self, actor, options):
        if options["record"] is not None:
            try:
                return selectors.person_for_data_protection(actor=actor, person_id=options["record"])
            except NotFoundError:
                raise _usage(
                    f"No record {options['record']} in {actor.user.get_username()}'s trust"
                ) from None
        number = "".join(options["nhs_number"].split())
        found = (
            [] if not number.isdigit() else selectors.people_found(actor=actor, record_or_nhs_number=number)
        )
        found = [person for person in found if person.nhs_number == number]
        if not found:
            raise _usage(
                f"No record with NHS number {options['nhs_number']} in {actor.user.get_username()}'s trust"
            )
        if len(found) > 1:
            raise _usage("That NHS number is recorded in more than one of your trusts: give --record instead")
        return found[0]

    def _subject_access(self, actor, options) -> None:
        person = self._person(actor, options)
        document = selectors.subject_access(actor=actor, person_id=person.pk)
        text = subject_access_json(document) if options["format"] == "json" else subject_access_html(document)
        out = options["out"]
        # One transaction: the download is audited only if the file was written.
        with transaction.atomic():
            services.subject_access_recorded(
                actor=actor, person=person, shown_as=options["format"], via="cli"
            )
            if out == "-":
                sys.stdout.write(text + "\n")
                return
            path = Path(out)
            if path.exists() and not options["force"]:
                raise _usage(f"{path} exists: choose another file, or give --force")
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as error:
                raise _usage(f"cannot write {path}: {error.strerror}") from None
        self.stdout.write(
            json.dumps({"record_number": person.pk, "format": options["format"], "file": str(path.resolve())})
        )

    def _restrict(self, actor, options) -> None:
        person = self._person(actor, options)
        restriction = services.restriction_add(
            actor=actor, person_id=person.pk, ground=options["ground"], reference=options["reference"]
        )
        self.stdout.write(
            json.dumps({"record_number": person.pk, "restricted": True, "ground": restriction.ground})
        )

    def _lift(self, actor, options) -> None:
        person = self._person(actor, options)
        services.restriction_lift(
            actor=actor, person_id=person.pk, reason=options["reason"], person_told=options["person_told"]
        )
        self.stdout.write(
            json.dumps({"record_number": person.pk, "restricted": False, "reason": options["reason"]})
        )

    def _erase(self, actor, options) -> None:
        person = self._person(actor, options)
        if options["confirm"].strip() != str(person.pk):
            raise _usage(f"To erase record {person.pk}, repeat its record number: --confirm {person.pk}")
        outcome = services.person_erase(
            actor=actor, person_id=person.pk, lawful_basis=options["lawful_basis"], confirmed=True
        )
        self.stdout.write(
            json.dumps(
                {
                    "record_number": outcome.record_number,
                    "erased": True,
                    "removed": outcome.removed,
                    "study_participations_kept": outcome.study_kept,
                    "study_participations_removed": outcome.study_removed,
                }
            )
        )

    def _retention(self, actor, options) -> None:
        if options["step"] == "report":
            report = selectors.retention_report(actor=actor)
            rows = [
                {
                    "class": row.rule.record_class,
                    "keep_years": row.rule.keep_years,
                    "held": row.held,
                    "due": row.due,
                    "on_hold_restricted": row.on_hold,
                }
                for row in report.classes
            ]
            if options["json"]:
                self.stdout.write(json.dumps({"today": report.today.isoformat(), "classes": rows}))
                return
            self.stdout.write(f"Retention on {report.today.isoformat()}")
            for row in rows:
                due = "no rule" if row["due"] is None else row["due"]
                self.stdout.write(
                    f"  {row['class']}: held {row['held']}, due {due}, due but restricted {row['on_hold_restricted']}"
                )
            return
        outcome = services.retention_apply(actor=actor, apply=options["apply"])
        self.stdout.write(json.dumps(outcome.as_dict()))
        if not options["apply"]:
            self.stderr.write("Dry run: nothing changed. Run again with --apply to act.")


def _user_argument(parser) -> None:
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help=f"who is acting, a data protection officer (default: the environment variable {USER_VARIABLE})",
    )


def _person_arguments(parser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--record", type=int, metavar="N", help="the person's record number")
    which.add_argument("--nhs-number", metavar="N", help="the person's NHS number")
    _user_argument(parser)
