"""`connecting-people study simulate`."""

from django.core.management.base import CommandError

from connecting_people.core.commands import USAGE_ERROR

HELP = "Not built yet."
DESCRIPTION = HELP


def add_arguments(parser) -> None:
    pass


def run(command, options) -> None:
    raise CommandError("study simulate is not built yet", returncode=USAGE_ERROR)
