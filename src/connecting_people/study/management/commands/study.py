"""`connecting-people study simulate|analyse|export`: the evaluation study from the command line.

Each action lives in its own module under `study/commands/` (arguments and what it does); this file only
dispatches. Bad input: a message on stderr and exit 2 (`core.commands.USAGE_ERROR`).
"""

from django.core.management.base import BaseCommand

from connecting_people.study.commands import analyse, export, simulate

ACTIONS = {"simulate": simulate, "analyse": analyse, "export": export}


class Command(BaseCommand):
    help = "The evaluation study: simulate one, analyse one, export one."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{simulate,analyse,export}")
        for name, module in ACTIONS.items():
            module.add_arguments(
                actions.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
            )

    def handle(self, *args, **options):
        ACTIONS[options["action"]].run(self, options)
