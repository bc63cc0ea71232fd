"""`connecting-people study analyse`: a study's analysis, printed.

    connecting-people study analyse STUDY_ID [--json] [--seed N] [--replicates N]

Runs the same analysis as the report (`analysis.db.study_analysis`: intention to treat with a mixed model and
a cluster-robust sensitivity analysis, secondary outcomes, fidelity and outcome, cost-effectiveness with a
seeded bootstrap). With --json it prints the analysis result as one JSON object (keys as in
docs/study-analysis.md: ``primary`` with ``estimate``, ``ci_low`` and ``ci_high``, ``cost_effectiveness`` and
the rest); without, a short summary in words. Same data and seed: the same output.

Run by whoever operates the service (it has the deployment's database settings), like `fidelity indicators`,
so it takes no --user: it prints aggregates only (estimates, counts by arm, team codes), never anything that
names or numbers a participant.

An unknown study, a study the analysis refuses (too few participants or teams in an arm, a service without a
unit cost, data it cannot analyse) or a bad option: the message on stderr, exit code 2.
"""

import json

from django.core.management.base import CommandError

from connecting_people.core.commands import USAGE_ERROR
from connecting_people.study.models import Study
from connecting_people.study.report.db import (
    DEFAULT_REPLICATES,
    DEFAULT_SEED,
    MAX_REPLICATES,
    MAX_SEED,
    MIN_REPLICATES,
)

HELP = "Analyse a study and print the results (as JSON with --json)."
DESCRIPTION = (
    "Analyse a study (intention to treat, secondary outcomes, fidelity and outcome, cost-effectiveness with a "
    "seeded bootstrap) and print the results: with --json the whole result as one JSON object, otherwise a "
    "short summary. For whoever operates the service: no --user is needed, as it prints aggregates only, "
    "never a participant's number or anything that identifies a person."
)


def add_arguments(parser) -> None:
    parser.add_argument("study_id", metavar="STUDY_ID", help="the study's number")
    parser.add_argument("--json", action="store_true", help="print the whole result as one JSON object")
    parser.add_argument(
        "--seed",
        default=str(DEFAULT_SEED),
        metavar="N",
        help=f"seed of the cost-effectiveness bootstrap, 0 to {MAX_SEED:,} (default {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--replicates",
        default=str(DEFAULT_REPLICATES),
        metavar="N",
        help=f"bootstrap replicates, {MIN_REPLICATES:,} to {MAX_REPLICATES:,} (default {DEFAULT_REPLICATES:,})",
    )


def _whole_number(text: str, option: str, low: int, high: int) -> int:
    text = str(text).strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise CommandError(
            f"{option} {text!r}: expected a whole number from {low:,} to {high:,}", returncode=USAGE_ERROR
        )
    return int(text)


def run(command, options) -> None:
    # The numerical libraries load only when an analysis is run, not with every `study` command.
    from connecting_people.study.analysis import StudyDataError
    from connecting_people.study.analysis.db import study_analysis

    text = str(options["study_id"]).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise CommandError(f"A study id is a whole number from 1 up, not {text!r}", returncode=USAGE_ERROR)
    seed = _whole_number(options["seed"], "--seed", 0, MAX_SEED)
    replicates = _whole_number(options["replicates"], "--replicates", MIN_REPLICATES, MAX_REPLICATES)
    study = Study.objects.filter(pk=int(text)).first()
    if study is None:
        raise CommandError(f"No study {text}", returncode=USAGE_ERROR)
    try:
        result = study_analysis(study, seed=seed, replicates=replicates)
    except StudyDataError as error:  # too few to analyse, a missing unit cost, data it refuses
        raise CommandError(str(error), returncode=USAGE_ERROR) from None
    if options["json"]:
        command.stdout.write(json.dumps(result, allow_nan=False))
    else:
        command.stdout.write(summary(study, result, seed=seed, replicates=replicates))


def summary(study: Study, result: dict, *, seed: int, replicates: int) -> str:
    """The result in a few lines of words (the numbers as the report writes them)."""
    from connecting_people.study.report import format as fmt

    arms = result["study"]
    level = f"{result['plan']['confidence']:.0%}"
    lines = [
        f"{study.code}: {study.title}",
        f"Participants: {fmt.count(arms['participants']['intervention'])} intervention, "
        f"{fmt.count(arms['participants']['control'])} control, in {fmt.count(sum(arms['teams'].values()))} "
        f"teams at {fmt.count(arms['sites'])} sites.",
    ]
    for role, part in [
        ("Primary", result["primary"]),
        *(("Secondary", p) for p in result["secondary"].values()),
    ]:
        if "refused" in part:
            lines.append(f"{role}, {part['label']}: not analysed. {part['refused']}")
            continue
        lines.append(
            f"{role}, {part['label']}: {fmt.number(part['estimate'])} ({level} CI "
            f"{fmt.interval(part['ci_low'], part['ci_high'])}), {fmt.p_phrase(part['p'])}; "
            f"sensitivity analysis {fmt.number(part['sensitivity'].get('estimate'))} "
            f"({fmt.interval(part['sensitivity'].get('ci_low'), part['sensitivity'].get('ci_high'))})."
        )
    economic = result["cost_effectiveness"]
    if "refused" in economic:
        lines.append(f"Cost-effectiveness: not analysed. {economic['refused']}")
    else:
        lines.append(f"Cost-effectiveness: {economic['statement']}")
        for row in economic["net_monetary_benefit"]:
            lines.append(
                f"Probability cost-effective at {fmt.money(row['willingness_to_pay'], economic['currency'])} "
                f"per QALY: {fmt.percent(row['probability_cost_effective'])}."
            )
    lines.append(f"Bootstrap: {fmt.count(replicates)} replicates, seed {seed}. For every number: --json.")
    return "\n".join(lines)
