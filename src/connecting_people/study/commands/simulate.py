"""`connecting-people study simulate`: a simulated study with a known effect, written into the database.

    connecting-people study simulate [--sites 5] [--teams-per-site 2] [--participants-per-team 16]
        [--effect 1.0] [--seed 1] [--drop-out 0.15] [--secondary-effect 0] [--cost-effect 0]
        [--code CODE] [--title TITLE] [--user USERNAME]

Simulates the study (`study.simulation.simulate`) and loads it (`study.simulation.db.load_simulated`): simulated
trusts and teams, participants with consent, baseline and six-month assessments scored by the measures
engine, drop-out, a unit-cost table and the teams' fidelity ratings. Prints one JSON line: the study's id and
code, what was written, the truth (the effect asked for and the one realised on the observed score) and the
command that analyses it.

The study is led by --user (else CONNECTING_PEOPLE_USER), who must have the researcher role; when neither names
anyone, by "study.simulator", a synthetic researcher account nobody can sign in as (made when missing; the
JSON says so). The code defaults to "sim<seed>" (or "sim<seed>-2"... when taken); a --code that is taken is
refused.

Bad input (a count too small, drop-out outside 0 to 0.9, a code taken or not a slug, an unknown user or one
without the researcher role): a message on stderr, exit code 2, nothing written.
"""

import json
import time

from django.core.management.base import CommandError
from django.db import transaction

from connecting_people.accounts.actor import actor_for
from connecting_people.accounts.selectors import scope_for
from connecting_people.core.commands import USAGE_ERROR, USER_VARIABLE, acting_user
from connecting_people.core.errors import NotAllowedError, ServiceError
from connecting_people.study import simulation
from connecting_people.study.simulation import db as loading

HELP = "Simulate a study with a known effect and load it into the database."
DESCRIPTION = (
    "Simulate a cluster-randomised study (sites, teams allocated within sites, participants interviewed at "
    "baseline and six months) with a known effect on the primary outcome, load it as a study, and print one "
    "JSON line with its id, counts and the true effect."
)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--sites", type=int, default=5, help="number of sites (trusts), 1 or more (default 5)"
    )
    parser.add_argument(
        "--teams-per-site",
        type=int,
        default=2,
        help="teams in each site, 2 or more: half to each arm (default 2)",
    )
    parser.add_argument(
        "--participants-per-team", type=int, default=16, help="participants in each team (default 16)"
    )
    parser.add_argument(
        "--effect",
        type=float,
        default=1.0,
        help="the intervention's effect on the six-month resource generator total, in score points, at "
        "average intervention fidelity (default 1.0)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed: same seed, same study (default 1)")
    parser.add_argument(
        "--drop-out",
        type=float,
        default=0.15,
        help="expected share without a six-month interview, 0 to 0.9 (default 0.15)",
    )
    parser.add_argument(
        "--secondary-effect",
        type=float,
        default=0.0,
        help="effect on every secondary outcome, in standard deviations (default 0)",
    )
    parser.add_argument(
        "--cost-effect",
        type=float,
        default=0.0,
        help="relative change in six-month service use in intervention teams, e.g. -0.1 (default 0)",
    )
    parser.add_argument("--code", help="the study's code (default sim<seed>, or the next free one)")
    parser.add_argument("--title", help="the study's title (default 'Simulated study (seed N)')")
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help=f"the researcher who leads the study (default: the environment variable {USER_VARIABLE}, "
        f"else the synthetic account {loading.SIMULATOR_USERNAME})",
    )


def _refuse(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def _check_numbers(options) -> None:
    if options["sites"] < 1:
        raise _refuse("--sites must be 1 or more")
    if options["teams_per_site"] < 2:
        raise _refuse("--teams-per-site must be 2 or more (one team per arm in every site)")
    if options["participants_per_team"] < 1:
        raise _refuse("--participants-per-team must be 1 or more")
    if not 0 <= options["drop_out"] <= 0.9:
        raise _refuse("--drop-out must be between 0 and 0.9")
    if options["cost_effect"] <= -1:
        raise _refuse("--cost-effect must be more than -1 (-1 would mean no service use at all)")


def run(command, options) -> None:
    _check_numbers(options)
    user = acting_user(options["user"], required=False)
    if user is not None and not scope_for(user=user).is_researcher:
        raise _refuse(f"{user.username} does not have the researcher role: a study is led by a researcher")
    try:
        code = (
            loading.check_code(options["code"])
            if options["code"] is not None
            else loading.free_code(f"sim{options['seed']}")
        )
    except ServiceError as error:
        raise _refuse(error.message) from None
    started = time.perf_counter()
    try:
        sim = simulation.simulate(
            sites=options["sites"],
            teams_per_site=options["teams_per_site"],
            participants_per_team=options["participants_per_team"],
            effect=options["effect"],
            seed=options["seed"],
            secondary_effect=options["secondary_effect"],
            cost_effect=options["cost_effect"],
            drop_out=options["drop_out"],
        )
    except ValueError as error:
        raise _refuse(str(error)) from None
    simulated_s = time.perf_counter() - started
    with transaction.atomic():
        lead = user or loading.simulator_account()
        try:
            study = loading.load_simulated(sim, actor=actor_for(lead), code=code, title=options["title"])
        except (ServiceError, NotAllowedError) as error:
            raise _refuse(getattr(error, "message", str(error))) from None
    counts = loading.load_counts(study)
    summary = {
        "study": study.pk,
        "code": study.code,
        "lead": lead.username,
        **(
            {
                "lead_note": f"No --user or {USER_VARIABLE}: led by {lead.username}, a synthetic researcher "
                "account nobody can sign in as. To open the study in the browser, simulate again with "
                "--user YOUR_USERNAME."
            }
            if user is None
            else {}
        ),
        "sites": counts["sites"],
        "teams": counts["teams"],
        "participants": counts["participants"],
        "withdrawn": counts["withdrawn"],
        "lost_to_follow_up": counts["lost_to_follow_up"],
        "assessments": counts["assessments"],
        "fidelity_ratings": counts["fidelity_ratings"],
        "truth": {
            "primary_measure": sim.truth["primary_measure"],
            "effect": sim.truth["effect"],
            "realised_effect": sim.truth["realised_effect"],
            "drop_out_observed": sim.truth["drop_out_observed"],
        },
        "parameters": sim.parameters,
        "seconds": {"simulate": round(simulated_s, 2), "total": round(time.perf_counter() - started, 2)},
        "next": f"connecting-people study analyse {study.pk} --json",
    }
    command.stdout.write(json.dumps(summary))
