"""`connecting-people fidelity indicators --team TEAM_ID [--from DATE --to DATE]`: a team's practice indicators
as one JSON object, with the keys documented in docs/implementation.md and `implementation/indicators.py`.

Run by whoever operates the service (it has the deployment's database settings), so it is not scoped to a
user; it prints aggregates only, never anything that names a person. Bad input (a future ``--to`` included:
numbers of days not yet lived would count reviews as due and not held): a message on stderr, exit 2.
"""

import json
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from connecting_people.core.commands import USAGE_ERROR
from connecting_people.implementation import indicators, practice


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{option} {text!r}: expected a date as YYYY-MM-DD", returncode=USAGE_ERROR
        ) from None


class Command(BaseCommand):
    help = "Practice indicators of a team, as JSON."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="indicators")
        found = actions.add_parser(
            "indicators",
            help="Print a team's practice indicators for a period as JSON.",
            description="Print a team's practice indicators for a period (by default the last 91 days) as JSON.",
        )
        found.add_argument("--team", required=True, metavar="TEAM_ID", help="the team's id")
        found.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD")
        found.add_argument("--to", dest="end", metavar="DATE", help="last day, YYYY-MM-DD (default today)")

    def handle(self, *args, **options):
        team_id = options["team"]
        if not (team_id.isascii() and team_id.isdigit()):
            raise CommandError(
                f"--team {team_id!r}: expected a team's id (a whole number)", returncode=USAGE_ERROR
            )
        today = timezone.localdate()
        end = _date(options["end"], "--to") if options["end"] else today
        if end > today:
            raise CommandError(
                f"--to {end.isoformat()} is in the future: the indicators run to today ({today.isoformat()}) "
                "at the latest",
                returncode=USAGE_ERROR,
            )
        start = _date(options["start"], "--from") if options["start"] else end - timedelta(days=90)
        if end < start:
            raise CommandError("--to must be on or after --from", returncode=USAGE_ERROR)
        team = practice.team_by_id(int(team_id))
        if team is None:
            raise CommandError(f"No team {team_id}", returncode=USAGE_ERROR)
        facts = practice.practice_facts(teams=[team])[team.pk]
        found = indicators.indicators(facts, start, end, today=today)
        result = {
            "team_id": team.pk,
            "team": team.name,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "caseload": indicators.caseload_size(facts, end),
            "indicators": {key: found[key].as_dict() for key in indicators.KEYS},
        }
        self.stdout.write(json.dumps(result))
