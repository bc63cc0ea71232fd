"""`connecting-people mfa enrolment-code USERNAME`: a one-time set-up code for someone's security code (MFA).

The way in for the very first administrator, who has no security code yet and so cannot open the web page that
makes these codes. Whoever can run commands on the server is trusted with this: the code is audited as made on
the command line (and by --user or CONNECTING_PEOPLE_USER when given)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from connecting_people.accounts import mfa, selectors
from connecting_people.core.commands import USAGE_ERROR, acting_user
from connecting_people.core.errors import ServiceError


class Command(BaseCommand):
    help = "Multi-factor authentication. `mfa enrolment-code USERNAME` prints a one-time set-up code, shown once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser(
            "enrolment-code",
            help="Make a one-time set-up code that lets USERNAME set up their security code.",
        )
        issue.add_argument("username")
        issue.add_argument("--user", help="Who is making the code (default: CONNECTING_PEOPLE_USER, if set)")

    def handle(self, *args, **options):
        if options["action"] != "enrolment-code":
            raise CommandError("Unknown action", returncode=USAGE_ERROR)
        actor = acting_user(options.get("user"), required=False)
        try:
            person = selectors.user_by_username(username=options["username"])
            code, record = mfa.enrolment_code_issue(actor=actor, user=person, via="command line")
        except ServiceError as error:
            raise CommandError(error.message, returncode=USAGE_ERROR) from None
        expires = timezone.localtime(record.expires_at).strftime("%d %B %Y at %H:%M")
        self.stdout.write(f"Set-up code for {person.username}: {code}")
        self.stdout.write(
            f"It works once, until {expires}. It is not stored and will not be shown again. Give it to "
            f"{person.username} by a different route from their password."
        )
