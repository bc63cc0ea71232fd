"""`connecting-people score INSTRUMENT (--answers A,B,C... | --csv FILE)`: score responses from the command line.

--answers prints one JSON object (the engine's `score_one` result): `instrument`, `version`, `total`,
`subscales`, `band`, then the instrument's own scores (`metric` for SWEMWBS; `index`, `state`, `vas` and
`value_set` for EQ-5D-5L; `t_score` for GAS), `missing` and `missing_rule`. Answers are in the definition's
item order (`connecting-people instruments INSTRUMENT` lists it); an empty position is a missing answer
(`1,,3`). GAS takes one answer per goal; write `--answers=-2,1` or `--answers -2,1`.

--csv FILE (or `-` for standard input) scores one response per row, columns named by item id, and writes
the input columns plus the score columns as CSV, streaming chunk by chunk. Each rejected row is reported
on stderr with its line and row number and left out; a summary follows, and the exit code is then 2.

Bad input (an answer not allowed, the wrong number of answers, an unknown instrument, value set or option):
a message on stderr, exit code 2, nothing on stdout.
"""

import io
import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from connecting_people.measures.errors import MeasuresError
from connecting_people.measures.management.command_support import (
    USAGE_ERROR,
    allow_negative_values,
    find_instrument,
)
from connecting_people.measures.management.csv_scoring import CHUNK_ROWS, score_csv
from connecting_people.measures.registry import default_value_set
from connecting_people.measures.scoring import score_one


class Command(BaseCommand):
    help = "Score one response (--answers A,B,C...) or a CSV file of responses (--csv FILE, - for stdin)."
    stealth_options = ("stdin",)  # call_command(..., stdin=StringIO(...)) stands in for standard input

    def add_arguments(self, parser):
        allow_negative_values(parser)
        parser.add_argument("instrument", help="an instrument id, for example swemwbs")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument(
            "--answers",
            metavar="A,B,C...",
            help="answers in item order, separated by commas; leave a position empty for a missing answer",
        )
        source.add_argument(
            "--csv", metavar="FILE", help="a CSV file with a header naming the items; - reads standard input"
        )
        parser.add_argument(
            "--value-set",
            help=f"EQ-5D-5L value set for the index (default: this deployment's, {default_value_set()})",
        )
        parser.add_argument(
            "--weights", metavar="W1,W2,...", help="GAS: one weight per goal (default: every weight 1)"
        )
        parser.add_argument(
            "--unit-costs",
            metavar="FILE",
            help="CSRI-style costs: a unit-cost table (default: the definition's)",
        )
        parser.add_argument("--instrument-version", help="the definition version (default: the latest)")
        parser.add_argument(
            "--chunk-rows", type=int, default=CHUNK_ROWS, help=f"CSV rows per chunk (default {CHUNK_ROWS})"
        )

    def handle(self, *args, **options):
        instrument = find_instrument(options["instrument"], options["instrument_version"])
        scoring_options = self._scoring_options(instrument, options)
        if options["answers"] is not None:
            answers = options["answers"].split(",")
            try:
                result = score_one(instrument, answers, **scoring_options)
            except MeasuresError as error:
                raise CommandError(str(error), returncode=USAGE_ERROR) from None
            self.stdout.write(json.dumps(result))
            return
        self._score_csv(instrument, options, scoring_options)

    def _scoring_options(self, instrument, options) -> dict:
        chosen = {}
        if options["value_set"] is not None:
            chosen["value_set"] = options["value_set"]
        elif instrument.scoring.type == "eq5d":
            chosen["value_set"] = default_value_set()
        if options["weights"] is not None:
            chosen["weights"] = _weights(options["weights"])
        if options["unit_costs"] is not None:
            chosen["unit_costs"] = options["unit_costs"]
        return chosen

    def _score_csv(self, instrument, options, scoring_options) -> None:
        path = options["csv"]
        try:
            if path == "-":
                handle = options.get("stdin") or io.TextIOWrapper(
                    sys.stdin.buffer, encoding="utf-8-sig", newline=""
                )
            else:
                handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}", returncode=USAGE_ERROR) from None
        try:
            summary = score_csv(
                instrument,
                handle,
                lambda text: self.stdout.write(text, ending=""),
                lambda text: self.stderr.write(text, ending=""),
                options=scoring_options,
                chunk_rows=options["chunk_rows"],
            )
        except MeasuresError as error:
            raise CommandError(str(error), returncode=USAGE_ERROR) from None
        except BrokenPipeError:
            # The reader stopped early (`... | head`): stop quietly, as other command-line tools do. Standard
            # output goes to /dev/null so that Python's flush at exit does not complain again.
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError, io.UnsupportedOperation):
                pass
            raise SystemExit(1) from None
        except UnicodeDecodeError as error:
            name = "standard input" if path == "-" else path
            raise CommandError(f"{name} is not UTF-8 text ({error.reason})", returncode=USAGE_ERROR) from None
        finally:
            if path != "-":
                handle.close()
        if summary.rejected:
            raise CommandError(f"{instrument.id}: {summary.text()}", returncode=USAGE_ERROR)
        if options["verbosity"] >= 2:
            self.stderr.write(f"{instrument.id}: {summary.text()}")


def _weights(text: str) -> list[float]:
    weights = []
    for position, part in enumerate(text.split(","), start=1):
        try:
            weights.append(float(part))
        except ValueError:
            raise CommandError(
                f"weights: {part.strip()!r} (goal {position}) is not a number", returncode=USAGE_ERROR
            ) from None
    return weights
